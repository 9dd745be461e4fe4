package vigil.checks.resource_stickiness_test

import data.vigil.checks.resource_stickiness

test_recommended_passes if {
	r := resource_stickiness.result with input as {"cluster": {"rsc_defaults": {"resource-stickiness": "1000"}}, "values": {"expected": 1000}}
	r.status == "passing"
}

test_unset_warns if {
	r := resource_stickiness.result with input as {"cluster": {"rsc_defaults": {}}, "values": {"expected": 1000}}
	r.status == "warning"
}

test_other_warns if {
	r := resource_stickiness.result with input as {"cluster": {"rsc_defaults": {"resource-stickiness": "0"}}, "values": {"expected": 1000}}
	r.status == "warning"
}

test_a_discovery_without_rsc_defaults_is_not_gathered if {
	r := resource_stickiness.result with input as {"cluster": {"rsc_defaults": null}, "values": {"expected": 1000}}
	r.status == "not_gathered"
}
