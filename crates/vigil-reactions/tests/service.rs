//! The service kind and HTTP enrichment against a real local HTTP service.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::receiver::{Answer, Receiver, closed_url};
use uuid::Uuid;
use vigil_reactions::action::{Action, ActionError, ActionRequest};
use vigil_reactions::kinds::{ServiceAction, ServiceSpec, enrichment_http, http_client};

fn event() -> Value {
    json!({
        "specversion": "1.0",
        "id": "0190f0e0-0000-7000-8000-00000000beef",
        "source": "/vigil/clusters",
        "type": "ClusterHealthChanged",
        "subject": "cluster-1",
        "data": {"health": "critical", "nodes": ["vmhana01", "vmhana02"]},
    })
}

fn enrichment() -> Value {
    json!({"cluster": {"name": "hana_cluster", "tags": ["prod"]}})
}

fn action(url: &str, timeout: Duration) -> ServiceAction {
    ServiceAction::new(&ServiceSpec { url: url.to_owned(), timeout }, http_client().unwrap()).unwrap()
}

async fn run(action: &ServiceAction, execution_id: Uuid, attempt: u32) -> Result<Value, ActionError> {
    let (event, enrichment) = (event(), enrichment());
    let request = ActionRequest { execution_id, attempt, rule: "remediate", event: &event, enrichment: &enrichment };
    action.run(&request).await.map(|output| output.detail)
}

#[tokio::test]
async fn the_service_gets_the_whole_context_keyed_by_the_execution_and_its_answer_is_the_detail() {
    let receiver = Receiver::start();
    receiver.set_default(Answer::json(202, json!({"run_id": 42, "state": "started"})));
    let action = action(&receiver.url("/runs"), Duration::from_secs(5));
    let execution = Uuid::now_v7();

    let detail = run(&action, execution, 1).await.unwrap();
    run(&action, execution, 2).await.unwrap();

    assert_eq!(detail, json!({"status": 202, "answer": {"run_id": 42, "state": "started"}}));
    let requests = receiver.wait_for_requests(2, Duration::from_secs(5));
    assert_eq!(requests[0].path, "/runs");
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(
        requests[0].json(),
        json!({
            "event": event(),
            "enrichment": enrichment(),
            "rule": "remediate",
            "execution_id": execution.to_string(),
            "attempt": 1,
        })
    );
    assert_eq!(requests[1].json()["attempt"], 2);
    for request in &requests {
        assert_eq!(request.header("idempotency-key"), Some(execution.to_string().as_str()));
    }
}

#[tokio::test]
async fn a_text_or_empty_answer_is_recorded_as_such() {
    let receiver = Receiver::start();
    receiver.push_answers([Answer::status(200).with_body("accepted, thanks"), Answer::status(204)]);
    let action = action(&receiver.url("/"), Duration::from_secs(5));
    assert_eq!(run(&action, Uuid::now_v7(), 1).await.unwrap(), json!({"status": 200, "answer": "accepted, thanks"}));
    assert_eq!(run(&action, Uuid::now_v7(), 1).await.unwrap(), json!({"status": 204, "answer": null}));
}

#[tokio::test]
async fn an_answer_past_the_cap_is_kept_cut_and_marked() {
    let receiver = Receiver::start();
    let big = json!({"log": "y".repeat(200_000)});
    receiver.push_answers([Answer::json(200, big)]);
    let detail = run(&action(&receiver.url("/"), Duration::from_secs(5)), Uuid::now_v7(), 1).await.unwrap();
    assert_eq!(detail["truncated"], true);
    let kept = detail["answer"].as_str().unwrap();
    assert!(kept.starts_with(r#"{"log":"yyy"#) && kept.len() <= 64 * 1024 + 4, "{}", kept.len());
}

#[tokio::test]
async fn failures_are_classified_like_the_webhook_s() {
    let receiver = Receiver::start();
    let action = action(&receiver.url("/"), Duration::from_secs(5));
    receiver.push_answers([Answer::json(500, json!({"error": "engine busy"}))]);
    let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Retryable(m) if m.contains("500") && m.contains("engine busy")), "{error:?}");
    receiver.push_answers([Answer::status(429)]);
    assert!(matches!(run(&action, Uuid::now_v7(), 1).await, Err(ActionError::Retryable(_))));
    receiver.push_answers([Answer::json(422, json!({"error": "unknown workflow"}))]);
    let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Permanent(m) if m.contains("unknown workflow")), "{error:?}");

    let down = self::action(&closed_url("/"), Duration::from_secs(5));
    assert!(matches!(run(&down, Uuid::now_v7(), 1).await, Err(ActionError::Retryable(_))));
}

#[tokio::test]
async fn a_slow_service_is_worth_retrying_and_the_attempt_ends_at_its_timeout() {
    let receiver = Receiver::start();
    receiver.push_answers([Answer::json(200, json!({})).with_delay(Duration::from_secs(5))]);
    let started = Instant::now();
    let error = run(&action(&receiver.url("/"), Duration::from_millis(300)), Uuid::now_v7(), 1).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, ActionError::Retryable(_)), "{error:?}");
    assert!(took >= Duration::from_millis(290) && took < Duration::from_millis(1300), "{took:?}");
}

#[tokio::test]
async fn http_enrichment_posts_the_cloudevent_and_returns_the_json_answer() {
    let receiver = Receiver::start();
    receiver.push_answers([Answer::json(200, json!({"owner": "team-sap", "runbook": "https://wiki/rb/7"}))]);
    let client = http_client().unwrap();
    let found = enrichment_http(&client, &receiver.url("/lookup"), Duration::from_secs(5), &event()).await.unwrap();
    assert_eq!(found, json!({"owner": "team-sap", "runbook": "https://wiki/rb/7"}));
    let request = &receiver.wait_for_requests(1, Duration::from_secs(5))[0];
    assert_eq!(request.header("content-type"), Some("application/cloudevents+json"));
    assert_eq!(request.json(), event());
}

#[tokio::test]
async fn http_enrichment_failures_are_classified() {
    let receiver = Receiver::start();
    let client = http_client().unwrap();
    let url = receiver.url("/lookup");
    let ask = |timeout| enrichment_http(&client, &url, timeout, &serde_json::Value::Null);

    receiver.push_answers([Answer::status(200).with_body("<html>not json</html>")]);
    assert!(matches!(ask(Duration::from_secs(5)).await, Err(ActionError::Permanent(m)) if m.contains("not JSON")));
    receiver.push_answers([Answer::status(503)]);
    assert!(matches!(ask(Duration::from_secs(5)).await, Err(ActionError::Retryable(_))));
    receiver.push_answers([Answer::status(404)]);
    assert!(matches!(ask(Duration::from_secs(5)).await, Err(ActionError::Permanent(_))));
    receiver.push_answers([Answer::json(200, json!({})).with_delay(Duration::from_secs(5))]);
    let started = Instant::now();
    assert!(matches!(ask(Duration::from_millis(200)).await, Err(ActionError::Retryable(_))));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn bad_urls_are_refused_when_built() {
    let spec = ServiceSpec { url: "localhost:8080/run".into(), timeout: Duration::from_secs(1) };
    assert!(ServiceAction::new(&spec, http_client().unwrap()).is_err());
}
