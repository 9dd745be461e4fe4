//! Operations: what an operator asks Vigil to do on a host or cluster (apply a saptune
//! solution, put a cluster in maintenance), as Trento offers them.
//!
//! One stream per request (`operation-<uuid>`), a pure decider. `OperationRequested` is an
//! event like any other: the actions service's built-in rule for it runs the operation's
//! configured action (a `program` or a `service`, admitted by policy) and reports back with
//! `CompleteOperation` or `FailOperation`, so the outcome is an event too and the whole
//! story of a request is its stream.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use vigil_kernel::decider::{Decider, DomainEvent};

/// What an operation can be asked.
#[derive(Clone, Debug, PartialEq)]
pub enum OperationCommand {
    /// Run operation `name` on a target.
    RequestOperation {
        /// The request's id (the stream's).
        operation_id: Uuid,
        /// The configured operation.
        name: String,
        /// `host` or `cluster`.
        target_kind: String,
        /// The host or cluster.
        target_id: Uuid,
        /// Parameters the operation's templates may use.
        params: Value,
        /// Who asked (the principal's id).
        requested_by: String,
        /// When.
        requested_at: DateTime<Utc>,
    },
    /// The action succeeded.
    CompleteOperation {
        /// What it reported.
        result: Value,
        /// When.
        at: DateTime<Utc>,
    },
    /// The action failed for good (dead, denied, or refused).
    FailOperation {
        /// Why.
        error: String,
        /// When.
        at: DateTime<Utc>,
    },
}

impl OperationCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match self {
            OperationCommand::RequestOperation { .. } => "RequestOperation",
            OperationCommand::CompleteOperation { .. } => "CompleteOperation",
            OperationCommand::FailOperation { .. } => "FailOperation",
        }
    }
}

/// What happened to an operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum OperationEvent {
    /// An operation was asked for.
    OperationRequested(OperationRequested),
    /// It succeeded.
    OperationCompleted(OperationCompleted),
    /// It failed.
    OperationFailed(OperationFailed),
}

/// See [`OperationEvent::OperationRequested`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationRequested {
    /// The request.
    pub operation_id: Uuid,
    /// The configured operation.
    pub name: String,
    /// `host` or `cluster`.
    pub target_kind: String,
    /// The target.
    pub target_id: Uuid,
    /// Its parameters.
    pub params: Value,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// See [`OperationEvent::OperationCompleted`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationCompleted {
    /// The request.
    pub operation_id: Uuid,
    /// What the action reported.
    pub result: Value,
    /// When.
    pub completed_at: DateTime<Utc>,
}

/// See [`OperationEvent::OperationFailed`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationFailed {
    /// The request.
    pub operation_id: Uuid,
    /// Why.
    pub error: String,
    /// When.
    pub failed_at: DateTime<Utc>,
}

impl DomainEvent for OperationEvent {
    fn event_type(&self) -> &'static str {
        match self {
            OperationEvent::OperationRequested(_) => "OperationRequested",
            OperationEvent::OperationCompleted(_) => "OperationCompleted",
            OperationEvent::OperationFailed(_) => "OperationFailed",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        matches!(event_type, "OperationRequested" | "OperationCompleted" | "OperationFailed").then_some(1)
    }
}

/// Where a request stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum OperationState {
    /// Not requested.
    #[default]
    None,
    /// Requested, not finished.
    Requested {
        /// The request.
        operation_id: Uuid,
    },
    /// Finished (completed or failed).
    Finished,
}

/// Why an operation command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OperationRejection {
    /// A request id used twice.
    #[error("operation {0} was requested already")]
    AlreadyRequested(Uuid),
    /// An outcome for a request that does not exist.
    #[error("no such operation request")]
    NotRequested,
}

/// The operation decider.
pub struct Operation;

impl Decider for Operation {
    type State = OperationState;
    type Command = OperationCommand;
    type Event = OperationEvent;
    type Rejection = OperationRejection;
    const CATEGORY: &'static str = "operation";

    fn decide(state: &OperationState, command: OperationCommand) -> Result<Vec<OperationEvent>, OperationRejection> {
        match (state, command) {
            (
                OperationState::None,
                OperationCommand::RequestOperation {
                    operation_id,
                    name,
                    target_kind,
                    target_id,
                    params,
                    requested_by,
                    requested_at,
                },
            ) => Ok(vec![OperationEvent::OperationRequested(OperationRequested {
                operation_id,
                name,
                target_kind,
                target_id,
                params,
                requested_by,
                requested_at,
            })]),
            (_, OperationCommand::RequestOperation { operation_id, .. }) => {
                Err(OperationRejection::AlreadyRequested(operation_id))
            }
            (OperationState::None, _) => Err(OperationRejection::NotRequested),
            // An outcome reported again (a redelivered execution) changes nothing.
            (OperationState::Finished, _) => Ok(Vec::new()),
            (OperationState::Requested { operation_id }, OperationCommand::CompleteOperation { result, at }) => {
                Ok(vec![OperationEvent::OperationCompleted(OperationCompleted {
                    operation_id: *operation_id,
                    result,
                    completed_at: at,
                })])
            }
            (OperationState::Requested { operation_id }, OperationCommand::FailOperation { error, at }) => {
                Ok(vec![OperationEvent::OperationFailed(OperationFailed {
                    operation_id: *operation_id,
                    error,
                    failed_at: at,
                })])
            }
        }
    }

    fn evolve(_: OperationState, event: &OperationEvent) -> OperationState {
        match event {
            OperationEvent::OperationRequested(e) => OperationState::Requested { operation_id: e.operation_id },
            OperationEvent::OperationCompleted(_) | OperationEvent::OperationFailed(_) => OperationState::Finished,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(id: Uuid) -> OperationCommand {
        OperationCommand::RequestOperation {
            operation_id: id,
            name: "saptune_apply".into(),
            target_kind: "host".into(),
            target_id: Uuid::nil(),
            params: json!({"solution": "HANA"}),
            requested_by: "alice".into(),
            requested_at: Utc::now(),
        }
    }

    #[test]
    fn a_request_completes_once_and_a_repeated_outcome_changes_nothing() {
        let id = Uuid::now_v7();
        let events = Operation::decide(&OperationState::None, request(id)).unwrap();
        let state = Operation::fold(&events);
        assert_eq!(state, OperationState::Requested { operation_id: id });
        assert_eq!(Operation::decide(&state, request(id)), Err(OperationRejection::AlreadyRequested(id)));
        let done = Operation::decide(&state, OperationCommand::CompleteOperation { result: json!({}), at: Utc::now() })
            .unwrap();
        assert!(matches!(done[0], OperationEvent::OperationCompleted(_)));
        let state = Operation::evolve(state, &done[0]);
        let again = OperationCommand::FailOperation { error: "late".into(), at: Utc::now() };
        assert_eq!(Operation::decide(&state, again).unwrap(), Vec::new());
    }

    #[test]
    fn an_outcome_without_a_request_is_refused() {
        let outcome = OperationCommand::FailOperation { error: "x".into(), at: Utc::now() };
        assert_eq!(Operation::decide(&OperationState::None, outcome), Err(OperationRejection::NotRequested));
    }
}
