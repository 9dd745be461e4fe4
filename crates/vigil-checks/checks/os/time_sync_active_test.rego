package vigil.checks.time_sync_active_test

import data.vigil.checks.time_sync_active

# The systemd gatherer's answer for one unit: systemctl show's properties in snake_case.
unit(load, active, sub, file_state) := {
	"id": "chronyd.service",
	"description": "NTP client/server",
	"load_state": load,
	"active_state": active,
	"sub_state": sub,
	"unit_file_state": file_state,
	"unit_file_preset": "disabled",
	"need_daemon_reload": "no",
}

test_active_passes if {
	r := time_sync_active.result with input as {"facts": {"chronyd": unit("loaded", "active", "running", "enabled")}}
	r.status == "passing"
	r.message == "chronyd.service is active (running)"
}

test_inactive_warns if {
	r := time_sync_active.result with input as {"facts": {"chronyd": unit("loaded", "inactive", "dead", "disabled")}}
	r.status == "warning"
}

test_an_unknown_unit_warns_as_not_installed if {
	r := time_sync_active.result with input as {"facts": {"chronyd": unit("not-found", "inactive", "dead", "")}}
	r.status == "warning"
	r.message == "chronyd.service is not installed (systemd knows no such unit)"
}
