//! The HTTP API through the real router (no socket), on a real SQLite file.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{HOST_ID, Server, fixture, fixtures};
use serde_json::{Value, json};
use vigil_server::app::App;
use vigil_server::config::ServerConfig;

#[tokio::test]
async fn a_host_discovery_registers_the_host_and_the_read_model_shows_it() {
    let s = Server::start().await;
    let (status, body) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "applied");
    assert_eq!(body["events"], 1);
    s.settle(&body["last_position"]).await;

    let (status, host) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(status, StatusCode::OK, "{host}");
    assert_eq!(host["id"], HOST_ID);
    assert_eq!(host["hostname"], "suse");
    assert_eq!(host["ip_addresses"], json!(["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]));
    assert_eq!(host["agent_version"], "0.1.0");
    assert_eq!(host["os_version"], "15-SP2");
    assert_eq!(host["cpu_count"], 2);
    assert_eq!(host["total_memory_mb"], 4096);
    assert_eq!(host["heartbeat"], "unknown");
    assert_eq!(host["last_heartbeat_timestamp"], Value::Null);

    let (_, page) = s.get("/api/v1/hosts").await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["hostname"], "suse");
    let (_, none) = s.get("/api/v1/hosts?hostname=other").await;
    assert_eq!(none["total"], 0);

    let events = s.events("").await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["specversion"], "1.0");
    assert_eq!(e["type"], "HostRegistered");
    assert_eq!(e["subject"], HOST_ID);
    assert_eq!(e["streamid"], format!("host-{HOST_ID}"));
    assert_eq!(e["streamversion"], 1);
    assert_eq!(e["datacontenttype"], "application/json");
    assert_eq!(e["data"]["hostname"], "suse");
    assert!(chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn the_same_discovery_twice_adds_no_events_even_across_a_restart() {
    let s = Server::start().await;
    let (_, first) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(first["events"], 1);
    let (status, again) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(again["status"], "unchanged");
    assert_eq!(again["events"], 0);

    let s = s.restart().await;
    let (status, after_restart) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{after_restart}");
    assert_eq!(after_restart["events"], 0);
    assert_eq!(s.events("").await.len(), 1);
    // Unchanged resends are not logged again.
    let (_, log) = s.get("/api/v1/discoveries").await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_changed_discovery_updates_the_host() {
    let s = Server::start().await;
    s.collect(fixture("host_discovery.json")).await;
    let mut changed: Value = serde_json::from_str(&fixture("host_discovery.json")).unwrap();
    changed["payload"]["hostname"] = json!("suse-renamed");
    let (_, body) = s.collect(changed.to_string()).await;
    assert_eq!(body["events"], 1);
    s.settle(&body["last_position"]).await;
    let (_, host) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(host["hostname"], "suse-renamed");
    let types: Vec<Value> = s.events("").await.iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, [json!("HostRegistered"), json!("HostDetailsUpdated")]);
}

#[tokio::test]
async fn wrong_or_missing_keys_are_refused_with_401() {
    let s = Server::start().await;
    let missing = Request::post("/api/v1/collect").body(Body::from(fixture("host_discovery.json"))).unwrap();
    let (status, body) = s.send(missing).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("X-Trento-Apikey"));
    let wrong = Request::post("/api/v1/collect")
        .header("x-trento-apikey", "vigil_not-the-key")
        .body(Body::from(fixture("host_discovery.json")))
        .unwrap();
    assert_eq!(s.send(wrong).await.0, StatusCode::UNAUTHORIZED);
    let heartbeat = Request::post(format!("/api/v1/hosts/{HOST_ID}/heartbeat")).body(Body::empty()).unwrap();
    assert_eq!(s.send(heartbeat).await.0, StatusCode::UNAUTHORIZED);
    assert!(s.events("").await.is_empty(), "nothing may be stored for a refused request");
}

#[tokio::test]
async fn a_rotated_key_replaces_the_old_one_on_a_running_server() {
    let s = Server::start().await;
    let new_key = vigil_discovery::keys::rotate(&s.app.db, s.dir.path()).await.unwrap();
    assert_ne!(new_key, s.key);
    // The server re-reads the stored hash at most once a second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(s.collect(fixture("host_discovery.json")).await.0, StatusCode::UNAUTHORIZED);
    let request = Request::post("/api/v1/collect")
        .header("x-trento-apikey", &new_key)
        .body(Body::from(fixture("host_discovery.json")))
        .unwrap();
    assert_eq!(s.send(request).await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let s = Server::start_with(|c| c.max_body_bytes = 1024).await;
    let mut big: Value = serde_json::from_str(&fixture("host_discovery.json")).unwrap();
    big["payload"]["padding"] = json!("x".repeat(4096));
    let (status, body) = s.collect(big.to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "payload_too_large");
    assert!(s.events("").await.is_empty());
}

#[tokio::test]
async fn bad_input_is_a_422_that_names_what_is_wrong() {
    let s = Server::start().await;
    let envelope = |agent: &str, ty: &str, payload: Value| {
        json!({"agent_id": agent, "discovery_type": ty, "payload": payload}).to_string()
    };
    let good_payload: Value =
        serde_json::from_str::<Value>(&fixture("host_discovery.json")).unwrap()["payload"].clone();
    let cases: Vec<(Body, &str)> = vec![
        (Body::from("{not json"), "body is not valid JSON"),
        (Body::from(vec![b'{', 0xff, 0xfe, b'}']), "body is not valid JSON"),
        (Body::from(r#"{"agent_id": "x"}"#), "missing field"),
        (
            Body::from(envelope(HOST_ID, "weather_discovery", good_payload.clone())),
            "discovery_type: unknown discovery type `weather_discovery`",
        ),
        (Body::from(envelope("not-a-uuid", "host_discovery", good_payload.clone())), "agent_id:"),
        (Body::from(envelope(HOST_ID, "host_discovery", json!({"hostname": "h"}))), "payload: missing field"),
        (Body::from(envelope(HOST_ID, "host_discovery", json!(null))), "payload:"),
        (Body::from(fixture("host_discovery_with_last_boot_timestamp_wrong.json")), "payload.last_boot_timestamp:"),
        (Body::from(fixture("host_discovery_with_prometheus_mode_invalid.json")), "payload.prometheus_mode:"),
    ];
    for (body, expected) in cases {
        let (status, response) = s.collect(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{expected}: {response}");
        assert_eq!(response["code"], "unprocessable");
        let message = response["message"].as_str().unwrap();
        assert!(message.contains(expected), "expected `{expected}` in `{message}`");
    }
    assert!(s.events("").await.is_empty(), "no bad input may produce events");
    // ...and the server still works.
    assert_eq!(s.collect(fixture("host_discovery.json")).await.0, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn every_host_fixture_is_accepted_or_refused_with_a_clear_422() {
    let s = Server::start().await;
    for entry in std::fs::read_dir(fixtures().join("discovery")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("host_discovery") {
            continue;
        }
        let (status, body) = s.collect(fixture(&name)).await;
        if name.contains("_wrong") || name.contains("_invalid") {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
            assert!(body["message"].as_str().unwrap().starts_with("payload."), "{name}: {body}");
        } else {
            assert_eq!(status, StatusCode::ACCEPTED, "{name}: {body}");
        }
    }
}

#[tokio::test]
async fn other_trento_discovery_types_are_accepted_and_logged() {
    let s = Server::start().await;
    let (status, body) = s.collect(fixture("cloud_discovery_azure.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (_, log) = s.get("/api/v1/discoveries?with_payload=true").await;
    let entry = &log["items"][0];
    assert_eq!(entry["discovery_type"], "cloud_discovery");
    assert_eq!(entry["status"], body["status"]);
    assert_eq!(entry["payload_hash"].as_str().unwrap().len(), 64);
    assert!(entry["payload"].is_object());
    assert_eq!(s.get("/api/v1/discoveries?status=bogus").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn heartbeats_of_unknown_hosts_are_404_and_of_known_ones_204() {
    let s = Server::start().await;
    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NOT_FOUND);
    assert_eq!(s.heartbeat("not-a-uuid").await, StatusCode::BAD_REQUEST);
    let (_, body) = s.collect(fixture("host_discovery.json")).await;
    s.settle(&body["last_position"]).await;
    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NO_CONTENT);
    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NO_CONTENT);
    let succeeded = s.events("type=HeartbeatSucceeded").await;
    assert_eq!(succeeded.len(), 1, "only the change to passing is an event");
    s.settle(&succeeded[0]["position"]).await;
    let (_, host) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(host["heartbeat"], "passing");
    assert!(chrono::DateTime::parse_from_rfc3339(host["last_heartbeat_timestamp"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn silent_hosts_fail_within_the_configured_window_and_recover_on_the_next_heartbeat() {
    // interval 200 ms × (1 missed + 1) + 100 ms tolerance = a 500 ms window.
    let s = Server::start_with(|c| {
        c.heartbeat_interval = Duration::from_millis(200);
        c.heartbeat_allowed_missed = 1;
        c.heartbeat_tolerance = Duration::from_millis(100);
    })
    .await;
    s.collect(fixture("host_discovery.json")).await;
    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NO_CONTENT);
    let last_beat = Instant::now();
    let failed = loop {
        let failed = s.events("type=HeartbeatFailed").await;
        if !failed.is_empty() {
            break failed;
        }
        assert!(last_beat.elapsed() < Duration::from_secs(10), "HeartbeatFailed never came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(last_beat.elapsed() >= Duration::from_millis(500), "failed before the window closed");
    assert_eq!(failed.len(), 1);
    s.settle(&failed[0]["position"]).await;
    let (_, host) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(host["heartbeat"], "critical");

    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NO_CONTENT);
    let succeeded = s.events("type=HeartbeatSucceeded").await;
    assert_eq!(succeeded.len(), 2);
    s.settle(&succeeded[1]["position"]).await;
    let (_, host) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(host["heartbeat"], "passing");
}

#[tokio::test]
async fn events_page_by_position_and_filter_by_subject() {
    let s = Server::start().await;
    assert!(s.head().await > 0, "the default policy bundle is published at first start");
    let mut discovery: Value = serde_json::from_str(&fixture("host_discovery.json")).unwrap();
    for n in 0..5 {
        discovery["agent_id"] = json!(uuid::Uuid::from_u128(n + 1).to_string());
        s.collect(discovery.to_string()).await;
    }
    let (_, first) = s.get(&format!("/api/v1/events?limit=2&after={}", s.head().await - 5)).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let after = first["next_after"].as_u64().unwrap();
    let (_, rest) = s.get(&format!("/api/v1/events?after={after}")).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
    assert_eq!(rest["next_after"], Value::Null);
    let subject = uuid::Uuid::from_u128(3).to_string();
    let one = s.events(&format!("subject={subject}")).await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["subject"], subject);
    assert_eq!(s.get("/api/v1/events?after=minus-one").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn health_readiness_metrics_and_unknown_routes() {
    let s = Server::start().await;
    assert_eq!(s.get("/healthz").await.0, StatusCode::OK);
    let (status, ready) = s.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert!(ready["projections"]["hosts"].is_u64());
    s.collect(fixture("host_discovery.json")).await;
    let (status, metrics) = s.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.as_str().unwrap().contains("vigil_ingest_discoveries_total"), "{metrics}");
    let (status, body) = s.get("/api/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    assert_eq!(s.get("/api/v1/hosts/not-a-uuid").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(s.get(&format!("/api/v1/hosts/{HOST_ID}x")).await.0, StatusCode::BAD_REQUEST);
    s.app.stop().await;
    let (status, body) = s.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let s = Server::start().await;
    let config = ServerConfig { data_dir: s.dir.path().to_owned(), ..Default::default() };
    let err = App::start(config).await.err().expect("the data dir is locked");
    assert!(err.to_string().contains("in use by another vigil process"), "{err}");
}

#[tokio::test]
async fn the_discovery_log_is_pruned_after_its_retention() {
    let s = Server::start().await;
    s.collect(fixture("host_discovery.json")).await;
    s.collect(fixture("cloud_discovery_aws.json")).await;
    let kept = s.app.discovery_log.prune(chrono::Utc::now() - chrono::Duration::hours(1), 1).await.unwrap();
    assert_eq!(kept, 0, "recent entries stay");
    let pruned = s.app.discovery_log.prune(chrono::Utc::now() + chrono::Duration::seconds(1), 1).await.unwrap();
    assert_eq!(pruned, 2, "old entries go, one batch at a time");
    let (_, log) = s.get("/api/v1/discoveries").await;
    assert!(log["items"].as_array().unwrap().is_empty());
}

// Regression: a host discovery with an extra field `1e999` was answered 202, and from then
// on every `GET /api/v1/discoveries?with_payload=true` answered 500 (a panic re-reading the
// stored payload). It is refused at ingest now, naming the field, and nothing is stored.
#[tokio::test]
async fn a_number_no_reader_can_hold_is_refused_at_ingest_naming_the_field() {
    let s = Server::start().await;
    let mut discovery: Value = serde_json::from_str(&fixture("host_discovery.json")).unwrap();
    let before = s.head().await;
    let text = discovery.to_string().replacen("\"payload\":{", "\"payload\":{\"x_unknown\":1e999,", 1);
    assert!(text.contains("1e999"), "the fixture has a payload object");
    let (status, body) = s.collect(text).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("payload.x_unknown") && message.contains("out of range"), "{message}");
    assert_eq!(s.head().await, before, "nothing is stored for a refused discovery");
    let (status, log) = s.get("/api/v1/discoveries?with_payload=true").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    // The same document with a representable number is taken.
    discovery["payload"]["x_unknown"] = serde_json::json!(1e300);
    assert_eq!(s.collect(discovery.to_string()).await.0, StatusCode::ACCEPTED);
}

// Regression: one stored row that no longer decodes made the whole discovery log listing
// fail. It is listed with a marker in place of its payload, and the others as they are.
#[tokio::test]
async fn a_stored_discovery_that_does_not_decode_is_listed_with_a_marker() {
    let s = Server::start().await;
    assert_eq!(s.collect(fixture("host_discovery.json")).await.0, StatusCode::ACCEPTED);
    assert_eq!(s.collect(fixture("cloud_discovery_azure.json")).await.0, StatusCode::ACCEPTED);
    let (_, log) = s.get("/api/v1/discoveries?with_payload=true").await;
    let corrupted_id = log["items"][0]["id"].as_i64().unwrap();
    let db = rusqlite::Connection::open(s.dir.path().join("vigil.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let changed =
        db.execute("UPDATE discovery_log SET payload = '{\"truncated\": [1, 2' WHERE id = ?1", [corrupted_id]).unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let (status, log) = s.get("/api/v1/discoveries?with_payload=true").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{log}");
    let bad = items.iter().find(|e| e["id"] == corrupted_id).unwrap();
    assert!(bad["payload"].is_null(), "{bad}");
    assert!(bad["payload_error"].as_str().unwrap().contains("does not decode"), "{bad}");
    let good = items.iter().find(|e| e["id"] != corrupted_id).unwrap();
    assert!(good["payload"].is_object() && good["payload_error"].is_null(), "{good}");
}

/// The hostile requests of issue #18, one after the other against one server holding an
/// accepted landscape: each gets a 4xx, never a 5xx, and afterwards every listing still
/// answers and nothing accepted is lost.
#[tokio::test]
async fn the_hostile_requests_of_the_review_get_only_4xx_and_lose_nothing() {
    let s = Server::start().await;
    let (status, accepted) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    s.settle(&accepted["last_position"]).await;
    let events_before = s.events("").await.len();

    let post = |uri: &str, body: Body| {
        Request::post(uri)
            .header("authorization", format!("Bearer {}", s.token))
            .header("content-type", "application/json")
            .body(body)
            .unwrap()
    };
    let huge_number =
        fixture("host_discovery.json").replacen("\"payload\": {", "\"payload\": {\"x_unknown\": 1e999, ", 1);
    assert!(huge_number.contains("1e999"), "the fixture's payload object is where the test expects it");
    let deep = format!("package fuzz.deep\nx := {}1{}", "[".repeat(22), "]".repeat(22));
    let policy = |path: &str, source: &str| Body::from(json!({"path": path, "source": source}).to_string());
    let mut requests: Vec<(&str, Request<Body>)> = vec![
        ("a number no reader holds", {
            let mut r = post("/api/v1/collect", Body::from(huge_number));
            r.headers_mut().insert("x-trento-apikey", s.key.parse().unwrap());
            r
        }),
        ("JSON nested 200 deep", {
            let nested = format!("{}1{}", "[".repeat(200), "]".repeat(200));
            let body =
                format!(r#"{{"agent_id": "{HOST_ID}", "discovery_type": "host_discovery", "payload": {nested}}}"#);
            let mut r = post("/api/v1/collect", Body::from(body));
            r.headers_mut().insert("x-trento-apikey", s.key.parse().unwrap());
            r
        }),
        ("a module nesting 22 deep", post("/api/v1/policies", policy("fuzz/deep.rego", &deep))),
        ("a path out of the set", post("/api/v1/policies", policy("../../etc/passwd", "package x"))),
        ("an absolute path", post("/api/v1/policies", policy("/abs.rego", "package x"))),
        ("an empty path", post("/api/v1/policies", policy("", "package x"))),
        ("a NUL in the path", post("/api/v1/policies", policy("a\u{0}b.rego", "package x"))),
        ("a 5,000-character path", post("/api/v1/policies", policy(&"a".repeat(5000), "package x"))),
        ("invalid UTF-8", post("/api/v1/policies", Body::from(vec![b'{', 0xff, b'}']))),
        ("malformed JSON", post("/api/v1/hosts/00000000-0000-4000-8000-000000000000/tags", Body::from("{\"value\":"))),
    ];
    for uri in [
        "/api/v1/hosts?min_position=abc",
        "/api/v1/hosts?min_position=99999999999",
        "/api/v1/hosts?health=sick",
        "/api/v1/clusters?heartbeat=maybe",
        "/api/v1/hosts/not-a-uuid",
        "/api/v1/audit/records/-1",
        "/api/v1/events?after=99999999999999999999",
    ] {
        requests.push((
            uri,
            Request::get(uri).header("authorization", format!("Bearer {}", s.token)).body(Body::empty()).unwrap(),
        ));
    }
    for (what, request) in requests {
        let (status, body) = s.send(request).await;
        assert!(status.is_client_error(), "{what}: {status} {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: says what is wrong: {body}");
    }

    for uri in ["/api/v1/hosts", "/api/v1/discoveries?with_payload=true", "/api/v1/events", "/api/v1/policies"] {
        let (status, body) = s.get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    }
    let (_, host) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(host["hostname"], "suse", "the accepted host is still there: {host}");
    assert_eq!(s.events("").await.len(), events_before, "no hostile request stored an event");
}
