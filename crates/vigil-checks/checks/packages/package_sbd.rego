package vigil.checks.package_sbd

import data.vigil.checklib

metadata := {
	"id": "package_sbd",
	"name": "sbd is at least the minimum version",
	"group": "packages",
	"description": "sbd 1.4.2 and later handle `SBD_DELAY_START` and the Pacemaker integration the way SUSE's guides describe.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update sbd`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		"packages"
	],
	"values": {
		"minimum": {
			"default": "1.4.2"
		}
	}
}

observed := checklib.package_version("sbd")

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

message := sprintf("sbd %v is installed; %v is required", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
