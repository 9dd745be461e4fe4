package vigil.checks.corosync_token_retransmits_test

import data.vigil.checks.corosync_token_retransmits

test_recommended_passes if {
	r := corosync_token_retransmits.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token_retransmits_before_loss_const": "10"
				},
				"quorum": {}
			}
		},
		"values": {
			"expected": 10
		}
	}
	r.status == "passing"
}

test_other_value_warns if {
	r := corosync_token_retransmits.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token_retransmits_before_loss_const": "17"
				},
				"quorum": {}
			}
		},
		"values": {
			"expected": 10
		}
	}
	r.status == "warning"
}

test_unset_warns if {
	r := corosync_token_retransmits.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {}
			}
		},
		"values": {
			"expected": 10
		}
	}
	r.status == "warning"
}
