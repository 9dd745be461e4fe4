package vigil.checks.saptune_solution_applied

import data.vigil.checklib

metadata := {
	"id": "saptune_solution_applied",
	"name": "A saptune solution is fully applied",
	"group": "saptune",
	"description": "A saptune solution (HANA, NETWEAVER, S4HANA-DBSERVER, …) is the set of SAP Notes for the host's workload. None applied, or one applied only partially, means the OS runs with settings SAP does not support.",
	"remediation": "Apply the solution of the workload: `saptune solution apply HANA` (or NETWEAVER, S4HANA-APPSERVER, …), then `saptune solution verify` and `saptune service enablestart`.",
	"target_type": "host",
	"severity": "warning"
}

default applied := []

applied := input.host.saptune.status.result["Solution applied"]

observed := [sprintf("%v%v", [s["Solution ID"], partial(s)]) | some s in applied]

partial(s) := " (partially)" if s["applied partially"] == true

else := ""

expected := "one solution, fully applied"

default ok := false

ok if {
	count(applied) > 0
	count([s | some s in applied; s["applied partially"] == true]) == 0
}

message := sprintf("saptune solutions applied: %v", [checklib.shown(concat(", ", observed))]) if count(applied) > 0

message := "no saptune solution is applied" if count(applied) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
