package vigil.checks.sbd_device_count_test

import data.vigil.checks.sbd_device_count

test_one_passes if {
	r := sbd_device_count.result with input as {
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

test_three_pass if {
	r := sbd_device_count.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_DEVICE": "/dev/sdb;/dev/sdc;/dev/sdd"
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

test_two_warn if {
	r := sbd_device_count.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_DEVICE": "/dev/sdb;/dev/sdc"
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
	r.status == "warning"
}
