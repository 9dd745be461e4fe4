package vigil.checks.saphana_clone_interleave_test

import data.vigil.checks.saphana_clone_interleave

test_interleaved_passes if {
	r := saphana_clone_interleave.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "rsc_SAPHanaTopology_PRD_HDB00",
					"class": "ocf",
					"provider": "suse",
					"type": "SAPHanaTopology",
					"params": {
						"SID": "PRD",
						"InstanceNumber": "00"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "clone",
						"id": "cln_SAPHanaTopology_PRD_HDB00",
						"meta": {
							"interleave": "true"
						}
					}
				},
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

test_not_interleaved_warns if {
	r := saphana_clone_interleave.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "rsc_SAPHanaTopology_PRD_HDB00",
					"class": "ocf",
					"provider": "suse",
					"type": "SAPHanaTopology",
					"params": {
						"SID": "PRD",
						"InstanceNumber": "00"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "clone",
						"id": "cln_SAPHanaTopology_PRD_HDB00",
						"meta": {
							"interleave": "false"
						}
					}
				},
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
