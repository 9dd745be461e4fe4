package vigil.checks.sbd_pacemaker_test

import data.vigil.checks.sbd_pacemaker

test_yes_passes if {
	r := sbd_pacemaker.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_PACEMAKER": "yes"
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
			"expected": "yes"
		}
	}
	r.status == "passing"
}

test_no_is_critical if {
	r := sbd_pacemaker.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_PACEMAKER": "no"
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
			"expected": "yes"
		}
	}
	r.status == "critical"
}
