//! The crate at its boundary: the default bundle, the test runner, the repository.

use std::sync::Arc;

use serde_json::{Value, json};
use vigil_policy::{
    AuthzInput, CommandInput, CompiledPolicies, EvaluationPoint, PolicyError, PolicyRepository, PolicySet, Principal,
    PrincipalKind, TargetInput, eval, run_tests,
};

fn default_policies() -> CompiledPolicies {
    let policies = CompiledPolicies::compile(PolicySet::default_bundle()).expect("default bundle compiles");
    // The latency budget depends on it: a bundle that falls back to the interpreter is
    // several times slower.
    assert!(policies.runs_bytecode());
    policies
}

fn authz(kind: PrincipalKind, roles: &[&str], command_type: &str) -> AuthzInput {
    AuthzInput {
        principal: Principal { kind, id: "p-1".into(), roles: roles.iter().map(|role| (*role).to_owned()).collect() },
        command: CommandInput { command_type: command_type.into(), body: json!({}), read: false },
        target: Some(TargetInput { id: "host-1".into(), kind: "host".into(), state: json!({"health": "passing"}) }),
    }
}

// ---- the default bundle's own Rego tests, through the runner ----

#[test]
fn default_bundle_rego_tests_all_pass() {
    let report = run_tests(&PolicySet::default_bundle()).expect("default bundle compiles");
    let failures: Vec<_> = report.results.iter().filter(|result| !result.ok).collect();
    assert!(failures.is_empty(), "failing tests: {failures:#?}");
    assert!(report.passed >= 20, "only {} tests found", report.passed);
    assert_eq!(report.failed, 0);
    assert!(
        report
            .results
            .iter()
            .any(|result| result.package == "vigil.authz_test" && result.name == "test_operator_may_not_manage_tokens")
    );
}

#[test]
fn runner_reports_failing_and_erroring_tests() {
    let mut set = PolicySet::default_bundle();
    set.insert(
        "broken_test.rego",
        r#"package vigil.broken_test

import data.vigil.authz

test_passes if true

# Deliberately wrong: an operator may not create tokens.
test_operator_creates_tokens if {
    authz.allow with input as {"principal": {"kind": "user", "id": "o", "roles": ["operator"]}, "command": {"type": "CreateToken", "body": {}}}
}

test_is_undefined if input.nothing == 1

test_is_not_a_boolean := 7

test_errors if {
    to_number("not a number") == 1
}
"#,
    );
    let report = run_tests(&set).expect("compiles");
    let result = |name: &str| {
        report
            .results
            .iter()
            .find(|result| result.package == "vigil.broken_test" && result.name == name)
            .unwrap_or_else(|| panic!("{name} not reported"))
    };
    assert!(result("test_passes").ok);
    assert!(!result("test_operator_creates_tokens").ok);
    assert_eq!(result("test_operator_creates_tokens").error, None);
    assert!(!result("test_is_undefined").ok);
    assert!(!result("test_is_not_a_boolean").ok);
    assert!(result("test_is_not_a_boolean").error.as_deref().is_some_and(|error| error.contains('7')));
    let erroring = result("test_errors");
    assert!(!erroring.ok);
    assert!(erroring.error.as_deref().is_some_and(|error| error.contains("to_number")));
    assert_eq!(report.failed, 4);
    assert!(!report.is_success());
}

#[test]
fn runner_rejects_a_set_that_does_not_compile() {
    let set = PolicySet::from_modules([("bad_test.rego", "package bad_test\ntest_x if {\n")]);
    assert!(matches!(run_tests(&set), Err(PolicyError::Compile { .. })));
}

