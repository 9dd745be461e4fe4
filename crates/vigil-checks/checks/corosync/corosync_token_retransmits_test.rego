package vigil.checks.corosync_token_retransmits_test

import data.vigil.checks.corosync_token_retransmits

test_recommended_passes if {
	r := corosync_token_retransmits.result with input as {"facts": {"retransmits": 10}, "values": {"expected": 10}}
	r.status == "passing"
}

test_other_value_warns if {
	r := corosync_token_retransmits.result with input as {"facts": {"retransmits": 6}, "values": {"expected": 10}}
	r.status == "warning"
	r.observed == 6
}

test_unset_warns if {
	r := corosync_token_retransmits.result with input as {
		"facts": {"retransmits": {"error": {"type": "value_not_found", "message": "corosync.conf has no totem.token_retransmits_before_loss_const"}}},
		"values": {"expected": 10},
	}
	r.status == "warning"
	r.observed == null
}
