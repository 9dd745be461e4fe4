//! The email kind against a real SMTP server on loopback (aiosmtpd): what arrives, how
//! refusals and failures are classified, authentication, and the password kept out of
//! every text.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::smtp::SmtpSink;
use uuid::Uuid;
use vigil_reactions::action::{Action, ActionError, ActionRequest};
use vigil_reactions::kinds::{EmailAction, EmailSpec, Secret, SmtpSettings, SmtpTls};

fn event() -> Value {
    json!({
        "specversion": "1.0",
        "id": "0190f0e0-0000-7000-8000-00000000abcd",
        "source": "/vigil/hosts",
        "type": "HostHealthChanged",
        "subject": "host-1",
        "time": "2024-05-01T12:00:00Z",
        "datacontenttype": "application/json",
        "data": {"hostname": "vmhana01", "health": "critical", "checks": [{"name": "saptune", "ok": false}]},
    })
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        server: "127.0.0.1".into(),
        port,
        sender: "Vigil <vigil@example.org>".into(),
        recipients: vec!["ops@example.org".into()],
        timeout: Duration::from_secs(5),
        ..SmtpSettings::default()
    }
}

fn spec(to: &[&str]) -> EmailSpec {
    EmailSpec {
        to: to.iter().map(|s| s.to_string()).collect(),
        subject: "[{{ event.data.health | upper }}] host {{ event.data.hostname }}".into(),
        body: "Host {{ event.subject }} turned {{ event.data.health }}.\n\
               {% for check in event.data.checks %}- {{ check.name }}: {{ check.ok }}\n{% endfor %}\
               Rule {{ rule }}, attempt {{ attempt }}."
            .into(),
    }
}

async fn run(action: &EmailAction, execution_id: Uuid, attempt: u32) -> Result<Value, ActionError> {
    run_with(action, &event(), execution_id, attempt).await
}

async fn run_with(action: &EmailAction, event: &Value, execution_id: Uuid, attempt: u32) -> Result<Value, ActionError> {
    let enrichment = json!({});
    let request = ActionRequest { execution_id, attempt, rule: "mail-critical", event, enrichment: &enrichment };
    action.run(&request).await.map(|output| output.detail)
}

/// A port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_mail_arrives_rendered_and_carries_its_execution_as_message_id_on_every_attempt() {
    let Some(sink) = SmtpSink::start() else { return };
    let action = EmailAction::new(&spec(&[]), &settings(sink.port())).unwrap();
    let execution = Uuid::now_v7();

    let detail = run(&action, execution, 1).await.unwrap();
    run(&action, execution, 2).await.unwrap();
    let other = Uuid::now_v7();
    run(&action, other, 1).await.unwrap();

    let mails = sink.wait_for_messages(3, Duration::from_secs(10));
    let first = &mails[0];
    assert_eq!(first.mail_from, "vigil@example.org");
    assert_eq!(first.rcpt_tos, ["ops@example.org"]);
    assert_eq!(first.header("from").as_deref(), Some("Vigil <vigil@example.org>"));
    assert_eq!(first.header("to").as_deref(), Some("ops@example.org"));
    assert_eq!(first.header("subject").as_deref(), Some("[CRITICAL] host vmhana01"));
    assert_eq!(first.body.trim_end(), "Host host-1 turned critical.\n- saptune: false\nRule mail-critical, attempt 1.");
    assert!(first.header("content-type").unwrap().starts_with("text/plain"), "{:?}", first.headers);
    assert!(first.header("date").is_some());

    // Two attempts of one execution are one message to whoever drops duplicates.
    let message_id = format!("<{execution}@example.org>");
    assert_eq!(first.header("message-id").as_deref(), Some(message_id.as_str()));
    assert_eq!(mails[1].header("message-id").as_deref(), Some(message_id.as_str()));
    assert!(mails[1].body.contains("attempt 2"));
    assert_eq!(mails[2].header("message-id"), Some(format!("<{other}@example.org>")));

    assert_eq!(detail["message_id"], message_id);
    assert_eq!(detail["recipients"], json!(["ops@example.org"]));
    assert!(detail["smtp"].as_str().unwrap().starts_with("250"), "{detail}");
}

