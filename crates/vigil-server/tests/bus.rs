//! The server with `[bus]` on, against a nats-server of the test's own: commands over NATS
//! answer what the HTTP API answers (401, 403, 404, 400, 422, 202, through the gate), and
//! the events they cause are in the JetStream stream.

mod common;
#[path = "../../vigil-bus/tests/support/mod.rs"]
mod support;

use std::time::Duration;

use async_nats::HeaderMap;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{HOST_ID, Server, fixture};
use serde_json::{Value, json};
use support::NatsServer;

/// Sends `command` with `body` (and the token, if any) and reads the reply.
async fn ask(client: &async_nats::Client, command: &str, token: Option<&str>, body: &[u8]) -> Value {
    let mut headers = HeaderMap::new();
    if let Some(token) = token {
        headers.insert("Authorization", format!("Bearer {token}").as_str());
    }
    // The server subscribes once its client has connected, in the background: until then
    // NATS says no one listens.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let reply = loop {
        let request =
            client.request_with_headers(format!("vigil-commands.{command}"), headers.clone(), body.to_vec().into());
        match tokio::time::timeout(Duration::from_secs(10), request).await.expect("answered in time") {
            Ok(reply) => break reply,
            Err(e)
                if e.kind() == async_nats::RequestErrorKind::NoResponders && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{command}: {e}"),
        }
    };
    let status = reply.headers.as_ref().and_then(|h| h.get("Vigil-Status")).map(|v| v.as_str().to_owned());
    let reply: Value = serde_json::from_slice(&reply.payload).expect("the reply is JSON");
    assert_eq!(status.as_deref(), Some(reply["status"].to_string().as_str()), "the header repeats the status");
    reply
}

async fn delete_as(s: &Server, uri: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::delete(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    s.send(request.body(Body::empty()).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_over_nats_are_answered_as_the_http_api_answers_them() {
    let Some(nats) = NatsServer::start("commands_over_nats_are_answered_as_the_http_api_answers_them") else {
        return;
    };
    let s = Server::start_with(|c| {
        c.bus.url = Some(nats.url());
        c.heartbeat_interval = Duration::from_millis(300);
        c.deregistration_debounce = Duration::from_millis(100);
    })
    .await;
    let (status, body) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(s.heartbeat(HOST_ID).await, StatusCode::NO_CONTENT);
    let viewer = Server::token_for(&s.app, "viewer").await;
    let client = async_nats::connect(nats.url()).await.unwrap();
    let host = json!({ "host_id": HOST_ID }).to_string();
    let uri = format!("/api/v1/hosts/{HOST_ID}");

    // Each refusal is the HTTP API's, status and body.
    let cases: [(Option<&str>, &str, &str); 4] = [
        (None, HOST_ID, "no token"),
        (Some("vgt_nope_nope"), HOST_ID, "a wrong token"),
        (Some(&viewer), HOST_ID, "a viewer may not deregister"),
        (Some(&s.token), HOST_ID, "the heartbeat is alive"),
    ];
    let mut statuses = Vec::new();
    for (token, id, case) in cases {
        let reply = ask(&client, "deregister_host", token, json!({ "host_id": id }).to_string().as_bytes()).await;
        let (status, body) = delete_as(&s, &format!("/api/v1/hosts/{id}"), token).await;
        assert_eq!(reply["status"], status.as_u16(), "{case}: {reply}");
        assert_eq!(reply["body"], body, "{case}");
        statuses.push(status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 403, 422]);
    let alive = ask(&client, "deregister_host", Some(&s.token), host.as_bytes()).await;
    assert!(alive["body"]["message"].as_str().unwrap().contains("still sending heartbeats"), "{alive}");
    assert!(alive["decision_id"].is_null(), "a refusal carries no decision header: {alive}");

    let unknown =
        ask(&client, "deregister_host", Some(&s.token), br#"{"host_id":"00000000-0000-0000-0000-000000000099"}"#).await;
    assert_eq!(unknown["status"], 404, "{unknown}");
    let not_an_id = ask(&client, "deregister_host", Some(&s.token), br#"{"host_id":"nope"}"#).await;
    assert_eq!((not_an_id["status"].clone(), not_an_id["body"]["code"].clone()), (json!(400), json!("bad_request")));
    for bad in [&b"{not json"[..], b"", br#"{"host":"x"}"#, b"\xff"] {
        let reply = ask(&client, "deregister_host", Some(&s.token), bad).await;
        assert_eq!(reply["status"], 422, "{reply}");
        assert_eq!(reply["body"]["code"], "unprocessable");
    }
    let nothing = ask(&client, "format_disks", Some(&s.token), b"{}").await;
    assert_eq!((nothing["status"].clone(), nothing["body"]["code"].clone()), (json!(404), json!("not_found")));
    let operation = ask(
        &client,
        "request_operation",
        Some(&s.token),
        json!({ "target": "host", "target_id": HOST_ID, "operation": "no_such_operation" }).to_string().as_bytes(),
    )
    .await;
    assert_eq!(operation["status"], 404, "{operation}");
    assert!(operation["body"]["message"].as_str().unwrap().contains("no operation no_such_operation"));

    // Past last heartbeat + interval + debounce, the gate lets it through.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let granted = ask(&client, "deregister_host", Some(&s.token), host.as_bytes()).await;
    assert_eq!(granted["status"], 202, "{granted}");
    assert_eq!(granted["body"]["status"], "deregistration_requested");
    assert!(granted["decision_id"].as_str().is_some_and(|id| id.len() == 36), "{granted}");
    let last_position = granted["body"]["last_position"].as_u64().unwrap();
    let (status, host_view) = s.get(&uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(host_view["id"], HOST_ID);

    // The relay publishes what the command caused, under its topic and type.
    let mut relayed = s.app.bus_relay.clone().expect("the bus is on");
    let reached = matches!(
        tokio::time::timeout(Duration::from_secs(20), relayed.wait_for(|p| *p >= last_position)).await,
        Ok(Ok(_))
    );
    assert!(reached, "the relay reached {} of {last_position}", *relayed.borrow());
    let js = async_nats::jetstream::new(client.clone());
    let stream = js.get_stream("VIGIL_EVENTS").await.unwrap();
    let message = stream.get_last_raw_message_by_subject("vigil.hosts.HostDeregistrationRequested").await.unwrap();
    let event: Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(event["subject"], HOST_ID);
    assert_eq!(event["position"], last_position);
    assert_eq!(message.headers.get("Vigil-Position").unwrap().as_str(), last_position.to_string());
    let registered = stream.get_last_raw_message_by_subject("vigil.hosts.HostRegistered").await.unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&registered.payload).unwrap()["subject"], HOST_ID);

    s.app.stop().await;
    let tasks = s.app.stopped_tasks();
    assert!(tasks.contains(&"bus relay") && tasks.contains(&"bus commands"), "{tasks:?}");
}

#[tokio::test]
async fn without_a_bus_url_nothing_of_the_bus_runs() {
    let s = Server::start().await;
    assert!(s.app.bus_relay.is_none());
    s.app.stop().await;
    let tasks = s.app.stopped_tasks();
    assert!(tasks.contains(&"event feed"), "{tasks:?}");
    assert!(!tasks.iter().any(|t| t.starts_with("bus ")), "{tasks:?}");
}
