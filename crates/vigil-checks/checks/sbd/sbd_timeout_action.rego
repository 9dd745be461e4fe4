package vigil.checks.sbd_timeout_action

import data.vigil.checklib

metadata := {
	"id": "sbd_timeout_action",
	"name": "SBD reboots a node it fences",
	"group": "sbd",
	"description": "`SBD_TIMEOUT_ACTION` is what a node does when SBD fences it. `flush,reboot` writes out buffers and reboots, so the node comes back; `crashdump` or `off` keep it out of the cluster.",
	"remediation": "Set `SBD_TIMEOUT_ACTION=flush,reboot` in `/etc/sysconfig/sbd` on every node, unless a crash dump is wanted while debugging.",
	"target_type": "cluster",
	"severity": "warning",
	"values": {
		"expected": {
			"default": "flush,reboot"
		}
	}
}

observed := object.get(input.cluster.sbd_config, "SBD_TIMEOUT_ACTION", "flush,reboot")

expected := input.values.expected

ok := lower(sprintf("%v", [observed])) == lower(sprintf("%v", [expected]))

message := sprintf("SBD_TIMEOUT_ACTION is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
