package vigil.checks.corosync_expected_votes_test

import data.vigil.checks.corosync_expected_votes

test_matching_passes if {
	r := corosync_expected_votes.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [],
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
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {
					"expected_votes": "2"
				}
			}
		}
	}
	r.status == "passing"
}

test_unset_passes if {
	r := corosync_expected_votes.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [],
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
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {}
			}
		}
	}
	r.status == "passing"
}

test_mismatch_warns if {
	r := corosync_expected_votes.result with input as {
		"cluster": {
			"properties": {},
			"sbd_config": {},
			"sbd_devices": [],
			"resources": [],
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
				},
				{
					"name": "node3",
					"online": true,
					"dc": false,
					"standby": false,
					"maintenance": false,
					"attributes": {}
				}
			]
		},
		"facts": {
			"corosync_conf": {
				"totem": {},
				"quorum": {
					"expected_votes": "2"
				}
			}
		}
	}
	r.status == "warning"
}
