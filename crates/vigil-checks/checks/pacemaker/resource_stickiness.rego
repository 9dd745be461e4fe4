package vigil.checks.resource_stickiness

import data.vigil.checklib

metadata := {
	"id": "resource_stickiness",
	"name": "Resources stick to their node (HANA)",
	"group": "pacemaker",
	"description": "A `resource-stickiness` of 1000 in the resource defaults keeps resources where they run after a failed node comes back, so HANA is not moved twice. The SUSE HANA system replication guides use 1000.",
	"remediation": "```\ncrm configure rsc_defaults resource-stickiness=1000\n```",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"expected": {
			"default": 1000
		}
	}
}

default observed := null

observed := checklib.number(input.cluster.rsc_defaults["resource-stickiness"])

expected := input.values.expected

ok := observed == expected

message := sprintf("rsc_defaults resource-stickiness is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected) if input.cluster.rsc_defaults != null

# The cluster discovery carries no rsc_defaults (Trento's agent does not send them, and no
# gatherer reads the CIB): no value to judge, said as such rather than guessed.
result := {
	"status": "not_gathered",
	"message": "the cluster discovery carries no rsc_defaults",
	"observed": null,
	"expected": expected,
} if input.cluster.rsc_defaults == null
