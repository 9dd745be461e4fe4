package vigil.checks.saphana_automated_register

import data.vigil.checklib

metadata := {
	"id": "saphana_automated_register",
	"name": "The former HANA primary is registered by hand",
	"group": "saphana",
	"description": "`AUTOMATED_REGISTER=false` leaves a failed former primary unregistered until an operator has looked at why it failed and registers it as secondary, so a broken site is not silently resynchronised. Set the value to true where the runbook wants automatic registration.",
	"remediation": "```\ncrm resource param <SAPHana resource> set AUTOMATED_REGISTER false\n```\n\nor customise this check's `expected` value to `true` where automatic registration is the decision.",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"expected": {
			"default": "false"
		}
	}
}

observed := [object.get(r.params, "AUTOMATED_REGISTER", "false") | some r in checklib.hana_resources]

expected := input.values.expected

wrong := [value | some value in observed; not lower(sprintf("%v", [value])) == lower(sprintf("%v", [expected]))]

default ok := false

ok if {
	count(observed) > 0
	count(wrong) == 0
}

message := sprintf("AUTOMATED_REGISTER of the HANA resources: %v; %v is recommended", [concat(", ", [sprintf("%v", [v]) | some v in observed]), expected]) if count(observed) > 0

message := "no SAPHana or SAPHanaController resource" if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
