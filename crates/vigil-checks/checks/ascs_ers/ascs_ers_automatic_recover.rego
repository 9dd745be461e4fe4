package vigil.checks.ascs_ers_automatic_recover

import data.vigil.checklib

metadata := {
	"id": "ascs_ers_automatic_recover",
	"name": "SAP instances do not clean up shared memory on their own",
	"group": "ascs_ers",
	"description": "`AUTOMATIC_RECOVER=true` lets the SAPInstance agent run `cleanipc` and restart an instance on the same node; in a cluster Pacemaker should decide where the instance restarts, and the ENSA guides set it to false.",
	"remediation": "```\ncrm resource param <SAPInstance resource> set AUTOMATIC_RECOVER false\n```",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "warning"
}

instances := checklib.resources_of_type({"SAPInstance"})

observed := {r.id: object.get(r.params, "AUTOMATIC_RECOVER", "false") | some r in instances}

expected := "false"

ok := count([id | some id, v in observed; checklib.truthy(v)]) == 0

message := sprintf("AUTOMATIC_RECOVER: %v", [concat(", ", [sprintf("%v=%v", [id, v]) | some id, v in observed])])

result := checklib.verdict(metadata, ok, message, observed, expected)
