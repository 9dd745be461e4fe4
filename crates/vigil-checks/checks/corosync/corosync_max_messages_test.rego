package vigil.checks.corosync_max_messages_test

import data.vigil.checks.corosync_max_messages

test_recommended_passes if {
	r := corosync_max_messages.result with input as {"facts": {"max_messages": 20}, "values": {"expected": 20}}
	r.status == "passing"
}

test_other_value_warns if {
	r := corosync_max_messages.result with input as {"facts": {"max_messages": 27}, "values": {"expected": 20}}
	r.status == "warning"
	r.observed == 27
}

test_unset_warns if {
	r := corosync_max_messages.result with input as {
		"facts": {"max_messages": {"error": {"type": "value_not_found", "message": "corosync.conf has no totem.max_messages"}}},
		"values": {"expected": 20},
	}
	r.status == "warning"
	r.observed == null
}
