package vigil.checks.concurrent_fencing_test

import data.vigil.checks.concurrent_fencing

test_true_passes if {
	r := concurrent_fencing.result with input as {
		"cluster": {
			"properties": {
				"concurrent-fencing": "true"
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
			"expected": "true"
		}
	}
	r.status == "passing"
}

test_unset_warns if {
	r := concurrent_fencing.result with input as {
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
			"expected": "true"
		}
	}
	r.status == "warning"
}

test_false_warns if {
	r := concurrent_fencing.result with input as {
		"cluster": {
			"properties": {
				"concurrent-fencing": "false"
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
			"expected": "true"
		}
	}
	r.status == "warning"
}
