package vigil.checks.ascs_ers_migration_threshold_test

import data.vigil.checks.ascs_ers_migration_threshold

test_recommended_passes if {
	r := ascs_ers_migration_threshold.result with input as {
		"facts": {
			"rsc_defaults": {
				"migration-threshold": "3"
			}
		},
		"values": {
			"expected": 3
		}
	}
	r.status == "passing"
}

test_unset_warns if {
	r := ascs_ers_migration_threshold.result with input as {
		"facts": {
			"rsc_defaults": {}
		},
		"values": {
			"expected": 3
		}
	}
	r.status == "warning"
}

test_other_warns if {
	r := ascs_ers_migration_threshold.result with input as {
		"facts": {
			"rsc_defaults": {
				"migration-threshold": "0"
			}
		},
		"values": {
			"expected": 3
		}
	}
	r.status == "warning"
}
