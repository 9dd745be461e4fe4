package vigil.checks.saphanasr_package

import data.vigil.checklib

metadata := {
	"id": "saphanasr_package",
	"name": "SAPHanaSR is at least the minimum version",
	"group": "packages",
	"description": "The SAPHanaSR (classic) or SAPHanaSR-angi package carries the HANA resource agents and hooks; versions below the minimum lack fixes for takeover decisions documented in SUSE's release notes. One of the two installed at the minimum passes; neither installed is critical.",
	"remediation": "`zypper update SAPHanaSR` (or `SAPHanaSR-angi`) on every node, with the cluster in maintenance for the HANA resources, as described in SUSE's update procedure.",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"facts": [
		{
			"name": "saphanasr",
			"gatherer": "package_version",
			"argument": "SAPHanaSR"
		},
		{
			"name": "saphanasr_angi",
			"gatherer": "package_version",
			"argument": "SAPHanaSR-angi"
		}
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

observed := {"SAPHanaSR": checklib.package_version("saphanasr"), "SAPHanaSR-angi": checklib.package_version("saphanasr_angi")}

expected := {"SAPHanaSR": input.values.minimum, "SAPHanaSR-angi": input.values.minimum_angi}

default ok := false

ok if checklib.version_at_least(observed["SAPHanaSR-angi"], expected["SAPHanaSR-angi"])

ok if checklib.version_at_least(observed.SAPHanaSR, expected.SAPHanaSR)

# One of the two is expected to be missing; both missing leaves the HANA resources without
# their agents.
default neither := false

neither if {
	checklib.not_installed("saphanasr")
	checklib.not_installed("saphanasr_angi")
}

result := {
	"status": "critical",
	"message": "neither SAPHanaSR nor SAPHanaSR-angi is installed",
	"observed": observed,
	"expected": expected,
} if neither

version_or_absent(version) := "not installed" if version == null

version_or_absent(version) := version if version != null

message := sprintf("SAPHanaSR %v, SAPHanaSR-angi %v", [version_or_absent(observed.SAPHanaSR), version_or_absent(observed["SAPHanaSR-angi"])])

result := checklib.verdict(metadata, ok, message, observed, expected) if not neither
