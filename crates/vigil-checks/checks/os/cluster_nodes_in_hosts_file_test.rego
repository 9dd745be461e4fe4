package vigil.checks.cluster_nodes_in_hosts_file_test

import data.vigil.checks.cluster_nodes_in_hosts_file

node(name) := {"name": name, "online": true, "dc": false, "standby": false, "maintenance": false, "attributes": {}}

cluster := {"properties": {}, "sbd_config": {}, "sbd_devices": [], "resources": [], "nodes": [node("node1"), node("node2")]}

# The hosts gatherer's answer to an empty argument: name → addresses.
test_listed_passes if {
	r := cluster_nodes_in_hosts_file.result with input as {"cluster": cluster, "facts": {"hosts": {
		"localhost": ["127.0.0.1", "::1"],
		"node1": ["10.0.0.1"],
		"Node2": ["10.0.0.2"],
		"node2.example.com": ["10.0.0.2"],
	}}}
	r.status == "passing"
}

test_missing_warns if {
	r := cluster_nodes_in_hosts_file.result with input as {"cluster": cluster, "facts": {"hosts": {
		"localhost": ["127.0.0.1", "::1"],
		"node1": ["10.0.0.1"],
	}}}
	r.status == "warning"
	r.observed == ["node2"]
}
