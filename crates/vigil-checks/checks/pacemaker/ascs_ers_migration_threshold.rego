package vigil.checks.ascs_ers_migration_threshold

import data.vigil.checklib

metadata := {
	"id": "ascs_ers_migration_threshold",
	"name": "Resources move after three failures (ASCS/ERS)",
	"group": "pacemaker",
	"description": "The SUSE ENSA guides set `migration-threshold=3`: an instance that fails three times on a node is moved instead of restarted forever.",
	"remediation": "```\ncrm configure rsc_defaults migration-threshold=3\n```",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"expected": {
			"default": 3
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
