package vigil.checks.priority_fencing_delay

import data.vigil.checklib

metadata := {
	"id": "priority_fencing_delay",
	"name": "A two-node HANA cluster lets the primary win a fencing race",
	"group": "pacemaker",
	"description": "`priority-fencing-delay` delays fencing of the node that runs the higher-priority resources, so in a split the node with the HANA primary survives and no takeover is needed. It works only together with a `priority` meta attribute on the HANA resource (see `saphana_priority`).",
	"remediation": "```\ncrm configure property priority-fencing-delay=30\n```\n\nand give the promotable HANA clone `meta priority=100`. Keep `pcmk_delay_max` on the fencing device below it.",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning"
}

observed := checklib.property("priority-fencing-delay")

expected := "above 0 s"

default ok := false

ok if not checklib.two_nodes

ok if checklib.seconds(observed) > 0

message := sprintf("priority-fencing-delay is %v", [checklib.shown(observed)])

result := checklib.verdict(metadata, ok, message, observed, expected)
