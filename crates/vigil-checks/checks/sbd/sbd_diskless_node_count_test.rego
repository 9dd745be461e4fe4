package vigil.checks.sbd_diskless_node_count_test

import data.vigil.checks.sbd_diskless_node_count

test_three_nodes_pass if {
	r := sbd_diskless_node_count.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_WATCHDOG_TIMEOUT": "5"
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
				},
				{
					"name": "node3",
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

test_disk_based_passes if {
	r := sbd_diskless_node_count.result with input as {
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

test_two_nodes_are_critical if {
	r := sbd_diskless_node_count.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {
				"SBD_WATCHDOG_TIMEOUT": "5"
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
	r.status == "critical"
}
