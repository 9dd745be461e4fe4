package vigil.checks.saphanasr_package_test

import data.vigil.checks.saphanasr_package

test_classic_passes if {
	r := saphanasr_package.result with input as {
		"facts": {
			"packages": {
				"SAPHanaSR": "0.162.3"
			}
		},
		"values": {
			"minimum": "0.162.0",
			"minimum_angi": "1.2.0"
		}
	}
	r.status == "passing"
}

test_angi_passes if {
	r := saphanasr_package.result with input as {
		"facts": {
			"packages": {
				"SAPHanaSR-angi": "1.2.5"
			}
		},
		"values": {
			"minimum": "0.162.0",
			"minimum_angi": "1.2.0"
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := saphanasr_package.result with input as {
		"facts": {
			"packages": {
				"SAPHanaSR": "0.155.0"
			}
		},
		"values": {
			"minimum": "0.162.0",
			"minimum_angi": "1.2.0"
		}
	}
	r.status == "warning"
}

test_missing_warns if {
	r := saphanasr_package.result with input as {
		"facts": {
			"packages": {}
		},
		"values": {
			"minimum": "0.162.0",
			"minimum_angi": "1.2.0"
		}
	}
	r.status == "warning"
}
