package vigil.checks.fencing_configured_test

import data.vigil.checks.fencing_configured

test_sbd_resource_passes if {
	r := fencing_configured.result with input as {
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
	r.status == "passing"
}

test_diskless_passes if {
	r := fencing_configured.result with input as {
		"cluster": {
			"properties": {
				"have-watchdog": "true",
				"stonith-watchdog-timeout": "-1"
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

test_nothing_is_critical if {
	r := fencing_configured.result with input as {
		"cluster": {
			"properties": {
				"have-watchdog": "false"
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
	r.status == "critical"
}
