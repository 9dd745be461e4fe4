package vigil.checks.corosync_runtime_token_test

import data.vigil.checks.corosync_runtime_token

not_set := {"error": {"type": "value_not_found", "message": "corosync.conf has no such key"}}

nodes(n) := [{"ring0_addr": sprintf("10.0.0.%v", [i]), "nodeid": i} | some i in numbers.range(1, n)]

test_applied_passes if {
	r := corosync_runtime_token.result with input as {"facts": {
		"running": 30000,
		"token": 30000,
		"token_coefficient": not_set,
		"nodes": nodes(2),
	}}
	r.status == "passing"
}

test_stale_runtime_warns if {
	r := corosync_runtime_token.result with input as {"facts": {
		"running": 5000,
		"token": 30000,
		"token_coefficient": not_set,
		"nodes": nodes(2),
	}}
	r.status == "warning"
	r.message == "the running totem.token is 5000; corosync.conf makes it 30000"
}

test_three_nodes_add_the_token_coefficient if {
	r := corosync_runtime_token.result with input as {"facts": {
		"running": 5650,
		"token": 5000,
		"token_coefficient": not_set,
		"nodes": nodes(3),
	}}
	r.status == "passing"
	r.expected == 5650
}

test_a_set_coefficient_counts if {
	r := corosync_runtime_token.result with input as {"facts": {
		"running": 5650,
		"token": 5000,
		"token_coefficient": 0,
		"nodes": nodes(3),
	}}
	r.status == "warning"
}

test_no_token_in_the_file_passes if {
	r := corosync_runtime_token.result with input as {"facts": {
		"running": 3000,
		"token": not_set,
		"token_coefficient": not_set,
		"nodes": nodes(2),
	}}
	r.status == "passing"
}
