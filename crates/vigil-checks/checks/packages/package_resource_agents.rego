package vigil.checks.package_resource_agents

import data.vigil.checklib

metadata := {
	"id": "package_resource_agents",
	"name": "resource-agents is at least the minimum version",
	"group": "packages",
	"description": "The resource-agents package holds IPaddr2, Filesystem and SAPInstance; older versions lack the fixes the SAP guides depend on.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update resource-agents`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		"packages"
	],
	"values": {
		"minimum": {
			"default": "4.8.0"
		}
	}
}

observed := checklib.package_version("resource-agents")

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

message := sprintf("resource-agents %v is installed; %v is required", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
