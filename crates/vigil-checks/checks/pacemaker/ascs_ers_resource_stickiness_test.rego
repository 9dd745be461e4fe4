package vigil.checks.ascs_ers_resource_stickiness_test

import data.vigil.checks.ascs_ers_resource_stickiness

test_recommended_passes if {
	r := ascs_ers_resource_stickiness.result with input as {"cluster": {"rsc_defaults": {"resource-stickiness": "1"}}, "values": {"expected": 1}}
	r.status == "passing"
}

test_unset_warns if {
	r := ascs_ers_resource_stickiness.result with input as {"cluster": {"rsc_defaults": {}}, "values": {"expected": 1}}
	r.status == "warning"
}

test_other_warns if {
	r := ascs_ers_resource_stickiness.result with input as {"cluster": {"rsc_defaults": {"resource-stickiness": "0"}}, "values": {"expected": 1}}
	r.status == "warning"
}

test_a_discovery_without_rsc_defaults_is_not_gathered if {
	r := ascs_ers_resource_stickiness.result with input as {"cluster": {"rsc_defaults": null}, "values": {"expected": 1}}
	r.status == "not_gathered"
}
