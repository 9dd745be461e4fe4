//! The checks of one target as an aggregate (stream `checks-<target id>`), a pure decider:
//! which checks are selected with which values (ChecksSelected), and each execution's start
//! and results (ChecksExecutionStarted, ChecksExecutionCompleted).
//!
//! Which check ids exist is the catalog's business: the caller validates a selection
//! against it before submitting. The decider keeps the history straight: a selection that
//! changes nothing records nothing, an execution completes once and only if it was
//! started, and a newer start supersedes a running one (an agent that never answered must
//! not block the next scheduled run).
//!
//! The server's checks runner submits these through the command gate
//! (`GateCommand::Checks`); the read model is `vigil-readmodel`'s `checks`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use vigil_kernel::decider::{Decider, DomainEvent};

use crate::check::{CheckResult, Health, TargetType};

/// What may be asked of a target's checks.
#[derive(Clone, Debug, PartialEq)]
pub enum ChecksCommand {
    /// Select the checks to run on the target, with customised values (check id → value
    /// name → value).
    SelectChecks {
        /// Cluster or host.
        target_type: TargetType,
        /// The cluster's or host's id.
        target_id: Uuid,
        /// Check ids, validated against the catalog by the caller.
        checks: Vec<String>,
        /// Customised values.
        values: BTreeMap<String, BTreeMap<String, Value>>,
    },
    /// An execution begins (scheduled, after a change, or on demand).
    StartChecksExecution {
        /// Minted by the caller, so a retried request starts nothing twice.
        execution_id: Uuid,
        /// Cluster or host.
        target_type: TargetType,
        /// The cluster's or host's id.
        target_id: Uuid,
        /// The checks it runs.
        checks: Vec<String>,
        /// The agents asked for facts.
        agents: Vec<Uuid>,
    },
    /// An execution's results.
    CompleteChecksExecution {
        /// The execution that started.
        execution_id: Uuid,
        /// Worst of the results.
        health: Health,
        /// One per check run.
        results: Vec<CheckResult>,
        /// What each agent gave.
        agents: BTreeMap<Uuid, Value>,
    },
}

impl ChecksCommand {
    /// The command's type name, as policies and the audit log see it.
    pub fn name(&self) -> &'static str {
        match self {
            ChecksCommand::SelectChecks { .. } => "SelectChecks",
            ChecksCommand::StartChecksExecution { .. } => "StartChecksExecution",
            ChecksCommand::CompleteChecksExecution { .. } => "CompleteChecksExecution",
        }
    }
}

/// What happened to a target's checks, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ChecksEvent {
    /// The selection changed.
    ChecksSelected(ChecksSelected),
    /// An execution began.
    ChecksExecutionStarted(ChecksExecutionStarted),
    /// An execution's results.
    ChecksExecutionCompleted(ChecksExecutionCompleted),
}

/// The data of [`ChecksEvent::ChecksSelected`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChecksSelected {
    /// Cluster or host.
    pub target_type: TargetType,
    /// The target.
    pub target_id: Uuid,
    /// Sorted, without duplicates.
    pub checks: Vec<String>,
    /// Customised values.
    pub values: BTreeMap<String, BTreeMap<String, Value>>,
}

/// The data of [`ChecksEvent::ChecksExecutionStarted`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChecksExecutionStarted {
    /// The execution.
    pub execution_id: Uuid,
    /// Cluster or host.
    pub target_type: TargetType,
    /// The target.
    pub target_id: Uuid,
    /// The checks it runs, sorted.
    pub checks: Vec<String>,
    /// The agents asked for facts (the target's hosts); none when no check needs facts.
    #[serde(default)]
    pub agents: Vec<Uuid>,
}

/// The data of [`ChecksEvent::ChecksExecutionCompleted`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChecksExecutionCompleted {
    /// The execution.
    pub execution_id: Uuid,
    /// Cluster or host.
    pub target_type: TargetType,
    /// The target.
    pub target_id: Uuid,
    /// Worst of the results.
    pub health: Health,
    /// One per check run.
    pub results: Vec<CheckResult>,
    /// What each agent asked gave: its facts, or why it gave none.
    #[serde(default)]
    pub agents: BTreeMap<Uuid, Value>,
}

impl ChecksEvent {
    /// The target the event is about.
    pub fn target_id(&self) -> Uuid {
        match self {
            ChecksEvent::ChecksSelected(e) => e.target_id,
            ChecksEvent::ChecksExecutionStarted(e) => e.target_id,
            ChecksEvent::ChecksExecutionCompleted(e) => e.target_id,
        }
    }
}