#[test]
fn tests_are_discovered_from_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("nested")).expect("mkdir");
    std::fs::write(dir.path().join("nested/p.rego"), "package p\n\nanswer := 42\n").expect("write");
    std::fs::write(dir.path().join("p_test.rego"), "package p_test\n\ntest_answer if data.p.answer == 42\n")
        .expect("write");
    std::fs::write(dir.path().join(".#p.rego"), "not rego at all").expect("write");
    let set = PolicySet::from_dir(dir.path()).expect("loads");
    assert_eq!(set.modules().map(|(path, _)| path).collect::<Vec<_>>(), ["nested/p.rego", "p_test.rego"]);
    let report = run_tests(&set).expect("compiles");
    assert_eq!((report.passed, report.failed), (1, 0));
}

#[test]
fn an_empty_directory_is_not_a_policy_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(matches!(PolicySet::from_dir(dir.path()), Err(PolicyError::EmptyDirectory { .. })));
}

// ---- authorization decisions of the default bundle ----

#[test]
fn default_authz_decisions_by_role_and_kind() {
    use PrincipalKind::{Agent, Service, System, User};
    let policies = default_policies();
    // (kind, roles, command type, expected allow)
    let cases: &[(PrincipalKind, &[&str], &str, bool)] = &[
        (User, &["admin"], "DeregisterHost", true),
        (User, &["admin"], "PublishPolicy", true),
        (Service, &["admin"], "RevokeToken", true),
        (User, &["operator"], "DeregisterHost", true),
        (User, &["operator"], "RequestChecksExecution", true),
        (User, &["operator"], "ReadHost", true),
        (User, &["operator"], "PublishPolicy", false),
        (User, &["operator"], "PublishPolicyRevision", false),
        (User, &["operator"], "RetirePolicy", false),
        (Service, &["operator"], "CreateToken", false),
        (User, &["operator"], "RevokeToken", false),
        (User, &["viewer"], "ReadHost", true),
        (User, &["viewer"], "ReadAuditLog", true),
        (User, &["viewer"], "DeregisterHost", false),
        (User, &["viewer"], "PublishPolicy", false),
        (User, &["viewer", "operator"], "DeregisterHost", true),
        (User, &[], "ReadHost", false),
        (User, &["auditor"], "ReadHost", false),
        (Agent, &[], "SubmitDiscovery", true),
        (Agent, &[], "RecordHeartbeat", true),
        (Agent, &[], "DeregisterHost", false),
        (Agent, &["admin"], "PublishPolicy", false),
        (Agent, &[], "ReadHost", false),
        (System, &[], "DeregisterHost", true),
        (System, &[], "PublishPolicy", true),
    ];
    for (kind, roles, command_type, expected) in cases {
        let decision = policies.authorize(&authz(*kind, roles, command_type)).expect("evaluates");
        assert_eq!(decision.allow, Some(*expected), "{kind:?} {roles:?} {command_type}: {:?}", decision.reasons);
        assert!(!decision.reasons.is_empty(), "{kind:?} {roles:?} {command_type}: no reason given");
        assert_eq!(decision.policy, "vigil.authz");
        assert_eq!(&decision.revision, policies.revision());
    }
}

#[test]
fn viewer_may_run_commands_the_gate_marks_as_reads() {
    let policies = default_policies();
    let mut input = authz(PrincipalKind::User, &["viewer"], "ListHosts");
    assert_eq!(policies.authorize(&input).expect("evaluates").allow, Some(false));
    input.command.read = true;
    assert_eq!(policies.authorize(&input).expect("evaluates").allow, Some(true));
}

#[test]
fn denials_explain_themselves() {
    let policies = default_policies();
    let decision = policies.authorize(&authz(PrincipalKind::User, &["operator"], "PublishPolicy")).expect("evaluates");
    assert_eq!(
        decision.reasons,
        ["role operator may not run PublishPolicy: policy and token management requires role admin"]
    );
    let decision = policies.authorize(&authz(PrincipalKind::Agent, &[], "DeregisterHost")).expect("evaluates");
    assert_eq!(decision.reasons, ["agent p-1 may only run SubmitDiscovery or RecordHeartbeat, not DeregisterHost"]);
    assert_eq!(decision.result, json!({"allow": false, "reasons": decision.reasons}));
}

