package vigil.checks.sbd_msgwait_vs_watchdog

import data.vigil.checklib

metadata := {
	"id": "sbd_msgwait_vs_watchdog",
	"name": "SBD msgwait is at least twice the watchdog timeout",
	"group": "sbd",
	"description": "A node fenced through SBD must have been reset by its watchdog before the fencing counts as done. `msgwait` (how long the fencer waits) must therefore be at least twice the `watchdog` timeout written on the device.",
	"remediation": "Re-create the device header with matching timeouts, e.g. `sbd -d <device> -1 60 -4 120 create` (watchdog 60 s, msgwait 120 s), on a stopped cluster; then raise `stonith-timeout` to match.",
	"target_type": "cluster",
	"severity": "critical"
}

observed := [{"device": d.Device, "watchdog": d.Dump.TimeoutWatchdog, "msgwait": d.Dump.TimeoutMsgwait} | some d in input.cluster.sbd_devices]

expected := "msgwait >= 2 × watchdog on every device"

ok := count([d | some d in observed; d.msgwait < 2 * d.watchdog]) == 0

message := sprintf("SBD device timeouts (watchdog, msgwait): %v", [concat(", ", [sprintf("%v: %v s, %v s", [d.device, d.watchdog, d.msgwait]) | some d in observed])])

result := checklib.verdict(metadata, ok, message, observed, expected)
