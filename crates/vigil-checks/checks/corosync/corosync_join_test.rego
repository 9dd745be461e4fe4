package vigil.checks.corosync_join_test

import data.vigil.checks.corosync_join

test_recommended_passes if {
	r := corosync_join.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"join": "60"
				},
				"quorum": {}
			}
		},
		"values": {
			"expected": 60
		}
	}
	r.status == "passing"
}

test_other_value_warns if {
	r := corosync_join.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"join": "67"
				},
				"quorum": {}
			}
		},
		"values": {
			"expected": 60
		}
	}
	r.status == "warning"
}

test_unset_warns if {
	r := corosync_join.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {}
			}
		},
		"values": {
			"expected": 60
		}
	}
	r.status == "warning"
}
