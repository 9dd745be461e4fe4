package vigil.checks.corosync_token

import data.vigil.checklib

metadata := {
	"id": "corosync_token",
	"name": "Corosync token timeout is as recommended for the platform",
	"group": "corosync",
	"description": "`totem.token` is how long corosync waits for the token before it declares a node lost. Too short and a cloud platform's live migration or a network hiccup fences a healthy node; too long and a real failure is noticed late. The cloud vendors' SAP guides set it higher than on premises.",
	"remediation": "Set `token` in the `totem` section of `/etc/corosync/corosync.conf` on every node to the expected value, for example:\n\n```\ntotem {\n    token: 30000\n}\n```\n\nThen reload it with `corosync-cfgtool -R` (or restart the cluster stack node by node).",
	"target_type": "cluster",
	"severity": "critical",
	"facts": [
		{
			"name": "token",
			"gatherer": "corosync.conf",
			"argument": "totem.token"
		}
	],
	"values": {
		"token": {
			"default": 5000,
			"providers": {
				"azure": 30000,
				"aws": 30000,
				"gcp": 20000
			},
			"description": "totem.token in milliseconds"
		}
	}
}

default observed := null

observed := checklib.number(checklib.fact("token"))

expected := input.values.token

ok := observed == expected

message := sprintf("corosync totem.token is %v ms; %v ms is recommended", [observed, expected]) if observed != null

message := sprintf("corosync totem.token is not set; %v ms is recommended", [expected]) if observed == null

result := checklib.verdict(metadata, ok, message, observed, expected)
