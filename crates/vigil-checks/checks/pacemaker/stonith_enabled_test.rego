package vigil.checks.stonith_enabled_test

import data.vigil.checks.stonith_enabled

test_enabled_passes if {
	stonith_enabled.result.status == "passing" with input as {"cluster": {"properties": {"stonith-enabled": "true"}}}
}

test_unset_passes_as_pacemakers_default if {
	stonith_enabled.result.status == "passing" with input as {"cluster": {"properties": {}}}
}

test_disabled_is_critical if {
	r := stonith_enabled.result with input as {"cluster": {"properties": {"stonith-enabled": "false"}}}
	r.status == "critical"
	r.observed == "false"
}
