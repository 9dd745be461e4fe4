package vigil.checks.corosync_max_messages_test

import data.vigil.checks.corosync_max_messages

test_recommended_passes if {
	r := corosync_max_messages.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"max_messages": "20"
				},
				"quorum": {}
			}
		},
		"values": {
			"expected": 20
		}
	}
	r.status == "passing"
}

test_other_value_warns if {
	r := corosync_max_messages.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"max_messages": "27"
				},
				"quorum": {}
			}
		},
		"values": {
			"expected": 20
		}
	}
	r.status == "warning"
}

test_unset_warns if {
	r := corosync_max_messages.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {}
			}
		},
		"values": {
			"expected": 20
		}
	}
	r.status == "warning"
}
