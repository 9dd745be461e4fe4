package vigil.checks.saphana_priority

import data.vigil.checklib

metadata := {
	"id": "saphana_priority",
	"name": "priority-fencing-delay has a HANA resource priority to act on",
	"group": "saphana",
	"description": "`priority-fencing-delay` favours the node whose resources have the higher `priority`. Without a `priority` meta attribute on the promotable HANA clone every node weighs the same and the delay does nothing.",
	"remediation": "```\ncrm resource meta <promotable HANA clone> set priority 100\n```",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning"
}

delay := checklib.property("priority-fencing-delay")

uses_delay := checklib.seconds(delay) > 0

observed := [object.get(r.parent.meta, "priority", object.get(r.meta, "priority", null)) | some r in checklib.hana_resources]

expected := "a priority above 0"

default ok := false

ok if not uses_delay

ok if {
	uses_delay
	count(observed) > 0
	every p in observed {
		checklib.number(p) > 0
	}
}

message := sprintf("priority-fencing-delay is %v; HANA resource priorities: %v", [checklib.shown(delay), concat(", ", [checklib.shown(p) | some p in observed])])

result := checklib.verdict(metadata, ok, message, observed, expected)
