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
	"facts": [
		{
			"name": "rsc_defaults",
			"gatherer": "cibadmin",
			"argument": "rsc_defaults"
		}
	],
	"values": {
		"expected": {
			"default": 1000
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
