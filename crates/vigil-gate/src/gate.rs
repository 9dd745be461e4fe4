//! The command gate: the one way into an aggregate.
//!
//! Every command, whatever its entry point (a discovery, a REST call, the heartbeat checker,
//! the policy directory), passes `authorize (Rego) → record the decision → handle → audit`.
//! Authentication happened before, at the edge, and produced the [`Principal`].

use std::sync::Arc;

use serde_json::{Value, json};
use uuid::Uuid;
use vigil_audit::AuditLog;
use vigil_checks::execution::ChecksCommand;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::LandscapeCommand;
use vigil_policy::publication::PolicyCommand;
use vigil_policy::sla::SlaCommand;
use vigil_policy::{AuthzInput, CommandInput, Decision, TargetInput};
use vigil_reactions::operation::OperationCommand;

use crate::commands::{Commands, DispatchError, Dispatched, Refusal};
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
    /// What an SLA evaluation found.
    Sla(SlaCommand),
    /// An operation's request or outcome.
    Operation {
        /// The request (its stream).
        operation_id: Uuid,
        /// What to do with it.
        command: OperationCommand,
    },
    /// A command of a cluster's or host's checks.
    Checks {
        /// The cluster or host (its stream).
        target_id: Uuid,
        /// What to do.
        command: ChecksCommand,
    },
}

