//! The webhook kind against real receivers: the Standard Webhooks reference library
//! (Python) checks the signatures, and a recording receiver plays failures (500, 400, down,
//! slow, redirect).

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use support::receiver::{Answer, Receiver, Recorded, closed_url};
use support::standard_webhooks::Verifier;
use uuid::Uuid;
use vigil_reactions::action::{Action, ActionError, ActionRequest};
use vigil_reactions::kinds::{Secret, WebhookAction, WebhookSpec, http_client};

/// A signing secret in the Standard Webhooks form: `whsec_`, then the key in base64.
const SECRET: &str = "whsec_dmlnaWwtdGVzdC1zZWNyZXQtMjQtYnl0ZXM=";

fn event() -> Value {
    json!({
        "specversion": "1.0",
        "id": "build-4711",
        "source": "https://ci.example.com",
        "type": "com.example.build.failed",
        "subject": "pipeline/7",
        "time": "2024-05-01T12:00:00Z",
        "datacontenttype": "application/json",
        "data": {"pipeline": 7, "stage": "test", "text": "ünïcödé & <markup>"},
    })
}

fn spec(url: &str, secret: Option<&str>) -> WebhookSpec {
    WebhookSpec {
        url: url.to_owned(),
        secret: secret.map(Secret::new),
        headers: [("Authorization".to_owned(), "Bearer token-123".to_owned())].into(),
        timeout: Duration::from_secs(5),
    }
}

fn action(spec: &WebhookSpec) -> WebhookAction {
    WebhookAction::new(spec, http_client().unwrap()).unwrap()
}

async fn run(action: &WebhookAction, execution_id: Uuid, attempt: u32) -> Result<Value, ActionError> {
    let event = event();
    let enrichment = json!({});
    let request = ActionRequest { execution_id, attempt, rule: "hook", event: &event, enrichment: &enrichment };
    action.run(&request).await.map(|output| output.detail)
}

/// The signature check of the Standard Webhooks specification, written from the
/// specification rather than from the kind.
fn signature_verifies(request: &Recorded, secret: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD.decode(secret.trim_start_matches("whsec_")).unwrap();
    let (Some(id), Some(timestamp), Some(signatures)) =
        (request.header("webhook-id"), request.header("webhook-timestamp"), request.header("webhook-signature"))
    else {
        return false;
    };
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&request.body);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(&signed);
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    signatures.split(' ').any(|signature| signature == expected)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn deliveries_verify_under_the_standard_webhooks_reference_library_on_every_attempt() {
    let Some(verifier) = Verifier::start(SECRET) else { return };
    let action = action(&spec(&verifier.url("/hooks/vigil"), Some(SECRET)));
    let execution = Uuid::now_v7();

    let detail = run(&action, execution, 1).await.unwrap();
    run(&action, execution, 2).await.unwrap();

    assert_eq!(detail["status"], 204);
    let deliveries = verifier.wait_for_deliveries(2, Duration::from_secs(10));
    for delivery in &deliveries {
        assert!(delivery.verified, "{delivery:?}");
        assert_eq!(delivery.id.as_deref(), Some(execution.to_string().as_str()));
        assert_eq!(delivery.content_type.as_deref(), Some("application/cloudevents+json"));
        assert_eq!(delivery.body, event());
    }
}

#[tokio::test]
async fn a_delivery_signed_with_another_secret_is_refused_by_the_reference_library_for_good() {
    let Some(verifier) = Verifier::start(SECRET) else { return };
    let other = "whsec_b3RoZXItc2VjcmV0LW9mLTI0LWJ5dGVzISE=";
    let error = run(&action(&spec(&verifier.url("/"), Some(other))), Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Permanent(m) if m.contains("401")), "{error:?}");
    let deliveries = verifier.wait_for_deliveries(1, Duration::from_secs(10));
    assert!(!deliveries[0].verified);
    assert!(deliveries[0].reason.as_deref().unwrap_or_default().contains("signature"), "{:?}", deliveries[0]);
}

