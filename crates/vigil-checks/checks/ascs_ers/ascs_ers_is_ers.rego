package vigil.checks.ascs_ers_is_ers

import data.vigil.checklib

metadata := {
	"id": "ascs_ers_is_ers",
	"name": "The ERS instance is marked IS_ERS",
	"group": "ascs_ers",
	"description": "With ENSA2 (and the SUSE guides for ENSA1) the ERS SAPInstance resource must carry `IS_ERS=true`, so that the agent and the cluster connector treat it as the replication server and place it away from the ASCS.",
	"remediation": "```\ncrm resource param rsc_sap_<SID>_ERS<nr> set IS_ERS true\n```",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "critical"
}

ers := [r | some r in checklib.resources_of_type({"SAPInstance"}); contains(object.get(r.params, "InstanceName", ""), "_ERS")]

observed := {r.id: object.get(r.params, "IS_ERS", null) | some r in ers}

expected := "true"

default ok := false

ok if {
	count(ers) > 0
	count([id | some id, v in observed; not checklib.truthy(v)]) == 0
}

message := sprintf("IS_ERS of the ERS instances: %v", [concat(", ", [sprintf("%v=%v", [id, checklib.shown(v)]) | some id, v in observed])]) if count(ers) > 0

message := "no ERS instance resource" if count(ers) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
