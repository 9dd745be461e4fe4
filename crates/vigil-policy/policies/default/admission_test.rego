# Unit tests for the default admission policy.
package vigil.admission_test

import data.vigil.admission

test_admits_every_action if {
	admission.allow with input as {
		"event": {"specversion": "1.0", "id": "e-1", "source": "vigil", "type": "HostRegistered"},
		"action": {"name": "notify", "kind": "email", "params": {}},
		"enrichment": {},
	}
}

test_admits_without_reasons if {
	count(admission.reasons) == 0 with input as {}
}
