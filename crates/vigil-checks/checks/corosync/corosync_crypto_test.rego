package vigil.checks.corosync_crypto_test

import data.vigil.checks.corosync_crypto

test_cipher_passes if {
	r := corosync_crypto.result with input as {"facts": {"totem": {"version": 2, "crypto_cipher": "aes256", "crypto_hash": "sha256"}}}
	r.status == "passing"
}

test_secauth_passes if {
	r := corosync_crypto.result with input as {"facts": {"totem": {"version": 2, "secauth": "on"}}}
	r.status == "passing"
}

test_plain_warns if {
	r := corosync_crypto.result with input as {"facts": {"totem": {"version": 2, "crypto_cipher": "none"}}}
	r.status == "warning"
}

test_a_file_without_totem_warns if {
	r := corosync_crypto.result with input as {"facts": {"totem": {"error": {"type": "value_not_found", "message": "corosync.conf has no totem"}}}}
	r.status == "warning"
	r.message == "corosync secauth is not set and crypto_cipher is not set"
}
