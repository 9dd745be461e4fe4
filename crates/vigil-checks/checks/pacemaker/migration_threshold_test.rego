package vigil.checks.migration_threshold_test

import data.vigil.checks.migration_threshold

test_recommended_passes if {
	r := migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": 5000}}, "values": {"expected": 5000}}
	r.status == "passing"
	r.observed == 5000
}

test_a_value_written_as_text_is_read_as_a_number if {
	r := migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": "5000"}}, "values": {"expected": 5000}}
	r.status == "passing"
}

test_other_warns if {
	r := migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": 3}}, "values": {"expected": 5000}}
	r.status == "warning"
	r.message == "rsc_defaults migration-threshold is 3; 5000 is recommended"
}

# Pacemaker leaves rsc_defaults out of the CIB when nothing is set: its default applies.
test_unset_is_pacemakers_default_and_warns if {
	r := migration_threshold.result with input as {"facts": {"rsc_defaults": {}}, "values": {"expected": 5000}}
	r.status == "warning"
	r.observed == "INFINITY"
	r.message == "rsc_defaults sets no migration-threshold (Pacemaker's default is INFINITY); 5000 is recommended"
}

test_other_defaults_do_not_count if {
	r := migration_threshold.result with input as {"facts": {"rsc_defaults": {"target-role": "Started", "priority": 5000}}, "values": {"expected": 5000}}
	r.status == "warning"
}

test_infinity_written_out_warns if {
	r := migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": "INFINITY"}}, "values": {"expected": 5000}}
	r.status == "warning"
	r.observed == "INFINITY"
	r.message == "rsc_defaults migration-threshold is INFINITY; 5000 is recommended"
}