#[tokio::test]
async fn the_action_s_recipients_replace_the_default_ones() {
    let Some(sink) = SmtpSink::start() else { return };
    let action =
        EmailAction::new(&spec(&["Alice <alice@example.org>", "bob@example.net"]), &settings(sink.port())).unwrap();
    run(&action, Uuid::now_v7(), 1).await.unwrap();
    let mails = sink.wait_for_messages(1, Duration::from_secs(10));
    assert_eq!(mails[0].rcpt_tos, ["alice@example.org", "bob@example.net"]);
    assert_eq!(mails[0].header("to").as_deref(), Some("Alice <alice@example.org>, bob@example.net"));
}

#[tokio::test]
async fn a_mailbox_refused_with_a_5xx_is_a_permanent_failure() {
    let Some(sink) = SmtpSink::start() else { return };
    let action = EmailAction::new(&spec(&["reject-me@example.org"]), &settings(sink.port())).unwrap();
    let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Permanent(m) if m.contains("550")), "{error:?}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_mailbox_refused_with_a_4xx_is_worth_retrying() {
    let Some(sink) = SmtpSink::start() else { return };
    let action = EmailAction::new(&spec(&["defer-me@example.org"]), &settings(sink.port())).unwrap();
    let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Retryable(m) if m.contains("451")), "{error:?}");
}

#[tokio::test]
async fn a_server_that_is_down_is_worth_retrying() {
    let action = EmailAction::new(&spec(&[]), &settings(closed_port())).unwrap();
    let started = Instant::now();
    let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(error, ActionError::Retryable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

/// A server that accepts the connection and never greets: the attempt ends at its timeout.
#[tokio::test]
async fn a_server_that_never_answers_is_worth_retrying_and_the_attempt_ends_at_its_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let (connection, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(connection);
    });
    let settings = SmtpSettings { timeout: Duration::from_millis(500), ..settings(port) };
    let action = EmailAction::new(&spec(&[]), &settings).unwrap();
    let started = Instant::now();
    let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(error, ActionError::Retryable(_)), "{error:?}");
    assert!(took >= Duration::from_millis(450) && took < Duration::from_millis(1500), "{took:?}");
    holder.join().unwrap();
}

#[tokio::test]
async fn auth_logs_in_as_the_configured_user_and_the_password_shows_nowhere() {
    const PASSWORD: &str = "pw-Zq8!unguessable";
    let Some(sink) = SmtpSink::start_with_auth("alerts", PASSWORD) else { return };
    let settings = SmtpSettings {
        username: Some("alerts".into()),
        password: Some(Secret::new(PASSWORD)),
        ..settings(sink.port())
    };
    let action = EmailAction::new(&spec(&[]), &settings).unwrap();
    run(&action, Uuid::now_v7(), 1).await.unwrap();
    let mails = sink.wait_for_messages(1, Duration::from_secs(10));
    assert_eq!(mails[0].auth_login.as_deref(), Some("alerts"));
    assert!(!mails[0].raw.contains(PASSWORD));

    // The settings can be shown, logged and returned without it.
    let debug = format!("{settings:?} {settings:#?}");
    let serialised = serde_json::to_string(&settings).unwrap();
    let as_toml = toml::to_string(&settings).unwrap();
    for shown in [&debug, &serialised, &as_toml] {
        assert!(!shown.contains(PASSWORD), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    // A wrong password is refused for good, and not quoted in the error.
    const WRONG: &str = "wrong-pw-Xy7?";
    let wrong = SmtpSettings { password: Some(Secret::new(WRONG)), ..settings.clone() };
    let error = run(&EmailAction::new(&spec(&[]), &wrong).unwrap(), Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Permanent(m) if m.contains("535")), "{error:?}");
    for shown in [error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains(WRONG) && !shown.contains(PASSWORD), "{shown}");
    }

    // Without credentials the server refuses the mail, permanently.
    let anonymous = SmtpSettings { username: None, password: None, ..settings };
    let error = run(&EmailAction::new(&spec(&[]), &anonymous).unwrap(), Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Permanent(m) if m.contains("530")), "{error:?}");
    assert_eq!(sink.messages().len(), 1);
}

