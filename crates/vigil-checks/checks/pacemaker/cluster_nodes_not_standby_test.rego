package vigil.checks.cluster_nodes_not_standby_test

import data.vigil.checks.cluster_nodes_not_standby

test_active_passes if {
	r := cluster_nodes_not_standby.result with input as {
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

test_standby_warns if {
	r := cluster_nodes_not_standby.result with input as {
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
					"standby": true,
					"maintenance": false,
					"attributes": {}
				}
			]
		}
	}
	r.status == "warning"
}
