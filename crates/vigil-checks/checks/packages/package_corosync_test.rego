package vigil.checks.package_corosync_test

import data.vigil.checks.package_corosync

# package_version's answer, as the agent gives it from rpm.
installed(version) := {
	"name": "corosync",
	"epoch": null,
	"version": version,
	"release": "150600.3.3.1",
	"arch": "x86_64",
	"manager": "rpm",
	"installed_versions": [sprintf("%v-150600.3.3.1", [version])],
}

not_installed := {"error": {"type": "package_not_installed", "message": "package corosync is not installed"}}

test_current_passes if {
	r := package_corosync.result with input as {"facts": {"corosync": installed("2.4.6")}, "values": {"minimum": "2.4.5"}}
	r.status == "passing"
	r.observed == "2.4.6"
}

test_old_warns if {
	r := package_corosync.result with input as {"facts": {"corosync": installed("2.4.4")}, "values": {"minimum": "2.4.5"}}
	r.status == "warning"
}

test_not_installed_is_critical if {
	r := package_corosync.result with input as {"facts": {"corosync": not_installed}, "values": {"minimum": "2.4.5"}}
	r.status == "critical"
	r.message == "corosync is not installed"
}
