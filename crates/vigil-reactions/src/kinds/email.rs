//! `email`: a templated mail through SMTP (lettre).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Secret;

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
