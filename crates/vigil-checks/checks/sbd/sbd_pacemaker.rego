package vigil.checks.sbd_pacemaker

import data.vigil.checklib

metadata := {
	"id": "sbd_pacemaker",
	"name": "SBD follows Pacemaker's health",
	"group": "sbd",
	"description": "With `SBD_PACEMAKER=yes` the SBD daemon also watches Pacemaker and self-fences a node whose Pacemaker hangs; without it a node with a dead Pacemaker keeps running its resources unsupervised.",
	"remediation": "Set `SBD_PACEMAKER=yes` in `/etc/sysconfig/sbd` on every node and restart the cluster stack node by node.",
	"target_type": "cluster",
	"severity": "critical",
	"values": {
		"expected": {
			"default": "yes"
		}
	}
}

observed := object.get(input.cluster.sbd_config, "SBD_PACEMAKER", "yes")

expected := input.values.expected

ok := lower(sprintf("%v", [observed])) == lower(sprintf("%v", [expected]))

message := sprintf("SBD_PACEMAKER is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
