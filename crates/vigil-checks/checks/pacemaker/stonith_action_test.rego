package vigil.checks.stonith_action_test

import data.vigil.checks.stonith_action

test_reboot_passes if {
	r := stonith_action.result with input as {
		"cluster": {
			"properties": {
				"stonith-action": "reboot"
			},
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
			"expected": "reboot"
		}
	}
	r.status == "passing"
}

test_default_passes if {
	r := stonith_action.result with input as {
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
			"expected": "reboot"
		}
	}
	r.status == "passing"
}

test_off_warns if {
	r := stonith_action.result with input as {
		"cluster": {
			"properties": {
				"stonith-action": "off"
			},
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
			"expected": "reboot"
		}
	}
	r.status == "warning"
}
