package vigil.checks.time_sync_active

import data.vigil.checklib

metadata := {
	"id": "time_sync_active",
	"name": "Time is synchronised (chronyd)",
	"group": "os",
	"description": "Pacemaker, corosync and HANA system replication compare timestamps across nodes; clocks that drift apart confuse failure counts, logs and takeover decisions.",
	"remediation": "`systemctl enable --now chronyd` and configure an NTP source in `/etc/chrony.conf`; check with `chronyc sources`.",
	"target_type": "host",
	"severity": "warning",
	"facts": [
		"systemd_units"
	]
}

default observed := null

observed := input.facts.systemd_units["chronyd.service"].active_state

expected := "active"

ok := observed == expected

message := sprintf("chronyd.service is %v", [checklib.shown(observed)])

result := checklib.verdict(metadata, ok, message, observed, expected)
