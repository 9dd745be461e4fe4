package vigil.checks.fencing_race_delay_test

import data.vigil.checks.fencing_race_delay

test_random_delay_passes if {
	r := fencing_race_delay.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "stonith-sbd",
					"class": "stonith",
					"provider": "",
					"type": "external/sbd",
					"params": {
						"pcmk_delay_max": "30s"
					},
					"meta": {},
					"operations": [],
					"parent": null
				}
			],
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

test_priority_delay_passes if {
	r := fencing_race_delay.result with input as {
		"cluster": {
			"properties": {
				"priority-fencing-delay": "30"
			},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "stonith-sbd",
					"class": "stonith",
					"provider": "",
					"type": "external/sbd",
					"params": {},
					"meta": {},
					"operations": [],
					"parent": null
				}
			],
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

test_three_nodes_pass if {
	r := fencing_race_delay.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "stonith-sbd",
					"class": "stonith",
					"provider": "",
					"type": "external/sbd",
					"params": {},
					"meta": {},
					"operations": [],
					"parent": null
				}
			],
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

test_no_delay_is_critical if {
	r := fencing_race_delay.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "stonith-sbd",
					"class": "stonith",
					"provider": "",
					"type": "external/sbd",
					"params": {},
					"meta": {},
					"operations": [],
					"parent": null
				}
			],
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
