# Action admission: may this action run for this event?
#
# Input: {event: CloudEvent, action: {name, kind, params}, enrichment: {...}}
# (schemas/admission.input.schema.json). Output: `allow` (bool) and `reasons` (set of strings).
#
# Admission is allow-by-default: an action runs unless a `deny` rule fires. To restrict
# actions, add a module to this package with rules such as
#
#     deny contains "webhooks are disabled during the freeze" if input.action.kind == "webhook"
#
# and leave this file as it is.
package vigil.admission

default allow := false

allow if count(deny) == 0

reasons := deny

# This rule never fires. It exists so that `deny` is defined (as the empty set) when no
# operator rule has been added yet.
deny contains msg if {
	false
	msg := ""
}
