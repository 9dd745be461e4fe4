package vigil.checks.corosync_token_test

import data.vigil.checks.corosync_token

test_recommended_token_passes if {
	r := corosync_token.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "5000"
				},
				"quorum": {}
			}
		},
		"values": {
			"token": 5000
		}
	}
	r.status == "passing"
}

test_azure_token_passes_with_the_azure_value if {
	r := corosync_token.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "30000"
				},
				"quorum": {}
			}
		},
		"values": {
			"token": 30000
		}
	}
	r.status == "passing"
}

test_short_token_is_critical if {
	r := corosync_token.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "1000"
				},
				"quorum": {}
			}
		},
		"values": {
			"token": 5000
		}
	}
	r.status == "critical"
}

test_missing_token_is_critical if {
	r := corosync_token.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {}
			}
		},
		"values": {
			"token": 5000
		}
	}
	r.status == "critical"
}
