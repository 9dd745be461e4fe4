package vigil.checks.cluster_nodes_online

import data.vigil.checklib

metadata := {
	"id": "cluster_nodes_online",
	"name": "Every cluster node is online",
	"group": "pacemaker",
	"description": "A node that is offline gives no redundancy: the next failure is an outage.",
	"remediation": "Find out why the node is down (`crm_mon -1`, `journalctl -u pacemaker -u corosync` on it), fix it, and start the cluster stack there with `crm cluster start`.",
	"target_type": "cluster",
	"severity": "critical"
}

observed := [n.name | some n in input.cluster.nodes; not n.online]

expected := []

ok := count(observed) == 0

message := sprintf("offline nodes: %v", [checklib.shown(concat(", ", observed))]) if count(observed) > 0

message := sprintf("all %v nodes are online", [count(input.cluster.nodes)]) if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
