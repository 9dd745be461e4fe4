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
		{
			"name": "chronyd",
			"gatherer": "systemd",
			"argument": "chronyd.service"
		}
	]
}

# systemd's properties of the unit; an unknown unit is a value too (load_state not-found).
unit := checklib.fact("chronyd")

default observed := null

observed := unit.active_state

expected := "active"

ok := observed == expected

message := sprintf("chronyd.service is %v (%v)", [observed, unit.sub_state]) if unit.load_state != "not-found"

message := "chronyd.service is not installed (systemd knows no such unit)" if unit.load_state == "not-found"

result := checklib.verdict(metadata, ok, message, observed, expected)
