package vigil.checks.ascs_ers_resource_stickiness

import data.vigil.checklib

metadata := {
	"id": "ascs_ers_resource_stickiness",
	"name": "Resources stick to their node (ASCS/ERS)",
	"group": "pacemaker",
	"description": "The SUSE ENSA guides set the resource defaults' `resource-stickiness` to 1 so that the ASCS group's own stickiness decides where it runs.",
	"remediation": "```\ncrm configure rsc_defaults resource-stickiness=1\n```",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"expected": {
			"default": 1
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
