package vigil.checks.package_sbd_test

import data.vigil.checks.package_sbd

test_current_passes if {
	r := package_sbd.result with input as {
		"facts": {
			"packages": {
				"sbd": "1.4.2.1"
			}
		},
		"values": {
			"minimum": "1.4.2"
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := package_sbd.result with input as {
		"facts": {
			"packages": {
				"sbd": "0.1"
			}
		},
		"values": {
			"minimum": "1.4.2"
		}
	}
	r.status == "warning"
}

test_missing_warns if {
	r := package_sbd.result with input as {
		"facts": {
			"packages": {}
		},
		"values": {
			"minimum": "1.4.2"
		}
	}
	r.status == "warning"
}
