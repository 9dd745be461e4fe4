package vigil.checks.saphana_automated_register_test

import data.vigil.checks.saphana_automated_register

test_false_passes if {
	r := saphana_automated_register.result with input as {
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
						"AUTOMATED_REGISTER": "False"
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
			"expected": "false"
		}
	}
	r.status == "passing"
}

test_true_warns if {
	r := saphana_automated_register.result with input as {
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
						"AUTOMATED_REGISTER": "true"
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
			"expected": "false"
		}
	}
	r.status == "warning"
}

test_customised_true_passes if {
	r := saphana_automated_register.result with input as {
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
						"AUTOMATED_REGISTER": "true"
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
