package vigil.checks.cluster_nodes_not_standby

import data.vigil.checklib

metadata := {
	"id": "cluster_nodes_not_standby",
	"name": "No cluster node is in standby",
	"group": "pacemaker",
	"description": "A node in standby runs no resources: the cluster cannot fail over to it.",
	"remediation": "When the work that needed standby is done: `crm node online <node>`.",
	"target_type": "cluster",
	"severity": "warning"
}

observed := [n.name | some n in input.cluster.nodes; n.standby]

expected := []

ok := count(observed) == 0

message := sprintf("nodes in standby: %v", [checklib.shown(concat(", ", observed))]) if count(observed) > 0

message := "no node is in standby" if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
