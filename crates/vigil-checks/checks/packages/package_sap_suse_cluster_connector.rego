package vigil.checks.package_sap_suse_cluster_connector

import data.vigil.checklib

metadata := {
	"id": "package_sap_suse_cluster_connector",
	"name": "The SAP cluster connector is at least 3.1.0",
	"group": "packages",
	"description": "sap-suse-cluster-connector 3.1 is the HA interface SAP certifies for ENSA2 on SLES; older versions do not report the ERS correctly to SAP tools.",
	"remediation": "Update the package on every node, one node at a time with it in standby: `zypper update sap-suse-cluster-connector`.",
	"target_type": "cluster",
	"cluster_types": [
		"ascs_ers",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"facts": [
		"packages"
	],
	"values": {
		"minimum": {
			"default": "3.1.0"
		}
	}
}

observed := checklib.package_version("sap-suse-cluster-connector")

expected := sprintf(">= %v", [input.values.minimum])

ok := checklib.version_at_least(observed, input.values.minimum)

message := sprintf("sap-suse-cluster-connector %v is installed; %v is required", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
