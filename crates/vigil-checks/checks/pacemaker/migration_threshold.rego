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
	"facts": [
		{
			"name": "rsc_defaults",
			"gatherer": "cibadmin",
			"argument": "rsc_defaults"
		}
	],
	"values": {
		"expected": {
			"default": 5000
		}
	}
}

# The resource defaults this node's CIB holds (`cibadmin`), name → value; a name absent from
# them has Pacemaker's default.
rsc_defaults := checklib.fact("rsc_defaults") if is_object(checklib.fact("rsc_defaults"))

rsc_defaults := {} if not is_object(checklib.fact("rsc_defaults"))

# Pacemaker's migration-threshold when rsc_defaults does not set it.
pacemaker_default := "INFINITY"

is_set := "migration-threshold" in object.keys(rsc_defaults)

value := object.get(rsc_defaults, "migration-threshold", pacemaker_default)

# A number when it is one; as written otherwise (`INFINITY`).
observed := checklib.number(value)

observed := value if not is_number(checklib.number(value))

expected := input.values.expected

ok := observed == expected

message := sprintf("rsc_defaults migration-threshold is %v; %v is recommended", [observed, expected]) if is_set

message := sprintf("rsc_defaults sets no migration-threshold (Pacemaker's default is INFINITY); %v is recommended", [expected]) if not is_set

result := checklib.verdict(metadata, ok, message, observed, expected)
