package vigil.checks.corosync_runtime_token

import data.vigil.checklib

metadata := {
	"id": "corosync_runtime_token",
	"name": "The running corosync uses the configured token",
	"group": "corosync",
	"description": "Corosync reads `corosync.conf` at start and on reload. A running token (`corosync-cmapctl runtime.config.totem.token`) that differs from the file means an edit was never applied, so the cluster behaves differently from what its configuration says.",
	"remediation": "Apply the file: `corosync-cfgtool -R` on one node (it reloads every node), then confirm with `corosync-cmapctl -g runtime.config.totem.token`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		"corosync_conf",
		"corosync_cmapctl"
	]
}

default observed := null

observed := checklib.number(input.facts.corosync_cmapctl["runtime.config.totem.token"])

default expected := null

expected := checklib.number(input.facts.corosync_conf.totem.token)

ok := observed == expected

message := sprintf("the running totem.token is %v; corosync.conf says %v", [checklib.shown(observed), checklib.shown(expected)])

result := checklib.verdict(metadata, ok, message, observed, expected)
