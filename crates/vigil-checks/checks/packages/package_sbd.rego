package vigil.checks.package_sbd

import data.vigil.checklib

metadata := {
	"id": "package_sbd",
	"name": "sbd is at least the minimum version",
	"group": "packages",
	"description": "sbd 1.4.2 and later handle `SBD_DELAY_START` and the Pacemaker integration the way SUSE's guides describe. Not installed on a cluster that fences with SBD is critical; on one that does not, it is no finding.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update sbd`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "sbd",
			"gatherer": "package_version",
			"argument": "sbd"
		}
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

# The cluster fences with SBD: /etc/sysconfig/sbd was discovered, or the fencing agent is SBD.
uses_sbd if count(input.cluster.sbd_config) > 0

uses_sbd if contains(lower(sprintf("%v", [input.cluster.fencing_type])), "sbd")

# Not installed where the cluster fences with SBD: the node cannot be fenced, or fences itself.
result := {
	"status": "critical",
	"message": "sbd is not installed, and the cluster fences with SBD",
	"observed": null,
	"expected": expected,
} if {
	checklib.not_installed("sbd")
	uses_sbd
}

result := checklib.verdict(metadata, true, "sbd is not installed; the cluster does not fence with SBD", null, expected) if {
	checklib.not_installed("sbd")
	not uses_sbd
}

result := checklib.verdict(metadata, ok, sprintf("sbd %v is installed; %v is required", [observed, expected]), observed, expected) if not checklib.not_installed("sbd")