#[test]
fn malformed_authz_input_is_denied_with_a_reason() {
    let policies = default_policies();
    for input in [json!({}), json!({"principal": "root"}), json!(null)] {
        let decision = policies.evaluate(EvaluationPoint::Authz, &input).expect("evaluates");
        assert_eq!(decision.allow, Some(false), "{input}");
        assert!(!decision.reasons.is_empty(), "{input}");
    }
}

#[test]
fn default_admission_admits_and_default_sla_finds_nothing() {
    let policies = default_policies();
    let decision = policies
        .evaluate(
            EvaluationPoint::Admission,
            &json!({
                "event": {"specversion": "1.0", "id": "e-1", "source": "vigil", "type": "HostRegistered"},
                "action": {"name": "notify", "kind": "email", "params": {"api_key": "k"}},
                "enrichment": {}
            }),
        )
        .expect("evaluates");
    assert_eq!(decision.allow, Some(true));
    assert_eq!(decision.input["action"]["params"]["api_key"], "***");

    let report = policies
        .check_sla(&json!({"hosts": [{"id": "h-1"}], "clusters": [], "now": "2024-05-01T12:00:00Z"}))
        .expect("evaluates");
    assert!(report.violations.is_empty());
    assert_eq!(report.decision.allow, None);
}

#[test]
fn admission_deny_rules_added_in_another_module_take_effect() {
    let mut set = PolicySet::default_bundle();
    set.insert(
        "freeze.rego",
        r#"package vigil.admission

deny contains "webhooks are frozen" if input.action.kind == "webhook"
"#,
    );
    let policies = CompiledPolicies::compile(set).expect("compiles");
    assert!(policies.runs_bytecode(), "custom rules should run as bytecode");
    let input =
        |kind: &str| json!({"event": {}, "action": {"name": "a", "kind": kind, "params": {}}, "enrichment": {}});
    let webhook = policies.evaluate(EvaluationPoint::Admission, &input("webhook")).expect("evaluates");
    assert_eq!(webhook.allow, Some(false));
    assert_eq!(webhook.reasons, ["webhooks are frozen"]);
    let email = policies.evaluate(EvaluationPoint::Admission, &input("email")).expect("evaluates");
    assert_eq!(email.allow, Some(true));
}

#[test]
fn sla_violations_are_read_from_a_custom_policy() {
    let mut set = PolicySet::default_bundle();
    set.insert(
        "heartbeat.rego",
        r#"package vigil.sla

# A host must have sent a heartbeat in the last minute.
violations contains v if {
    some host in input.hosts
    age_ns := time.parse_rfc3339_ns(input.now) - time.parse_rfc3339_ns(host.last_heartbeat_at)
    age_ns > 60 * 1000000000
    v := {
        "id": sprintf("heartbeat/%s", [host.id]),
        "subject": host.id,
        "policy": "heartbeat",
        "message": sprintf("host %s sent no heartbeat for %d s", [host.hostname, age_ns / 1000000000]),
    }
}
"#,
    );
    let policies = CompiledPolicies::compile(set).expect("compiles");
    assert!(policies.runs_bytecode(), "custom rules should run as bytecode");
    let report = policies
        .check_sla(&json!({
            "hosts": [
                {"id": "h-2", "hostname": "vmhana02", "last_heartbeat_at": "2024-05-01T11:55:00Z"},
                {"id": "h-1", "hostname": "vmhana01", "last_heartbeat_at": "2024-05-01T11:59:30Z"},
                {"id": "h-3", "hostname": "vmhana03", "last_heartbeat_at": "2024-05-01T10:00:00Z"}
            ],
            "clusters": [],
            "now": "2024-05-01T12:00:00Z"
        }))
        .expect("evaluates");
    let ids: Vec<_> = report.violations.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["heartbeat/h-2", "heartbeat/h-3"]);
    assert_eq!(report.violations[0].message, "host vmhana02 sent no heartbeat for 300 s");
}

