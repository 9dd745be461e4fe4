package vigil.checks.saptune_installed_test

import data.vigil.checks.saptune_installed

test_installed_passes if {
	r := saptune_installed.result with input as {
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
		}
	}
	r.status == "passing"
}

test_missing_warns if {
	r := saptune_installed.result with input as {
		"host": {
			"id": "h1",
			"hostname": "vm1",
			"os_version": "15-SP5",
			"provider": "azure",
			"systemd_units": [],
			"subscriptions": [],
			"sap_systems": [],
			"saptune": {
				"saptune_installed": false
			}
		}
	}
	r.status == "warning"
}
