package vigil.checks.corosync_crypto

import data.vigil.checklib

metadata := {
	"id": "corosync_crypto",
	"name": "Corosync traffic is authenticated and encrypted",
	"group": "corosync",
	"description": "Without `crypto_cipher`/`crypto_hash` (or `secauth: on` on corosync 2) anyone on the cluster network can inject membership messages. SUSE's HA guide enables them.",
	"remediation": "Generate a key with `corosync-keygen`, copy `/etc/corosync/authkey` to every node, set `crypto_cipher: aes256` and `crypto_hash: sha256` (corosync 3) or `secauth: on` (corosync 2) in `totem`, and restart the cluster stack.",
	"target_type": "cluster",
	"severity": "warning",
	"facts": [
		{
			"name": "totem",
			"gatherer": "corosync.conf",
			"argument": "totem"
		}
	]
}

# The totem section as an object (`argument` "totem"); a file without one sets nothing.
default totem := {}

totem := section if {
	section := checklib.fact("totem")
	is_object(section)
}

observed := {
	"secauth": object.get(totem, "secauth", null),
	"crypto_cipher": object.get(totem, "crypto_cipher", null),
}

expected := "secauth on, or a crypto_cipher other than none"

default ok := false

ok if checklib.truthy(observed.secauth)

ok if not observed.crypto_cipher in {null, "none"}

message := sprintf("corosync secauth is %v and crypto_cipher is %v", [checklib.shown(observed.secauth), checklib.shown(observed.crypto_cipher)])

result := checklib.verdict(metadata, ok, message, observed, expected)
