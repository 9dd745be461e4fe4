package vigil.checks.corosync_expected_votes

import data.vigil.checklib

metadata := {
	"id": "corosync_expected_votes",
	"name": "Corosync expected_votes matches the number of nodes",
	"group": "corosync",
	"description": "An explicit `quorum.expected_votes` that differs from the number of nodes makes quorum wrong: too high and the cluster never becomes quorate after a failure, too low and a minority partition believes it is quorate. Unset, corosync counts the nodelist.",
	"remediation": "Remove `expected_votes` from the `quorum` section of `/etc/corosync/corosync.conf` (corosync then counts the `nodelist`) or set it to the number of nodes, on every node, and reload corosync.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "corosync_conf",
			"gatherer": "corosync.conf",
			"argument": ""
		}
	]
}

default observed := null

# The whole corosync.conf (`argument` empty): its quorum section may be absent.
observed := checklib.number(checklib.fact("corosync_conf").quorum.expected_votes)

expected := count(input.cluster.nodes)

ok := observed in {null, expected}

message := sprintf("quorum.expected_votes is %v for %v nodes", [checklib.shown(observed), expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
