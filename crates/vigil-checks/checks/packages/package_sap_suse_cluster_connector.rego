package vigil.checks.package_sap_suse_cluster_connector

import data.vigil.checklib

metadata := {
	"id": "package_sap_suse_cluster_connector",
	"name": "The SAP cluster connector is at least 3.1.0",
	"group": "packages",
	"description": "sap-suse-cluster-connector 3.1 is the HA interface SAP certifies for ENSA2 on SLES; older versions do not report the ERS correctly to SAP tools. Not installed, SAP tools act on the instances behind the cluster's back: a warning saying so.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update sap-suse-cluster-connector`.",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"facts": [
		{
			"name": "connector",
			"gatherer": "package_version",
			"argument": "sap-suse-cluster-connector"
		}
	],
	"values": {
		"minimum": {
			"default": "3.1.0"
		}
	}
}

observed := checklib.package_version("connector")

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

# Not installed: SAP's HA interface is not connected to the cluster; a failure of the check's severity, said as such.
result := {
	"status": "warning",
	"message": "sap-suse-cluster-connector is not installed",
	"observed": null,
	"expected": expected,
} if checklib.not_installed("connector")

result := checklib.verdict(metadata, ok, sprintf("sap-suse-cluster-connector %v is installed; %v is required", [observed, expected]), observed, expected) if not checklib.not_installed("connector")
