package vigil.checks.saphana_prefer_site_takeover_test

import data.vigil.checks.saphana_prefer_site_takeover

test_true_passes if {
	r := saphana_prefer_site_takeover.result with input as {
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
						"PREFER_SITE_TAKEOVER": "true"
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
			"expected": "true"
		}
	}
	r.status == "passing"
}

test_false_warns if {
	r := saphana_prefer_site_takeover.result with input as {
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
						"PREFER_SITE_TAKEOVER": "False"
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
			"expected": "true"
		}
	}
	r.status == "warning"
}