impl DomainEvent for ChecksEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ChecksEvent::ChecksSelected(_) => "ChecksSelected",
            ChecksEvent::ChecksExecutionStarted(_) => "ChecksExecutionStarted",
            ChecksEvent::ChecksExecutionCompleted(_) => "ChecksExecutionCompleted",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        matches!(event_type, "ChecksSelected" | "ChecksExecutionStarted" | "ChecksExecutionCompleted").then_some(1)
    }
}

/// What the aggregate remembers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChecksState {
    /// The target, once any event named it.
    pub target: Option<(TargetType, Uuid)>,
    /// The selection in force.
    pub selection: Option<ChecksSelected>,
    /// The execution started and not completed.
    pub running: Option<Uuid>,
    /// The last completed execution and its health.
    pub last_completed: Option<(Uuid, Health)>,
}

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChecksRejection {
    /// The command names another target than the stream's.
    #[error("this stream holds the checks of {expected}, not {got}")]
    WrongTarget {
        /// The stream's target.
        expected: Uuid,
        /// The command's.
        got: Uuid,
    },
    /// Results for an execution that is not running (never started, or superseded).
    #[error("execution {0} is not running")]
    NotRunning(Uuid),
}

/// The decider.
pub struct TargetChecks;

impl Decider for TargetChecks {
    type State = ChecksState;
    type Command = ChecksCommand;
    type Event = ChecksEvent;
    type Rejection = ChecksRejection;
    const CATEGORY: &'static str = "checks";

    fn decide(state: &ChecksState, command: ChecksCommand) -> Result<Vec<ChecksEvent>, ChecksRejection> {
        let same_target = |target_id: Uuid| match state.target {
            Some((_, expected)) if expected != target_id => {
                Err(ChecksRejection::WrongTarget { expected, got: target_id })
            }
            _ => Ok(()),
        };
        match command {
            ChecksCommand::SelectChecks { target_type, target_id, mut checks, values } => {
                same_target(target_id)?;
                checks.sort();
                checks.dedup();
                let selected = ChecksSelected { target_type, target_id, checks, values };
                if state.selection.as_ref() == Some(&selected) {
                    return Ok(Vec::new());
                }
                Ok(vec![ChecksEvent::ChecksSelected(selected)])
            }
            ChecksCommand::StartChecksExecution { execution_id, target_type, target_id, mut checks, agents } => {
                same_target(target_id)?;
                let already = state.running == Some(execution_id)
                    || state.last_completed.is_some_and(|(id, _)| id == execution_id);
                if already {
                    return Ok(Vec::new());
                }
                checks.sort();
                checks.dedup();
                Ok(vec![ChecksEvent::ChecksExecutionStarted(ChecksExecutionStarted {
                    execution_id,
                    target_type,
                    target_id,
                    checks,
                    agents,
                })])
            }
            ChecksCommand::CompleteChecksExecution { execution_id, health, results, agents } => {
                if state.last_completed.is_some_and(|(id, _)| id == execution_id) {
                    return Ok(Vec::new());
                }
                if state.running != Some(execution_id) {
                    return Err(ChecksRejection::NotRunning(execution_id));
                }
                let (target_type, target_id) = state.target.ok_or(ChecksRejection::NotRunning(execution_id))?;
                Ok(vec![ChecksEvent::ChecksExecutionCompleted(ChecksExecutionCompleted {
                    execution_id,
                    target_type,
                    target_id,
                    health,
                    results,
                    agents,
                })])
            }
        }
    }

