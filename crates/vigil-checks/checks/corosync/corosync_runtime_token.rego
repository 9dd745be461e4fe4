package vigil.checks.corosync_runtime_token

import data.vigil.checklib

metadata := {
	"id": "corosync_runtime_token",
	"name": "The running corosync uses the configured token",
	"group": "corosync",
	"description": "Corosync reads `corosync.conf` at start and on reload. A running token (`corosync-cmapctl runtime.config.totem.token`) that differs from the file means an edit was never applied, so the cluster behaves differently from what its configuration says. With three nodes or more corosync runs with `token + (nodes - 2) × token_coefficient` (650 ms unless set), which is what the file is compared as.",
	"remediation": "Apply the file: `corosync-cfgtool -R` on one node (it reloads every node), then confirm with `corosync-cmapctl -g runtime.config.totem.token`.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "running",
			"gatherer": "corosync-cmapctl",
			"argument": "runtime.config.totem.token"
		},
		{
			"name": "token",
			"gatherer": "corosync.conf",
			"argument": "totem.token"
		},
		{
			"name": "token_coefficient",
			"gatherer": "corosync.conf",
			"argument": "totem.token_coefficient"
		},
		{
			"name": "nodes",
			"gatherer": "corosync.conf",
			"argument": "nodelist.node"
		}
	]
}

default observed := null

observed := checklib.number(checklib.fact("running"))

# corosync.conf(5): the default token_coefficient, used from three nodes in the nodelist.
default coefficient := 650

coefficient := checklib.number(checklib.fact("token_coefficient"))

default node_count := 0

node_count := count(checklib.fact("nodes")) if is_array(checklib.fact("nodes"))

default expected := null

expected := checklib.number(checklib.fact("token")) + (max([node_count, 2]) - 2) * coefficient

default ok := false

ok if observed == expected

# A file without a token leaves corosync on its default: there is no edit to apply.
ok if checklib.fact("token") == null

message := sprintf("the running totem.token is %v; corosync.conf makes it %v", [checklib.shown(observed), checklib.shown(expected)]) if checklib.fact("token") != null

message := sprintf("the running totem.token is %v; corosync.conf sets no token, so corosync runs with its default", [checklib.shown(observed)]) if checklib.fact("token") == null

result := checklib.verdict(metadata, ok, message, observed, expected)
