//! What every action kind implements, and what it is given.

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;

/// One attempt of one execution, as an action kind sees it.
#[derive(Clone, Debug)]
pub struct ActionRequest<'a> {
    /// Stable for (event, rule) across attempts and restarts: the idempotency key a
    /// receiver uses to drop a repeated delivery (`webhook-id`, `Message-ID`, ...).
    pub execution_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The rule's name.
    pub rule: &'a str,
    /// The triggering event as a CloudEvents 1.0 JSON object.
    pub event: &'a Value,
    /// What enrichment found (an object keyed by source name; `{}` when none).
    pub enrichment: &'a Value,
}

impl ActionRequest<'_> {
    /// The document templates are rendered against: `event`, `enrichment`, `rule`,
    /// `execution_id`, `attempt`.
    pub fn template_context(&self) -> Value {
        serde_json::json!({
            "event": self.event,
            "enrichment": self.enrichment,
            "rule": self.rule,
            "execution_id": self.execution_id,
            "attempt": self.attempt,
        })
    }
}

/// What an action reports back on success; stored with the attempt (keep it small).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionOutput {
    /// Free-form detail: the receiver's status, the service's answer, the program's output.
    pub detail: Value,
}

/// Why an attempt failed, and whether trying again can help.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ActionError {
    /// Try again later (a 5xx, a timeout, a refused connection, a temporary SMTP code).
    #[error("{0}")]
    Retryable(String),
    /// Trying again cannot help (a 4xx, a template that does not render, a permanent SMTP
    /// code): the execution goes to the dead letters at once.
    #[error("{0}")]
    Permanent(String),
}

/// An action kind, configured: runs one attempt.
///
/// Implementations must bound the attempt's time themselves (each kind has a `timeout`) and
/// must not panic on any event: the worker records whatever comes back.
#[async_trait]
pub trait Action: Send + Sync {
    /// Runs one attempt.
    async fn run(&self, request: &ActionRequest<'_>) -> Result<ActionOutput, ActionError>;
}
