package vigil.checks.package_corosync

import data.vigil.checklib

metadata := {
	"id": "package_corosync",
	"name": "corosync is at least the minimum version",
	"group": "packages",
	"description": "corosync versions below 2.4.5 have known membership and memory issues fixed in SLES 15 maintenance updates. A node where corosync is not installed at all is critical.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update corosync`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "corosync",
			"gatherer": "package_version",
			"argument": "corosync"
		}
	],
	"values": {
		"minimum": {
			"default": "2.4.5"
		}
	}
}

observed := checklib.package_version("corosync")

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

# Not installed: a node without corosync is no cluster member, whatever the check's severity.
result := {
	"status": "critical",
	"message": "corosync is not installed",
	"observed": null,
	"expected": expected,
} if checklib.not_installed("corosync")

result := checklib.verdict(metadata, ok, sprintf("corosync %v is installed; %v is required", [observed, expected]), observed, expected) if not checklib.not_installed("corosync")
