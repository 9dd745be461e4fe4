package vigil.checks.saphana_prefer_site_takeover

import data.vigil.checklib

metadata := {
	"id": "saphana_prefer_site_takeover",
	"name": "HANA takes over on the other site rather than restarting",
	"group": "saphana",
	"description": "`PREFER_SITE_TAKEOVER=true` makes the agent fail over to the secondary when the primary fails, instead of restarting the primary locally, which with a large database takes much longer.",
	"remediation": "```\ncrm resource param <SAPHana resource> set PREFER_SITE_TAKEOVER true\n```",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"expected": {
			"default": "true"
		}
	}
}

observed := [object.get(r.params, "PREFER_SITE_TAKEOVER", "true") | some r in checklib.hana_resources]

expected := input.values.expected

wrong := [value | some value in observed; not lower(sprintf("%v", [value])) == lower(sprintf("%v", [expected]))]

default ok := false

ok if {
	count(observed) > 0
	count(wrong) == 0
}

message := sprintf("PREFER_SITE_TAKEOVER of the HANA resources: %v; %v is recommended", [concat(", ", [sprintf("%v", [v]) | some v in observed]), expected]) if count(observed) > 0

message := "no SAPHana or SAPHanaController resource" if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
