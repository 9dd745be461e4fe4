package vigil.checks.maintenance_mode_off_test

import data.vigil.checks.maintenance_mode_off

test_off_passes if {
	r := maintenance_mode_off.result with input as {
		"cluster": {
			"properties": {
				"maintenance-mode": "false"
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
		}
	}
	r.status == "passing"
}

test_unset_passes if {
	r := maintenance_mode_off.result with input as {
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
		}
	}
	r.status == "passing"
}

test_on_warns if {
	r := maintenance_mode_off.result with input as {
		"cluster": {
			"properties": {
				"maintenance-mode": "true"
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
		}
	}
	r.status == "warning"
}
