//! Decision records: what a policy said, about what, under which revision.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::Revision;

/// The record of one policy evaluation.
///
/// Every evaluation yields one, allowed or not, so the audit log can answer "why was this
/// allowed?" with the exact revision and (masked) input. Persisting it is the caller's job:
/// this crate does no I/O on the evaluation path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Decision {
    /// A UUIDv7, so records sort by time without a separate timestamp.
    pub decision_id: Uuid,
    /// The evaluated package without the `data.` prefix, e.g. `vigil.authz`.
    pub policy: String,
    /// The revision of the policy set that decided.
    pub revision: Revision,
    /// The input document with the audit mask applied (see [`crate::mask()`]).
    pub input: Value,
    /// The evaluation point's whole result, e.g. `{"allow": false, "reasons": [...]}`.
    pub result: Value,
    /// The verdict for points that have one (authz, admission); `None` for SLA and audit.
    pub allow: Option<bool>,
    /// Human-readable explanations, sorted; empty when the policy gave none.
    pub reasons: Vec<String>,
    /// Wall-clock time of the evaluation, masking included, in microseconds.
    pub latency_us: u64,
}

/// One SLA violation, as produced by `data.vigil.sla.violations`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Violation {
    /// A stable id for the violation, so repeated evaluations can be deduplicated, e.g.
    /// `heartbeat/host-1`.
    pub id: String,
    /// What violates the SLA: a host, cluster or other read-model id.
    pub subject: String,
    /// The SLA policy that is violated, e.g. `heartbeat`.
    pub policy: String,
    /// A human-readable explanation.
    pub message: String,
}

/// The outcome of an SLA evaluation: the violations, and the decision record.
#[derive(Clone, Debug, PartialEq)]
pub struct SlaReport {
    /// The violations, sorted by id.
    pub violations: Vec<Violation>,
    /// The decision record; its `result` is `{"violations": [...]}`.
    pub decision: Decision,
}
