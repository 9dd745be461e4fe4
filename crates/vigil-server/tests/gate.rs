//! The command gate, policies, decision records, tokens and the audit log, through the API.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{HOST_ID, Server, fixture};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil_gate::principal::PrincipalKind;

async fn audit_records(s: &Server) -> Vec<Value> {
    let size = s.app.audit.tree_size();
    let mut records = Vec::new();
    for i in 0..size {
        let record = s.app.audit.record(i).await.unwrap().unwrap();
        records.push(json!({ "kind": record.kind, "body": record.body().unwrap() }));
    }
    records
}

#[tokio::test]
async fn reads_need_a_valid_token_and_return_their_decision_id() {
    let s = Server::start().await;
    let anonymous = s.send(Request::get("/api/v1/hosts").body(Body::empty()).unwrap()).await;
    assert_eq!(anonymous.0, StatusCode::UNAUTHORIZED);
    assert!(anonymous.1["message"].as_str().unwrap().contains("Bearer"));
    assert_eq!(s.get_as("/api/v1/hosts", "vgt_nope_nope").await.0, StatusCode::UNAUTHORIZED);

    let viewer = Server::token_for(&s.app, "viewer").await;
    let response = s.app.router().oneshot_get("/api/v1/hosts", &viewer).await;
    assert_eq!(response.0, StatusCode::OK);
    let decision_id = response.1.expect("a Vigil-Decision-Id header");
    let (_, decisions) = s.get("/api/v1/decisions?limit=1000&result=allow").await;
    assert!(
        decisions["items"].as_array().unwrap().iter().any(|d| d["decision_id"] == decision_id.as_str()),
        "the returned decision id is recorded"
    );

    // Revoked and expired tokens stop working.
    let id = viewer.split('_').nth(1).unwrap();
    vigil_gate::tokens::revoke(&s.app.db, id, chrono::Utc::now()).await.unwrap();
    assert_eq!(s.get_as("/api/v1/hosts", &viewer).await.0, StatusCode::UNAUTHORIZED);
    let expires = chrono::Utc::now() + chrono::Duration::milliseconds(300);
    let (short, _) = vigil_gate::tokens::create(
        &s.app.db,
        "short",
        PrincipalKind::Service,
        "viewer",
        Some(expires),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(s.get_as("/api/v1/hosts", &short).await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(s.get_as("/api/v1/hosts", &short).await.0, StatusCode::UNAUTHORIZED);
}

/// `oneshot` a GET and return the status and the decision header.
trait OneshotGet {
    async fn oneshot_get(self, uri: &str, token: &str) -> (StatusCode, Option<String>);
}

impl OneshotGet for axum::Router {
    async fn oneshot_get(self, uri: &str, token: &str) -> (StatusCode, Option<String>) {
        use tower::ServiceExt;
        let request = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        let response = self.oneshot(request).await.unwrap();
        let header = response.headers().get("vigil-decision-id").map(|v| v.to_str().unwrap().to_owned());
        (response.status(), header)
    }
}

#[tokio::test]
async fn the_default_bundle_is_published_as_events_at_first_start() {
    let s = Server::start().await;
    let (_, page) = s.get("/api/v1/events?type=PolicyPublished&limit=100").await;
    let published = page["items"].as_array().unwrap();
    assert!(!published.is_empty());
    for event in published {
        assert_eq!(event["data"]["author"], "default bundle");
        let source = event["data"]["source"].as_str().unwrap();
        assert_eq!(event["data"]["sha256"], hex::encode(Sha256::digest(source.as_bytes())));
    }
    let (_, policies) = s.get("/api/v1/policies").await;
    assert_eq!(policies["items"].as_array().unwrap().len(), published.len());
    let s = s.restart().await;
    let (_, page) = s.get("/api/v1/events?type=PolicyPublished&limit=100").await;
    assert_eq!(page["items"].as_array().unwrap().len(), published.len(), "a restart publishes nothing again");
}

#[tokio::test]
async fn only_admins_publish_policies_and_a_policy_that_does_not_compile_is_refused() {
    let s = Server::start().await;
    let module = json!({ "path": "extra.rego", "source": "package vigil.extra\n\nanswer := 42\n" });
    for role in ["viewer", "operator"] {
        let token = Server::token_for(&s.app, role).await;
        let (status, body) = s.post_as("/api/v1/policies", &token, module.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        assert_eq!(body["code"], "forbidden");
        assert!(body["message"].as_str().unwrap().starts_with("denied: "), "{body}");
    }
    let revision = s.get("/api/v1/policies").await.1["revision"].clone();

    let broken = json!({ "path": "broken.rego", "source": "package vigil.broken\n\nallow if {\n" });
    let (status, body) = s.post_as("/api/v1/policies", &s.token, broken).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("does not compile"), "{body}");
    assert_eq!(s.get("/api/v1/policies").await.1["revision"], revision, "the running revision stays");

    let (status, body) = s.post_as("/api/v1/policies", &s.token, module.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_ne!(body["revision"], revision);
    let (_, policies) = s.get("/api/v1/policies").await;
    let extra = policies["items"].as_array().unwrap().iter().find(|p| p["path"] == "extra.rego").cloned().unwrap();
    assert_eq!(extra["version"], 1);
    assert_eq!(extra["sha256"], hex::encode(Sha256::digest(module["source"].as_str().unwrap().as_bytes())));
    let (status, again) = s.post_as("/api/v1/policies", &s.token, module).await;
    assert_eq!(
        (status, again["events"].clone()),
        (StatusCode::OK, json!(0)),
        "republishing the same source records nothing"
    );

    let (status, _) = s.post_as("/api/v1/policies/extra.rego/retire", &s.token, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, policies) = s.get("/api/v1/policies").await;
    assert!(policies["items"].as_array().unwrap().iter().all(|p| p["path"] != "extra.rego"));
    let (_, retired) = s.get("/api/v1/events?type=PolicyRetired").await;
    assert_eq!(retired["items"][0]["data"]["path"], "extra.rego");
    let (status, _) = s.post_as("/api/v1/policies/extra.rego/retire", &s.token, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a retired policy cannot be retired again");
}

#[tokio::test]
async fn a_stricter_policy_denies_agents_with_its_reasons_and_nothing_is_stored() {
    let s = Server::start().await;
    let strict = r#"package vigil.authz

default allow := false

allow if "admin" in input.principal.roles

allow if input.principal.kind == "system"

reasons contains "agents are paused for maintenance" if input.principal.kind == "agent"
"#;
    let (status, body) =
        s.post_as("/api/v1/policies", &s.token, json!({ "path": "default/authz.rego", "source": strict })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().unwrap().contains("agents are paused for maintenance"), "{body}");
    assert!(s.events("type=HostRegistered").await.is_empty(), "a denied command reaches no aggregate");
    let (_, denied) = s.get(&format!("/api/v1/decisions?principal={HOST_ID}&result=deny")).await;
    let denied = denied["items"].as_array().unwrap();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["policy"], "vigil.authz");
    assert_eq!(denied[0]["input"]["command"]["type"], "SubmitDiscovery");
    assert_eq!(denied[0]["reasons"], json!(["agents are paused for maintenance"]));
}

#[tokio::test]
async fn every_command_event_and_authentication_failure_is_audited() {
    let s = Server::start().await;
    let (_, body) = s.collect(fixture("host_discovery.json")).await;
    let position = body["last_position"].as_u64().unwrap();
    assert!(s.app.wait_for_projection("audit", position, Duration::from_secs(10)).await);
    let _ = s.get_as("/api/v1/hosts", "vgt_wrong_token").await;

    let records = audit_records(&s).await;
    let command = records
        .iter()
        .find(|r| r["kind"] == "command" && r["body"]["command"] == "RegisterHost")
        .expect("the RegisterHost command is audited");
    assert_eq!(command["body"]["principal"]["kind"], "agent");
    assert_eq!(command["body"]["principal"]["id"], HOST_ID);
    assert_eq!(command["body"]["allowed"], true);
    let decision_id = command["body"]["decision_id"].as_str().unwrap();
    let (_, decisions) = s.get(&format!("/api/v1/decisions?principal={HOST_ID}")).await;
    assert!(decisions["items"].as_array().unwrap().iter().any(|d| d["decision_id"] == decision_id));

    let event = records
        .iter()
        .find(|r| r["kind"] == "event" && r["body"]["type"] == "HostRegistered")
        .expect("the event is audited");
    assert_eq!(event["body"]["subject"], HOST_ID);
    let failure = records.iter().find(|r| r["kind"] == "auth_failure").expect("the failed authentication is audited");
    assert_eq!(failure["body"]["credential"], "token");
    assert_eq!(failure["body"]["path"], "/api/v1/hosts");
}

#[tokio::test]
async fn audit_proofs_from_the_api_verify_independently() {
    let s = Server::start().await;
    for n in 0..6u128 {
        let mut discovery: Value = serde_json::from_str(&fixture("host_discovery.json")).unwrap();
        discovery["agent_id"] = json!(uuid::Uuid::from_u128(n + 1).to_string());
        s.collect(discovery.to_string()).await;
    }
    let head = *vigil_kernel::store::EventStore::head(s.app.store.as_ref()).borrow();
    assert!(s.app.wait_for_projection("audit", head, Duration::from_secs(10)).await);
    let first = s.app.audit.sign_head(chrono::Utc::now()).await.unwrap();
    s.collect(fixture("host_discovery.json")).await;
    s.app.audit.sign_head(chrono::Utc::now()).await.unwrap();

    let (status, latest) = s.get("/api/v1/audit/head").await;
    assert_eq!(status, StatusCode::OK, "{latest}");
    let size = latest["signed_head"]["tree_size"].as_u64().unwrap();
    let root = decode(&latest["signed_head"]["root_hash"]);
    assert!(size > first.tree_size);
    for index in [0, 1, size / 2, size - 1] {
        let (_, record) = s.get(&format!("/api/v1/audit/records/{index}")).await;
        let leaf = hash(&[&[0u8][..], record["record"].as_str().unwrap().as_bytes()]);
        assert_eq!(hex::encode(leaf), record["leaf_hash"], "the leaf hash is RFC 6962's");
        let (_, proof) = s.get(&format!("/api/v1/audit/proofs/inclusion?index={index}&tree_size={size}")).await;
        let path: Vec<[u8; 32]> = proof["proof"].as_array().unwrap().iter().map(decode).collect();
        assert!(verify_inclusion(leaf, index, size, &path, root), "inclusion of {index} in {size}");
        assert!(!verify_inclusion(leaf, index, size, &path, hash(&[b"other"])), "a wrong root fails");
    }
    let (_, proof) = s.get(&format!("/api/v1/audit/proofs/consistency?first={}&second={size}", first.tree_size)).await;
    let path: Vec<[u8; 32]> = proof["proof"].as_array().unwrap().iter().map(decode).collect();
    let first_root = decode(&json!(first.root_hash));
    assert!(verify_consistency(first.tree_size, size, first_root, root, &path));
    assert!(!verify_consistency(first.tree_size, size, hash(&[b"forged"]), root, &path));
    assert_eq!(
        s.get(&format!("/api/v1/audit/proofs/inclusion?index={size}&tree_size={size}")).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_policy_directory_is_published_and_a_broken_file_is_not() {
    let policies = tempfile::tempdir().unwrap();
    std::fs::write(policies.path().join("extra.rego"), "package vigil.extra\n\nanswer := 1\n").unwrap();
    let dir = policies.path().to_owned();
    let s = Server::start_with(move |c| c.policy_dir = Some(dir)).await;
    let find =
        |policies: &Value| policies["items"].as_array().unwrap().iter().find(|p| p["path"] == "extra.rego").cloned();
    let started = Instant::now();
    let published = loop {
        if let Some(p) = find(&s.get("/api/v1/policies").await.1) {
            break p;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the directory's policy was never published");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(published["author"].as_str().unwrap().starts_with("directory:"));
    let revision = s.get("/api/v1/policies").await.1["revision"].clone();
    std::fs::write(policies.path().join("extra.rego"), "package vigil.extra\n\nanswer := \n").unwrap();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let (_, now) = s.get("/api/v1/policies").await;
    assert_eq!(now["revision"], revision, "a broken file never replaces the running revision");
    assert_eq!(find(&now).unwrap()["version"], 1);
}

fn decode(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap()).unwrap().try_into().unwrap()
}

fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn node(left: [u8; 32], right: [u8; 32]) -> [u8; 32] {
    hash(&[&[1u8][..], &left, &right])
}

/// RFC 9162 §2.1.3.2, written here from the RFC, independently of the audit crate.
fn verify_inclusion(leaf: [u8; 32], index: u64, size: u64, proof: &[[u8; 32]], root: [u8; 32]) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node(*p, r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node(r, *p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == root
}

/// RFC 9162 §2.1.4.2, likewise.
fn verify_consistency(
    first: u64,
    second: u64,
    first_root: [u8; 32],
    second_root: [u8; 32],
    proof: &[[u8; 32]],
) -> bool {
    if proof.is_empty() || first == 0 || first >= second {
        return false;
    }
    let mut path = proof.to_vec();
    if first.is_power_of_two() {
        path.insert(0, first_root);
    }
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node(*c, fr);
            sr = node(*c, sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node(sr, *c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == first_root && sr == second_root && s == 0
}

#[tokio::test]
async fn sla_violations_and_their_end_become_events() {
    let s = Server::start_with(|c| {
        c.sla_interval = Duration::from_millis(100);
        c.heartbeat_interval = Duration::from_millis(200);
        c.heartbeat_allowed_missed = 0;
        c.heartbeat_tolerance = Duration::from_millis(100);
    })
    .await;
    let sla = r#"package vigil.sla

violations contains v if {
	some h in input.hosts
	h.heartbeat == "critical"
	v := {"id": sprintf("heartbeat/%s", [h.id]), "subject": h.id, "policy": "heartbeat", "message": sprintf("%s stopped sending heartbeats", [h.hostname])}
}
"#;
    let (status, body) =
        s.post_as("/api/v1/policies", &s.token, json!({ "path": "default/sla.rego", "source": sla })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    s.collect(fixture("host_discovery.json")).await;
    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NO_CONTENT);

    let violated = first_event(&s, "SlaViolated").await;
    assert_eq!(violated["data"]["id"], format!("heartbeat/{HOST_ID}"));
    assert_eq!(violated["data"]["subject"], HOST_ID);
    assert_eq!(violated["data"]["message"], "suse stopped sending heartbeats");
    let (_, decisions) = s.get("/api/v1/decisions?policy=vigil.sla&limit=5").await;
    assert!(!decisions["items"].as_array().unwrap().is_empty(), "SLA evaluations are decision records");

    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NO_CONTENT);
    let restored = first_event(&s, "SlaRestored").await;
    assert_eq!(restored["data"]["id"], format!("heartbeat/{HOST_ID}"));
    let (_, violations) = s.get("/api/v1/events?type=SlaViolated").await;
    assert_eq!(violations["items"].as_array().unwrap().len(), 1, "a continuing violation is reported once");
}

/// The first stored event of `event_type`, waiting up to 15 s for it.
async fn first_event(s: &Server, event_type: &str) -> Value {
    let started = Instant::now();
    loop {
        let (_, page) = s.get(&format!("/api/v1/events?type={event_type}")).await;
        if let Some(e) = page["items"].as_array().unwrap().first() {
            return e.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no {event_type}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn nested_module(depth: usize) -> String {
    format!("package fuzz.deep\nx := {}1{}\n", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test]
async fn a_deeply_nested_policy_is_refused_at_once_and_the_server_keeps_answering() {
    let s = Server::start().await;
    let revision = s.get("/api/v1/policies").await.1["revision"].clone();
    let deep = json!({ "path": "fuzz/deep.rego", "source": nested_module(22) });
    let started = Instant::now();
    let (status, body) = s.post_as("/api/v1/policies", &s.token, deep).await;
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "unprocessable");
    assert!(body["message"].as_str().unwrap().contains("nest 22 deep"), "{body}");

    let after = tokio::time::timeout(Duration::from_secs(5), s.get("/api/v1/policies")).await.expect("answers");
    assert_eq!(after.0, StatusCode::OK);
    assert_eq!(after.1["revision"], revision, "the running revision stays");
    assert!(after.1["items"].as_array().unwrap().iter().all(|p| p["path"] != "fuzz/deep.rego"));
    let health = tokio::time::timeout(Duration::from_secs(5), s.get("/healthz")).await.expect("answers");
    assert_eq!(health.0, StatusCode::OK);
    let fine = json!({ "path": "fuzz/fine.rego", "source": nested_module(3) });
    assert_eq!(s.post_as("/api/v1/policies", &s.token, fine).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_policy_slow_to_compile_is_cut_by_the_configured_deadline() {
    let s = Server::start_with(|c| c.policy_compile_timeout = Duration::from_millis(20)).await;
    let revision = s.get("/api/v1/policies").await.1["revision"].clone();
    // Within the nesting limit, but the engine's time doubles per level: ~1 s in debug.
    let slow = json!({ "path": "fuzz/slow.rego", "source": nested_module(16) });
    let started = Instant::now();
    let (status, body) = s.post_as("/api/v1/policies", &s.token, slow).await;
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("did not finish within"), "{body}");
    let (status, now) = s.get("/api/v1/policies").await;
    assert_eq!((status, &now["revision"]), (StatusCode::OK, &revision));
}

#[tokio::test]
async fn bad_policy_paths_are_refused() {
    let s = Server::start().await;
    let source = "package vigil.extra\n\nanswer := 42\n";
    let long = format!("{}.rego", "a".repeat(5000));
    for path in ["../../etc/passwd", "../../etc/passwd.rego", "/abs.rego", "", "nul\0.rego", "a//b.rego", &long] {
        let (status, body) = s.post_as("/api/v1/policies", &s.token, json!({ "path": path, "source": source })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path:?}: {body}");
        assert_eq!(body["code"], "unprocessable");
        assert!(body["message"].as_str().unwrap().contains("invalid policy path"), "{body}");
        assert!(body["message"].as_str().unwrap().len() < 400, "the path is quoted shortened: {body}");
    }
    let (_, policies) = s.get("/api/v1/policies").await;
    assert!(policies["items"].as_array().unwrap().iter().all(|p| !p["path"].as_str().unwrap().contains("..")));
}

#[tokio::test]
async fn a_deeply_nested_file_in_the_policy_directory_is_refused_and_its_neighbours_published() {
    let policies = tempfile::tempdir().unwrap();
    std::fs::write(policies.path().join("deep.rego"), nested_module(22)).unwrap();
    std::fs::write(policies.path().join("extra.rego"), "package vigil.extra\n\nanswer := 1\n").unwrap();
    let dir = policies.path().to_owned();
    let s = Server::start_with(move |c| c.policy_dir = Some(dir)).await;
    let started = Instant::now();
    loop {
        let (_, now) = s.get("/api/v1/policies").await;
        if now["items"].as_array().unwrap().iter().any(|p| p["path"] == "extra.rego") {
            assert!(now["items"].as_array().unwrap().iter().all(|p| p["path"] != "deep.rego"));
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the directory's good policy was never published");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(s.get("/healthz").await.0, StatusCode::OK);
}
