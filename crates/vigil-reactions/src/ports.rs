//! What the actions service asks of the rest of Vigil. The server implements these with the
//! command gate, the policies in force, the read models and the audit log; the engine sees
//! only the traits, so it runs the same on any store and under test.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;
use vigil_policy::AdmissionInput;

use crate::action::{Action, ActionError};
use crate::rule::ActionSpec;

/// The admission policy's answer for one attempt, as recorded with it.
#[derive(Clone, Debug, PartialEq)]
pub struct AdmissionDecision {
    /// Whether the action may run.
    pub allow: bool,
    /// Why not (the policy's `reasons`).
    pub reasons: Vec<String>,
    /// The stored decision record.
    pub decision_id: Uuid,
}

/// `data.vigil.admission`: may this action run for this event?
#[async_trait]
pub trait Admission: Send + Sync {
    /// Evaluates the policy and stores the decision before answering.
    async fn admit(&self, input: AdmissionInput) -> Result<AdmissionDecision, String>;
}

/// Read-model lookups for enrichment.
#[async_trait]
pub trait Lookup: Send + Sync {
    /// The `model` (`host`, `cluster`, `database`, `sap_system`) entry with id `subject`, as the
    /// API shows it; `None` when there is none.
    async fn lookup(&self, model: &str, subject: &str) -> Result<Option<Value>, String>;
}

/// The `command` kind: a Vigil command, through the command gate.
#[async_trait]
pub trait Commands: Send + Sync {
    /// Submits `command` with its rendered fields as the actions service's principal, caused
    /// by `event`; the answer is recorded with the attempt.
    async fn submit(
        &self,
        command: &str,
        params: Value,
        execution_id: Uuid,
        event: &Value,
    ) -> Result<Value, ActionError>;
}

/// The audit log: every execution's outcome is a record.
#[async_trait]
pub trait AuditTrail: Send + Sync {
    /// Appends a record of `kind`.
    async fn record(&self, kind: &str, body: Value) -> Result<(), String>;
}

/// Builds the stand-alone kinds (`email`, `webhook`, `service`, `program`) from their specs.
#[async_trait]
pub trait ActionKinds: Send + Sync {
    /// The configured action, or why it cannot be built (a disabled kind, a bad template).
    fn build(&self, spec: &ActionSpec) -> Result<Arc<dyn Action>, String>;

    /// Fetches an HTTP enrichment: POST the event, take the JSON answer.
    async fn enrich_http(&self, url: &str, timeout: std::time::Duration, event: &Value) -> Result<Value, ActionError>;
}

/// Everything the engine needs from outside, in one value.
#[derive(Clone)]
pub struct Ports {
    /// See [`Admission`].
    pub admission: Arc<dyn Admission>,
    /// See [`Lookup`].
    pub lookup: Arc<dyn Lookup>,
    /// See [`Commands`].
    pub commands: Arc<dyn Commands>,
    /// See [`AuditTrail`].
    pub audit: Arc<dyn AuditTrail>,
    /// See [`ActionKinds`].
    pub kinds: Arc<dyn ActionKinds>,
}
