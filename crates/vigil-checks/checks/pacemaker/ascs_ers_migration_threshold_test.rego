package vigil.checks.ascs_ers_migration_threshold_test

import data.vigil.checks.ascs_ers_migration_threshold

test_recommended_passes if {
	r := ascs_ers_migration_threshold.result with input as {"cluster": {"rsc_defaults": {"migration-threshold": "3"}}, "values": {"expected": 3}}
	r.status == "passing"
}

test_unset_warns if {
	r := ascs_ers_migration_threshold.result with input as {"cluster": {"rsc_defaults": {}}, "values": {"expected": 3}}
	r.status == "warning"
}

test_other_warns if {
	r := ascs_ers_migration_threshold.result with input as {"cluster": {"rsc_defaults": {"migration-threshold": "0"}}, "values": {"expected": 3}}
	r.status == "warning"
}

test_a_discovery_without_rsc_defaults_is_not_gathered if {
	r := ascs_ers_migration_threshold.result with input as {"cluster": {"rsc_defaults": null}, "values": {"expected": 3}}
	r.status == "not_gathered"
}