#[test]
fn a_set_without_authz_denies() {
    let policies = CompiledPolicies::compile(PolicySet::from_modules([("other.rego", "package other\n\nx := 1\n")]))
        .expect("compiles");
    assert!(!policies.defines(EvaluationPoint::Authz));
    let decision = policies.authorize(&authz(PrincipalKind::System, &[], "ReadHost")).expect("evaluates");
    assert_eq!(decision.allow, Some(false));
}

#[test]
fn a_non_boolean_allow_is_an_error_not_an_allow() {
    let policies = CompiledPolicies::compile(PolicySet::from_modules([(
        "authz.rego",
        "package vigil.authz\n\nallow := \"yes\"\n",
    )]))
    .expect("compiles");
    let error = policies.authorize(&authz(PrincipalKind::User, &["admin"], "ReadHost")).expect_err("rejected");
    assert!(matches!(error, PolicyError::InvalidResult { ref rule, .. } if rule == "allow"));
}

// ---- masking ----

#[test]
fn masking_removes_secrets_from_the_recorded_input() {
    let policies = default_policies();
    let mut input = authz(PrincipalKind::User, &["admin"], "CreateToken");
    input.command.body = json!({
        "name": "ci",
        "password": "hunter2",
        "token": "tok",
        "secret": "s3cr3t",
        "integrations": [{"kind": "smtp", "api_key": "key-1"}],
    });
    input.target =
        Some(TargetInput { id: "h".into(), kind: "host".into(), state: json!({"exporter": {"api_key": "key-2"}}) });
    let decision = policies.authorize(&input).expect("evaluates");
    let recorded = serde_json::to_string(&decision).expect("serializes");
    for secret in ["hunter2", "tok\"", "s3cr3t", "key-1", "key-2"] {
        assert!(!recorded.contains(secret), "{secret} leaked: {recorded}");
    }
    assert_eq!(decision.input["command"]["body"]["name"], "ci");
    assert_eq!(decision.input["command"]["body"]["password"], "***");
    assert_eq!(decision.input["command"]["body"]["integrations"][0]["api_key"], "***");
    assert_eq!(decision.input["target"]["state"]["exporter"]["api_key"], "***");

    let mut paths = policies.mask_paths(&json!({})).expect("evaluates");
    paths.sort();
    assert_eq!(paths, ["**.api_key", "command.body.password", "command.body.secret", "command.body.token"]);
}

#[test]
fn a_failing_audit_policy_masks_the_whole_input() {
    let mut set = PolicySet::default_bundle();
    set.insert(
        "default/audit.rego",
        // A mask entry that is not a path: the mask cannot be applied as written.
        "package vigil.audit\n\nmask contains 42 if input.command.body.name\n",
    );
    let policies = CompiledPolicies::compile(set).expect("compiles");
    let mut input = authz(PrincipalKind::User, &["admin"], "CreateToken");
    input.command.body = json!({"name": "not-a-number", "password": "hunter2"});
    let decision = policies.authorize(&input).expect("authz still decides");
    assert_eq!(decision.allow, Some(true));
    assert_eq!(decision.input, json!("***"));
}

// ---- decision records ----

#[test]
fn decisions_serialize_in_snake_case_with_uuid_v7_ids() {
    let policies = default_policies();
    let decision = policies.authorize(&authz(PrincipalKind::User, &["viewer"], "ReadHost")).expect("evaluates");
    assert_eq!(decision.decision_id.get_version_num(), 7);
    let json: Value = serde_json::to_value(&decision).expect("serializes");
    let mut keys: Vec<_> = json.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["allow", "decision_id", "input", "latency_us", "policy", "reasons", "result", "revision"]);
    assert_eq!(json["revision"], policies.revision().as_str());
    let back: vigil_policy::Decision = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, decision);
}

// ---- revisions and the repository ----

