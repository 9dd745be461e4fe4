package vigil.checks.stonith_action

import data.vigil.checklib

metadata := {
	"id": "stonith_action",
	"name": "Fencing reboots the node",
	"group": "pacemaker",
	"description": "`stonith-action=off` powers a fenced node off, so it never comes back on its own and the cluster stays degraded until someone intervenes. SUSE's SAP guides fence with reboot.",
	"remediation": "```\ncrm configure property stonith-action=reboot\n```",
	"target_type": "cluster",
	"severity": "warning",
	"values": {
		"expected": {
			"default": "reboot"
		}
	}
}

observed := object.get(input.cluster.properties, "stonith-action", "reboot")

expected := input.values.expected

ok := lower(sprintf("%v", [observed])) == lower(sprintf("%v", [expected]))

message := sprintf("stonith-action is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
