# Audit masking: which input fields never reach an audit or decision record.
#
# Input: the input document of whatever evaluation is being recorded (authz, admission,
# sla). Output: `mask`, a set of paths. A path is dot-separated (`command.body.password`),
# `*` matches any one key or array index and `**` matches any number of them, so
# `**.api_key` masks an `api_key` field wherever it appears. Paths that start with `/` are
# JSON Pointers instead, for keys that contain dots.
package vigil.audit

mask contains "command.body.password"

mask contains "command.body.token"

mask contains "command.body.secret"

mask contains "**.api_key"
