package vigil.checks.package_sap_suse_cluster_connector_test

import data.vigil.checks.package_sap_suse_cluster_connector

# package_version's answer, as the agent gives it from rpm.
installed(version) := {
	"name": "sap-suse-cluster-connector",
	"epoch": null,
	"version": version,
	"release": "150600.3.3.1",
	"arch": "x86_64",
	"manager": "rpm",
	"installed_versions": [sprintf("%v-150600.3.3.1", [version])],
}

not_installed := {"error": {"type": "package_not_installed", "message": "package sap-suse-cluster-connector is not installed"}}

test_current_passes if {
	r := package_sap_suse_cluster_connector.result with input as {"facts": {"connector": installed("3.1.2")}, "values": {"minimum": "3.1.0"}}
	r.status == "passing"
	r.observed == "3.1.2"
}

test_old_warns if {
	r := package_sap_suse_cluster_connector.result with input as {"facts": {"connector": installed("3.0.1")}, "values": {"minimum": "3.1.0"}}
	r.status == "warning"
}

test_not_installed_is_warning if {
	r := package_sap_suse_cluster_connector.result with input as {"facts": {"connector": not_installed}, "values": {"minimum": "3.1.0"}}
	r.status == "warning"
	r.message == "sap-suse-cluster-connector is not installed"
}
