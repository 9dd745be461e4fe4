package vigil.checks.saphana_duplicate_primary_timeout_test

import data.vigil.checks.saphana_duplicate_primary_timeout

test_long_passes if {
	r := saphana_duplicate_primary_timeout.result with input as {
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
						"InstanceNumber": "00",
						"DUPLICATE_PRIMARY_TIMEOUT": "7200"
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
		},
		"values": {
			"expected": 7200
		}
	}
	r.status == "passing"
}

test_short_warns if {
	r := saphana_duplicate_primary_timeout.result with input as {
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
						"InstanceNumber": "00",
						"DUPLICATE_PRIMARY_TIMEOUT": "300"
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
		},
		"values": {
			"expected": 7200
		}
	}
	r.status == "warning"
}
