package vigil.checks.subscription_sles_sap_test

import data.vigil.checks.subscription_sles_sap

test_registered_passes if {
	r := subscription_sles_sap.result with input as {
		"host": {
			"id": "h1",
			"hostname": "vm1",
			"os_version": "15-SP5",
			"provider": "azure",
			"systemd_units": [],
			"subscriptions": [
				{
					"identifier": "SLES_SAP",
					"status": "Registered"
				}
			],
			"sap_systems": [],
			"saptune": null
		}
	}
	r.status == "passing"
}

test_missing_warns if {
	r := subscription_sles_sap.result with input as {
		"host": {
			"id": "h1",
			"hostname": "vm1",
			"os_version": "15-SP5",
			"provider": "azure",
			"systemd_units": [],
			"subscriptions": [
				{
					"identifier": "SLES",
					"status": "Registered"
				}
			],
			"sap_systems": [],
			"saptune": null
		}
	}
	r.status == "warning"
}
