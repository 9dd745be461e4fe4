package vigil.checks.saphana_operation_timeouts

import data.vigil.checklib

metadata := {
	"id": "saphana_operation_timeouts",
	"name": "HANA resource operations have the recommended timeouts",
	"group": "saphana",
	"description": "Starting, stopping and promoting a large HANA database takes many minutes. Shorter operation timeouts make Pacemaker treat a slow but healthy operation as failed and fence or fail over needlessly. The SUSE guides use start and stop 3600 s, promote 900 s (3600 s for the classic agent is fine too) and monitor 700 s.",
	"remediation": "Edit the HANA primitive (`crm configure edit <resource>`) so that its operations read, for example:\n\n```\nop start interval=0 timeout=3600 \\\nop stop interval=0 timeout=3600 \\\nop promote interval=0 timeout=900 \\\nop monitor interval=60 role=Promoted timeout=700 \\\nop monitor interval=61 role=Unpromoted timeout=700\n```",
	"target_type": "cluster",
	"cluster_types": [
		"hana_scale_up",
		"hana_scale_out",
		"hana_ascs_ers"
	],
	"severity": "warning",
	"values": {
		"minimums": {
			"default": {
				"start": 3600,
				"stop": 3600,
				"promote": 900,
				"monitor": 700
			},
			"description": "operation → minimum timeout in seconds"
		}
	}
}

hana := checklib.hana_resources

# An operation not configured runs with Pacemaker's default timeout of 20 s.
timeout(r, name) := min(configured) if {
	configured := [checklib.seconds(op.timeout) | some op in r.operations; op.name == name]
	count(configured) > 0
} else := 20

observed := {r.id: {name: timeout(r, name) | some name, _ in input.values.minimums} | some r in hana}

expected := input.values.minimums

short := [sprintf("%v %v %v s", [id, name, t]) | some id, ops in observed; some name, t in ops; t < expected[name]]

default ok := false

ok if {
	count(hana) > 0
	count(short) == 0
}

message := sprintf("operations below the recommended timeouts: %v", [concat(", ", short)]) if count(short) > 0

message := "every HANA operation has the recommended timeout" if {
	count(short) == 0
	count(hana) > 0
}

message := "no SAPHana or SAPHanaController resource" if count(hana) == 0

result := checklib.verdict(metadata, ok, message, observed, expected)
