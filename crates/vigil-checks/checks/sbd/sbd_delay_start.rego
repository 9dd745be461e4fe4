package vigil.checks.sbd_delay_start

import data.vigil.checklib

metadata := {
	"id": "sbd_delay_start",
	"name": "SBD delays its start after a fencing",
	"group": "sbd",
	"description": "`SBD_DELAY_START` makes a rebooted node wait before joining, so that a node fenced for a network split does not rejoin, fence the other node and loop. SUSE recommends `yes` (msgwait plus a margin) or an explicit delay in seconds.",
	"remediation": "Set `SBD_DELAY_START=yes` in `/etc/sysconfig/sbd` on every node; check that the `sbd.service` start timeout is larger than the delay (`systemctl show sbd -p TimeoutStartUSec`).",
	"target_type": "cluster",
	"severity": "warning"
}

observed := object.get(input.cluster.sbd_config, "SBD_DELAY_START", "no")

expected := "yes or a delay in seconds"

default ok := false

ok if checklib.truthy(observed)

ok if checklib.number(observed) > 0

message := sprintf("SBD_DELAY_START is %v", [observed])

result := checklib.verdict(metadata, ok, message, observed, expected)
