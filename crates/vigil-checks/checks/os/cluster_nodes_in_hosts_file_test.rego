package vigil.checks.cluster_nodes_in_hosts_file_test

import data.vigil.checks.cluster_nodes_in_hosts_file

test_listed_passes if {
	r := cluster_nodes_in_hosts_file.result with input as {
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
			"hosts_file": {
				"10.0.0.1": [
					"node1"
				],
				"10.0.0.2": [
					"node2",
					"node2.example.com"
				]
			}
		}
	}
	r.status == "passing"
}

test_missing_warns if {
	r := cluster_nodes_in_hosts_file.result with input as {
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
			"hosts_file": {
				"10.0.0.1": [
					"node1"
				]
			}
		}
	}
	r.status == "warning"
}
