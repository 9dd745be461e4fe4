package vigil.checks.corosync_runtime_token_test

import data.vigil.checks.corosync_runtime_token

test_applied_passes if {
	r := corosync_runtime_token.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "30000"
				},
				"quorum": {}
			},
			"corosync_cmapctl": {
				"runtime.config.totem.token": "30000"
			}
		}
	}
	r.status == "passing"
}

test_stale_runtime_warns if {
	r := corosync_runtime_token.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"token": "30000"
				},
				"quorum": {}
			},
			"corosync_cmapctl": {
				"runtime.config.totem.token": "5000"
			}
		}
	}
	r.status == "warning"
}
