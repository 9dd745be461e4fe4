package vigil.checks.os_version_supported

import data.vigil.checklib

metadata := {
	"id": "os_version_supported",
	"name": "The OS is a service pack in general support",
	"group": "os",
	"description": "SLES for SAP service packs leave general support on a published schedule; after that, no fixes reach the HA stack or the kernel.",
	"remediation": "Plan a migration to a supported service pack with `zypper migration` (one cluster node at a time).",
	"target_type": "host",
	"severity": "warning",
	"values": {
		"supported": {
			"default": [
				"15-SP4",
				"15-SP5",
				"15-SP6",
				"15-SP7"
			],
			"description": "accepted os_version values"
		}
	}
}

default observed := null

observed := input.host.os_version

expected := input.values.supported

ok := observed in {v | some v in expected}

message := sprintf("OS version %v; supported: %v", [checklib.shown(observed), concat(", ", expected)])

result := checklib.verdict(metadata, ok, message, observed, expected)
