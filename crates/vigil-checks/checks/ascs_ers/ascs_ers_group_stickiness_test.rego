package vigil.checks.ascs_ers_group_stickiness_test

import data.vigil.checks.ascs_ers_group_stickiness

test_sticky_passes if {
	r := ascs_ers_group_stickiness.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "rsc_ip_NWP_ASCS00",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "IPaddr2",
					"params": {
						"ip": "10.0.0.1"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ASCS00",
						"meta": {
							"resource-stickiness": "3000"
						}
					}
				},
				{
					"id": "rsc_sap_NWP_ASCS00",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "SAPInstance",
					"params": {
						"InstanceName": "NWP_ASCS00_vh",
						"AUTOMATIC_RECOVER": "false"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ASCS00",
						"meta": {
							"resource-stickiness": "3000"
						}
					}
				},
				{
					"id": "rsc_ip_NWP_ERS10",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "IPaddr2",
					"params": {
						"ip": "10.0.0.2"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ERS10",
						"meta": {}
					}
				},
				{
					"id": "rsc_sap_NWP_ERS10",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "SAPInstance",
					"params": {
						"InstanceName": "NWP_ERS10_vh",
						"AUTOMATIC_RECOVER": "false",
						"IS_ERS": "true"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ERS10",
						"meta": {}
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
			"minimum": 3000
		}
	}
	r.status == "passing"
}

test_unset_warns if {
	r := ascs_ers_group_stickiness.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [
				{
					"id": "rsc_ip_NWP_ASCS00",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "IPaddr2",
					"params": {
						"ip": "10.0.0.1"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ASCS00",
						"meta": {}
					}
				},
				{
					"id": "rsc_sap_NWP_ASCS00",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "SAPInstance",
					"params": {
						"InstanceName": "NWP_ASCS00_vh",
						"AUTOMATIC_RECOVER": "false"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ASCS00",
						"meta": {}
					}
				},
				{
					"id": "rsc_ip_NWP_ERS10",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "IPaddr2",
					"params": {
						"ip": "10.0.0.2"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ERS10",
						"meta": {}
					}
				},
				{
					"id": "rsc_sap_NWP_ERS10",
					"class": "ocf",
					"provider": "heartbeat",
					"type": "SAPInstance",
					"params": {
						"InstanceName": "NWP_ERS10_vh",
						"AUTOMATIC_RECOVER": "false",
						"IS_ERS": "true"
					},
					"meta": {},
					"operations": [],
					"parent": {
						"kind": "group",
						"id": "grp_NWP_ERS10",
						"meta": {}
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
			"minimum": 3000
		}
	}
	r.status == "warning"
}