#[test]
fn revision_changes_iff_sources_change() {
    let a = PolicySet::from_modules([("a.rego", "package a"), ("b.rego", "package b")]);
    let same_reordered = PolicySet::from_modules([("b.rego", "package b"), ("a.rego", "package a")]);
    assert_eq!(a.revision(), same_reordered.revision());
    assert_eq!(a.revision().as_str().len(), 64);

    let edited = PolicySet::from_modules([("a.rego", "package a "), ("b.rego", "package b")]);
    let renamed = PolicySet::from_modules([("c.rego", "package a"), ("b.rego", "package b")]);
    let added = PolicySet::from_modules([("a.rego", "package a"), ("b.rego", "package b"), ("c.rego", "package c")]);
    // Moving text between path and source must not collide.
    let shifted = PolicySet::from_modules([("a.regop", "ackage a"), ("b.rego", "package b")]);
    for other in [&edited, &renamed, &added, &shifted] {
        assert_ne!(a.revision(), other.revision());
    }
}

#[test]
fn a_policy_that_does_not_compile_is_rejected_and_the_previous_revision_stays() {
    let repository = PolicyRepository::with_default_bundle().expect("default bundle compiles");
    let before = repository.revision();

    let mut broken = PolicySet::default_bundle();
    broken.insert("default/authz.rego", "package vigil.authz\n\nallow if {\n    input.principal.kind ==\n}\n");
    let error = repository.replace(broken).expect_err("rejected");
    let PolicyError::Compile { message } = &error else {
        panic!("expected a compile error, got {error:?}");
    };
    assert!(message.contains("default/authz.rego:5"), "{message}");
    assert_eq!(repository.revision(), before);
    let decision = repository
        .current()
        .authorize(&authz(PrincipalKind::User, &["operator"], "DeregisterHost"))
        .expect("evaluates");
    assert_eq!(decision.allow, Some(true));
    assert_eq!(decision.revision, before);
}

#[test]
fn analysis_errors_and_unknown_functions_are_compile_errors() {
    let cases = [
        ("unsafe.rego", "package vigil.authz\n\nallow if {\n    y > 1\n}\n", "unsafe.rego:4"),
        ("unknown.rego", "package vigil.authz\n\nallow if {\n    no_such_function(input.x)\n}\n", "unknown.rego:4"),
        (
            // Behind a condition an empty input does not meet: only static resolution
            // finds it before a request does.
            "guarded.rego",
            "package vigil.authz\n\nallow if {\n    input.x == 1\n    regex.match(\"a\", input.y)\n}\n",
            "guarded.rego:5",
        ),
    ];
    for (path, source, location) in cases {
        let error = CompiledPolicies::compile(PolicySet::from_modules([(path, source)])).expect_err("rejected");
        assert!(matches!(&error, PolicyError::Compile { message } if message.contains(location)), "{error:?}");
    }
}

#[test]
fn replace_swaps_in_a_new_revision() {
    let repository = PolicyRepository::with_default_bundle().expect("compiles");
    let held = repository.current();
    let mut stricter = PolicySet::default_bundle();
    stricter.insert("default/authz.rego", "package vigil.authz\n\ndefault allow := false\n");
    let revision = repository.replace(stricter.clone()).expect("compiles");
    assert_eq!(revision, stricter.revision());
    assert_eq!(repository.revision(), revision);
    let input = authz(PrincipalKind::User, &["admin"], "ReadHost");
    assert_eq!(repository.current().authorize(&input).expect("evaluates").allow, Some(false));
    // A request that took its snapshot before the swap finishes on the old revision.
    assert_eq!(held.authorize(&input).expect("evaluates").allow, Some(true));
    // Replacing with the same sources is a no-op.
    assert_eq!(repository.replace(stricter).expect("same"), revision);
}

