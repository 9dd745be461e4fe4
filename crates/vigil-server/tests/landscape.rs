//! The landscape's life after registration, through the API: staleness after a lost
//! heartbeat, deregistration, tags, absent instances, parked discoveries, the health
//! overview, filters and rebuilt read models. Expected values come from reading the
//! scenario payloads (see `scenarios.rs` for what each scenario holds).

mod common;
mod replaying;

use std::time::Duration;

use axum::http::StatusCode;
use common::Server;
use replaying::corpus::*;
use replaying::{TRENTO, delete_as, envelope, get_ok, items, landscape, replay, scenario_file, scenario_files, settle};
use serde_json::{Value, json};
use uuid::Uuid;

fn database_id(entry_id: &str) -> Uuid {
    Uuid::new_v5(&TRENTO, entry_id.as_bytes())
}

fn prd() -> Uuid {
    database_id(PRD_ENTRY)
}

fn ha1() -> Uuid {
    Uuid::new_v5(&prd(), b"PRD")
}

fn angi_cluster() -> Uuid {
    Uuid::new_v5(&TRENTO, ANGI_CLUSTER.as_bytes())
}

/// A token with `role`. Token ids are the first 16 hex digits of a UUIDv7, which two tokens
/// created within the same millisecond share (`tokens.rs`): wait a little first.
async fn token(s: &Server, role: &str) -> String {
    tokio::time::sleep(Duration::from_millis(3)).await;
    Server::token_for(&s.app, role).await
}

async fn replay_scenario(s: &Server, dir: &str) {
    replay(s, &scenario_files(dir), dir).await;
    settle(s).await;
}