impl GateCommand {
    fn name(&self) -> &'static str {
        match self {
            GateCommand::Landscape(c) => c.name(),
            GateCommand::Policy(c) => c.name(),
            GateCommand::Sla(c) => c.name(),
            GateCommand::Operation { command, .. } => command.name(),
            GateCommand::Checks { command, .. } => command.name(),
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
        GateConfig { authorize: true, audit: true }
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
        CommandGate { commands, policies, decisions, audit, config }
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
            Via::Discovery(discovery_type) => {
                ("SubmitDiscovery", json!({ "discovery_type": discovery_type, "command": command.name() }))
            }
        };
        let input = AuthzInput {
            principal: principal.clone(),
            command: CommandInput { command_type: command_type.to_owned(), body, read: false },
            target: Some(TargetInput { id: target.1.clone(), kind: target.0.to_owned(), state }),
        };
        let decision = self.evaluate(&input)?;
        let decision_id = decision.decision_id;
        let record = json!({
            "principal": principal,
            "command": command.name(),
            "via": command_type,
            "target": { "kind": target.0, "id": target.1 },
            "decision_id": decision_id,
            "allowed": decision.allow == Some(true),
        });
        if decision.allow != Some(true) {
            let (recorded, audited) =
                tokio::join!(self.record_decision(principal, &decision), self.audit_record("command", record));
            recorded?;
            audited?;
            return Err(GateError::Denied { decision_id, reasons: decision.reasons });
        }
        // The decision record, the audit record and the command's own append go to the one
        // writer together, so they share group commits instead of waiting for each other.
        // The caller is answered only once all three are durable. The events the command
        // appends are audited by the event subscription, tied to this record by decision
        // and correlation id.
        let name = command.name();
        let (recorded, audited, outcome) = tokio::join!(
            self.record_decision(principal, &decision),
            self.audit_record("command", record),
            self.dispatch(command, meta),
        );
        recorded?;
        audited?;
        if let Err(refused) = &outcome {
            let body = json!({ "decision_id": decision_id, "command": name, "refused": refused.to_string() });
            self.audit_record("command_refused", body).await?;
        }
        outcome.map(|dispatched| Admitted { decision_id, dispatched }).map_err(GateError::Dispatch)
    }

    /// Submits a command that reacts to an event (a process manager's, a subscription's).
    /// A refusal means there is nothing to do (the target is gone or already as asked) and a
    /// denial is the policy's to explain: both are logged and count as done. Only a failure
    /// of the store or of the policy engine is returned, so that the event is processed
    /// again.
    pub async fn submit_reaction(
        &self,
        principal: &Principal,
        command: GateCommand,
        meta: &EventMetadata,
    ) -> Result<(), String> {
        let name = command.name();
        match self.submit(principal, command, Via::Direct, meta).await {
            Ok(_) => Ok(()),
            Err(GateError::Dispatch(refusal @ (DispatchError::Rejected(_) | DispatchError::NotFound(_)))) => {
                tracing::debug!(command = name, by = %principal.id, reason = %refusal, "a reaction was refused");
                Ok(())
            }
            Err(denied @ GateError::Denied { .. }) => {
                tracing::warn!(command = name, by = %principal.id, error = %denied, "the policy denied a reaction");
                Ok(())
            }
            Err(GateError::Dispatch(DispatchError::Failed(e)) | GateError::Unavailable(e)) => Err(e),
        }
    }

    async fn dispatch(&self, command: GateCommand, meta: &EventMetadata) -> Result<Dispatched, DispatchError> {
        match command {
            GateCommand::Landscape(c) => self.commands.dispatch(c, meta).await,
            GateCommand::Policy(c) => self
                .policies
                .apply(c, meta)
                .await
                .map(|(_, n_events, last_position)| Dispatched { n_events, last_position })
                .map_err(|e| match e {
                    PolicyServiceError::Failed(m) => DispatchError::Failed(m),
                    other => DispatchError::Rejected(Refusal::final_(other.to_string())),
                }),
            GateCommand::Operation { operation_id, command } => {
                self.commands.operation(operation_id, command, meta).await
            }
            GateCommand::Checks { target_id, command } => self.commands.checks(target_id, command, meta).await,
            GateCommand::Sla(c) => self
                .policies
                .report_sla(c, meta)
                .await
                .map(|(n_events, last_position)| Dispatched { n_events, last_position })
                .map_err(|e| DispatchError::Failed(e.to_string())),
        }
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
            command: CommandInput { command_type: read.to_owned(), body: Value::Null, read: true },
            target: target.map(|(kind, id)| TargetInput { id, kind: kind.to_owned(), state: Value::Null }),
        };
        let decision = self.decide(principal, &input).await?;
        if decision.allow == Some(true) {
            Ok(decision.decision_id)
        } else {
            Err(GateError::Denied { decision_id: decision.decision_id, reasons: decision.reasons })
        }
    }

    /// Authorizes a change of plain CRUD data (`AddTag`, `RemoveTag`, ...) that is not an
    /// aggregate's command: the policy decides as for a command (`read: false`), the decision
    /// is recorded, and the attempt is audited like a command, with `via: "crud"`. The caller
    /// makes the change only when this returns the decision id.
    pub async fn authorize_crud(
        &self,
        principal: &Principal,
        command_type: &str,
        target: (&str, String),
        body: Value,
    ) -> Result<Uuid, GateError> {
        let input = AuthzInput {
            principal: principal.clone(),
            command: CommandInput { command_type: command_type.to_owned(), body: body.clone(), read: false },
            target: Some(TargetInput { id: target.1.clone(), kind: target.0.to_owned(), state: Value::Null }),
        };
        let decision = self.decide(principal, &input).await?;
        let allowed = decision.allow == Some(true);
        let record = json!({
            "principal": principal,
            "command": command_type,
            "via": "crud",
            "target": { "kind": target.0, "id": target.1 },
            "body": body,
            "decision_id": decision.decision_id,
            "allowed": allowed,
        });
        self.audit_record("command", record).await?;
        if allowed {
            Ok(decision.decision_id)
        } else {
            Err(GateError::Denied { decision_id: decision.decision_id, reasons: decision.reasons })
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

    /// Evaluates `vigil.authz` and stores the decision record before returning.
    async fn decide(&self, principal: &Principal, input: &AuthzInput) -> Result<Decision, GateError> {
        let decision = self.evaluate(input)?;
        self.record_decision(principal, &decision).await?;
        Ok(decision)
    }

    /// Evaluates `vigil.authz` (or allows everything when authorization is switched off).
    fn evaluate(&self, input: &AuthzInput) -> Result<Decision, GateError> {
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
        Ok(decision)
    }

    async fn record_decision(&self, principal: &Principal, decision: &Decision) -> Result<(), GateError> {
        if !self.config.authorize {
            return Ok(());
        }
        self.decisions.record(principal, decision).await.map_err(|e| GateError::Unavailable(e.to_string()))
    }

    /// The target's kind, id and a summary of its current state, for the policy.
    async fn target(&self, command: &GateCommand) -> ((&'static str, String), Value) {
        match command {
            GateCommand::Landscape(LandscapeCommand::Host { host_id, .. }) => {
                let state = match self.commands.host(*host_id).await {
                    Ok(s) => json!({
                        "registered": s.host_id.is_some(),
                        "deregistered": s.deregistered_at.is_some(),
                        "heartbeat": s.heartbeat,
                    }),
                    Err(_) => Value::Null,
                };
                (("host", host_id.to_string()), state)
            }
            GateCommand::Landscape(LandscapeCommand::Cluster { cluster_id, .. }) => {
                let state = match self.commands.cluster(*cluster_id).await {
                    Ok(s) => json!({
                        "registered": s.cluster_id.is_some(),
                        "deregistered": s.deregistered,
                        "hosts": s.hosts.len(),
                    }),
                    Err(_) => Value::Null,
                };
                (("cluster", cluster_id.to_string()), state)
            }
            GateCommand::Landscape(LandscapeCommand::Database { database_id, .. }) => {
                let state = match self.commands.database(*database_id).await {
                    Ok(s) => json!({
                        "registered": s.is_registered(),
                        "deregistered": s.is_deregistered(),
                        "instances": s.instances.len(),
                    }),
                    Err(_) => Value::Null,
                };
                (("database", database_id.to_string()), state)
            }
            GateCommand::Landscape(LandscapeCommand::SapSystem { sap_system_id, .. }) => {
                let state = match self.commands.sap_system(*sap_system_id).await {
                    Ok(s) => json!({
                        "registered": s.registered,
                        "deregistered": s.deregistered_at.is_some(),
                        "instances": s.instances.len(),
                    }),
                    Err(_) => Value::Null,
                };
                (("sap_system", sap_system_id.to_string()), state)
            }
            GateCommand::Landscape(LandscapeCommand::ResolveApplicationInstance(_)) => {
                (("sap_system", String::new()), Value::Null)
            }
            GateCommand::Policy(c) => (("policy", c.path().to_owned()), Value::Null),
            GateCommand::Sla(_) => (("sla", "monitor".to_owned()), Value::Null),
            GateCommand::Operation { operation_id, command } => match command {
                OperationCommand::RequestOperation { target_kind, target_id, name, .. } => (
                    ("operation", operation_id.to_string()),
                    json!({ "operation": name, "target": { "kind": target_kind, "id": target_id } }),
                ),
                _ => (("operation", operation_id.to_string()), Value::Null),
            },
            GateCommand::Checks { target_id, .. } => (("checks", target_id.to_string()), Value::Null),
        }
    }
}

/// The command's body as policies see it. Landscape commands carry discovered data that
/// policies do not decide on; policy commands carry their path and author.
fn body_of(command: &GateCommand) -> Value {
    match command {
        GateCommand::Sla(SlaCommand::ReportSlaViolations { violations, .. }) => {
            json!({ "violations": violations.len() })
        }
        GateCommand::Landscape(_) => json!({}),
        GateCommand::Operation {
            command: OperationCommand::RequestOperation { name, target_kind, target_id, params, .. },
            ..
        } => {
            json!({ "name": name, "target_kind": target_kind, "target_id": target_id, "params": params })
        }
        GateCommand::Operation { .. } => json!({}),
        // Values customised per target are what an auditor asks about; results are not.
        GateCommand::Checks { command: ChecksCommand::SelectChecks { checks, values, .. }, .. } => {
            json!({ "checks": checks, "values": values })
        }
        GateCommand::Checks { command: ChecksCommand::StartChecksExecution { execution_id, checks, .. }, .. } => {
            json!({ "execution_id": execution_id, "checks": checks })
        }
        GateCommand::Checks {
            command: ChecksCommand::CompleteChecksExecution { execution_id, health, .. }, ..
        } => {
            json!({ "execution_id": execution_id, "health": health })
        }
        GateCommand::Policy(PolicyCommand::PublishPolicy { path, author, source, .. }) => {
            json!({ "path": path, "author": author, "bytes": source.len() })
        }
        GateCommand::Policy(PolicyCommand::RetirePolicy { path, author, .. }) => {
            json!({ "path": path, "author": author })
        }
    }
}
