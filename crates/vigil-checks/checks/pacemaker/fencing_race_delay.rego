package vigil.checks.fencing_race_delay

import data.vigil.checklib

metadata := {
	"id": "fencing_race_delay",
	"name": "A two-node cluster delays one side of a fencing race",
	"group": "pacemaker",
	"description": "When the two nodes of a cluster lose each other, both try to fence the other at once and both may die. A random delay on the fencing device (`pcmk_delay_max`) or `priority-fencing-delay` lets one side win.",
	"remediation": "Either set `pcmk_delay_max` on the fencing resource, e.g. `crm resource param stonith-sbd set pcmk_delay_max 30s`, or set `priority-fencing-delay` (see `priority_fencing_delay`).",
	"target_type": "cluster",
	"severity": "critical"
}

delays := [r.params.pcmk_delay_max | some r in input.cluster.resources; r.class == "stonith"; r.params.pcmk_delay_max]

priority := object.get(input.cluster.properties, "priority-fencing-delay", "0")

observed := {"pcmk_delay_max": delays, "priority-fencing-delay": priority}

expected := "pcmk_delay_max or priority-fencing-delay above 0"

default ok := false

ok if not checklib.two_nodes

ok if {
	some delay in delays
	checklib.seconds(delay) > 0
}

ok if checklib.seconds(priority) > 0

message := sprintf("pcmk_delay_max: %v; priority-fencing-delay: %v", [checklib.shown(concat(", ", delays)), priority])

result := checklib.verdict(metadata, ok, message, observed, expected)
