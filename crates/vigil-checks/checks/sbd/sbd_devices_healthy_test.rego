package vigil.checks.sbd_devices_healthy_test

import data.vigil.checks.sbd_devices_healthy

test_healthy_passes if {
	r := sbd_devices_healthy.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [
				{
					"Device": "/dev/sdb",
					"Status": "healthy"
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

test_unhealthy_is_critical if {
	r := sbd_devices_healthy.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [
				{
					"Device": "/dev/sdb",
					"Status": "unhealthy"
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
