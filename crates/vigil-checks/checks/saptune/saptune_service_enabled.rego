package vigil.checks.saptune_service_enabled

import data.vigil.checklib

metadata := {
	"id": "saptune_service_enabled",
	"name": "saptune.service is enabled and active",
	"group": "saptune",
	"description": "The tuning is re-applied at boot only by `saptune.service`; if it is disabled, a reboot silently undoes the SAP Notes' settings.",
	"remediation": "`saptune service enablestart`",
	"target_type": "host",
	"severity": "warning"
}

default observed := []

observed := input.host.saptune.status.result.services.saptune

expected := ["enabled", "active"]

ok := count({s | some s in observed} & {"enabled", "active"}) == 2

message := sprintf("saptune.service is %v", [checklib.shown(concat(", ", observed))])

result := checklib.verdict(metadata, ok, message, observed, expected)
