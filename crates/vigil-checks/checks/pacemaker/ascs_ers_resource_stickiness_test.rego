package vigil.checks.ascs_ers_resource_stickiness_test

import data.vigil.checks.ascs_ers_resource_stickiness

test_recommended_passes if {
	r := ascs_ers_resource_stickiness.result with input as {
		"facts": {
			"rsc_defaults": {
				"resource-stickiness": "1"
			}
		},
		"values": {
			"expected": 1
		}
	}
	r.status == "passing"
}

test_unset_warns if {
	r := ascs_ers_resource_stickiness.result with input as {
		"facts": {
			"rsc_defaults": {}
		},
		"values": {
			"expected": 1
		}
	}
	r.status == "warning"
}

test_other_warns if {
	r := ascs_ers_resource_stickiness.result with input as {
		"facts": {
			"rsc_defaults": {
				"resource-stickiness": "0"
			}
		},
		"values": {
			"expected": 1
		}
	}
	r.status == "warning"
}
