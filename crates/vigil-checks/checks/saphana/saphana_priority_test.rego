package vigil.checks.saphana_priority_test

import data.vigil.checks.saphana_priority

test_priority_set_passes if {
	r := saphana_priority.result with input as {
		"cluster": {
			"properties": {
				"priority-fencing-delay": "30"
			},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "rsc_SAPHana_PRD_HDB00",
					"class": "ocf",
					"provider": "suse",
					"type": "SAPHana",
					"params": {
						"SID": "PRD",
						"InstanceNumber": "00"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "master",
						"id": "msl_SAPHana_PRD_HDB00",
						"meta": {
							"interleave": "true",
							"priority": "100"
						}
					}
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

test_no_delay_passes if {
	r := saphana_priority.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "rsc_SAPHana_PRD_HDB00",
					"class": "ocf",
					"provider": "suse",
					"type": "SAPHana",
					"params": {
						"SID": "PRD",
						"InstanceNumber": "00"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "master",
						"id": "msl_SAPHana_PRD_HDB00",
						"meta": {
							"interleave": "true"
						}
					}
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

test_delay_without_priority_warns if {
	r := saphana_priority.result with input as {
		"cluster": {
			"properties": {
				"priority-fencing-delay": "30"
			},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "rsc_SAPHana_PRD_HDB00",
					"class": "ocf",
					"provider": "suse",
					"type": "SAPHana",
					"params": {
						"SID": "PRD",
						"InstanceNumber": "00"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "master",
						"id": "msl_SAPHana_PRD_HDB00",
						"meta": {
							"interleave": "true"
						}
					}
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
	r.status == "warning"
}
