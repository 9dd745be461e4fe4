package vigil.checks.pacemaker_version_test

import data.vigil.checks.pacemaker_version

test_current_passes if {
	r := pacemaker_version.result with input as {
		"cluster": {
			"properties": {
				"dc-version": "2.1.5+20221208.a3f44794f-150500.6.14.4-2.1.5+20221208.a3f44794f"
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
			"minimum": "2.1.2"
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := pacemaker_version.result with input as {
		"cluster": {
			"properties": {
				"dc-version": "2.0.5+20201202.ba59be712-4.13.1-2.0.5+20201202.ba59be712"
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
			"minimum": "2.1.2"
		}
	}
	r.status == "warning"
}
