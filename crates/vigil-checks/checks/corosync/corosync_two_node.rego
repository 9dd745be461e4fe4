package vigil.checks.corosync_two_node

import data.vigil.checklib

metadata := {
	"id": "corosync_two_node",
	"name": "A two-node cluster sets quorum two_node",
	"group": "corosync",
	"description": "With two nodes, losing one loses quorum unless `quorum.two_node: 1` is set; the surviving node would then stop every resource instead of taking over.",
	"remediation": "Set `two_node: 1` in the `quorum` section of `/etc/corosync/corosync.conf` on both nodes and reload corosync. Keep fencing enabled: two_node relies on it to resolve a split.",
	"target_type": "cluster",
	"severity": "critical",
	"facts": [
		{
			"name": "two_node",
			"gatherer": "corosync.conf",
			"argument": "quorum.two_node"
		}
	]
}

default observed := null

observed := checklib.number(checklib.fact("two_node"))

expected := 1

ok := observed == expected if checklib.two_nodes

ok := true if not checklib.two_nodes

message := sprintf("quorum.two_node is %v for %v nodes", [checklib.shown(observed), count(input.cluster.nodes)])

result := checklib.verdict(metadata, ok, message, observed, expected)
