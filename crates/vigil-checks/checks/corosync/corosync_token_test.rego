package vigil.checks.corosync_token_test

import data.vigil.checks.corosync_token

not_set := {"error": {"type": "value_not_found", "message": "corosync.conf has no totem.token"}}

test_recommended_token_passes if {
	r := corosync_token.result with input as {"facts": {"token": 5000}, "values": {"token": 5000}}
	r.status == "passing"
}

test_azure_token_passes_with_the_azure_value if {
	r := corosync_token.result with input as {"facts": {"token": 30000}, "values": {"token": 30000}}
	r.status == "passing"
	r.observed == 30000
}

test_short_token_is_critical if {
	r := corosync_token.result with input as {"facts": {"token": 1000}, "values": {"token": 5000}}
	r.status == "critical"
}

test_a_token_written_as_text_is_read_as_a_number if {
	r := corosync_token.result with input as {"facts": {"token": "5000"}, "values": {"token": 5000}}
	r.status == "passing"
}

test_missing_token_is_critical if {
	r := corosync_token.result with input as {"facts": {"token": not_set}, "values": {"token": 5000}}
	r.status == "critical"
	r.message == "corosync totem.token is not set; 5000 ms is recommended"
}
