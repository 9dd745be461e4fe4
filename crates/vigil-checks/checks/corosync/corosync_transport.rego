package vigil.checks.corosync_transport

import data.vigil.checklib

metadata := {
	"id": "corosync_transport",
	"name": "Corosync uses unicast or knet transport",
	"group": "corosync",
	"description": "Multicast (`transport: udp`) is not available in the public clouds and is fragile on many on-premises networks. Corosync 2 clusters should use unicast (`udpu`), corosync 3 clusters `knet`.",
	"remediation": "Set `transport: udpu` (corosync 2) or `transport: knet` (corosync 3) in the `totem` section of `/etc/corosync/corosync.conf`, list every node in `nodelist`, and restart the cluster stack (a transport change needs a full restart).",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "transport",
			"gatherer": "corosync.conf",
			"argument": "totem.transport"
		}
	],
	"values": {
		"transports": {
			"default": [
				"udpu",
				"knet"
			],
			"description": "accepted totem.transport values"
		}
	}
}

default observed := null

observed := checklib.fact("transport")

expected := input.values.transports

ok := observed in {t | some t in expected}

message := sprintf("corosync totem.transport is %v; one of %v is recommended", [checklib.shown(observed), concat(", ", expected)])

result := checklib.verdict(metadata, ok, message, observed, expected)
