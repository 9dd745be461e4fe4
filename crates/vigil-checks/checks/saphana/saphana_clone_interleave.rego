package vigil.checks.saphana_clone_interleave

import data.vigil.checklib

metadata := {
	"id": "saphana_clone_interleave",
	"name": "The HANA clones interleave",
	"group": "saphana",
	"description": "`interleave=true` on the SAPHana and SAPHanaTopology clones lets each node's instance depend on the local topology instance only; without it a restart of one topology instance restarts HANA on every node.",
	"remediation": "```\ncrm resource meta <clone> set interleave true\n```\n\nfor the SAPHanaTopology clone and the promotable SAPHana clone.",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning"
}

clones := [r | some r in checklib.resources_of_type({"SAPHana", "SAPHanaController", "SAPHanaTopology", "SAPHanaFilesystem"}); r.parent != null]

observed := {r.parent.id: object.get(r.parent.meta, "interleave", "false") | some r in clones}

expected := "true"

default ok := false

ok if {
	count(clones) > 0
	count([id | some id, v in observed; not checklib.truthy(v)]) == 0
}

message := sprintf("interleave of the HANA clones: %v", [concat(", ", [sprintf("%v=%v", [id, v]) | some id, v in observed])]) if count(clones) > 0

message := "no HANA clone" if count(clones) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