/// Event data is the outside's: a line break in it must not start a header of its own.
#[tokio::test]
async fn line_breaks_and_dots_in_event_data_cannot_add_a_header_a_recipient_or_a_mail() {
    let Some(sink) = SmtpSink::start() else { return };
    let action = EmailAction::new(&spec(&[]), &settings(sink.port())).unwrap();
    let mut event = event();
    event["data"]["hostname"] = json!("vmhana01\r\nBcc: evil@example.com\r\n\r\nforged body");
    // A lone dot ends a mail's data in SMTP; in the body it is just text.
    event["subject"] = json!("h1\r\n.\r\nMAIL FROM:<evil@example.com>");
    run_with(&action, &event, Uuid::now_v7(), 1).await.unwrap();
    let mail = &sink.wait_for_messages(1, Duration::from_secs(10))[0];
    assert_eq!(mail.rcpt_tos, ["ops@example.org"]);
    assert_eq!(mail.header("bcc"), None);
    assert_eq!(
        mail.header("subject").as_deref(),
        Some("[CRITICAL] host vmhana01  Bcc: evil@example.com    forged body")
    );
    assert!(mail.body.starts_with("Host h1\n.\nMAIL FROM:<evil@example.com> turned critical."), "{}", mail.body);
    assert_eq!(sink.messages().len(), 1);
}

/// With STARTTLS required, a server that does not offer it gets no credentials and no mail.
#[tokio::test]
async fn starttls_required_against_a_server_without_it_sends_nothing_in_clear() {
    const PASSWORD: &str = "pw-never-in-clear";
    let Some(sink) = SmtpSink::start_with_auth("alerts", PASSWORD) else { return };
    let settings = SmtpSettings {
        username: Some("alerts".into()),
        password: Some(Secret::new(PASSWORD)),
        tls: SmtpTls::Starttls,
        ..settings(sink.port())
    };
    let error = run(&EmailAction::new(&spec(&[]), &settings).unwrap(), Uuid::now_v7(), 1).await.unwrap_err();
    // The settings and the server disagree: no retry mends that.
    assert!(matches!(&error, ActionError::Permanent(m) if m.to_lowercase().contains("starttls")), "{error:?}");
    assert!(!error.to_string().contains(PASSWORD));
    assert!(sink.messages().is_empty());

    // Implicit TLS against a plain server fails in the handshake, worth retrying (the
    // server may be the wrong one only for now, as during a migration).
    let implicit = SmtpSettings { tls: SmtpTls::Tls, ..settings };
    let error = run(&EmailAction::new(&spec(&[]), &implicit).unwrap(), Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(error, ActionError::Retryable(_)), "{error:?}");
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn a_template_naming_a_missing_field_fails_for_good_and_sends_nothing() {
    let Some(sink) = SmtpSink::start() else { return };
    let spec = EmailSpec { subject: "{{ event.data.no_such_field }}".into(), ..spec(&[]) };
    let action = EmailAction::new(&spec, &settings(sink.port())).unwrap();
    let error = run(&action, Uuid::now_v7(), 1).await.unwrap_err();
    assert!(matches!(&error, ActionError::Permanent(m) if m.contains("event.data.no_such_field")), "{error:?}");
    assert!(sink.messages().is_empty());
}

#[test]
fn bad_addresses_templates_and_missing_recipients_are_refused_when_built() {
    let settings = settings(25);
    let refused = |spec: &EmailSpec, settings: &SmtpSettings| EmailAction::new(spec, settings).err().unwrap();
    assert!(refused(&spec(&["not an address"]), &settings).contains("not an address"));
    let nobody = SmtpSettings { recipients: vec![], ..settings.clone() };
    assert!(refused(&spec(&[]), &nobody).contains("no recipients"));
    let bad_sender = SmtpSettings { sender: "vigil".into(), ..settings.clone() };
    assert!(refused(&spec(&[]), &bad_sender).contains("sender"));
    let bad_template = EmailSpec { body: "{% for x in %}".into(), ..spec(&[]) };
    assert!(refused(&bad_template, &settings).contains("template body"));
}
