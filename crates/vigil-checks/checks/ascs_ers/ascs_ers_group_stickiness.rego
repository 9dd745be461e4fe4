package vigil.checks.ascs_ers_group_stickiness

import data.vigil.checklib

metadata := {
	"id": "ascs_ers_group_stickiness",
	"name": "The ASCS group sticks to its node",
	"group": "ascs_ers",
	"description": "The SUSE ENSA guides give the ASCS group `resource-stickiness=3000` so that the ASCS does not move back after the ERS took over its lock table, which would lose the locks a second time.",
	"remediation": "```\ncrm resource meta grp_<SID>_ASCS<nr> set resource-stickiness 3000\n```",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"minimum": {
			"default": 3000
		}
	}
}

ascs_groups := {r.parent.id: r.parent.meta | some r in checklib.resources_of_type({"SAPInstance"}); r.parent.kind == "group"; contains(object.get(r.params, "InstanceName", ""), "_ASCS")}

observed := {id: object.get(meta, "resource-stickiness", null) | some id, meta in ascs_groups}

expected := input.values.minimum

default ok := false

ok if {
	count(observed) > 0
	every _, v in observed {
		checklib.number(v) >= expected
	}
}

message := sprintf("resource-stickiness of the ASCS groups: %v", [concat(", ", [sprintf("%v=%v", [id, checklib.shown(v)]) | some id, v in observed])]) if count(observed) > 0

message := "no ASCS group" if count(observed) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
