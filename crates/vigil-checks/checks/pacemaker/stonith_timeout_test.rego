package vigil.checks.stonith_timeout_test

import data.vigil.checks.stonith_timeout

test_long_enough_passes if {
	r := stonith_timeout.result with input as {
		"cluster": {
			"properties": {
				"stonith-timeout": "150"
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
			"minimum": 60
		}
	}
	r.status == "passing"
}

test_units_are_read if {
	r := stonith_timeout.result with input as {
		"cluster": {
			"properties": {
				"stonith-timeout": "10min"
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
			"minimum": 600
		}
	}
	r.status == "passing"
}

test_default_on_azure_warns if {
	r := stonith_timeout.result with input as {
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
			"minimum": 144
		}
	}
	r.status == "warning"
}

test_short_warns if {
	r := stonith_timeout.result with input as {
		"cluster": {
			"properties": {
				"stonith-timeout": "30s"
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
			"minimum": 60
		}
	}
	r.status == "warning"
}
