package vigil.checks.corosync_transport_test

import data.vigil.checks.corosync_transport

test_udpu_passes if {
	r := corosync_transport.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"transport": "udpu"
				},
				"quorum": {}
			}
		},
		"values": {
			"transports": [
				"udpu",
				"knet"
			]
		}
	}
	r.status == "passing"
}

test_knet_passes if {
	r := corosync_transport.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"transport": "knet"
				},
				"quorum": {}
			}
		},
		"values": {
			"transports": [
				"udpu",
				"knet"
			]
		}
	}
	r.status == "passing"
}

test_multicast_warns if {
	r := corosync_transport.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"transport": "udp"
				},
				"quorum": {}
			}
		},
		"values": {
			"transports": [
				"udpu",
				"knet"
			]
		}
	}
	r.status == "warning"
}