#[tokio::test]
async fn the_request_is_the_structured_cloudevent_with_standard_webhooks_headers() {
    let receiver = Receiver::start();
    let action = action(&spec(&receiver.url("/in?token=t"), Some(SECRET)));
    let execution = Uuid::now_v7();
    let detail = run(&action, execution, 1).await.unwrap();
    assert_eq!(detail, json!({"status": 204, "answer": ""}));

    let request = &receiver.wait_for_requests(1, Duration::from_secs(5))[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/in?token=t");
    assert_eq!(request.header("content-type"), Some("application/cloudevents+json"));
    assert_eq!(request.json(), event());
    assert_eq!(request.header("webhook-id"), Some(execution.to_string().as_str()));
    let timestamp: u64 = request.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!(timestamp.abs_diff(now()) <= 5, "{timestamp}");
    assert!(signature_verifies(request, SECRET), "{request:?}");
    assert!(!signature_verifies(request, "whsec_b3RoZXItc2VjcmV0LW9mLTI0LWJ5dGVzISE="));
    assert_eq!(request.header("authorization"), Some("Bearer token-123"));
}

#[tokio::test]
async fn an_unsigned_webhook_sends_no_signature() {
    let receiver = Receiver::start();
    run(&action(&spec(&receiver.url("/"), None)), Uuid::now_v7(), 1).await.unwrap();
    let request = &receiver.wait_for_requests(1, Duration::from_secs(5))[0];
    assert!(request.header("webhook-id").is_some() && request.header("webhook-timestamp").is_some());
    assert_eq!(request.header("webhook-signature"), None);
}

#[tokio::test]
async fn a_receiver_answering_5xx_is_retried_with_the_same_webhook_id_until_it_takes_it() {
    let receiver = Receiver::start();
    receiver.push_answers([Answer::status(500).with_body("database locked"), Answer::status(503)]);
    let action = action(&spec(&receiver.url("/"), Some(SECRET)));
    let execution = Uuid::now_v7();

    let first = run(&action, execution, 1).await.unwrap_err();
    assert!(
        matches!(&first, ActionError::Retryable(m) if m.contains("500") && m.contains("database locked")),
        "{first:?}"
    );
    let second = run(&action, execution, 2).await.unwrap_err();
    assert!(matches!(&second, ActionError::Retryable(m) if m.contains("503")), "{second:?}");
    run(&action, execution, 3).await.unwrap();

    let requests = receiver.wait_for_requests(3, Duration::from_secs(5));
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.header("webhook-id"), Some(execution.to_string().as_str()));
        assert!(signature_verifies(request, SECRET));
    }
}

#[tokio::test]
async fn statuses_408_and_429_are_worth_retrying_and_other_4xx_are_not() {
    let receiver = Receiver::start();
    let action = action(&spec(&receiver.url("/"), Some(SECRET)));
    for status in [408, 429] {
        receiver.push_answers([Answer::status(status).with_header("retry-after", "30")]);
        let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
        assert!(matches!(&error, ActionError::Retryable(m) if m.contains("retry after 30")), "{status}: {error:?}");
    }
    for status in [400, 401, 404, 410, 422] {
        receiver.push_answers([Answer::status(status).with_body("no such hook")]);
        let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
        assert!(matches!(&error, ActionError::Permanent(m) if m.contains(&status.to_string())), "{status}: {error:?}");
    }
}

#[tokio::test]
async fn a_receiver_that_is_down_is_worth_retrying() {
    let url = closed_url("/hook?token=secret-in-url");
    let started = Instant::now();
    let error = run(&action(&spec(&url, Some(SECRET))), Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Retryable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The receiver is named by its origin: a token in the URL stays out of the record.
    assert!(!error.to_string().contains("secret-in-url"), "{error}");
}

#[tokio::test]
async fn a_slow_receiver_is_worth_retrying_and_the_attempt_ends_at_its_timeout() {
    let receiver = Receiver::start();
    receiver.push_answers([Answer::status(204).with_delay(Duration::from_secs(5))]);
    let spec = WebhookSpec { timeout: Duration::from_millis(300), ..spec(&receiver.url("/"), Some(SECRET)) };
    let started = Instant::now();
    let error = run(&action(&spec), Uuid::now_v7(), 1).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(&error, ActionError::Retryable(m) if m.contains("no answer within")), "{error:?}");
    assert!(took >= Duration::from_millis(290) && took < Duration::from_millis(1300), "{took:?}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let receiver = Receiver::start();
    receiver.push_answers([Answer::status(302).with_header("location", &receiver.url("/elsewhere"))]);
    let error = run(&action(&spec(&receiver.url("/"), Some(SECRET))), Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Permanent(m) if m.contains("302")), "{error:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn only_the_start_of_a_long_answer_is_kept() {
    let receiver = Receiver::start();
    receiver.push_answers([Answer::status(200).with_body("x".repeat(100_000))]);
    let detail = run(&action(&spec(&receiver.url("/"), None)), Uuid::now_v7(), 1).await.unwrap();
    assert_eq!(detail["status"], 200);
    let kept = detail["answer"].as_str().unwrap();
    assert!(kept.starts_with("xxx") && kept.len() <= 1024 + 4, "{}", kept.len());
}

#[test]
fn bad_urls_secrets_and_headers_are_refused_when_built() {
    let client = http_client().unwrap();
    let refused = |spec: WebhookSpec| WebhookAction::new(&spec, client.clone()).err().unwrap();
    assert!(refused(spec("not a url", None)).contains("not valid"));
    assert!(refused(spec("ftp://example.com/", None)).contains("http"));
    let secret = refused(spec("http://127.0.0.1/", Some("whsec_%%%not-base64")));
    assert!(secret.contains("secret") && !secret.contains("%%%"), "{secret}");
    let mut own = spec("http://127.0.0.1/", None);
    own.headers.insert("webhook-id".into(), "mine".into());
    assert!(refused(own).contains("webhook-id"));
}
