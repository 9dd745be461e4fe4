//! What an action can do. Each kind has a spec (its part of a rule, as written in
//! `actions.toml` or sent to the rules API) and an [`Action`] that
//! runs one attempt of it.
//!
//! `command` and `workflow` are run by the worker itself (they need the command gate and
//! the execution's stored progress); the others stand alone and are built here by
//! [`build`], from their spec and what they share ([`KindContext`]). Building checks
//! everything that can be checked without an event (templates compile, URLs parse, the
//! signing secret decodes, the program switch is on), so a bad rule is refused when it is
//! loaded; [`validate`] makes the same checks without building anything.
//!
//! Every kind bounds its attempt by its own timeout, and says whether a failure is worth
//! retrying: a refused connection, a timeout, a 408, 429 or 5xx, a temporary SMTP code are
//! [`ActionError::Retryable`]; any other 4xx, a permanent SMTP code, a template that does
//! not render are [`ActionError::Permanent`].

pub mod email;
mod http;
pub mod program;
pub mod service;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::action::{Action, ActionError};
use crate::rule::ActionSpec;

pub use email::{EmailAction, EmailSpec, SmtpSettings, SmtpTls};
pub use program::{ProgramAction, ProgramSpec, Programs};
pub use service::{ServiceAction, ServiceSpec};
pub use webhook::{WebhookAction, WebhookSpec};

/// A value that must never be logged or returned: passwords, signing secrets.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// A secret holding `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Serialised as `***`, so a rule or a setting can be shown without its secret.
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

/// The default time one attempt of an HTTP or program action may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}

/// What the stand-alone kinds share: one HTTP client (its connection pool serves every
/// webhook, service and enrichment call), the SMTP settings, whether programs may run.
#[derive(Clone, Debug)]
pub struct KindContext {
    /// How mail leaves.
    pub smtp: SmtpSettings,
    /// The client of webhooks, services and HTTP enrichment; see [`http_client`].
    pub http: reqwest::Client,
    /// Whether `program` actions may run at all.
    pub programs: Programs,
}

impl KindContext {
    /// A context with a new [`http_client`].
    pub fn new(smtp: SmtpSettings, programs: Programs) -> Result<Self, String> {
        Ok(KindContext { smtp, http: http_client()?, programs })
    }
}

/// rustls needs one process-wide crypto provider, and Vigil uses ring (reqwest and lettre
/// are built without one of their own). Installing it twice is harmless.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The HTTP client for actions. Redirects are not followed: a webhook's signature and a
/// service's idempotency key are meant for the URL the rule names, and a `POST` turned into
/// a `GET` by a 302 would report a success that did not happen. Each request carries its
/// own timeout.
pub fn http_client() -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client of actions: {e}"))
}

/// Builds the action of a stand-alone kind. `command` and `workflow` are the worker's own,
/// and refused here.
pub fn build(spec: &ActionSpec, ctx: &KindContext) -> Result<Arc<dyn Action>, String> {
    Ok(match spec {
        ActionSpec::Email(spec) => Arc::new(EmailAction::new(spec, &ctx.smtp)?),
        ActionSpec::Webhook(spec) => Arc::new(WebhookAction::new(spec, ctx.http.clone())?),
        ActionSpec::Service(spec) => Arc::new(ServiceAction::new(spec, ctx.http.clone())?),
        ActionSpec::Program(spec) => Arc::new(ProgramAction::new(spec, ctx.programs)?),
        ActionSpec::Command(_) | ActionSpec::Workflow(_) | ActionSpec::Operation(_) => {
            return Err(format!("a {} action is run by the worker, not built as a kind", spec.kind()));
        }
    })
}

/// Checks what can be checked of a spec without an event and without its context (the
/// SMTP settings, the program switch): templates compile, URLs and headers parse, the
/// signing secret decodes, a program's path is absolute. For a workflow, every step; for a
/// command, every string of its parameters (each one a template).
pub fn validate(spec: &ActionSpec) -> Result<(), String> {
    match spec {
        ActionSpec::Email(spec) => email::check(spec),
        ActionSpec::Webhook(spec) => webhook::check(spec).map(drop),
        ActionSpec::Service(spec) => service::check(spec).map(drop),
        ActionSpec::Program(spec) => program::check(spec),
        ActionSpec::Command(command) => {
            let mut pending: Vec<(String, &Value)> =
                command.params.iter().map(|(name, value)| (format!("params.{name}"), value)).collect();
            while let Some((path, value)) = pending.pop() {
                match value {
                    Value::String(source) => crate::template::validate(&path, source).map_err(|e| e.to_string())?,
                    Value::Array(items) => {
                        pending.extend(items.iter().enumerate().map(|(i, item)| (format!("{path}[{i}]"), item)))
                    }
                    Value::Object(fields) => {
                        pending.extend(fields.iter().map(|(name, field)| (format!("{path}.{name}"), field)))
                    }
                    Value::Null | Value::Bool(_) | Value::Number(_) => {}
                }
            }
            Ok(())
        }
        ActionSpec::Operation(_) => Ok(()),
        ActionSpec::Workflow(workflow) => workflow
            .steps
            .iter()
            .enumerate()
            .try_for_each(|(i, step)| validate(step).map_err(|e| format!("step {}: {e}", i + 1))),
    }
}

