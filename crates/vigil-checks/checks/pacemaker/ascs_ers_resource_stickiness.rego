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
		{
			"name": "rsc_defaults",
			"gatherer": "cibadmin",
			"argument": "rsc_defaults"
		}
	],
	"values": {
		"expected": {
			"default": 1
		}
	}
}

# The resource defaults this node's CIB holds (`cibadmin`), name → value; a name absent from
# them has Pacemaker's default.
rsc_defaults := checklib.fact("rsc_defaults") if is_object(checklib.fact("rsc_defaults"))

rsc_defaults := {} if not is_object(checklib.fact("rsc_defaults"))

# Pacemaker's resource-stickiness when rsc_defaults does not set it.
pacemaker_default := 0

is_set := "resource-stickiness" in object.keys(rsc_defaults)

value := object.get(rsc_defaults, "resource-stickiness", pacemaker_default)

# A number when it is one; as written otherwise (`INFINITY`).
observed := checklib.number(value)

observed := value if not is_number(checklib.number(value))

expected := input.values.expected

ok := observed == expected

message := sprintf("rsc_defaults resource-stickiness is %v; %v is recommended", [observed, expected]) if is_set

message := sprintf("rsc_defaults sets no resource-stickiness (Pacemaker's default is 0); %v is recommended", [expected]) if not is_set

result := checklib.verdict(metadata, ok, message, observed, expected)
