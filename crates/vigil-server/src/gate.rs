//! The command gate: the one way into an aggregate.
//!
//! Every command, whatever its entry point (a discovery, a REST call, the heartbeat checker,
//! the policy directory), passes `authorize (Rego) → record the decision → handle → audit`.
//! Authentication happened before, at the edge, and produced the [`Principal`].

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;
use vigil_audit::AuditLog;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::LandscapeCommand;
use vigil_policy::publication::PolicyCommand;
use vigil_policy::{AuthzInput, CommandInput, Decision, TargetInput};

use crate::commands::{Commands, DispatchError, Dispatched};
use crate::decisions::DecisionLog;
use crate::policies::{Policies, PolicyServiceError};
use crate::principal::Principal;

/// A command of any aggregate, as the gate takes it.
// Landscape commands carry whole discoveries; a gate command lives for one request and is
// moved, not stored, so boxing the common variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum GateCommand {
    /// A landscape command.
    Landscape(LandscapeCommand),
    /// A policy publication or retirement.
    Policy(PolicyCommand),
}

impl GateCommand {
    fn name(&self) -> &'static str {
        match self {
            GateCommand::Landscape(c) => c.name(),
            GateCommand::Policy(c) => c.name(),
        }
    }
}

/// How a command reached the gate, when it is not a command of the caller's own: commands
/// derived from a discovery are authorized as the agent's `SubmitDiscovery`.
#[derive(Clone, Copy, Debug)]
pub enum Via {
    /// Sent as such.
    Direct,
    /// Derived from a discovery of this type.
    Discovery(&'static str),
}

/// What the gate did with a command.
#[derive(Clone, Copy, Debug)]
pub struct Admitted {
    /// The decision that let it through.
    pub decision_id: Uuid,
    /// What the aggregate did.
    pub dispatched: Dispatched,
}

/// Why a command did not pass or failed after passing.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The policy said no.
    #[error("denied: {}", reasons.join("; "))]
    Denied {
        /// The decision.
        decision_id: Uuid,
        /// The policy's reasons.
        reasons: Vec<String>,
    },
    /// The aggregate refused or failed.
    #[error(transparent)]
    Dispatch(DispatchError),
    /// The policy could not be evaluated or the decision not recorded.
    #[error("{0}")]
    Unavailable(String),
}

/// Switches for measuring the gate's own cost; both are on in every real deployment.
#[derive(Clone, Copy, Debug)]
pub struct GateConfig {
    /// Evaluate `vigil.authz` and record the decision.
    pub authorize: bool,
    /// Append an audit record per command.
    pub audit: bool,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            authorize: true,
            audit: true,
        }
    }
}

/// The gate.
pub struct CommandGate {
    commands: Arc<Commands>,
    policies: Arc<Policies>,
    decisions: DecisionLog,
    audit: AuditLog,
    config: GateConfig,
}

impl CommandGate {
    /// A gate in front of `commands` and `policies`.
    pub fn new(
        commands: Arc<Commands>,
        policies: Arc<Policies>,
        decisions: DecisionLog,
        audit: AuditLog,
        config: GateConfig,
    ) -> Self {
        CommandGate {
            commands,
            policies,
            decisions,
            audit,
            config,
        }
    }

    /// Authorizes, records and handles `command` for `principal`.
    pub async fn submit(
        &self,
        principal: &Principal,
        command: GateCommand,
        via: Via,
        meta: &EventMetadata,
    ) -> Result<Admitted, GateError> {
        let (target, state) = self.target(&command).await;
        let (command_type, body) = match via {
            Via::Direct => (command.name(), body_of(&command)),
            Via::Discovery(discovery_type) => (
                "SubmitDiscovery",
                json!({ "discovery_type": discovery_type, "command": command.name() }),
            ),
        };
        let input = AuthzInput {
            principal: principal.clone(),
            command: CommandInput {
                command_type: command_type.to_owned(),
                body,
                read: false,
            },
            target: Some(TargetInput {
                id: target.1.clone(),
                kind: target.0.to_owned(),
                state,
            }),
        };
        let decision = self.decide(principal, &input).await?;
        let decision_id = decision.decision_id;
        let mut record = json!({
            "principal": principal,
            "command": command.name(),
            "via": command_type,
            "target": { "kind": target.0, "id": target.1 },
            "decision_id": decision_id,
            "allowed": decision.allow == Some(true),
        });
        if decision.allow != Some(true) {
            self.audit_record("command", record).await?;
            return Err(GateError::Denied {
                decision_id,
                reasons: decision.reasons,
            });
        }
        let outcome = match command {
            GateCommand::Landscape(c) => self.commands.dispatch(c, meta).await,
            GateCommand::Policy(c) => self
                .policies
                .apply(c, meta)
                .await
                .map(|(_, n_events, last_position)| Dispatched {
                    n_events,
                    last_position,
                })
                .map_err(|e| match e {
                    PolicyServiceError::Failed(m) => DispatchError::Failed(m),
                    other => DispatchError::Rejected(other.to_string()),
                }),
        };
        record["outcome"] = match &outcome {
            Ok(d) => json!({ "events": d.n_events, "last_position": d.last_position }),
            Err(e) => json!({ "refused": e.to_string() }),
        };
        self.audit_record("command", record).await?;
        outcome
            .map(|dispatched| Admitted {
                decision_id,
                dispatched,
            })
            .map_err(GateError::Dispatch)
    }

