//! Typed input documents for the evaluation points.
//!
//! Callers may also pass any `serde_json::Value` to [`crate::CompiledPolicies::evaluate`];
//! these types exist so Rust callers build the documented shape by construction. The JSON
//! Schemas in `schemas/` describe the same shapes for policy authors.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Input of `data.vigil.authz`: may `principal` run `command` against `target`?
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthzInput {
    /// Who is asking.
    pub principal: Principal,
    /// What they ask for.
    pub command: CommandInput,
    /// What the command acts on; absent for commands without a single target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetInput>,
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// What sort of caller this is; the default policy treats each kind differently.
    pub kind: PrincipalKind,
    /// The caller's id: agent id, user name, service or token name.
    pub id: String,
    /// Roles granted to the caller (`admin`, `operator`, `viewer` in the default bundle).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// The kinds of principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A Vigil or Trento agent on a monitored host.
    Agent,
    /// A person, through the UI, API or CLI.
    User,
    /// Another program with an API token.
    Service,
    /// Vigil itself: scenario detection, process managers, scheduled jobs.
    System,
}

/// The command being authorized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandInput {
    /// The command's type name, e.g. `DeregisterHost`, `ReadHost`, `PublishPolicy`.
    #[serde(rename = "type")]
    pub command_type: String,
    /// The command's payload as sent (masked before it is recorded).
    #[serde(default)]
    pub body: Value,
    /// Set by the gate, never from the request, for commands that only read (queries routed
    /// from GET endpoints). Commands named `Read*` count as reads without it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read: bool,
}

/// A summary of the command's target, enough for policies to decide on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetInput {
    /// The target's id.
    pub id: String,
    /// The target's kind, e.g. `host`, `cluster`, `sap_system`.
    pub kind: String,
    /// A summary of its current state (health, tags, ...); free-form.
    #[serde(default)]
    pub state: Value,
}

/// Input of `data.vigil.admission`: may `action` run in reaction to `event`?
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdmissionInput {
    /// The triggering event as a CloudEvents 1.0 JSON object.
    pub event: Value,
    /// The action about to run.
    pub action: ActionInput,
    /// Whatever the actions service looked up about the event's subject; free-form.
    #[serde(default)]
    pub enrichment: Value,
}

/// An action about to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionInput {
    /// The configured action's name.
    pub name: String,
    /// Its kind: `email`, `webhook`, `service`, `program`, ...
    pub kind: String,
    /// Its parameters after templating.
    #[serde(default)]
    pub params: Value,
}
