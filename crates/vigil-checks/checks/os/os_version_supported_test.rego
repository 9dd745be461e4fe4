package vigil.checks.os_version_supported_test

import data.vigil.checks.os_version_supported

test_supported_passes if {
	r := os_version_supported.result with input as {
		"host": {
			"id": "h1",
			"hostname": "vm1",
			"os_version": "15-SP5",
			"provider": "azure",
			"systemd_units": [],
			"subscriptions": [],
			"sap_systems": [],
			"saptune": null
		},
		"values": {
			"supported": [
				"15-SP4",
				"15-SP5",
				"15-SP6",
				"15-SP7"
			]
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := os_version_supported.result with input as {
		"host": {
			"id": "h1",
			"hostname": "vm1",
			"os_version": "12-SP5",
			"provider": "azure",
			"systemd_units": [],
			"subscriptions": [],
			"sap_systems": [],
			"saptune": null
		},
		"values": {
			"supported": [
				"15-SP4",
				"15-SP5",
				"15-SP6",
				"15-SP7"
			]
		}
	}
	r.status == "warning"
}
