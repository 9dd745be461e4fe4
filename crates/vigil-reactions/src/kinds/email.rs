//! `email`: a templated mail through SMTP (lettre).
//!
//! The mail's `Message-ID` is made of the execution's id (`<{execution_id}@{sender's
//! domain}>`), so the repeated delivery of one execution is one message to a mail client
//! or an archive that drops duplicates. Each attempt opens its own connection: alerts are
//! rare, and a pooled connection that the server closed meanwhile would fail the attempt.
//!
//! A refusal with a 5xx code (an unknown mailbox, wrong credentials) is permanent; a 4xx
//! code, a refused connection, a timeout or a TLS failure is worth retrying.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Secret;
use crate::action::{Action, ActionError, ActionOutput, ActionRequest};
use crate::template::{self, Renderer};

/// An email action: to whom, and the templates of subject and body.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSpec {
    /// Recipients; empty: the SMTP settings' `recipients`.
    #[serde(default)]
    pub to: Vec<String>,
    /// Template of the subject line.
    pub subject: String,
    /// Template of the plain-text body.
    pub body: String,
}

/// How mail leaves: the `[smtp]` settings (`VIGIL_SMTP_*`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    /// The SMTP server's host name.
    pub server: String,
    /// Its port.
    pub port: u16,
    /// The user to authenticate as; none: no authentication.
    pub username: Option<String>,
    /// Never logged, never returned by the API.
    pub password: Option<Secret>,
    /// The `From` address.
    pub sender: String,
    /// Default recipients of alert mails.
    pub recipients: Vec<String>,
    /// `none` (plain, for a relay on loopback), `starttls` or `tls` (implicit TLS).
    pub tls: SmtpTls,
    /// How long one delivery may take.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            server: "localhost".to_owned(),
            port: 25,
            username: None,
            password: None,
            sender: "vigil@localhost".to_owned(),
            recipients: Vec::new(),
            tls: SmtpTls::None,
            timeout: super::DEFAULT_TIMEOUT,
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text.
    #[default]
    None,
    /// STARTTLS, required.
    Starttls,
    /// Implicit TLS.
    Tls,
}

/// A configured email action. The transport holds the password, so it has no `Debug`.
pub struct EmailAction {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender: Mailbox,
    recipients: Vec<Mailbox>,
    subject: String,
    body: String,
    /// The right-hand side of every `Message-ID`.
    id_domain: String,
    timeout: Duration,
    /// Kept only to scrub it from error texts, should a server echo it back.
    password: Option<Secret>,
}

impl EmailAction {
    /// Checks the spec against the settings (templates, addresses, TLS) and builds the
    /// action. It connects to nothing yet.
    pub fn new(spec: &EmailSpec, settings: &SmtpSettings) -> Result<Self, String> {
        check(spec)?;
        let sender: Mailbox =
            settings.sender.parse().map_err(|e| format!("smtp sender {:?} is not an address: {e}", settings.sender))?;
        let addresses = if spec.to.is_empty() { &settings.recipients } else { &spec.to };
        if addresses.is_empty() {
            return Err("no recipients: neither the action's `to` nor the smtp settings' `recipients` name one".into());
        }
        let recipients = addresses
            .iter()
            .map(|a| a.parse::<Mailbox>().map_err(|e| format!("recipient {a:?} is not an address: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if settings.server.is_empty() {
            return Err("smtp server is not set".into());
        }
        if settings.timeout.is_zero() {
            return Err("smtp timeout must be above zero".into());
        }
        super::install_crypto_provider();
        let tls_parameters = || {
            TlsParameters::new(settings.server.clone())
                .map_err(|e| format!("cannot set up TLS towards {}: {e}", settings.server))
        };
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(tls_parameters()?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        };
        // `builder_dangerous` only means "no TLS chosen yet": it is chosen just below.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.server)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some(username) = &settings.username {
            let password = settings.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        Ok(EmailAction {
            transport: builder.build(),
            id_domain: sender.email.domain().to_owned(),
            sender,
            recipients,
            subject: spec.subject.clone(),
            body: spec.body.clone(),
            timeout: settings.timeout,
            password: settings.password.clone().filter(|p| !p.expose().is_empty()),
        })
    }

    /// The `Message-ID` of every delivery of execution `execution_id`.
    pub fn message_id(&self, execution_id: uuid::Uuid) -> String {
        format!("<{execution_id}@{}>", self.id_domain)
    }

    fn classify(&self, error: &lettre::transport::smtp::Error) -> ActionError {
        let mut text = format!("smtp: {error}");
        let mut cause = std::error::Error::source(error);
        while let Some(inner) = cause {
            let inner_text = inner.to_string();
            if !text.contains(&inner_text) {
                text.push_str(&format!(": {inner_text}"));
            }
            cause = inner.source();
        }
        if let Some(password) = &self.password {
            text = text.replace(password.expose(), "***");
        }
        if error.is_permanent() || error.is_client() {
            ActionError::Permanent(text)
        } else {
            ActionError::Retryable(text)
        }
    }
}

#[async_trait]
impl Action for EmailAction {
    async fn run(&self, request: &ActionRequest<'_>) -> Result<ActionOutput, ActionError> {
        let renderer = Renderer::new(request.template_context());
        // A subject is one header line: a line break rendered from event data must not
        // start a header of its own.
        let subject: String =
            renderer.render("subject", &self.subject)?.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let body = renderer.render("body", &self.body)?;
        let message_id = self.message_id(request.execution_id);
        let mut message = Message::builder().from(self.sender.clone()).subject(subject.trim());
        for recipient in &self.recipients {
            message = message.to(recipient.clone());
        }
        let message = message
            .message_id(Some(message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| ActionError::Permanent(format!("cannot build the mail: {e}")))?;
        // lettre's timeout bounds each step of the dialogue; this one bounds the whole.
        let sent = tokio::time::timeout(self.timeout, self.transport.send(message))
            .await
            .map_err(|_| ActionError::Retryable(format!("smtp: no delivery within {:?}", self.timeout)))?;
        let response = sent.map_err(|e| self.classify(&e))?;
        Ok(ActionOutput {
            detail: json!({
                "message_id": message_id,
                "recipients": self.recipients.iter().map(|r| r.email.to_string()).collect::<Vec<_>>(),
                "smtp": format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" ")),
            }),
        })
    }
}

pub(super) fn check(spec: &EmailSpec) -> Result<(), String> {
    template::validate("subject", &spec.subject).map_err(|e| e.to_string())?;
    template::validate("body", &spec.body).map_err(|e| e.to_string())?;
    for address in &spec.to {
        address.parse::<Mailbox>().map_err(|e| format!("recipient {address:?} is not an address: {e}"))?;
    }
    Ok(())
}