    fn evolve(mut state: ChecksState, event: &ChecksEvent) -> ChecksState {
        match event {
            ChecksEvent::ChecksSelected(e) => {
                state.target = Some((e.target_type, e.target_id));
                state.selection = Some(e.clone());
            }
            ChecksEvent::ChecksExecutionStarted(e) => {
                state.target = Some((e.target_type, e.target_id));
                state.running = Some(e.execution_id);
            }
            ChecksEvent::ChecksExecutionCompleted(e) => {
                state.running = None;
                state.last_completed = Some((e.execution_id, e.health));
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::check::Status;

    const CLUSTER: Uuid = Uuid::from_u128(0xc1);

    fn given(events: &[ChecksEvent]) -> ChecksState {
        TargetChecks::fold(events)
    }

    fn select(checks: &[&str]) -> ChecksCommand {
        ChecksCommand::SelectChecks {
            target_type: TargetType::Cluster,
            target_id: CLUSTER,
            checks: checks.iter().map(|c| (*c).to_owned()).collect(),
            values: BTreeMap::new(),
        }
    }

    fn start(id: u128) -> ChecksCommand {
        ChecksCommand::StartChecksExecution {
            execution_id: Uuid::from_u128(id),
            target_type: TargetType::Cluster,
            target_id: CLUSTER,
            checks: vec!["stonith_enabled".into()],
            agents: vec![],
        }
    }

    fn complete(id: u128) -> ChecksCommand {
        ChecksCommand::CompleteChecksExecution {
            execution_id: Uuid::from_u128(id),
            health: Health::Critical,
            results: vec![CheckResult {
                check_id: "stonith_enabled".into(),
                status: Status::Critical,
                message: "stonith-enabled is false".into(),
                observed: json!("false"),
                expected: json!("true"),
                hosts: vec![],
            }],
            agents: BTreeMap::new(),
        }
    }

    fn run(state: &ChecksState, command: ChecksCommand) -> Result<Vec<ChecksEvent>, ChecksRejection> {
        TargetChecks::decide(state, command)
    }

    #[test]
    fn a_selection_is_recorded_sorted_once_and_again_only_when_it_changes() {
        let events = run(&given(&[]), select(&["sbd_startmode", "stonith_enabled", "sbd_startmode"])).unwrap();
        let ChecksEvent::ChecksSelected(selected) = &events[0] else { panic!("{events:?}") };
        assert_eq!(selected.checks, ["sbd_startmode", "stonith_enabled"]);
        let state = given(&events);
        assert!(run(&state, select(&["stonith_enabled", "sbd_startmode"])).unwrap().is_empty());
        assert_eq!(run(&state, select(&["stonith_enabled"])).unwrap().len(), 1);
    }

    #[test]
    fn an_execution_completes_once_and_only_after_it_started() {
        assert_eq!(run(&given(&[]), complete(1)), Err(ChecksRejection::NotRunning(Uuid::from_u128(1))));
        let started = run(&given(&[]), start(1)).unwrap();
        let state = given(&started);
        assert!(run(&state, start(1)).unwrap().is_empty(), "a retried start starts nothing");
        let completed = run(&state, complete(1)).unwrap();
        assert!(matches!(&completed[0], ChecksEvent::ChecksExecutionCompleted(c) if c.health == Health::Critical));
        let done = given(&[started, completed].concat());
        assert_eq!(done.last_completed, Some((Uuid::from_u128(1), Health::Critical)));
        assert!(run(&done, complete(1)).unwrap().is_empty(), "a retried completion records nothing");
    }

    #[test]
    fn a_newer_start_supersedes_a_running_execution() {
        let state = given(&run(&given(&[]), start(1)).unwrap());
        let newer = run(&state, start(2)).unwrap();
        let state = TargetChecks::evolve(state, &newer[0]);
        assert_eq!(run(&state, complete(1)), Err(ChecksRejection::NotRunning(Uuid::from_u128(1))));
        assert_eq!(run(&state, complete(2)).unwrap().len(), 1);
    }

    #[test]
    fn another_targets_command_is_refused() {
        let state = given(&run(&given(&[]), select(&["stonith_enabled"])).unwrap());
        let other = ChecksCommand::SelectChecks {
            target_type: TargetType::Cluster,
            target_id: Uuid::from_u128(0xc2),
            checks: vec![],
            values: BTreeMap::new(),
        };
        assert!(matches!(run(&state, other), Err(ChecksRejection::WrongTarget { .. })));
    }

    #[test]
    fn golden_event_json() {
        let events = run(&given(&[]), start(1)).unwrap();
        assert_eq!(
            serde_json::to_value(&events[0]).unwrap(),
            json!({"type": "ChecksExecutionStarted", "data": {
                "execution_id": "00000000-0000-0000-0000-000000000001", "target_type": "cluster",
                "target_id": "00000000-0000-0000-0000-0000000000c1", "checks": ["stonith_enabled"], "agents": []}})
        );
        let completed = run(&given(&events), complete(1)).unwrap();
        assert_eq!(
            serde_json::to_value(&completed[0]).unwrap(),
            json!({"type": "ChecksExecutionCompleted", "data": {
                "execution_id": "00000000-0000-0000-0000-000000000001", "target_type": "cluster",
                "target_id": "00000000-0000-0000-0000-0000000000c1", "health": "critical",
                "results": [{"check_id": "stonith_enabled", "status": "critical", "message": "stonith-enabled is false",
                             "observed": "false", "expected": "true"}], "agents": {}}})
        );
        for event in [&events[0], &completed[0]] {
            assert_eq!(ChecksEvent::schema_version_of(event.event_type()), Some(1));
        }
    }
}
