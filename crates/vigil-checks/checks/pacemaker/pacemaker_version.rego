package vigil.checks.pacemaker_version

import data.vigil.checklib

metadata := {
	"id": "pacemaker_version",
	"name": "Pacemaker is at least the minimum supported version",
	"group": "pacemaker",
	"description": "The designated controller's Pacemaker version (`dc-version`) tells which fixes the cluster runs with. Older versions lack fixes for fencing and promotable clones that the SAP resource agents rely on.",
	"remediation": "Update the HA packages on every node (`zypper patch` or `zypper update pacemaker`), node by node with the node in standby, then verify with `crm_mon -1` and `crm configure show cib-bootstrap-options`.",
	"target_type": "cluster",
	"severity": "warning",
	"values": {
		"minimum": {
			"default": "2.1.2",
			"description": "the oldest accepted version"
		}
	}
}

default observed := null

observed := split(checklib.property("dc-version"), "-")[0]

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

message := sprintf("Pacemaker %v runs; %v is required", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
