package vigil.checks.saptune_version_test

import data.vigil.checks.saptune_version

test_current_passes if {
	r := saptune_version.result with input as {
		"host": {
			"id": "h1",
			"hostname": "vm1",
			"os_version": "15-SP5",
			"provider": "azure",
			"systemd_units": [],
			"subscriptions": [],
			"sap_systems": [],
			"saptune": {
				"saptune_installed": true,
				"package_version": "3.1.2",
				"status": {
					"result": {
						"Solution applied": [
							{
								"Solution ID": "HANA",
								"applied partially": false
							}
						],
						"tuning state": "compliant",
						"services": {
							"saptune": [
								"enabled",
								"active"
							],
							"sapconf": [],
							"tuned": [
								"disabled",
								"inactive"
							]
						}
					}
				}
			}
		},
		"values": {
			"minimum": "3.1.0"
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := saptune_version.result with input as {
		"host": {
			"id": "h1",
			"hostname": "vm1",
			"os_version": "15-SP5",
			"provider": "azure",
			"systemd_units": [],
			"subscriptions": [],
			"sap_systems": [],
			"saptune": {
				"saptune_installed": true,
				"package_version": "2.0.3",
				"status": {
					"result": {
						"Solution applied": [
							{
								"Solution ID": "HANA",
								"applied partially": false
							}
						],
						"tuning state": "compliant",
						"services": {
							"saptune": [
								"enabled",
								"active"
							],
							"sapconf": [],
							"tuned": [
								"disabled",
								"inactive"
							]
						}
					}
				}
			}
		},
		"values": {
			"minimum": "3.1.0"
		}
	}
	r.status == "warning"
}