/// Checks the URL of an HTTP enrichment source when its rule is loaded.
pub fn validate_enrichment_url(url: &str) -> Result<(), String> {
    http::check_url(url).map(drop)
}

/// The largest JSON answer an HTTP enrichment source may give.
pub const MAX_ENRICHMENT_BYTES: usize = 256 * 1024;

/// Asks an HTTP supporting service about an event: `POST url` with the CloudEvent
/// (structured mode), the JSON answer is the result. Failures are classified as an
/// action's are, so the worker can retry an enrichment that timed out.
pub async fn enrichment_http(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    event: &Value,
) -> Result<Value, ActionError> {
    let target = http::check_url(url).map_err(ActionError::Permanent)?;
    let body =
        serde_json::to_vec(event).map_err(|e| ActionError::Permanent(format!("cannot encode the event: {e}")))?;
    let request = client
        .post(target.clone())
        .header(reqwest::header::CONTENT_TYPE, webhook::CLOUDEVENTS_JSON)
        .header(reqwest::header::ACCEPT, "application/json")
        .body(body);
    let answer = http::send(request, &target, timeout, MAX_ENRICHMENT_BYTES).await?;
    answer.check(&target)?;
    if answer.truncated {
        return Err(ActionError::Permanent(format!(
            "enrichment from {}: the answer is larger than {MAX_ENRICHMENT_BYTES} bytes",
            http::origin(&target)
        )));
    }
    serde_json::from_slice(&answer.body).map_err(|e| {
        ActionError::Permanent(format!("enrichment from {}: the answer is not JSON: {e}", http::origin(&target)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleSet;

    const RULES: &str = r#"
        [[rule]]
        name = "mail"
        on = "HostHealthChanged"
        action = { kind = "email", subject = "{{ event.subject }} is {{ event.data.health }}", body = "{{ event | tojson }}" }

        [[rule]]
        name = "hook"
        on = "com.example.build.failed"
        action = { kind = "webhook", url = "https://hooks.example.com/in", secret = "whsec_c2VjcmV0", headers = { Authorization = "Bearer x" }, timeout = "3s" }

        [[rule]]
        name = "service"
        on = "ClusterHealthChanged"
        action = { kind = "service", url = "http://127.0.0.1:9000/runs" }

        [[rule]]
        name = "program"
        on = "OperationRequested"
        action = { kind = "program", program = "/usr/bin/true", args = ["{{ event.subject }}"], timeout = "30s" }

        [[rule]]
        name = "command"
        on = "HeartbeatFailed"
        action = { kind = "command", command = "RequestHostDeregistration", params = { host_id = "{{ event.subject }}", why = ["{{ rule }}"] } }
    "#;

    fn context(programs: Programs) -> KindContext {
        let smtp = SmtpSettings { recipients: vec!["ops@example.org".into()], ..SmtpSettings::default() };
        KindContext::new(smtp, programs).unwrap()
    }

    #[test]
    fn every_stand_alone_kind_of_a_rules_file_validates_and_builds() {
        let rules = RuleSet::from_toml(RULES).unwrap();
        let context = context(Programs::Enabled);
        for rule in rules.iter() {
            validate(&rule.action).unwrap_or_else(|e| panic!("{}: {e}", rule.name));
            let built = build(&rule.action, &context);
            match rule.action.kind() {
                "command" => assert!(built.err().unwrap().contains("worker")),
                kind => assert!(built.is_ok(), "{kind}: {:?}", built.err()),
            }
        }
    }

    #[test]
    fn a_program_rule_is_refused_while_programs_are_disabled() {
        let rules = RuleSet::from_toml(RULES).unwrap();
        let program = &rules.get("program").unwrap().action;
        assert!(build(program, &context(Programs::Disabled)).err().unwrap().contains("disabled"));
    }

    #[test]
    fn validation_names_what_is_wrong_and_where() {
        let parse = |toml: &str| toml::from_str::<ActionSpec>(toml).unwrap();
        let error = validate(&parse(
            r#"kind = "email"
            subject = "{{ event.subject"
            body = "b""#,
        ))
        .unwrap_err();
        assert!(error.contains("template subject") && error.contains("syntax error"), "{error}");
        let error = validate(&parse(
            r#"kind = "webhook"
            url = "hooks.example.com""#,
        ))
        .unwrap_err();
        assert!(error.contains("url"), "{error}");
        let error = validate(&parse(
            r#"kind = "command"
            command = "X"
            params = { a = { b = ["ok", "{% if %}"] } }"#,
        ))
        .unwrap_err();
        assert!(error.contains("params.a.b[1]"), "{error}");
        let error = validate(&parse(
            r#"kind = "workflow"
            steps = [{ kind = "service", url = "http://127.0.0.1/" }, { kind = "program", program = "rel/path" }]"#,
        ))
        .unwrap_err();
        assert!(error.starts_with("step 2:") && error.contains("absolute"), "{error}");
        assert!(validate_enrichment_url("http://127.0.0.1:1/x").is_ok());
        assert!(validate_enrichment_url("127.0.0.1:1/x").is_err());
    }
}
