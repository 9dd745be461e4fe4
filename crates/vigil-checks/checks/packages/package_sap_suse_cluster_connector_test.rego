package vigil.checks.package_sap_suse_cluster_connector_test

import data.vigil.checks.package_sap_suse_cluster_connector

test_current_passes if {
	r := package_sap_suse_cluster_connector.result with input as {
		"facts": {
			"packages": {
				"sap-suse-cluster-connector": "3.1.0.1"
			}
		},
		"values": {
			"minimum": "3.1.0"
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := package_sap_suse_cluster_connector.result with input as {
		"facts": {
			"packages": {
				"sap-suse-cluster-connector": "0.1"
			}
		},
		"values": {
			"minimum": "3.1.0"
		}
	}
	r.status == "warning"
}

test_missing_warns if {
	r := package_sap_suse_cluster_connector.result with input as {
		"facts": {
			"packages": {}
		},
		"values": {
			"minimum": "3.1.0"
		}
	}
	r.status == "warning"
}