    /// Authorizes a read (`ReadHosts`, `ReadEvents`, ...) and records the decision.
    pub async fn authorize_read(
        &self,
        principal: &Principal,
        read: &str,
        target: Option<(&str, String)>,
    ) -> Result<Uuid, GateError> {
        let input = AuthzInput {
            principal: principal.clone(),
            command: CommandInput {
                command_type: read.to_owned(),
                body: Value::Null,
                read: true,
            },
            target: target.map(|(kind, id)| TargetInput {
                id,
                kind: kind.to_owned(),
                state: Value::Null,
            }),
        };
        let decision = self.decide(principal, &input).await?;
        if decision.allow == Some(true) {
            Ok(decision.decision_id)
        } else {
            Err(GateError::Denied {
                decision_id: decision.decision_id,
                reasons: decision.reasons,
            })
        }
    }

    /// Records an event of security interest that is not a command (an authentication
    /// failure, say) in the audit log.
    pub async fn audit_record(&self, kind: &str, body: Value) -> Result<(), GateError> {
        if !self.config.audit {
            return Ok(());
        }
        self.audit
            .append(kind, chrono::Utc::now(), &body)
            .await
            .map(|_| ())
            .map_err(|e| GateError::Unavailable(format!("audit log: {e}")))
    }

    async fn decide(&self, principal: &Principal, input: &AuthzInput) -> Result<Decision, GateError> {
        if !self.config.authorize {
            return Ok(Decision {
                decision_id: Uuid::nil(),
                policy: "vigil.authz".into(),
                revision: self.policies.repository().revision(),
                input: Value::Null,
                result: Value::Null,
                allow: Some(true),
                reasons: vec!["authorization switched off".into()],
                latency_us: 0,
            });
        }
        let decision = self
            .policies
            .repository()
            .current()
            .authorize(input)
            .map_err(|e| GateError::Unavailable(format!("authorization policy failed: {e}")))?;
        metrics::histogram!("vigil_policy_decision_seconds").record(decision.latency_us as f64 / 1e6);
        self.decisions
            .record(principal, &decision)
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        Ok(decision)
    }

    /// The target's kind, id and a summary of its current state, for the policy.
    async fn target(&self, command: &GateCommand) -> ((&'static str, String), Value) {
        match command {
            GateCommand::Landscape(LandscapeCommand::Host { host_id, .. }) => {
                let state = match self.commands.host(*host_id).await {
                    Ok(s) => json!({ "registered": s.host_id.is_some(), "heartbeat": s.heartbeat }),
                    Err(_) => Value::Null,
                };
                (("host", host_id.to_string()), state)
            }
            GateCommand::Landscape(LandscapeCommand::Cluster { cluster_id, .. }) => {
                (("cluster", cluster_id.to_string()), Value::Null)
            }
            GateCommand::Landscape(LandscapeCommand::Database { database_id, .. }) => {
                (("database", database_id.to_string()), Value::Null)
            }
            GateCommand::Landscape(LandscapeCommand::SapSystem { sap_system_id, .. }) => {
                (("sap_system", sap_system_id.to_string()), Value::Null)
            }
            GateCommand::Landscape(LandscapeCommand::ResolveApplicationInstance(_)) => {
                (("sap_system", String::new()), Value::Null)
            }
            GateCommand::Policy(c) => (("policy", c.path().to_owned()), Value::Null),
        }
    }
}

/// The command's body as policies see it. Landscape commands carry discovered data that
/// policies do not decide on; policy commands carry their path and author.
fn body_of(command: &GateCommand) -> Value {
    match command {
        GateCommand::Landscape(_) => json!({}),
        GateCommand::Policy(PolicyCommand::PublishPolicy {
            path, author, source, ..
        }) => {
            json!({ "path": path, "author": author, "bytes": source.len() })
        }
        GateCommand::Policy(PolicyCommand::RetirePolicy { path, author, .. }) => {
            json!({ "path": path, "author": author })
        }
    }
}
