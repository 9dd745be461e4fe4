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
	"facts": [
		"rsc_defaults"
	],
	"values": {
		"expected": {
			"default": 1
		}
	}
}

default observed := null

observed := checklib.number(input.facts.rsc_defaults["resource-stickiness"])

expected := input.values.expected

ok := observed == expected

message := sprintf("rsc_defaults resource-stickiness is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
