package vigil.checks.ascs_ers_resource_stickiness_test

import data.vigil.checks.ascs_ers_resource_stickiness

test_recommended_passes if {
	r := ascs_ers_resource_stickiness.result with input as {"facts": {"rsc_defaults": {"resource-stickiness": 1}}, "values": {"expected": 1}}
	r.status == "passing"
	r.observed == 1
}

test_a_value_written_as_text_is_read_as_a_number if {
	r := ascs_ers_resource_stickiness.result with input as {"facts": {"rsc_defaults": {"resource-stickiness": "1"}}, "values": {"expected": 1}}
	r.status == "passing"
}

test_other_warns if {
	r := ascs_ers_resource_stickiness.result with input as {"facts": {"rsc_defaults": {"resource-stickiness": 3}}, "values": {"expected": 1}}
	r.status == "warning"
	r.message == "rsc_defaults resource-stickiness is 3; 1 is recommended"
}

# Pacemaker leaves rsc_defaults out of the CIB when nothing is set: its default applies.
test_unset_is_pacemakers_default_and_warns if {
	r := ascs_ers_resource_stickiness.result with input as {"facts": {"rsc_defaults": {}}, "values": {"expected": 1}}
	r.status == "warning"
	r.observed == 0
	r.message == "rsc_defaults sets no resource-stickiness (Pacemaker's default is 0); 1 is recommended"
}

test_other_defaults_do_not_count if {
	r := ascs_ers_resource_stickiness.result with input as {"facts": {"rsc_defaults": {"target-role": "Started", "priority": 1}}, "values": {"expected": 1}}
	r.status == "warning"
}
