package vigil.checks.migration_threshold_test

import data.vigil.checks.migration_threshold

test_recommended_passes if {
	r := migration_threshold.result with input as {"cluster": {"rsc_defaults": {"migration-threshold": "5000"}}, "values": {"expected": 5000}}
	r.status == "passing"
}

test_unset_warns if {
	r := migration_threshold.result with input as {"cluster": {"rsc_defaults": {}}, "values": {"expected": 5000}}
	r.status == "warning"
}

test_other_warns if {
	r := migration_threshold.result with input as {"cluster": {"rsc_defaults": {"migration-threshold": "0"}}, "values": {"expected": 5000}}
	r.status == "warning"
}

test_a_discovery_without_rsc_defaults_is_not_gathered if {
	r := migration_threshold.result with input as {"cluster": {"rsc_defaults": null}, "values": {"expected": 5000}}
	r.status == "not_gathered"
}
