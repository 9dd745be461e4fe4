package vigil.checks.concurrent_fencing

import data.vigil.checklib

metadata := {
	"id": "concurrent_fencing",
	"name": "Concurrent fencing is enabled",
	"group": "pacemaker",
	"description": "With `concurrent-fencing=true` Pacemaker fences several lost nodes at once instead of one after another, which shortens recovery when a whole site is lost. SUSE's guides set it explicitly because older Pacemaker versions default to false.",
	"remediation": "```\ncrm configure property concurrent-fencing=true\n```",
	"target_type": "cluster",
	"severity": "warning",
	"values": {
		"expected": {
			"default": "true"
		}
	}
}

observed := object.get(input.cluster.properties, "concurrent-fencing", null)

expected := input.values.expected

ok := lower(sprintf("%v", [observed])) == lower(sprintf("%v", [expected]))

message := sprintf("concurrent-fencing is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
