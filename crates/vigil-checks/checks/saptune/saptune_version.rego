package vigil.checks.saptune_version

import data.vigil.checklib

metadata := {
	"id": "saptune_version",
	"name": "saptune is version 3.1 or later",
	"group": "saptune",
	"description": "saptune 3.1 reports compliance (`saptune status`) and supports the solution set of current SAP Notes; older versions are out of maintenance.",
	"remediation": "`zypper update saptune` and, when coming from version 2, follow `saptune` migration guidance (`man saptune-migrate`).",
	"target_type": "host",
	"severity": "warning",
	"values": {
		"minimum": {
			"default": "3.1.0"
		}
	}
}

default observed := null

observed := input.host.saptune.package_version

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

message := sprintf("saptune version: %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
