package vigil.checks.package_resource_agents

import data.vigil.checklib

metadata := {
	"id": "package_resource_agents",
	"name": "resource-agents is at least the minimum version",
	"group": "packages",
	"description": "The resource-agents package holds IPaddr2, Filesystem and SAPInstance; older versions lack the fixes the SAP guides depend on. A node without the package is critical: it cannot run those resources.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update resource-agents`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "resource_agents",
			"gatherer": "package_version",
			"argument": "resource-agents"
		}
	],
	"values": {
		"minimum": {
			"default": "4.8.0"
		}
	}
}

observed := checklib.package_version("resource_agents")

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

# Not installed: IPaddr2, Filesystem and SAPInstance are missing, so the cluster cannot run its resources on this node.
result := {
	"status": "critical",
	"message": "resource-agents is not installed",
	"observed": null,
	"expected": expected,
} if checklib.not_installed("resource_agents")

result := checklib.verdict(metadata, ok, sprintf("resource-agents %v is installed; %v is required", [observed, expected]), observed, expected) if not checklib.not_installed("resource_agents")
