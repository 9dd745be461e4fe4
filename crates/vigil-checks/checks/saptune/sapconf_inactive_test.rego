package vigil.checks.sapconf_inactive_test

import data.vigil.checks.sapconf_inactive

test_absent_passes if {
	r := sapconf_inactive.result with input as {
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

test_active_is_critical if {
	r := sapconf_inactive.result with input as {
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
								"disabled",
								"inactive"
							],
							"sapconf": [
								"enabled",
								"active"
							]
						}
					}
				}
			}
		}
	}
	r.status == "critical"
}
