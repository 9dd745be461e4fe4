package vigil.checks.stonith_enabled

import data.vigil.checklib

metadata := {
	"id": "stonith_enabled",
	"name": "Fencing is enabled",
	"group": "pacemaker",
	"description": "Without fencing (`stonith-enabled=false`) Pacemaker cannot isolate a node it lost contact with; SUSE and SAP support HA clusters only with fencing on, and a split brain can start HANA or the ASCS twice.",
	"remediation": "Turn fencing on once a fencing device (SBD or the cloud's fence agent) is configured and tested:\n\n```\ncrm configure property stonith-enabled=true\n```",
	"target_type": "cluster",
	"severity": "critical",
}

# Pacemaker's default is true.
observed := object.get(input.cluster.properties, "stonith-enabled", "true")

result := checklib.verdict(
	metadata,
	checklib.truthy(observed),
	sprintf("stonith-enabled is %v", [observed]),
	observed,
	"true",
)
