package vigil.checks.corosync_join

import data.vigil.checklib

metadata := {
	"id": "corosync_join",
	"name": "Corosync join timeout is 60 ms",
	"group": "corosync",
	"description": "`totem.join` is how long corosync waits for join messages in a membership round. The SAP-on-SUSE guides set 60 ms; the default of 50 ms is tight on virtualised networks.",
	"remediation": "Set `join: 60` in the `totem` section of `/etc/corosync/corosync.conf` on every node and reload corosync (`corosync-cfgtool -R`).",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "join",
			"gatherer": "corosync.conf",
			"argument": "totem.join"
		}
	],
	"values": {
		"expected": {
			"default": 60,
			"description": "totem.join"
		}
	}
}

default observed := null

observed := checklib.number(checklib.fact("join"))

expected := input.values.expected

ok := observed == expected

message := sprintf("corosync totem.join is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
