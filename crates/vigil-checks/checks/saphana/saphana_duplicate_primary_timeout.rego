package vigil.checks.saphana_duplicate_primary_timeout

import data.vigil.checklib

metadata := {
	"id": "saphana_duplicate_primary_timeout",
	"name": "A dual primary is held long enough",
	"group": "saphana",
	"description": "`DUPLICATE_PRIMARY_TIMEOUT` is how long (seconds) the agent waits after a dual-primary situation before it acts. SUSE recommends 7200 so that an operator can decide which site holds the good data.",
	"remediation": "```\ncrm resource param <SAPHana resource> set DUPLICATE_PRIMARY_TIMEOUT 7200\n```",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"expected": {
			"default": 7200
		}
	}
}

observed := [object.get(r.params, "DUPLICATE_PRIMARY_TIMEOUT", "7200") | some r in checklib.hana_resources]

expected := input.values.expected

wrong := [value | some value in observed; not checklib.number(value) >= expected]

default ok := false

ok if {
	count(observed) > 0
	count(wrong) == 0
}

message := sprintf("DUPLICATE_PRIMARY_TIMEOUT of the HANA resources: %v; %v is recommended", [concat(", ", [sprintf("%v", [v]) | some v in observed]), expected]) if count(observed) > 0

message := "no SAPHana or SAPHanaController resource" if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
