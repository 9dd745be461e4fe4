package vigil.checks.sbd_diskless_watchdog_timeout_test

import data.vigil.checks.sbd_diskless_watchdog_timeout

test_derived_passes if {
	r := sbd_diskless_watchdog_timeout.result with input as {
		"cluster": {
			"properties": {
				"stonith-watchdog-timeout": "-1"
			},
			"sbd_config": {
				"SBD_WATCHDOG_TIMEOUT": "5"
			},
			"sbd_devices": [],
			"resources": [],
			"nodes": [
				{
					"name": "node1",
					"online": true,
					"dc": true,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				},
				{
					"name": "node2",
					"online": true,
					"dc": false,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				}
			]
		}
	}
	r.status == "passing"
}

test_double_passes if {
	r := sbd_diskless_watchdog_timeout.result with input as {
		"cluster": {
			"properties": {
				"stonith-watchdog-timeout": "10s"
			},
			"sbd_config": {
				"SBD_WATCHDOG_TIMEOUT": "5"
			},
			"sbd_devices": [],
			"resources": [],
			"nodes": [
				{
					"name": "node1",
					"online": true,
					"dc": true,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				},
				{
					"name": "node2",
					"online": true,
					"dc": false,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				}
			]
		}
	}
	r.status == "passing"
}

test_disk_based_passes if {
	r := sbd_diskless_watchdog_timeout.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_DEVICE": "/dev/sdb"
			},
			"sbd_devices": [],
			"resources": [],
			"nodes": [
				{
					"name": "node1",
					"online": true,
					"dc": true,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				},
				{
					"name": "node2",
					"online": true,
					"dc": false,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				}
			]
		}
	}
	r.status == "passing"
}

test_zero_is_critical if {
	r := sbd_diskless_watchdog_timeout.result with input as {
		"cluster": {
			"properties": {
				"stonith-watchdog-timeout": "0"
			},
			"sbd_config": {
				"SBD_WATCHDOG_TIMEOUT": "5"
			},
			"sbd_devices": [],
			"resources": [],
			"nodes": [
				{
					"name": "node1",
					"online": true,
					"dc": true,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				},
				{
					"name": "node2",
					"online": true,
					"dc": false,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				}
			]
		}
	}
	r.status == "critical"
}
