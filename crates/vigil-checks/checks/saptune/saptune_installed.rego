package vigil.checks.saptune_installed

import data.vigil.checklib

metadata := {
	"id": "saptune_installed",
	"name": "saptune is installed",
	"group": "saptune",
	"description": "saptune applies the OS settings SAP Notes require for HANA and NetWeaver (kernel parameters, I/O scheduler, CPU governor). Without it those settings depend on manual work that is easily lost.",
	"remediation": "`zypper install saptune`, then apply the solution for the workload, e.g. `saptune solution apply HANA` and `saptune service enablestart`.",
	"target_type": "host",
	"severity": "warning"
}

# No saptune discovery at all reads as not installed.
default observed := false

observed := input.host.saptune.saptune_installed

expected := true

ok := observed == true

message := sprintf("saptune installed: %v", [observed])

result := checklib.verdict(metadata, ok, message, observed, expected)
