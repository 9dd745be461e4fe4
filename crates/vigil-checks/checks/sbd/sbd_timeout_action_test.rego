package vigil.checks.sbd_timeout_action_test

import data.vigil.checks.sbd_timeout_action

test_reboot_passes if {
	r := sbd_timeout_action.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_TIMEOUT_ACTION": "flush,reboot"
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
		},
		"values": {
			"expected": "flush,reboot"
		}
	}
	r.status == "passing"
}

test_crashdump_warns if {
	r := sbd_timeout_action.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_TIMEOUT_ACTION": "flush,crashdump"
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
		},
		"values": {
			"expected": "flush,reboot"
		}
	}
	r.status == "warning"
}
