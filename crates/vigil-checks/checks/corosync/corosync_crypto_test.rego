package vigil.checks.corosync_crypto_test

import data.vigil.checks.corosync_crypto

test_cipher_passes if {
	r := corosync_crypto.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"crypto_cipher": "aes256",
					"crypto_hash": "sha256"
				},
				"quorum": {}
			}
		}
	}
	r.status == "passing"
}

test_secauth_passes if {
	r := corosync_crypto.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"secauth": "on"
				},
				"quorum": {}
			}
		}
	}
	r.status == "passing"
}

test_plain_warns if {
	r := corosync_crypto.result with input as {
		"facts": {
			"corosync_conf": {
				"totem": {
					"crypto_cipher": "none"
				},
				"quorum": {}
			}
		}
	}
	r.status == "warning"
}
