package vigil.checks.corosync_max_messages

import data.vigil.checklib

metadata := {
	"id": "corosync_max_messages",
	"name": "Corosync max_messages is 20",
	"group": "corosync",
	"description": "`totem.max_messages` is how many messages a node may send when it holds the token. SUSE's SAP guides set 20 so that bursts of cluster messages (many resources, large CIB updates) do not stall membership.",
	"remediation": "Set `max_messages: 20` in the `totem` section of `/etc/corosync/corosync.conf` on every node and reload corosync (`corosync-cfgtool -R`).",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "max_messages",
			"gatherer": "corosync.conf",
			"argument": "totem.max_messages"
		}
	],
	"values": {
		"expected": {
			"default": 20,
			"description": "totem.max_messages"
		}
	}
}

default observed := null

observed := checklib.number(checklib.fact("max_messages"))

expected := input.values.expected

ok := observed == expected

message := sprintf("corosync totem.max_messages is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
