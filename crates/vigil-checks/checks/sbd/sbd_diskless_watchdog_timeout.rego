package vigil.checks.sbd_diskless_watchdog_timeout

import data.vigil.checklib

metadata := {
	"id": "sbd_diskless_watchdog_timeout",
	"name": "Diskless SBD's stonith-watchdog-timeout covers the watchdog",
	"group": "sbd",
	"description": "With diskless SBD a node counts as fenced once `stonith-watchdog-timeout` has passed, trusting that its watchdog reset it by then. It must be at least twice `SBD_WATCHDOG_TIMEOUT`, or -1 (Pacemaker then derives it); 0 disables watchdog fencing.",
	"remediation": "```\ncrm configure property stonith-watchdog-timeout=-1\n```\n\nor twice `SBD_WATCHDOG_TIMEOUT` of `/etc/sysconfig/sbd`.",
	"target_type": "cluster",
	"severity": "critical"
}

diskless := object.get(input.cluster.sbd_config, "SBD_DEVICE", "") == ""

watchdog := checklib.number(object.get(input.cluster.sbd_config, "SBD_WATCHDOG_TIMEOUT", "5"))

observed := object.get(input.cluster.properties, "stonith-watchdog-timeout", "0")

expected := sprintf("-1 or at least %v s", [2 * watchdog])

default ok := false

ok if not diskless

ok if checklib.number(observed) == -1

ok if checklib.seconds(observed) >= 2 * watchdog

message := sprintf("stonith-watchdog-timeout is %v with SBD_WATCHDOG_TIMEOUT %v s", [observed, watchdog]) if diskless

message := "disk-based SBD: stonith-watchdog-timeout does not apply" if not diskless

result := checklib.verdict(metadata, ok, message, observed, expected)
