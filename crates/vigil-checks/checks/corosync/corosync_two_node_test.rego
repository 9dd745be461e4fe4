package vigil.checks.corosync_two_node_test

import data.vigil.checks.corosync_two_node

test_set_passes if {
	r := corosync_two_node.result with input as {
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
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {
					"two_node": "1"
				}
			}
		}
	}
	r.status == "passing"
}

test_three_nodes_pass_without_it if {
	r := corosync_two_node.result with input as {
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
		},
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {}
			}
		}
	}
	r.status == "passing"
}

test_missing_on_two_nodes_is_critical if {
	r := corosync_two_node.result with input as {
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
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {}
			}
		}
	}
	r.status == "critical"
}
