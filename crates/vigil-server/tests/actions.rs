//! The actions API on a real server: rules (one per event type, secrets never shown, who
//! may change them), rules from the file beside them, the history of an event, dead
//! letters and redrive.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::Server;
use serde_json::{Value, json};

fn webhook_rule(name: &str, on: &str) -> Value {
    json!({
        "name": name,
        "on": on,
        "max_attempts": 1,
        "action": {"kind": "webhook", "url": "http://127.0.0.1:9/hooks", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    })
}

async fn delete_as(server: &Server, uri: &str, token: &str) -> (StatusCode, Value) {
    let request = Request::delete(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    server.send(request).await
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_are_one_per_event_type_and_only_admins_change_them_and_secrets_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("actions.toml");
    std::fs::write(
        &file,
        "[[rule]]\nname = \"from-file\"\non = \"HostHealthChanged\"\n[rule.action]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/x\"\n",
    )
    .unwrap();
    let server = Server::start_with(|c| c.actions.rules_file = Some(file.clone())).await;
    let operator = Server::token_for(&server.app, "operator").await;
    let viewer = Server::token_for(&server.app, "viewer").await;

    let (status, body) =
        server.post_as("/api/v1/actions/rules", &server.token, webhook_rule("hook", "HeartbeatFailed")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["rule"]["action"]["secret"], "***", "the answer never shows the secret");

    let (status, body) =
        server.post_as("/api/v1/actions/rules", &server.token, webhook_rule("second", "HeartbeatFailed")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["message"].as_str().unwrap().contains("already has rule hook"), "{body}");
    let (status, body) =
        server.post_as("/api/v1/actions/rules", &server.token, webhook_rule("clash", "HostHealthChanged")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["message"].as_str().unwrap().contains("from-file (from the rules file)"), "{body}");
    let (status, body) = server
        .post_as(
            "/api/v1/actions/rules",
            &server.token,
            json!({"name": "x", "on": "A", "action": {"kind": "telepathy"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("rule.action"), "names the field: {body}");
    let (status, _) = server.post_as("/api/v1/actions/rules", &operator, webhook_rule("op", "HostRegistered")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an operator may not change rules");

    let (status, listed) = server.get_as("/api/v1/actions/rules", &viewer).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<_> =
        listed["items"].as_array().unwrap().iter().map(|r| r["rule"]["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"hook") && names.contains(&"from-file") && names.contains(&"vigil-operations"), "{listed}");
    assert!(!listed.to_string().contains("MfKQ9r8"), "no secret in the listing");

    let (status, body) = delete_as(&server, "/api/v1/actions/rules/from-file", &server.token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = delete_as(&server, "/api/v1/actions/rules/nothing", &server.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The API's rule survives a restart, with its secret.
    let server = server.restart().await;
    let (_, listed) = server.get("/api/v1/actions/rules").await;
    let names: Vec<_> =
        listed["items"].as_array().unwrap().iter().map(|r| r["rule"]["name"].as_str().unwrap().to_owned()).collect();
    assert!(names.contains(&"hook".to_owned()), "{listed}");
    let (status, _) = delete_as(&server, "/api/v1/actions/rules/hook", &server.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = server.get("/api/v1/actions/rules").await;
    assert!(!listed.to_string().contains("\"hook\""), "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rules_file_that_does_not_parse_stops_the_start_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("actions.toml");
    std::fs::write(&file, "[[rule]]\nname = \"x\"\n").unwrap();
    let config = vigil_server::config::ServerConfig {
        data_dir: dir.path().join("data"),
        actions: vigil_server::config::ActionsConfig { rules_file: Some(file), ..Default::default() },
        ..Default::default()
    };
    let error = vigil_server::app::App::start(config).await.err().expect("the start is refused");
    assert!(error.0.contains("actions.toml"), "{}", error.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_without_a_rule_and_one_with_a_dead_rule_are_explained_and_redriven() {
    let server = Server::start().await;
    let (status, _) =
        server.post_as("/api/v1/actions/rules", &server.token, webhook_rule("down", "com.example.down")).await;
    assert_eq!(status, StatusCode::CREATED);
    let event = json!({"specversion": "1.0", "id": "e-1", "source": "/t", "type": "com.example.down"});
    let request = Request::post("/api/v1/events")
        .header("authorization", format!("Bearer {}", server.token))
        .header("content-type", "application/cloudevents+json")
        .body(Body::from(event.to_string()))
        .unwrap();
    let (status, answer) = server.send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let event_id = answer["events"][0]["event_id"].as_str().unwrap().to_owned();
    let dead = loop {
        let (_, page) = server.get("/api/v1/actions/dead_letters").await;
        if page["total"] == 1 {
            break page["items"][0].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let (_, history) = server.get(&format!("/api/v1/events/{event_id}/actions")).await;
    assert!(history["explanation"].as_str().unwrap().starts_with("rule down failed"), "{history}");
    assert_eq!(history["executions"][0]["history"][0]["status"], "failed");

    let viewer = Server::token_for(&server.app, "viewer").await;
    let redrive = format!("/api/v1/actions/dead_letters/{}/redrive", dead["id"].as_str().unwrap());
    let (status, _) = server.post_as(&redrive, &viewer, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer may not redrive");
    let (status, body) = server.post_as(&redrive, &server.token, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["redriven"], 1);
    let (status, _) = server.get("/api/v1/actions/executions?status=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, missing) = server.get(&format!("/api/v1/events/{}/actions", uuid::Uuid::now_v7())).await;
    assert_eq!(missing["code"], "not_found");
}
