//! What an action can do. Each kind has a spec (its part of a rule, as written in
//! `actions.toml` or sent to the rules API) and an [`Action`](crate::action::Action) that
//! runs one attempt of it.
//!
//! `command` and `workflow` are run by the worker itself (they need the command gate and
//! the execution's stored progress); the others stand alone.

pub mod email;
pub mod program;
pub mod service;
pub mod webhook;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use email::{EmailSpec, SmtpSettings};
pub use program::ProgramSpec;
pub use service::ServiceSpec;
pub use webhook::WebhookSpec;

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