#[test]
fn concurrent_evaluation_from_many_threads() {
    let repository = Arc::new(PolicyRepository::with_default_bundle().expect("compiles"));
    let handles: Vec<_> = (0..8)
        .map(|thread| {
            let repository = Arc::clone(&repository);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let (roles, command_type, expected): (&[&str], &str, bool) = match (thread + i) % 4 {
                        0 => (&["operator"], "DeregisterHost", true),
                        1 => (&["operator"], "CreateToken", false),
                        2 => (&["viewer"], "ReadHost", true),
                        _ => (&["viewer"], "DeregisterHost", false),
                    };
                    let decision = repository
                        .current()
                        .authorize(&authz(PrincipalKind::User, roles, command_type))
                        .expect("evaluates");
                    assert_eq!(decision.allow, Some(expected), "{roles:?} {command_type}");
                }
            })
        })
        .collect();
    // Swap revisions (to the same rules under another revision id) while they run.
    for n in 0..5 {
        let mut set = PolicySet::default_bundle();
        set.insert("extra.rego", format!("package extra\n\nn := {n}\n"));
        repository.replace(set).expect("compiles");
    }
    for handle in handles {
        handle.join().expect("thread finished");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_dir_reloads_changed_policies_and_skips_broken_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, source) in PolicySet::default_bundle().modules() {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("has parent")).expect("mkdir");
        std::fs::write(file, source).expect("write");
    }
    let repository = Arc::new(PolicyRepository::from_dir(dir.path()).expect("loads"));
    let first = repository.revision();
    let watcher = vigil_policy::watch_dir(Arc::clone(&repository), dir.path(), std::time::Duration::from_millis(20));
    std::fs::write(dir.path().join("default/broken.rego"), "package broken\n\nx if {\n").expect("write");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(repository.revision(), first, "a broken file must not be loaded");

    std::fs::write(dir.path().join("default/broken.rego"), "package broken\n\nx := 1\n").expect("write");
    let expected = PolicySet::from_dir(dir.path()).expect("loads").revision();
    let mut waited = 0;
    while repository.revision() != expected && waited < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_eq!(repository.revision(), expected, "fixed file was not loaded");
    assert_ne!(expected, first);
    watcher.abort();
}

// ---- ad hoc evaluation ----

#[test]
fn eval_answers_ad_hoc_queries_like_opa_eval() {
    let set = PolicySet::default_bundle();
    let input = json!({"principal": {"kind": "user", "id": "v", "roles": ["viewer"]}, "command": {"type": "ReadHost", "body": {}}});
    let answer = eval(&set, Some(&input), "data.vigil.authz.allow").expect("evaluates");
    assert_eq!(answer["result"][0]["expressions"][0]["value"], json!(true));

    let answer = eval(&set, None, "x := 1 + 2").expect("evaluates");
    assert_eq!(answer["result"][0]["bindings"]["x"], json!(3));

    let undefined = eval(&set, None, "data.vigil.authz.nothing_here").expect("evaluates");
    assert_eq!(undefined.get("result"), None);

    assert!(matches!(eval(&set, None, "1 +"), Err(PolicyError::Evaluation { .. })));
}

// ---- the documented input shapes ----

