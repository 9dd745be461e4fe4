package vigil.checks.ascs_ers_migration_threshold_test

import data.vigil.checks.ascs_ers_migration_threshold

test_recommended_passes if {
	r := ascs_ers_migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": 3}}, "values": {"expected": 3}}
	r.status == "passing"
	r.observed == 3
}

test_a_value_written_as_text_is_read_as_a_number if {
	r := ascs_ers_migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": "3"}}, "values": {"expected": 3}}
	r.status == "passing"
}

test_other_warns if {
	r := ascs_ers_migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": 5000}}, "values": {"expected": 3}}
	r.status == "warning"
	r.message == "rsc_defaults migration-threshold is 5000; 3 is recommended"
}

# Pacemaker leaves rsc_defaults out of the CIB when nothing is set: its default applies.
test_unset_is_pacemakers_default_and_warns if {
	r := ascs_ers_migration_threshold.result with input as {"facts": {"rsc_defaults": {}}, "values": {"expected": 3}}
	r.status == "warning"
	r.observed == "INFINITY"
	r.message == "rsc_defaults sets no migration-threshold (Pacemaker's default is INFINITY); 3 is recommended"
}

test_other_defaults_do_not_count if {
	r := ascs_ers_migration_threshold.result with input as {"facts": {"rsc_defaults": {"target-role": "Started", "priority": 3}}, "values": {"expected": 3}}
	r.status == "warning"
}

test_infinity_written_out_warns if {
	r := ascs_ers_migration_threshold.result with input as {"facts": {"rsc_defaults": {"migration-threshold": "INFINITY"}}, "values": {"expected": 3}}
	r.status == "warning"
	r.observed == "INFINITY"
	r.message == "rsc_defaults migration-threshold is INFINITY; 3 is recommended"
}
