package vigil.checks.saptune_compliant

import data.vigil.checklib

metadata := {
	"id": "saptune_compliant",
	"name": "The host is compliant with its saptune solution",
	"group": "saptune",
	"description": "`saptune status` reports whether the running system still matches the applied notes. A non-compliant state means something (a manual sysctl, another tuning daemon) changed settings behind saptune's back.",
	"remediation": "Run `saptune note verify` to see which parameters differ, remove the conflicting setting, and re-apply with `saptune solution revert <S>` and `saptune solution apply <S>`.",
	"target_type": "host",
	"severity": "warning"
}

default observed := null

observed := input.host.saptune.status.result["tuning state"]

expected := "compliant"

ok := observed == expected

message := sprintf("saptune tuning state: %v", [checklib.shown(observed)])

result := checklib.verdict(metadata, ok, message, observed, expected)
