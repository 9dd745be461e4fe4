package vigil.checks.sbd_startmode

import data.vigil.checklib

metadata := {
	"id": "sbd_startmode",
	"name": "SBD starts regardless of a previous fencing",
	"group": "sbd",
	"description": "`SBD_STARTMODE=clean` keeps a fenced node from rejoining until its slot is cleared by hand. SUSE's SAP guides use `always` so that a node returns to the cluster after a reboot; pair it with `SBD_DELAY_START` to avoid fencing loops.",
	"remediation": "Set `SBD_STARTMODE=always` in `/etc/sysconfig/sbd` on every node (takes effect at the next start of the cluster stack).",
	"target_type": "cluster",
	"severity": "warning",
	"values": {
		"expected": {
			"default": "always"
		}
	}
}

observed := object.get(input.cluster.sbd_config, "SBD_STARTMODE", "always")

expected := input.values.expected

ok := lower(sprintf("%v", [observed])) == lower(sprintf("%v", [expected]))

message := sprintf("SBD_STARTMODE is %v; %v is recommended", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
