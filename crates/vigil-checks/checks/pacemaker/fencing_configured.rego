package vigil.checks.fencing_configured

import data.vigil.checklib

metadata := {
	"id": "fencing_configured",
	"name": "A fencing mechanism is configured",
	"group": "pacemaker",
	"description": "Fencing needs a fencing resource (SBD, a cloud fence agent) or diskless SBD (a watchdog with `stonith-watchdog-timeout`). With neither, `stonith-enabled=true` blocks recovery because no fencing can ever succeed.",
	"remediation": "Configure a fencing device: disk-based SBD (`crm configure primitive stonith-sbd stonith:external/sbd`), the cloud provider's fence agent, or diskless SBD with `stonith-watchdog-timeout`. Test it with `crm node fence <node>` before production.",
	"target_type": "cluster",
	"severity": "critical"
}

devices := [r.id | some r in input.cluster.resources; r.class == "stonith"]

watchdog := object.get(input.cluster.properties, "stonith-watchdog-timeout", "0")

default diskless := false

diskless if {
	checklib.truthy(object.get(input.cluster.properties, "have-watchdog", "false"))
	not watchdog in {"0", "0s"}
}

observed := {"fencing_resources": devices, "stonith-watchdog-timeout": watchdog}

expected := "a stonith resource, or diskless SBD"

default ok := false

ok if count(devices) > 0

ok if diskless

message := sprintf("fencing resources: %v; stonith-watchdog-timeout: %v", [checklib.shown(concat(", ", devices)), watchdog])

result := checklib.verdict(metadata, ok, message, observed, expected)
