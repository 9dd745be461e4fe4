package vigil.checks.package_corosync

import data.vigil.checklib

metadata := {
	"id": "package_corosync",
	"name": "corosync is at least the minimum version",
	"group": "packages",
	"description": "corosync versions below 2.4.5 have known membership and memory issues fixed in SLES 15 maintenance updates.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update corosync`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		"packages"
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

message := sprintf("corosync %v is installed; %v is required", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
