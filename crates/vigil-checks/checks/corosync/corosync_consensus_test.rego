package vigil.checks.corosync_consensus_test

import data.vigil.checks.corosync_consensus

not_set := {"error": {"type": "value_not_found", "message": "corosync.conf has no such key"}}

test_ratio_passes if {
	r := corosync_consensus.result with input as {"facts": {"token": 30000, "consensus": 36000}, "values": {"ratio": 1.2}}
	r.status == "passing"
}

test_unset_passes_as_corosync_derives_it if {
	r := corosync_consensus.result with input as {"facts": {"token": 30000, "consensus": not_set}, "values": {"ratio": 1.2}}
	r.status == "passing"
	r.expected == 36000
}

test_smaller_consensus_warns if {
	r := corosync_consensus.result with input as {"facts": {"token": 30000, "consensus": 6000}, "values": {"ratio": 1.2}}
	r.status == "warning"
}

test_without_a_token_the_default_token_counts if {
	r := corosync_consensus.result with input as {"facts": {"token": not_set, "consensus": 36000}, "values": {"ratio": 1.2}}
	r.status == "warning"
	r.expected == 1200
}
