package vigil.checks.corosync_transport_test

import data.vigil.checks.corosync_transport

test_udpu_passes if {
	r := corosync_transport.result with input as {"facts": {"transport": "udpu"}, "values": {"transports": ["udpu", "knet"]}}
	r.status == "passing"
}

test_knet_passes if {
	r := corosync_transport.result with input as {"facts": {"transport": "knet"}, "values": {"transports": ["udpu", "knet"]}}
	r.status == "passing"
}

test_multicast_warns if {
	r := corosync_transport.result with input as {"facts": {"transport": "udp"}, "values": {"transports": ["udpu", "knet"]}}
	r.status == "warning"
}

test_unset_warns if {
	r := corosync_transport.result with input as {
		"facts": {"transport": {"error": {"type": "value_not_found", "message": "corosync.conf has no totem.transport"}}},
		"values": {"transports": ["udpu", "knet"]},
	}
	r.status == "warning"
}
