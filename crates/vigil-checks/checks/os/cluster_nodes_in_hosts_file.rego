package vigil.checks.cluster_nodes_in_hosts_file

import data.vigil.checklib

metadata := {
	"id": "cluster_nodes_in_hosts_file",
	"name": "Every cluster node is in /etc/hosts",
	"group": "os",
	"description": "Corosync and Pacemaker resolve node names; if DNS is slow or down a node that is not in `/etc/hosts` cannot be reached, and failover fails exactly when the network is troubled.",
	"remediation": "Add every node's cluster address and name to `/etc/hosts` on every node, e.g. `10.0.0.11 node1`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "hosts",
			"gatherer": "hosts",
			"argument": ""
		}
	]
}

# The whole /etc/hosts (`argument` empty): name → addresses. Names resolve in any case.
names := {lower(name) | some name, _ in checklib.fact("hosts")}

observed := [n.name | some n in input.cluster.nodes; not lower(n.name) in names]

expected := []

ok := count(observed) == 0

message := sprintf("nodes missing from /etc/hosts: %v", [concat(", ", observed)]) if count(observed) > 0

message := "every node is in /etc/hosts" if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
