package vigil.checks.corosync_join_test

import data.vigil.checks.corosync_join

test_recommended_passes if {
	r := corosync_join.result with input as {"facts": {"join": 60}, "values": {"expected": 60}}
	r.status == "passing"
}

test_other_value_warns if {
	r := corosync_join.result with input as {"facts": {"join": 67}, "values": {"expected": 60}}
	r.status == "warning"
	r.observed == 67
}

test_unset_warns if {
	r := corosync_join.result with input as {
		"facts": {"join": {"error": {"type": "value_not_found", "message": "corosync.conf has no totem.join"}}},
		"values": {"expected": 60},
	}
	r.status == "warning"
	r.observed == null
}
