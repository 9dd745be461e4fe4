package vigil.checks.corosync_two_node_test

import data.vigil.checks.corosync_two_node

node(name) := {"name": name, "online": true, "dc": false, "standby": false, "maintenance": false, "attributes": {}}

two_nodes := {"properties": {}, "sbd_config": {}, "sbd_devices": [], "resources": [], "nodes": [node("node1"), node("node2")]}

three_nodes := object.union(two_nodes, {"nodes": [node("node1"), node("node2"), node("node3")]})

not_set := {"error": {"type": "value_not_found", "message": "corosync.conf has no quorum.two_node"}}

test_set_passes if {
	r := corosync_two_node.result with input as {"cluster": two_nodes, "facts": {"two_node": 1}}
	r.status == "passing"
}

test_three_nodes_pass_without_it if {
	r := corosync_two_node.result with input as {"cluster": three_nodes, "facts": {"two_node": not_set}}
	r.status == "passing"
}

test_missing_on_two_nodes_is_critical if {
	r := corosync_two_node.result with input as {"cluster": two_nodes, "facts": {"two_node": not_set}}
	r.status == "critical"
}

test_zero_on_two_nodes_is_critical if {
	r := corosync_two_node.result with input as {"cluster": two_nodes, "facts": {"two_node": 0}}
	r.status == "critical"
}
