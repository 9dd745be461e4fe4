package vigil.checks.corosync_expected_votes_test

import data.vigil.checks.corosync_expected_votes

node(name) := {"name": name, "online": true, "dc": false, "standby": false, "maintenance": false, "attributes": {}}

cluster(names) := {"properties": {}, "sbd_config": {}, "sbd_devices": [], "resources": [], "nodes": [node(n) | some n in names]}

# corosync.conf as the corosync.conf gatherer answers an empty argument: every section.
conf(quorum) := {
	"totem": {"version": 2, "token": 30000, "transport": "udpu", "interface": [{"ringnumber": 0}]},
	"nodelist": {"node": [{"ring0_addr": "10.0.0.1", "nodeid": 1}, {"ring0_addr": "10.0.0.2", "nodeid": 2}]},
	"quorum": quorum,
}

test_matching_passes if {
	r := corosync_expected_votes.result with input as {
		"cluster": cluster(["node1", "node2"]),
		"facts": {"corosync_conf": conf({"provider": "corosync_votequorum", "expected_votes": 2})},
	}
	r.status == "passing"
}

test_unset_passes if {
	r := corosync_expected_votes.result with input as {
		"cluster": cluster(["node1", "node2"]),
		"facts": {"corosync_conf": conf({"provider": "corosync_votequorum"})},
	}
	r.status == "passing"
}

test_mismatch_warns if {
	r := corosync_expected_votes.result with input as {
		"cluster": cluster(["node1", "node2", "node3"]),
		"facts": {"corosync_conf": conf({"provider": "corosync_votequorum", "expected_votes": 2})},
	}
	r.status == "warning"
	r.observed == 2
	r.expected == 3
}
