package vigil.checks.corosync_token_retransmits

import data.vigil.checklib

metadata := {
	"id": "corosync_token_retransmits",
	"name": "Corosync retransmits the token 10 times before declaring it lost",
	"group": "corosync",
	"description": "`totem.token_retransmits_before_loss_const` is how many times the token is retransmitted before corosync declares it lost. The recommended 10 makes a single lost packet harmless.",
	"remediation": "Set `token_retransmits_before_loss_const: 10` in the `totem` section of `/etc/corosync/corosync.conf` on every node and reload corosync (`corosync-cfgtool -R`).",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "retransmits",
			"gatherer": "corosync.conf",
			"argument": "totem.token_retransmits_before_loss_const"
		}
	],
	"values": {
		"expected": {
			"default": 10,
			"description": "totem.token_retransmits_before_loss_const"
		}
	}
}

default observed := null

observed := checklib.number(checklib.fact("retransmits"))

expected := input.values.expected

ok := observed == expected

message := sprintf("corosync totem.token_retransmits_before_loss_const is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
