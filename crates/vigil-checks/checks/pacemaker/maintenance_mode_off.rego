package vigil.checks.maintenance_mode_off

import data.vigil.checklib

metadata := {
	"id": "maintenance_mode_off",
	"name": "The cluster is not in maintenance mode",
	"group": "pacemaker",
	"description": "With `maintenance-mode=true` Pacemaker neither monitors nor recovers any resource: a failure during maintenance is not handled. It is meant for the duration of planned work only.",
	"remediation": "When the maintenance is over, check that resources are where they belong (`crm_mon -r`), then:\n\n```\ncrm configure property maintenance-mode=false\n```",
	"target_type": "cluster",
	"severity": "warning"
}

observed := object.get(input.cluster.properties, "maintenance-mode", "false")

expected := "false"

ok := checklib.truthy(observed) == false

message := sprintf("maintenance-mode is %v", [observed])

result := checklib.verdict(metadata, ok, message, observed, expected)
