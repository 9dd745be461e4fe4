//! What every stand-alone kind (email, webhook, service, program) promises the worker,
//! checked on each in one place, so a new kind joins by adding its rig:
//!
//! - it bounds an attempt by its own timeout: a peer that never answers makes the attempt
//!   fail as retryable, soon after the timeout;
//! - it does not panic and does not hang on any event, however odd (not an object, deeply
//!   nested, huge, holding NULs, escapes and line breaks): it succeeds or says why not.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::receiver::{Answer, Receiver};
use support::smtp::SmtpSink;
use uuid::Uuid;
use vigil_reactions::action::{Action, ActionError, ActionRequest};
use vigil_reactions::kinds::{
    EmailAction, EmailSpec, ProgramAction, ProgramSpec, Programs, ServiceAction, ServiceSpec, SmtpSettings,
    WebhookAction, WebhookSpec, http_client,
};

/// A kind with the peers it talks to.
struct Rig {
    kind: &'static str,
    /// The action towards a peer that works.
    working: Arc<dyn Action>,
    /// The action, with `timeout`, towards a peer that accepts and never answers.
    hanging: Arc<dyn Action>,
    timeout: Duration,
    _peers: Vec<Box<dyn std::any::Any>>,
}

const TIMEOUT: Duration = Duration::from_millis(400);

/// A TCP peer that accepts connections and never says a word.
fn silent_peer() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        // Bounded: enough for every attempt of these tests.
        for _ in 0..16 {
            match listener.accept() {
                Ok((connection, _)) => held.push(connection),
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    port
}

fn rigs() -> Vec<Rig> {
    let client = http_client().unwrap();
    let mut rigs = Vec::new();

    // Email: a real server when Python is here, else one that is down (the rendering runs
    // either way, before the connection).
    let sink = SmtpSink::start();
    let port = sink.as_ref().map(|s| s.port()).unwrap_or_else(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    });
    let email = EmailSpec {
        to: vec![],
        subject: "{{ event.type | default('an event') }}".into(),
        body: "{{ event | tojson }}".into(),
    };
    let smtp = |port, timeout| SmtpSettings {
        server: "127.0.0.1".into(),
        port,
        recipients: vec!["ops@example.org".into()],
        timeout,
        ..SmtpSettings::default()
    };
    rigs.push(Rig {
        kind: "email",
        working: Arc::new(EmailAction::new(&email, &smtp(port, Duration::from_secs(5))).unwrap()),
        hanging: Arc::new(EmailAction::new(&email, &smtp(silent_peer(), TIMEOUT)).unwrap()),
        timeout: TIMEOUT,
        _peers: sink.into_iter().map(|s| Box::new(s) as Box<dyn std::any::Any>).collect(),
    });

    let receiver = Receiver::start();
    let slow = Receiver::start();
    slow.set_default(Answer::status(204).with_delay(Duration::from_secs(30)));
    let webhook = |url: String, timeout| WebhookSpec {
        url,
        secret: Some(vigil_reactions::kinds::Secret::new("whsec_c2VjcmV0")),
        headers: Default::default(),
        timeout,
    };
    rigs.push(Rig {
        kind: "webhook",
        working: Arc::new(
            WebhookAction::new(&webhook(receiver.url("/"), Duration::from_secs(5)), client.clone()).unwrap(),
        ),
        hanging: Arc::new(WebhookAction::new(&webhook(slow.url("/"), TIMEOUT), client.clone()).unwrap()),
        timeout: TIMEOUT,
        _peers: vec![],
    });
    let service = |url: String, timeout| ServiceSpec { url, timeout };
    rigs.push(Rig {
        kind: "service",
        working: Arc::new(
            ServiceAction::new(&service(receiver.url("/"), Duration::from_secs(5)), client.clone()).unwrap(),
        ),
        hanging: Arc::new(ServiceAction::new(&service(slow.url("/"), TIMEOUT), client).unwrap()),
        timeout: TIMEOUT,
        _peers: vec![Box::new(receiver), Box::new(slow)],
    });

    let program = ProgramSpec {
        program: "/bin/sh".into(),
        args: vec![
            "-c".into(),
            "cat > /dev/null; printf '%s' \"$1\"".into(),
            "sh".into(),
            "{{ event.type | default('') }}".into(),
        ],
        timeout: Duration::from_secs(5),
    };
    let sleeper = ProgramSpec { program: "/bin/sleep".into(), args: vec!["30".into()], timeout: TIMEOUT };
    rigs.push(Rig {
        kind: "program",
        working: Arc::new(ProgramAction::new(&program, Programs::Enabled).unwrap()),
        hanging: Arc::new(ProgramAction::new(&sleeper, Programs::Enabled).unwrap()),
        timeout: TIMEOUT,
        _peers: vec![],
    });
    rigs
}

fn odd_events() -> Vec<(&'static str, Value)> {
    let mut deep = json!("bottom");
    for level in 0..100 {
        deep = if level % 2 == 0 { json!({"a": deep}) } else { json!([deep]) };
    }
    vec![
        ("null", Value::Null),
        ("a number", json!(42)),
        ("a string", json!("HostHealthChanged")),
        ("an array", json!([1, "two", null])),
        ("an empty object", json!({})),
        ("null data", json!({"type": "X", "data": null})),
        ("deeply nested", json!({"type": "Deep", "data": deep})),
        ("huge", json!({"type": "Huge", "data": {"blob": "x".repeat(2_000_000)}})),
        (
            "NULs, escapes and line breaks",
            json!({"type": "a\u{0}b\u{1b}[31m\r\nBcc: evil@example.com\r\n\r\nbody", "data": {"\u{0}": "\u{ffff}"}}),
        ),
        ("odd keys", json!({"": 1, "a.b": 2, "{{ x }}": "{% raw %}", "type": "{{ 7 * 7 }}"})),
    ]
}

async fn attempt(action: &dyn Action, event: &Value) -> (Result<Value, ActionError>, Duration) {
    let enrichment = json!({});
    let request =
        ActionRequest { execution_id: Uuid::now_v7(), attempt: 1, rule: "contract", event, enrichment: &enrichment };
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(20), action.run(&request))
        .await
        .unwrap_or_else(|_| panic!("the attempt did not end in 20s"));
    (result.map(|output| output.detail), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_bounds_an_attempt_by_its_timeout() {
    for rig in rigs() {
        let (result, took) = attempt(rig.hanging.as_ref(), &json!({"type": "X"})).await;
        assert!(matches!(result, Err(ActionError::Retryable(_))), "{}: {result:?}", rig.kind);
        let margin = Duration::from_millis(1000);
        assert!(took >= rig.timeout.mul_f64(0.95) && took < rig.timeout + margin, "{}: took {took:?}", rig.kind);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_survives_odd_events() {
    for rig in rigs() {
        for (what, event) in odd_events() {
            let (result, _) = attempt(rig.working.as_ref(), &event).await;
            // Whatever the outcome, it is a value, not a panic or a hang; an error says why.
            if let Err(error) = &result {
                assert!(!error.to_string().is_empty(), "{} on {what}: an empty error", rig.kind);
            }
        }
        // And the kind still works after them.
        let (result, _) = attempt(rig.working.as_ref(), &json!({"type": "Plain", "data": {}})).await;
        if rig.kind != "email" || SmtpSink::start().is_some() {
            assert!(result.is_ok(), "{}: {result:?}", rig.kind);
        }
    }
}