async fn resend(s: &Server, dir: &str, agent_id: &str, discovery_type: &str) -> Value {
    let (status, body) = s.collect(envelope(&scenario_file(dir, agent_id, discovery_type))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

/// A discovery of `agent_id` with `payload`.
async fn collect(s: &Server, agent_id: &str, discovery_type: &str, payload: Value) -> Value {
    let body = json!({"agent_id": agent_id, "discovery_type": discovery_type, "payload": payload});
    let (status, body) = s.collect(body.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

#[tokio::test]
async fn heartbeat_loss_marks_everything_of_the_host_stale_until_its_next_discoveries() {
    // interval 200 ms × (1 missed + 1) + 100 ms tolerance: silent for 500 ms is lost.
    let s = Server::start_with(|c| {
        c.heartbeat_interval = Duration::from_millis(200);
        c.heartbeat_tolerance = Duration::from_millis(100);
    })
    .await;
    replay_scenario(&s, "hana-scale-up-angi").await;
    replay_scenario(&s, "single-hana-single-app").await;
    // vmangi01 is a cluster node with a HANA instance; trento-vmnetweaver01 runs HA1's
    // application instances.
    for host in [VMANGI01, NETWEAVER01] {
        assert_eq!(s.heartbeat(host).await, StatusCode::NO_CONTENT);
    }
    let started = std::time::Instant::now();
    loop {
        settle(&s).await;
        let stale = [VMANGI01, NETWEAVER01].len();
        let hosts = items(&s, "/api/v1/hosts?limit=100").await;
        if hosts.iter().filter(|h| !h["stale_at"].is_null()).count() == stale {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the hosts never went stale");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    settle(&s).await;

    let host = get_ok(&s, &format!("/api/v1/hosts/{VMANGI01}")).await;
    assert!(host["stale_at"].is_string(), "{host}");
    assert_eq!(host["heartbeat"], "critical");
    assert_eq!(host["health"], "passing", "a lost heartbeat does not change health");
    let other = get_ok(&s, &format!("/api/v1/hosts/{VMANGI02}")).await;
    assert_eq!(other["stale_at"], Value::Null, "a host that never sent heartbeats is not watched");
    let cluster = get_ok(&s, &format!("/api/v1/clusters/{}", angi_cluster())).await;
    let stale_members: Vec<(&str, bool)> = cluster["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["host_id"].as_str().unwrap(), h["stale"].as_bool().unwrap()))
        .collect();
    assert_eq!(stale_members, [(VMANGI02, false), (VMANGI01, true)]);
    let hn9 = get_ok(&s, &format!("/api/v1/databases/{}", database_id(HN9_ENTRY))).await;
    let stale_instances: Vec<(&str, bool)> = hn9["database_instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["host_id"].as_str().unwrap(), i["stale"].as_bool().unwrap()))
        .collect();
    assert_eq!(stale_instances, [(VMANGI02, false), (VMANGI01, true)]);
    let system = get_ok(&s, &format!("/api/v1/sap_systems/{}", ha1())).await;
    for instance in system["application_instances"].as_array().unwrap() {
        assert_eq!(instance["stale"], true, "{instance}");
    }
    let types: Vec<String> = s.events("").await.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    for stale in [
        "HostMarkedStale",
        "ClusterHostMarkedStale",
        "DatabaseInstanceDataMarkedStale",
        "ApplicationInstanceDataMarkedStale",
    ] {
        assert!(types.iter().any(|t| t == stale), "{stale} in {types:?}");
    }

    // The same discoveries as before bring everything back in sync: they are not skipped as
    // unchanged, since the ingest forgot the hosts' hashes.
    for discovery_type in ["host_discovery", "ha_cluster_discovery", "sap_system_discovery"] {
        let body = resend(&s, "hana-scale-up-angi", VMANGI01, discovery_type).await;
        assert_eq!(body["status"], "applied", "{discovery_type}: {body}");
    }
    for discovery_type in ["host_discovery", "sap_system_discovery"] {
        let body = resend(&s, "single-hana-single-app", NETWEAVER01, discovery_type).await;
        assert_eq!(body["status"], "applied", "{discovery_type}: {body}");
    }
    settle(&s).await;
    let host = get_ok(&s, &format!("/api/v1/hosts/{VMANGI01}")).await;
    assert_eq!(host["stale_at"], Value::Null);
    let cluster = get_ok(&s, &format!("/api/v1/clusters/{}", angi_cluster())).await;
    assert!(cluster["hosts"].as_array().unwrap().iter().all(|h| h["stale"] == false), "{cluster}");
    let hn9 = get_ok(&s, &format!("/api/v1/databases/{}", database_id(HN9_ENTRY))).await;
    assert!(hn9["database_instances"].as_array().unwrap().iter().all(|i| i["stale"] == false), "{hn9}");
    let system = get_ok(&s, &format!("/api/v1/sap_systems/{}", ha1())).await;
    assert!(system["application_instances"].as_array().unwrap().iter().all(|i| i["stale"] == false), "{system}");
    assert_eq!(get_ok(&s, &format!("/api/v1/hosts/{NETWEAVER01}")).await["stale_at"], Value::Null);
    // ...and once in sync, an unchanged discovery is skipped again.
    let body = resend(&s, "hana-scale-up-angi", VMANGI01, "host_discovery").await;
    assert_eq!(body["status"], "unchanged");
}

#[tokio::test]
async fn deregistration_is_refused_while_the_heartbeat_is_alive_then_takes_the_host_apart() {
    let s = Server::start_with(|c| {
        c.heartbeat_interval = Duration::from_millis(300);
        c.deregistration_debounce = Duration::from_millis(100);
    })
    .await;
    replay_scenario(&s, "single-hana-single-app").await;
    let viewer = token(&s, "viewer").await;
    let uri = format!("/api/v1/hosts/{HANA01}");

    assert_eq!(s.heartbeat(HANA01).await, StatusCode::NO_CONTENT);
    let (status, body) = delete_as(&s, &uri, &s.token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("still sending heartbeats"), "{message}");
    assert!(message.contains("can be deregistered from"), "{message}");
    let (status, body) = delete_as(&s, &uri, &viewer).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer may not deregister: {body}");
    let unknown = format!("/api/v1/hosts/{}", Uuid::from_u128(99));
    assert_eq!(delete_as(&s, &unknown, &s.token).await.0, StatusCode::NOT_FOUND);
    assert_eq!(delete_as(&s, "/api/v1/hosts/nope", &s.token).await.0, StatusCode::BAD_REQUEST);

    // last heartbeat + 300 ms interval + 100 ms debounce.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let (status, body) = delete_as(&s, &uri, &s.token).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "deregistration_requested");
    settle(&s).await;

    let host = get_ok(&s, &uri).await;
    assert!(host["deregistered_at"].is_string(), "{host}");
    let listed: Vec<Value> = items(&s, "/api/v1/hosts").await;
    assert_eq!(listed.len(), 1, "deregistered hosts are not listed");
    assert_eq!(listed[0]["id"], NETWEAVER01);
    assert_eq!(items(&s, "/api/v1/hosts?include_deregistered=true").await.len(), 2);
    // PRD lost its only instance, and HA1 its database.
    let database = get_ok(&s, &format!("/api/v1/databases/{}", prd())).await;
    assert!(database["deregistered_at"].is_string(), "{database}");
    assert_eq!(database["database_instances"], json!([]));
    assert!(items(&s, "/api/v1/databases").await.is_empty());
    let system = get_ok(&s, &format!("/api/v1/sap_systems/{}", ha1())).await;
    assert!(system["deregistered_at"].is_string(), "{system}");
    assert_eq!(system["application_instances"].as_array().unwrap().len(), 2);
    assert!(items(&s, "/api/v1/sap_systems").await.is_empty());
    assert_eq!(s.heartbeat(HANA01).await, StatusCode::NOT_FOUND, "a deregistered host is unknown");
    let types: Vec<String> = s.events("").await.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    for expected in [
        "HostDeregistrationRequested",
        "DatabaseInstanceDeregistered",
        "DatabaseDeregistered",
        "SapSystemDeregistered",
        "HostDeregistered",
    ] {
        assert!(types.iter().any(|t| t == expected), "{expected} in {types:?}");
    }

    // The host discovers again: it is restored, and so are its database and HA1.
    for discovery_type in ["host_discovery", "sap_system_discovery", "cloud_discovery"] {
        let body = resend(&s, "single-hana-single-app", HANA01, discovery_type).await;
        assert_eq!(body["status"], "applied", "{discovery_type}: {body}");
    }
    settle(&s).await;
    let host = get_ok(&s, &uri).await;
    assert_eq!(host["deregistered_at"], Value::Null);
    assert_eq!(host["provider"], "aws");
    let database = get_ok(&s, &format!("/api/v1/databases/{}", prd())).await;
    assert_eq!(database["deregistered_at"], Value::Null);
    assert_eq!(database["database_instances"].as_array().unwrap().len(), 1);
    let system = get_ok(&s, &format!("/api/v1/sap_systems/{}", ha1())).await;
    assert_eq!(system["deregistered_at"], Value::Null, "{system}");
    assert_eq!(system["health"], "passing");
}

#[tokio::test]
async fn a_cluster_whose_last_host_is_deregistered_is_deregistered() {
    let s = Server::start().await;
    replay_scenario(&s, "hana-scale-up-angi").await;
    // Neither host ever sent a heartbeat: nothing keeps them alive.
    let (status, body) = delete_as(&s, &format!("/api/v1/hosts/{VMANGI02}"), &s.token).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    settle(&s).await;
    let cluster = get_ok(&s, &format!("/api/v1/clusters/{}", angi_cluster())).await;
    assert_eq!(cluster["deregistered_at"], Value::Null);
    assert_eq!(cluster["hosts"].as_array().unwrap().len(), 1);
    let hn9 = get_ok(&s, &format!("/api/v1/databases/{}", database_id(HN9_ENTRY))).await;
    assert_eq!(hn9["deregistered_at"], Value::Null, "the primary remains");
    assert_eq!(hn9["database_instances"].as_array().unwrap().len(), 1);

    let (status, _) = delete_as(&s, &format!("/api/v1/hosts/{VMANGI01}"), &s.token).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    settle(&s).await;
    let cluster = get_ok(&s, &format!("/api/v1/clusters/{}", angi_cluster())).await;
    assert!(cluster["deregistered_at"].is_string(), "{cluster}");
    assert_eq!(cluster["hosts"], json!([]));
    assert!(items(&s, "/api/v1/clusters").await.is_empty());
    assert!(items(&s, "/api/v1/databases").await.is_empty());
    assert!(items(&s, "/api/v1/hosts").await.is_empty());
}

#[tokio::test]
async fn tags_are_trimmed_deduplicated_validated_and_filter_lists() {
    let s = Server::start().await;
    replay_scenario(&s, "single-hana-single-app").await;
    replay_scenario(&s, "hana-scale-up-angi").await;
    let viewer = token(&s, "viewer").await;
    let operator = token(&s, "operator").await;
    let host_tags = format!("/api/v1/hosts/{HANA01}/tags");

    let (status, body) = s.post_as(&host_tags, &operator, json!({"value": "  prod eu-1  "})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["value"], "prod eu-1");
    let (status, _) = s.post_as(&host_tags, &operator, json!({"value": "prod eu-1"})).await;
    assert_eq!(status, StatusCode::OK, "a duplicate is ignored");
    let host = get_ok(&s, &format!("/api/v1/hosts/{HANA01}")).await;
    assert_eq!(host["tags"], json!([{"value": "prod eu-1", "resource_id": HANA01, "resource_type": "host"}]));

    let long = "x".repeat(65);
    for (value, expected) in [
        (json!(""), "must not be empty"),
        (json!("   "), "must not be empty"),
        (json!(long), "at most 64 characters"),
        (json!("a/b"), "not `/`"),
        (json!("semi;colon"), "not `;`"),
    ] {
        let (status, body) = s.post_as(&host_tags, &operator, json!({ "value": value })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{value}: {body}");
        assert!(body["message"].as_str().unwrap().contains(expected), "{value}: {body}");
    }
    let (status, body) = s.post_as(&host_tags, &operator, json!({"tag": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = s.post_as(&host_tags, &viewer, json!({"value": "nope"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "viewers only read");
    let unknown = format!("/api/v1/hosts/{}/tags", Uuid::from_u128(5));
    assert_eq!(s.post_as(&unknown, &operator, json!({"value": "x"})).await.0, StatusCode::NOT_FOUND);

    // Every taggable kind, and the tag filter of every list.
    for (uri, list) in [
        (format!("/api/v1/clusters/{}/tags", angi_cluster()), "/api/v1/clusters"),
        (format!("/api/v1/databases/{}/tags", prd()), "/api/v1/databases"),
        (format!("/api/v1/sap_systems/{}/tags", ha1()), "/api/v1/sap_systems"),
    ] {
        let (status, body) = s.post_as(&uri, &operator, json!({"value": "critical-path"})).await;
        assert_eq!(status, StatusCode::CREATED, "{uri}: {body}");
        assert_eq!(items(&s, &format!("{list}?tag=critical-path")).await.len(), 1, "{list}");
        assert_eq!(items(&s, &format!("{list}?tag=other")).await.len(), 0, "{list}");
    }
    let tagged = items(&s, "/api/v1/hosts?tag=prod%20eu-1").await;
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0]["id"], HANA01);

    let (status, _) = delete_as(&s, &format!("{host_tags}/prod%20eu-1"), &viewer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = delete_as(&s, &format!("{host_tags}/prod%20eu-1"), &operator).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = delete_as(&s, &format!("{host_tags}/prod%20eu-1"), &operator).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(items(&s, "/api/v1/hosts?tag=prod%20eu-1").await.is_empty());

    // Tag changes are authorized and recorded like commands.
    let (_, decisions) = s.get("/api/v1/decisions?limit=1000").await;
    let tag_decisions: Vec<(&str, &str, bool)> = decisions["items"]
        .as_array()
        .unwrap()
        .iter()
        // SLA evaluations are decisions too, without a command.
        .filter(|d| d["input"]["command"]["type"].as_str().is_some_and(|t| t.ends_with("Tag")))
        .map(|d| {
            (
                d["input"]["command"]["type"].as_str().unwrap(),
                d["input"]["principal"]["roles"][0].as_str().unwrap(),
                d["allow"].as_bool().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("AddTag", "operator", true),
        ("AddTag", "viewer", false),
        ("RemoveTag", "operator", true),
        ("RemoveTag", "viewer", false),
    ] {
        assert!(tag_decisions.contains(&expected), "{expected:?} in {tag_decisions:?}");
    }
}

#[tokio::test]
async fn only_absent_instances_can_be_deleted() {
    let s = Server::start().await;
    replay_scenario(&s, "single-hana-single-app").await;
    let instance = |sap_system: Uuid, host: &str, nr: &str| {
        format!("/api/v1/sap_systems/{sap_system}/hosts/{host}/instances/{nr}")
    };
    let (status, body) = delete_as(&s, &instance(ha1(), NETWEAVER01, "01"), &s.token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().contains("is present"), "{body}");
    let database_instance = format!("/api/v1/databases/{}/hosts/{HANA01}/instances/00", prd());
    let (status, body) = delete_as(&s, &database_instance, &s.token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(delete_as(&s, &instance(ha1(), NETWEAVER01, "42"), &s.token).await.0, StatusCode::NOT_FOUND);

    // trento-vmnetweaver01 no longer runs HA1's PAS (01).
    let mut payload: Value =
        serde_json::from_str(&envelope(&scenario_file("single-hana-single-app", NETWEAVER01, "sap_system_discovery")))
            .unwrap();
    payload["payload"][0]["Instances"].as_array_mut().unwrap().remove(1);
    let (status, body) = s.collect(payload.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    settle(&s).await;
    let system = get_ok(&s, &format!("/api/v1/sap_systems/{}", ha1())).await;
    let absent: Vec<(&str, bool)> = system["application_instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["instance_number"].as_str().unwrap(), i["absent_at"].is_string()))
        .collect();
    assert_eq!(absent, [("00", false), ("01", true)]);

    let (status, body) = delete_as(&s, &instance(ha1(), NETWEAVER01, "01"), &s.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    settle(&s).await;
    // Without its ABAP instance HA1 is no longer a system.
    let (status, _) = s.get(&format!("/api/v1/sap_systems/{}", ha1())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(items(&s, "/api/v1/sap_systems").await.is_empty());

    // The HANA host no longer lists PRD: its instance turns absent and can go, and PRD with it.
    collect(&s, HANA01, "sap_system_discovery", json!([])).await;
    settle(&s).await;
    let (status, body) = delete_as(&s, &database_instance, &s.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    settle(&s).await;
    assert!(items(&s, "/api/v1/databases").await.is_empty());
    let host = get_ok(&s, &format!("/api/v1/hosts/{HANA01}")).await;
    assert_eq!(host["sap_workload_running"], false, "no instance runs on it any more");
}

#[tokio::test]
async fn a_discovery_waiting_for_a_database_that_never_comes_expires_into_discarded() {
    let s = Server::start_with(|c| c.parked_expiry = Duration::from_millis(300)).await;
    let files = scenario_files("sap-system-java");
    replay(&s, &files, "sap-system-java").await;
    let body = resend(&s, "sap-system-java", VMNWJAVA01, "sap_system_discovery").await;
    assert_eq!(body["status"], "parked", "{body}");
    let reason = body["reason"].as_str().unwrap();
    assert!(reason.contains("10.17.0.4") && reason.contains("HTJ"), "{reason}");
    let (_, parked) = s.get("/api/v1/discoveries?status=parked").await;
    let parked_sap_systems =
        parked["items"].as_array().unwrap().iter().filter(|e| e["discovery_type"] == "sap_system_discovery").count();
    assert_eq!(parked_sap_systems, 1, "logged once: {parked}");

    let started = std::time::Instant::now();
    let discarded = loop {
        let (_, discarded) = s.get("/api/v1/discoveries?status=discarded").await;
        let discarded = discarded["items"].as_array().unwrap().clone();
        if !discarded.is_empty() {
            break discarded;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the parked discovery never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(discarded.len(), 1);
    assert_eq!(discarded[0]["agent_id"], VMNWJAVA01);
    assert_eq!(discarded[0]["discovery_type"], "sap_system_discovery");
    let reason = discarded[0]["reason"].as_str().unwrap();
    assert!(reason.contains("expired") && reason.contains("HTJ"), "{reason}");
    assert!(s.app.ingest.parking().all().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_secondary_before_its_primary_is_parked_and_joins_when_the_primary_registers() {
    let s = Server::start().await;
    // vmangi02 is the HN9 secondary (mode sync, site ROT).
    let body = resend(&s, "hana-scale-up-angi", VMANGI02, "sap_system_discovery").await;
    assert_eq!(body["status"], "parked", "{body}");
    assert!(body["reason"].as_str().unwrap().contains("secondary"), "{body}");
    settle(&s).await;
    assert!(items(&s, "/api/v1/databases").await.is_empty());

    let body = resend(&s, "hana-scale-up-angi", VMANGI01, "sap_system_discovery").await;
    assert_eq!(body["status"], "applied", "{body}");
    settle(&s).await;
    let hn9 = get_ok(&s, &format!("/api/v1/databases/{}", database_id(HN9_ENTRY))).await;
    let roles: Vec<(&str, &str)> = hn9["database_instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["host_id"].as_str().unwrap(), i["system_replication"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [(VMANGI02, "Secondary"), (VMANGI01, "Primary")]);
    assert!(s.app.ingest.parking().all().await.unwrap().is_empty());
    let (_, log) = s.get(&format!("/api/v1/discoveries?agent_id={VMANGI02}")).await;
    let statuses: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["applied", "parked"], "newest first");
}

#[tokio::test]
async fn a_discovery_of_a_host_not_registered_yet_waits_for_it() {
    let s = Server::start().await;
    let body = resend(&s, "single-hana-single-app", HANA01, "cloud_discovery").await;
    assert_eq!(body["status"], "parked", "{body}");
    assert!(body["reason"].as_str().unwrap().contains("not registered"), "{body}");
    // Resent while waiting: evaluated again, but logged once.
    let body = resend(&s, "single-hana-single-app", HANA01, "cloud_discovery").await;
    assert_eq!(body["status"], "parked");
    let body = resend(&s, "single-hana-single-app", HANA01, "host_discovery").await;
    assert_eq!(body["status"], "applied");
    settle(&s).await;
    let host = get_ok(&s, &format!("/api/v1/hosts/{HANA01}")).await;
    assert_eq!(host["provider"], "aws");
    assert_eq!(host["provider_data"]["instance_type"], "r6i.xlarge");
    let (_, log) = s.get(&format!("/api/v1/discoveries?agent_id={HANA01}")).await;
    let entries: Vec<(&str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["discovery_type"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        entries,
        [("cloud_discovery", "applied"), ("host_discovery", "applied"), ("cloud_discovery", "parked"),]
    );
    // Once applied, the same payload is unchanged.
    let body = resend(&s, "single-hana-single-app", HANA01, "cloud_discovery").await;
    assert_eq!(body["status"], "unchanged");
}

#[tokio::test]
async fn the_health_overview_and_the_filters() {
    let s = Server::start().await;
    replay_scenario(&s, "single-hana-single-app").await;
    replay_scenario(&s, "hana-scale-up-cost-opt").await;

    let overview = items(&s, "/api/v1/sap_systems/health").await;
    assert_eq!(overview.len(), 1);
    let ha1_health = &overview[0];
    assert_eq!(ha1_health["id"], ha1().to_string());
    assert_eq!(ha1_health["sid"], "HA1");
    assert_eq!(ha1_health["sapsystem_health"], "passing");
    assert_eq!(ha1_health["database_id"], prd().to_string());
    assert_eq!(ha1_health["database_sid"], "PRD");
    assert_eq!(ha1_health["database_health"], "passing");
    assert_eq!(ha1_health["application_cluster_id"], Value::Null);
    assert_eq!(ha1_health["database_cluster_id"], Value::Null);
    // Both hosts run SAP workload without a saptune discovery: warning.
    assert_eq!(ha1_health["hosts_health"], "warning");
    let instances: Vec<(&str, &str, &str, &str)> = ha1_health["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap(),
                i["hostname"].as_str().unwrap(),
                i["instance_number"].as_str().unwrap(),
                i["health"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        instances,
        [
            ("application", "trento-vmnetweaver01", "00", "passing"),
            ("application", "trento-vmnetweaver01", "01", "passing"),
            ("database", "trento-hana01", "00", "passing"),
        ]
    );

    let sids =
        |list: Vec<Value>| -> Vec<String> { list.iter().map(|d| d["sid"].as_str().unwrap().to_owned()).collect() };
    assert_eq!(sids(items(&s, "/api/v1/databases").await), ["HDC", "PRD", "QAS"]);
    assert_eq!(sids(items(&s, "/api/v1/databases?sid=QAS").await), ["QAS"]);
    assert_eq!(sids(items(&s, "/api/v1/databases?health=critical").await), Vec::<String>::new());
    let page = get_ok(&s, "/api/v1/databases?limit=2&offset=1").await;
    assert_eq!(page["total"], 3);
    assert_eq!(sids(page["items"].as_array().unwrap().clone()), ["PRD", "QAS"]);
    assert_eq!(sids(items(&s, "/api/v1/sap_systems?sid=HA1").await), ["HA1"]);
    assert!(items(&s, "/api/v1/sap_systems?sid=NWP").await.is_empty());
    assert_eq!(items(&s, "/api/v1/clusters?type=hana_scale_up").await.len(), 1);
    assert!(items(&s, "/api/v1/clusters?type=ascs_ers").await.is_empty());
    assert_eq!(items(&s, "/api/v1/clusters?sid=HDC").await.len(), 1);
    let cost_opt_cluster = Uuid::new_v5(&TRENTO, b"81237d528fa520f993b5d6e1cd8e7138");
    let members = items(&s, &format!("/api/v1/hosts?cluster_id={cost_opt_cluster}")).await;
    assert_eq!(members.len(), 2);
    // The cost-optimized hosts run HANA and saptune says `not compliant`.
    assert_eq!(items(&s, "/api/v1/hosts?health=critical").await.len(), 2);
    assert_eq!(items(&s, "/api/v1/hosts?health=warning").await.len(), 2);
    for bad in [
        "/api/v1/hosts?health=green",
        "/api/v1/clusters?type=hana",
        "/api/v1/databases?limit=x",
        "/api/v1/hosts?cluster_id=nope",
    ] {
        assert_eq!(s.get(bad).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    for missing in [
        format!("/api/v1/clusters/{}", Uuid::from_u128(1)),
        format!("/api/v1/databases/{}", Uuid::from_u128(1)),
        format!("/api/v1/sap_systems/{}", Uuid::from_u128(1)),
    ] {
        assert_eq!(s.get(&missing).await.0, StatusCode::NOT_FOUND, "{missing}");
    }
    let viewer = token(&s, "viewer").await;
    assert_eq!(s.get_as("/api/v1/clusters", &viewer).await.0, StatusCode::OK);
    assert_eq!(s.get_as("/api/v1/clusters", "vgt_wrong").await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_read_model_rebuilds_to_what_it_was() {
    let s = Server::start().await;
    replay_scenario(&s, "single-hana-single-app").await;
    replay_scenario(&s, "hana-diskless-sbd").await;
    let before = landscape(&s).await;
    let Server { app, dir, .. } = s;
    let config = app.config.clone();
    app.stop().await;
    drop(app);
    {
        let _lock = vigil_server::app::lock_data_dir(dir.path()).unwrap();
        for name in vigil_server::app::read_model_names() {
            vigil_server::app::rebuild_projection(&config, name, |_, _| ())
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    let s = Server::start_in(dir, |_| ()).await;
    settle(&s).await;
    assert_eq!(landscape(&s).await, before);
}

/// One read-model row that no longer decodes (its stored JSON damaged) is left out of the
/// landscape lists, and every other row is still listed: one bad row never fails a list.
#[tokio::test]
async fn a_read_model_row_that_does_not_decode_is_left_out_of_the_list_not_fatal() {
    let s = Server::start().await;
    replay(&s, &scenario_files("single-hana-single-app"), "single-hana-single-app").await;
    settle(&s).await;
    let before = get_ok(&s, "/api/v1/hosts").await;
    assert_eq!(before["items"].as_array().unwrap().len(), 2, "{before}");

    let db = rusqlite::Connection::open(s.dir.path().join("vigil.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let changed = db.execute("UPDATE host_details SET details = '{\"cut\": ' WHERE id = ?1", [HANA01]).unwrap();
    assert_eq!(changed, 1);
    drop(db);

    let after = get_ok(&s, "/api/v1/hosts").await;
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the damaged row is left out: {after}");
    assert_eq!(items[0]["id"], NETWEAVER01, "{after}");
    // The other lists are not affected; the damaged host itself is a 503 that says what
    // failed to decode, not a panic or a dropped connection.
    get_ok(&s, "/api/v1/clusters").await;
    get_ok(&s, "/api/v1/databases").await;
    get_ok(&s, "/api/v1/sap_systems").await;
    let (status, body) = s.get(&format!("/api/v1/hosts/{HANA01}")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["message"].as_str().unwrap().contains("Conversion error"), "{body}");
}
