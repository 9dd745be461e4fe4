package vigil.checks.sapconf_inactive

import data.vigil.checklib

metadata := {
	"id": "sapconf_inactive",
	"name": "sapconf does not compete with saptune",
	"group": "saptune",
	"description": "sapconf and saptune both tune the same kernel and device settings; with both active the result depends on which ran last and saptune's compliance report is meaningless.",
	"remediation": "`systemctl disable --now sapconf.service`, then `saptune service enablestart`.",
	"target_type": "host",
	"severity": "critical"
}

default observed := []

observed := input.host.saptune.status.result.services.sapconf

expected := "disabled and inactive (or not installed)"

ok := count({s | some s in observed} & {"enabled", "active"}) == 0

message := sprintf("sapconf.service is %v", [checklib.shown(concat(", ", observed))])

result := checklib.verdict(metadata, ok, message, observed, expected)
