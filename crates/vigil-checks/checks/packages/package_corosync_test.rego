package vigil.checks.package_corosync_test

import data.vigil.checks.package_corosync

test_current_passes if {
	r := package_corosync.result with input as {
		"facts": {
			"packages": {
				"corosync": "2.4.5.1"
			}
		},
		"values": {
			"minimum": "2.4.5"
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := package_corosync.result with input as {
		"facts": {
			"packages": {
				"corosync": "0.1"
			}
		},
		"values": {
			"minimum": "2.4.5"
		}
	}
	r.status == "warning"
}

test_missing_warns if {
	r := package_corosync.result with input as {
		"facts": {
			"packages": {}
		},
		"values": {
			"minimum": "2.4.5"
		}
	}
	r.status == "warning"
}
