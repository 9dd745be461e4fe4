# Unit tests for the default authorization policy; run with `vigil policy test DIR`.
package vigil.authz_test

import data.vigil.authz

request(kind, roles, command_type) := {
	"principal": {"kind": kind, "id": "p-1", "roles": roles},
	"command": {"type": command_type, "body": {}},
	"target": {"id": "t-1", "kind": "host", "state": {}},
}

test_denies_by_default if {
	not authz.allow with input as {}
}

test_denial_without_input_still_has_a_reason if {
	count(authz.reasons) > 0 with input as {}
}

test_admin_may_publish_policies if {
	authz.allow with input as request("user", ["admin"], "PublishPolicy")
}

test_admin_may_create_tokens if {
	authz.allow with input as request("service", ["admin"], "CreateToken")
}

test_operator_may_run_commands if {
	authz.allow with input as request("user", ["operator"], "RequestChecksExecution")
}

test_operator_may_not_manage_policies if {
	not authz.allow with input as request("user", ["operator"], "PublishPolicy")
	not authz.allow with input as request("user", ["operator"], "RetirePolicy")
}

test_operator_may_not_manage_tokens if {
	not authz.allow with input as request("user", ["operator"], "CreateToken")
	not authz.allow with input as request("user", ["operator"], "RevokeToken")
}

test_operator_denial_names_the_admin_role if {
	reasons := authz.reasons with input as request("user", ["operator"], "RevokeToken")
	some reason in reasons
	contains(reason, "requires role admin")
}

test_operators_and_admins_may_publish_events if {
	authz.allow with input as request("user", ["operator"], "PublishEvents")
	authz.allow with input as request("service", ["operator"], "PublishEvents")
	authz.allow with input as request("user", ["admin"], "PublishEvents")
}

test_viewers_and_agents_may_not_publish_events if {
	not authz.allow with input as request("user", ["viewer"], "PublishEvents")
	not authz.allow with input as request("service", [], "PublishEvents")
	not authz.allow with input as request("agent", ["operator"], "PublishEvents")
}

test_a_viewer_is_told_why_it_may_not_publish_events if {
	reasons := authz.reasons with input as request("user", ["viewer"], "PublishEvents")
	some reason in reasons
	contains(reason, "only run read commands")
	contains(reason, "PublishEvents")
}

test_viewer_may_read if {
	authz.allow with input as request("user", ["viewer"], "ReadHost")
}

test_viewer_may_run_commands_marked_read if {
	authz.allow with input as {
		"principal": {"kind": "user", "id": "v", "roles": ["viewer"]},
		"command": {"type": "ListHosts", "body": {}, "read": true},
	}
}

test_viewer_read_marker_in_body_is_ignored if {
	not authz.allow with input as {
		"principal": {"kind": "user", "id": "v", "roles": ["viewer"]},
		"command": {"type": "DeregisterHost", "body": {"read": true}},
	}
}

test_viewer_may_not_write if {
	not authz.allow with input as request("user", ["viewer"], "DeregisterHost")
}

test_roles_add_up if {
	authz.allow with input as request("user", ["viewer", "operator"], "DeregisterHost")
}

test_agent_may_submit_discoveries_and_heartbeats if {
	authz.allow with input as request("agent", [], "SubmitDiscovery")
	authz.allow with input as request("agent", [], "RecordHeartbeat")
}

test_agent_roles_do_not_widen_its_commands if {
	not authz.allow with input as request("agent", ["admin"], "DeregisterHost")
}

test_system_is_allowed if {
	authz.allow with input as request("system", [], "PublishPolicy")
}

test_user_without_roles_is_denied if {
	not authz.allow with input as request("user", [], "ReadHost")
}

test_unknown_kind_is_denied if {
	not authz.allow with input as request("robot", ["admin"], "ReadHost")
}

test_allowed_decisions_explain_the_grant if {
	authz.reasons == {"role admin may run any command"} with input as request("user", ["admin"], "DeregisterHost")
}

test_only_admin_may_change_action_rules if {
	authz.allow with input as request("user", ["admin"], "AddActionRule")
	not authz.allow with input as request("user", ["operator"], "AddActionRule")
	not authz.allow with input as request("user", ["operator"], "RemoveActionRule")
}

test_operator_may_redrive_and_viewer_may_read_actions if {
	authz.allow with input as request("user", ["operator"], "RedriveAction")
	not authz.allow with input as request("user", ["viewer"], "RedriveAction")
	authz.allow with input as request("user", ["viewer"], "ReadActions")
}
