package vigil.checks.migration_threshold

import data.vigil.checklib

metadata := {
	"id": "migration_threshold",
	"name": "Resources tolerate transient failures before moving (HANA)",
	"group": "pacemaker",
	"description": "`migration-threshold` is how many failures of a resource on a node make Pacemaker move it away. The SUSE HANA guides set 5000 so that the SAPHana agent, not a failure count, decides on a takeover.",
	"remediation": "```\ncrm configure rsc_defaults migration-threshold=5000\n```",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"expected": {
			"default": 5000
		}
	}
}

default observed := null

observed := checklib.number(input.cluster.rsc_defaults["migration-threshold"])

expected := input.values.expected

ok := observed == expected

message := sprintf("rsc_defaults migration-threshold is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected) if input.cluster.rsc_defaults != null

# The cluster discovery carries no rsc_defaults (Trento's agent does not send them, and no
# gatherer reads the CIB): no value to judge, said as such rather than guessed.
result := {
	"status": "not_gathered",
	"message": "the cluster discovery carries no rsc_defaults",
	"observed": null,
	"expected": expected,
} if input.cluster.rsc_defaults == null
