package vigil.checks.stonith_timeout_vs_sbd_msgwait_test

import data.vigil.checks.stonith_timeout_vs_sbd_msgwait

test_long_enough_passes if {
	r := stonith_timeout_vs_sbd_msgwait.result with input as {
		"cluster": {
			"properties": {
				"stonith-timeout": "150"
			},
			"sbd_config": {},
			"sbd_devices": [
				{
					"Dump": {
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
		},
		"values": {
			"margin": 1.2
		}
	}
	r.status == "passing"
}

test_no_device_passes if {
	r := stonith_timeout_vs_sbd_msgwait.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
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
		},
		"values": {
			"margin": 1.2
		}
	}
	r.status == "passing"
}

test_short_is_critical if {
	r := stonith_timeout_vs_sbd_msgwait.result with input as {
		"cluster": {
			"properties": {
				"stonith-timeout": "60"
			},
			"sbd_config": {},
			"sbd_devices": [
				{
					"Dump": {
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
		},
		"values": {
			"margin": 1.2
		}
	}
	r.status == "critical"
}
