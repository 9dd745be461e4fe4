package vigil.checks.priority_fencing_delay_test

import data.vigil.checks.priority_fencing_delay

test_set_passes if {
	r := priority_fencing_delay.result with input as {
		"cluster": {
			"properties": {
				"priority-fencing-delay": "30"
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

test_unset_warns if {
	r := priority_fencing_delay.result with input as {
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
	r.status == "warning"
}

test_zero_warns if {
	r := priority_fencing_delay.result with input as {
		"cluster": {
			"properties": {
				"priority-fencing-delay": "0"
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
