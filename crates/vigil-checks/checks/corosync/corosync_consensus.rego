package vigil.checks.corosync_consensus

import data.vigil.checklib

metadata := {
	"id": "corosync_consensus",
	"name": "Corosync consensus is 1.2 times the token",
	"group": "corosync",
	"description": "`totem.consensus` is how long corosync waits for consensus before starting a new membership round. It must be larger than `token`; the recommended ratio is 1.2. When it is not set corosync derives exactly that, so only an explicit value that disagrees is a finding.",
	"remediation": "Either remove `consensus` from the `totem` section of `/etc/corosync/corosync.conf` (corosync then uses 1.2 × token) or set it to 1.2 × `token`, e.g. `consensus: 36000` for `token: 30000`, on every node, and reload corosync.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "token",
			"gatherer": "corosync.conf",
			"argument": "totem.token"
		},
		{
			"name": "consensus",
			"gatherer": "corosync.conf",
			"argument": "totem.consensus"
		}
	],
	"values": {
		"ratio": {
			"default": 1.2,
			"description": "consensus / token"
		}
	}
}

# corosync 2's default when the file sets no token.
default token := 1000

token := checklib.number(checklib.fact("token"))

expected := round(token * input.values.ratio)

default observed := null

observed := checklib.number(checklib.fact("consensus"))

ok := observed in {null, expected}

message := sprintf("corosync totem.consensus is %v with token %v; %v is recommended", [checklib.shown(observed), token, expected])

result := checklib.verdict(metadata, ok, message, observed, expected)
