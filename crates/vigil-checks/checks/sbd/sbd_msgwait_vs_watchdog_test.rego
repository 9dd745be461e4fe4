package vigil.checks.sbd_msgwait_vs_watchdog_test

import data.vigil.checks.sbd_msgwait_vs_watchdog

test_double_passes if {
	r := sbd_msgwait_vs_watchdog.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [
				{
					"Device": "/dev/sdb",
					"Dump": {
						"TimeoutWatchdog": 60,
						"TimeoutMsgwait": 120
					}
				}
			],
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

test_short_msgwait_is_critical if {
	r := sbd_msgwait_vs_watchdog.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [
				{
					"Device": "/dev/sdb",
					"Dump": {
						"TimeoutWatchdog": 60,
						"TimeoutMsgwait": 90
					}
				}
			],
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
