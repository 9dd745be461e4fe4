# Command authorization: may this principal run this command against this target?
#
# Input: {principal: {kind, id, roles}, command: {type, body, read?}, target: {id, kind, state}}
# (schemas/authz.input.schema.json). Output: `allow` (bool) and `reasons` (set of strings).
#
# The policy is default-deny: a command is allowed only when some rule in `grants` applies.
# `reasons` carries the grants when allowed and the denials when not, so every decision
# record says in plain words why it went the way it did.
package vigil.authz

default allow := false

allow if count(grants) > 0

reasons := grants if allow

reasons := denials if {
	not allow
	count(denials) > 0
}

# A fallback so that a denial never comes without a reason, even for inputs no denial
# rule below anticipates.
reasons := {msg} if {
	not allow
	count(denials) == 0
	msg := sprintf("no rule grants %s to %s %s", [command_type, principal_kind, principal_id])
}

# Commands an agent may send: its own discoveries and heartbeats, nothing else, whatever
# roles its token carries.
agent_commands := {"SubmitDiscovery", "RecordHeartbeat"}

# Policy and token management stays with admins: an operator who could publish a policy
# or mint a token could grant themselves anything. Publishing outside events
# (`PublishEvents`, CloudEvents through POST /api/v1/events) is not management: it grants
# nothing, so operators may do it as admins may; viewers and agents may not.
management_prefixes := ["PublishPolicy", "RetirePolicy", "CreateToken", "RevokeToken", "AddActionRule", "RemoveActionRule"]

# Kinds whose permissions come from their roles.
role_based_kinds := {"user", "service"}

known_roles := {"admin", "operator", "viewer"}

# Defaults keep the messages below well-formed when the input lacks a field.
default principal_kind := null

principal_kind := input.principal.kind

default principal_id := "<unknown>"

principal_id := input.principal.id

default command_type := null

command_type := input.command.type

roles := {role | some role in input.principal.roles}

role_based if principal_kind in role_based_kinds

management if {
	is_string(command_type)
	some prefix in management_prefixes
	startswith(command_type, prefix)
}

# The read convention: a command is a read when its type starts with "Read" (ReadHost,
# ReadAuditLog, ...) or when the gate marks it with `command.read: true` (queries routed
# from GET endpoints, whatever their name). The marker sits beside `type`, outside the
# caller-supplied `body`, so a caller cannot mark its own write as a read.
read if {
	is_string(command_type)
	startswith(command_type, "Read")
}

read if input.command.read == true

# Grants: one line per way a command can be allowed.

grants contains "system principals are trusted" if principal_kind == "system"

grants contains msg if {
	principal_kind == "agent"
	command_type in agent_commands
	msg := sprintf("agents may run %s", [command_type])
}

grants contains "role admin may run any command" if {
	role_based
	"admin" in roles
}

grants contains msg if {
	role_based
	"operator" in roles
	not management
	msg := sprintf("role operator may run %s", [command_type])
}

grants contains msg if {
	role_based
	"viewer" in roles
	read
	msg := sprintf("role viewer may run read command %s", [command_type])
}

# Denials: why no grant applied. They are only consulted when `allow` is false.

denials contains "input.command.type is missing or not a string" if not is_string(command_type)

denials contains msg if {
	not principal_kind in {"agent", "system", "user", "service"}
	msg := sprintf("unknown principal kind %v (expected agent, user, service or system)", [principal_kind])
}

denials contains msg if {
	principal_kind == "agent"
	not command_type in agent_commands
	msg := sprintf("agent %s may only run SubmitDiscovery or RecordHeartbeat, not %s", [principal_id, command_type])
}

denials contains msg if {
	role_based
	"operator" in roles
	management
	msg := sprintf("role operator may not run %s: policy and token management requires role admin", [command_type])
}

denials contains msg if {
	role_based
	"viewer" in roles
	not read
	msg := sprintf("role viewer may only run read commands (type Read* or command.read = true), not %s", [command_type])
}

denials contains msg if {
	role_based
	count(roles & known_roles) == 0
	msg := sprintf("%s %s has no role that grants commands (roles: %v; known roles: admin, operator, viewer)", [principal_kind, principal_id, sort(roles)])
}
