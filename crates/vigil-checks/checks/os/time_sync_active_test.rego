package vigil.checks.time_sync_active_test

import data.vigil.checks.time_sync_active

test_active_passes if {
	r := time_sync_active.result with input as {
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
		"facts": {
			"systemd_units": {
				"chronyd.service": {
					"active_state": "active",
					"unit_file_state": "enabled"
				}
			}
		}
	}
	r.status == "passing"
}

test_inactive_warns if {
	r := time_sync_active.result with input as {
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
		"facts": {
			"systemd_units": {
				"chronyd.service": {
					"active_state": "inactive",
					"unit_file_state": "disabled"
				}
			}
		}
	}
	r.status == "warning"
}
