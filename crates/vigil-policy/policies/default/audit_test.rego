# Unit tests for the default audit mask.
package vigil.audit_test

import data.vigil.audit

test_masks_credentials_in_command_bodies if {
	"command.body.password" in audit.mask
	"command.body.token" in audit.mask
	"command.body.secret" in audit.mask
}

test_masks_api_keys_anywhere if {
	"**.api_key" in audit.mask
}
