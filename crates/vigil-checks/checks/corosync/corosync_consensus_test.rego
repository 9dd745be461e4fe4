package vigil.checks.corosync_consensus_test

import data.vigil.checks.corosync_consensus

test_ratio_passes if {
	r := corosync_consensus.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "30000",
					"consensus": "36000"
				},
				"quorum": {}
			}
		},
		"values": {
			"ratio": 1.2
		}
	}
	r.status == "passing"
}

test_unset_passes_as_corosync_derives_it if {
	r := corosync_consensus.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "30000"
				},
				"quorum": {}
			}
		},
		"values": {
			"ratio": 1.2
		}
	}
	r.status == "passing"
}

test_smaller_consensus_warns if {
	r := corosync_consensus.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "30000",
					"consensus": "6000"
				},
				"quorum": {}
			}
		},
		"values": {
			"ratio": 1.2
		}
	}
	r.status == "warning"
}
