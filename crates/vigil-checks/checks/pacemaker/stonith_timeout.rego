package vigil.checks.stonith_timeout

import data.vigil.checklib

metadata := {
	"id": "stonith_timeout",
	"name": "stonith-timeout leaves the fencing device enough time",
	"group": "pacemaker",
	"description": "`stonith-timeout` is how long Pacemaker waits for a fencing action before it considers it failed. Cloud fence agents and SBD need longer than Pacemaker's default of 60 s; a fencing that times out leaves resources blocked.",
	"remediation": "Set the cluster property to at least the expected value, e.g.\n\n```\ncrm configure property stonith-timeout=144s\n```\n\nWith disk-based SBD it must also exceed the SBD msgwait (see `stonith_timeout_vs_sbd_msgwait`).",
	"target_type": "cluster",
	"severity": "warning",
	"values": {
		"minimum": {
			"default": 60,
			"providers": {
				"azure": 144,
				"aws": 600,
				"gcp": 300
			},
			"description": "seconds"
		}
	}
}

raw := checklib.property("stonith-timeout")

default observed := 60

observed := checklib.seconds(raw) if raw != null

expected := input.values.minimum

ok := observed >= expected

message := sprintf("stonith-timeout is %v s%v; at least %v s is recommended", [observed, suffix, expected])

suffix := " (Pacemaker's default)" if raw == null

else := ""

result := checklib.verdict(metadata, ok, message, observed, expected)
