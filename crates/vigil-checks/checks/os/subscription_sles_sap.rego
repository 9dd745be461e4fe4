package vigil.checks.subscription_sles_sap

import data.vigil.checklib

metadata := {
	"id": "subscription_sles_sap",
	"name": "The host is registered for SLES for SAP",
	"group": "os",
	"description": "The HA extension, saptune and SAP-specific maintenance updates come with the SLES for SAP subscription; an unregistered host receives no fixes.",
	"remediation": "Register the host: `SUSEConnect -r <code>` (or through SUSE Manager / RMT), then `SUSEConnect --status-text`.",
	"target_type": "host",
	"severity": "warning"
}

default observed := null

observed := [s.status | some s in input.host.subscriptions; s.identifier == "SLES_SAP"][0]

expected := "Registered"

ok := observed == expected

message := sprintf("SLES_SAP subscription: %v", [checklib.shown(observed)])

result := checklib.verdict(metadata, ok, message, observed, expected)
