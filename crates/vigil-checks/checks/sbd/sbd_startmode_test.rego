package vigil.checks.sbd_startmode_test

import data.vigil.checks.sbd_startmode

test_always_passes if {
	r := sbd_startmode.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_STARTMODE": "always"
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
			"expected": "always"
		}
	}
	r.status == "passing"
}

test_clean_warns if {
	r := sbd_startmode.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_STARTMODE": "clean"
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
			"expected": "always"
		}
	}
	r.status == "warning"
}
