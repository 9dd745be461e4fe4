package vigil.checks.package_sbd_test

import data.vigil.checks.package_sbd

installed(version) := {
	"name": "sbd",
	"epoch": null,
	"version": version,
	"release": "150600.1.4",
	"arch": "x86_64",
	"manager": "rpm",
	"installed_versions": [sprintf("%v-150600.1.4", [version])],
}

not_installed := {"error": {"type": "package_not_installed", "message": "package sbd is not installed"}}

sbd_cluster := {"fencing_type": "external/sbd", "sbd_config": {"SBD_DEVICE": "/dev/disk/by-id/sbd1"}}

other_fencing := {"fencing_type": "fence_azure_arm", "sbd_config": {}}

test_current_passes if {
	r := package_sbd.result with input as {"cluster": sbd_cluster, "facts": {"sbd": installed("1.5.2+20240105.a4d1a3a")}, "values": {"minimum": "1.4.2"}}
	r.status == "passing"
}

test_old_warns if {
	r := package_sbd.result with input as {"cluster": sbd_cluster, "facts": {"sbd": installed("1.4.0")}, "values": {"minimum": "1.4.2"}}
	r.status == "warning"
}

test_not_installed_where_the_cluster_fences_with_sbd_is_critical if {
	r := package_sbd.result with input as {"cluster": sbd_cluster, "facts": {"sbd": not_installed}, "values": {"minimum": "1.4.2"}}
	r.status == "critical"
	r.message == "sbd is not installed, and the cluster fences with SBD"
}

test_diskless_sbd_needs_it_too if {
	diskless := {"fencing_type": "Diskless SBD", "sbd_config": {}}
	r := package_sbd.result with input as {"cluster": diskless, "facts": {"sbd": not_installed}, "values": {"minimum": "1.4.2"}}
	r.status == "critical"
}

test_not_installed_without_sbd_fencing_passes if {
	r := package_sbd.result with input as {"cluster": other_fencing, "facts": {"sbd": not_installed}, "values": {"minimum": "1.4.2"}}
	r.status == "passing"
}