fn schema(name: &str) -> Value {
    let path = format!("{}/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn examples(schema: &Value) -> Vec<Value> {
    schema["examples"].as_array().cloned().unwrap_or_default()
}

#[test]
fn schema_examples_are_accepted_by_the_typed_inputs_and_the_default_bundle() {
    let policies = default_policies();
    let authz_examples = examples(&schema("authz.input.schema.json"));
    assert!(!authz_examples.is_empty());
    let expected_allow = [true, true, true];
    for (example, expected) in authz_examples.iter().zip(expected_allow) {
        let typed: AuthzInput = serde_json::from_value(example.clone()).expect("authz example fits AuthzInput");
        assert_eq!(policies.authorize(&typed).expect("evaluates").allow, Some(expected), "{example}");
    }
    for example in examples(&schema("admission.input.schema.json")) {
        let typed: vigil_policy::AdmissionInput =
            serde_json::from_value(example.clone()).expect("admission example fits AdmissionInput");
        assert_eq!(policies.admit(&typed).expect("evaluates").allow, Some(true));
    }
    for example in examples(&schema("sla.input.schema.json")) {
        assert!(policies.check_sla(&example).expect("evaluates").violations.is_empty());
    }
    for example in examples(&schema("audit.input.schema.json")) {
        let decision = policies.evaluate(EvaluationPoint::Audit, &example).expect("evaluates");
        assert_eq!(decision.input["command"]["body"]["secret"], "***");
    }
}

#[test]
fn decisions_have_every_field_the_decision_schema_requires() {
    let required: Vec<String> = serde_json::from_value(schema("decision.schema.json")["required"].clone())
        .expect("required is a list of names");
    let decision =
        default_policies().authorize(&authz(PrincipalKind::User, &["viewer"], "ReadHost")).expect("evaluates");
    let json = serde_json::to_value(&decision).expect("serializes");
    for field in required {
        assert!(json.get(&field).is_some(), "decision lacks {field}");
    }
}

#[test]
fn a_set_the_bytecode_compiler_cannot_handle_runs_on_the_interpreter() {
    let policies = CompiledPolicies::compile(PolicySet::from_modules([(
        "authz.rego",
        r#"package vigil.authz

default allow := false

allow if is_admin with input.principal as object.union(input.principal, {})

is_admin if "admin" in input.principal.roles
"#,
    )]))
    .expect("compiles");
    assert!(!policies.runs_bytecode());
    let decide =
        |roles: &[&str]| policies.authorize(&authz(PrincipalKind::User, roles, "ReadHost")).expect("evaluates").allow;
    assert_eq!(decide(&["admin"]), Some(true));
    assert_eq!(decide(&["viewer"]), Some(false));
}

// ---- limits: what the engine never sees, and how long it may take ----

fn nested(depth: usize) -> String {
    format!("package fuzz.deep\nx := {}1{}\n", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn a_deeply_nested_module_is_refused_at_once_and_the_repository_keeps_its_revision() {
    let repository = PolicyRepository::with_default_bundle().expect("default bundle");
    let before = repository.revision();
    let mut set = PolicySet::default_bundle();
    set.insert("fuzz/deep.rego", nested(22));
    let started = std::time::Instant::now();
    let error = repository.replace(set.clone()).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_millis(500), "took {:?}", started.elapsed());
    assert!(matches!(&error, PolicyError::TooComplex { path, .. } if path.contains("fuzz/deep.rego")), "{error}");
    assert_eq!(repository.revision(), before);
    assert!(matches!(run_tests(&set), Err(PolicyError::TooComplex { .. })));
    assert!(matches!(eval(&set, None, "data.fuzz"), Err(PolicyError::TooComplex { .. })));
    let deep_query = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    assert!(matches!(eval(&PolicySet::default_bundle(), None, &deep_query), Err(PolicyError::TooComplex { .. })));
}

#[test]
fn a_module_within_the_nesting_limit_but_slow_to_compile_is_cut_by_the_deadline() {
    // The engine's time doubles per level: 16 levels take about a second in a debug build.
    let limits = vigil_policy::PolicyLimits { timeout: std::time::Duration::from_millis(10), ..Default::default() };
    let set = PolicySet::from_modules([("slow.rego", nested(16))]);
    let started = std::time::Instant::now();
    let error = CompiledPolicies::compile_with(set.clone(), &limits).unwrap_err();
    assert!(matches!(error, PolicyError::Timeout { .. }), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_millis(500), "took {:?}", started.elapsed());
    assert!(matches!(vigil_policy::run_tests_with(&set, &limits), Err(PolicyError::Timeout { .. })));
    // A shallow module compiles well within the default deadline.
    CompiledPolicies::compile(PolicySet::from_modules([("ok.rego", nested(4))])).expect("compiles");
}

#[test]
fn from_dir_refuses_file_names_outside_the_path_grammar() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("with space.rego"), "package p\n\nanswer := 42\n").expect("write");
    assert!(matches!(PolicySet::from_dir(dir.path()), Err(PolicyError::InvalidPath { .. })));
}
