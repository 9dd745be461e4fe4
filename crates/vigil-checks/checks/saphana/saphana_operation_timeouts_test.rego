package vigil.checks.saphana_operation_timeouts_test

import data.vigil.checks.saphana_operation_timeouts

test_recommended_passes if {
	r := saphana_operation_timeouts.result with input as {
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
					"operations": [
						{
							"name": "start",
							"timeout": "3600"
						},
						{
							"name": "stop",
							"timeout": "3600"
						},
						{
							"name": "promote",
							"timeout": "900"
						},
						{
							"name": "monitor",
							"timeout": "700"
						},
						{
							"name": "monitor",
							"timeout": "700",
							"role": "Slave"
						}
					],
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
			"minimums": {
				"start": 3600,
				"stop": 3600,
				"promote": 900,
				"monitor": 700
			}
		}
	}
	r.status == "passing"
}

test_short_monitor_warns if {
	r := saphana_operation_timeouts.result with input as {
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
					"operations": [
						{
							"name": "start",
							"timeout": "3600"
						},
						{
							"name": "stop",
							"timeout": "3600"
						},
						{
							"name": "promote",
							"timeout": "900"
						},
						{
							"name": "monitor",
							"timeout": "60"
						}
					],
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
			"minimums": {
				"start": 3600,
				"stop": 3600,
				"promote": 900,
				"monitor": 700
			}
		}
	}
	r.status == "warning"
}

test_missing_operations_warn if {
	r := saphana_operation_timeouts.result with input as {
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
		},
		"values": {
			"minimums": {
				"start": 3600,
				"stop": 3600,
				"promote": 900,
				"monitor": 700
			}
		}
	}
	r.status == "warning"
}
