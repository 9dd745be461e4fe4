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
	"facts": [
		{
			"name": "rsc_defaults",
			"gatherer": "cibadmin",
			"argument": "rsc_defaults"
		}
	],
	"values": {
		"expected": {
			"default": 3
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
