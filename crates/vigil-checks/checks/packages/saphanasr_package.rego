package vigil.checks.saphanasr_package

import data.vigil.checklib

metadata := {
	"id": "saphanasr_package",
	"name": "SAPHanaSR is at least the minimum version",
	"group": "packages",
	"description": "The SAPHanaSR (classic) or SAPHanaSR-angi package carries the HANA resource agents and hooks; versions below the minimum lack fixes for takeover decisions documented in SUSE's release notes.",
	"remediation": "`zypper update SAPHanaSR` (or `SAPHanaSR-angi`) on every node, with the cluster in maintenance for the HANA resources, as described in SUSE's update procedure.",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"facts": [
		"packages"
	],
	"values": {
		"minimum": {
			"default": "0.162.0",
			"description": "SAPHanaSR"
		},
		"minimum_angi": {
			"default": "1.2.0",
			"description": "SAPHanaSR-angi"
		}
	}
}

default observed := null

observed := {"SAPHanaSR": checklib.package_version("SAPHanaSR"), "SAPHanaSR-angi": checklib.package_version("SAPHanaSR-angi")}

expected := {"SAPHanaSR": input.values.minimum, "SAPHanaSR-angi": input.values.minimum_angi}

default ok := false

ok if checklib.version_at_least(observed["SAPHanaSR-angi"], expected["SAPHanaSR-angi"])

ok if checklib.version_at_least(observed.SAPHanaSR, expected.SAPHanaSR)

message := sprintf("SAPHanaSR %v, SAPHanaSR-angi %v installed", [checklib.shown(observed.SAPHanaSR), checklib.shown(observed["SAPHanaSR-angi"])])

result := checklib.verdict(metadata, ok, message, observed, expected)
