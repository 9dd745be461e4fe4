package vigil.checks.stonith_timeout_vs_sbd_msgwait

import data.vigil.checklib

metadata := {
	"id": "stonith_timeout_vs_sbd_msgwait",
	"name": "stonith-timeout exceeds the SBD msgwait by 20%",
	"group": "sbd",
	"description": "With disk-based SBD, a fencing action completes only after the victim had `msgwait` seconds to read its poison pill. If `stonith-timeout` is shorter, Pacemaker declares every SBD fencing failed even when it succeeded.",
	"remediation": "Read msgwait with `sbd -d <device> dump` and set `stonith-timeout` to at least 1.2 × msgwait, e.g. `crm configure property stonith-timeout=144s` for msgwait 120.",
	"target_type": "cluster",
	"severity": "critical",
	"values": {
		"margin": {
			"default": 1.2,
			"description": "stonith-timeout / msgwait"
		}
	}
}

msgwaits := [d.Dump.TimeoutMsgwait | some d in input.cluster.sbd_devices; is_number(d.Dump.TimeoutMsgwait)]

raw := checklib.property("stonith-timeout")

default observed := 60

observed := checklib.seconds(raw) if raw != null

default expected := null

expected := max(msgwaits) * input.values.margin if count(msgwaits) > 0

ok := true if expected == null

ok := observed >= expected if expected != null

message := sprintf("stonith-timeout is %v s; SBD msgwait %v s needs at least %v s", [observed, max(msgwaits), expected]) if expected != null

message := "no disk-based SBD device: nothing to compare" if expected == null

result := checklib.verdict(metadata, ok, message, observed, expected)
