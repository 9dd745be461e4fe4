//! SLA monitoring as events: each evaluation of `data.vigil.sla` reports the violations it
//! finds; the monitor turns the difference from the last report into `SlaViolated` (a new
//! violation) and `SlaRestored` (one that ended). An unchanged report records nothing.
//!
//! One stream (`sla-monitor`), a pure decider: the timer that evaluates the policy and the
//! read models it reads live in the server.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vigil_kernel::decider::{Decider, DomainEvent};

use crate::decision::Violation;

/// The monitor's one command.
#[derive(Clone, Debug, PartialEq)]
pub enum SlaCommand {
    /// What an evaluation found at `at`.
    ReportSlaViolations {
        /// Every current violation (deduplicated by id).
        violations: Vec<Violation>,
        /// When the evaluation ran.
        at: DateTime<Utc>,
    },
}

impl SlaCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match self {
            SlaCommand::ReportSlaViolations { .. } => "ReportSlaViolations",
        }
    }
}

/// What changed in the SLA picture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SlaEvent {
    /// A violation started.
    SlaViolated(SlaViolated),
    /// A violation ended.
    SlaRestored(SlaRestored),
}

/// See [`SlaEvent::SlaViolated`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaViolated {
    /// The violation's stable id.
    pub id: String,
    /// What violates the SLA.
    pub subject: String,
    /// Which SLA.
    pub policy: String,
    /// Why.
    pub message: String,
    /// When it was first seen.
    pub since: DateTime<Utc>,
}

/// See [`SlaEvent::SlaRestored`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaRestored {
    /// The violation's id.
    pub id: String,
    /// What violated the SLA.
    pub subject: String,
    /// Which SLA.
    pub policy: String,
    /// When it was first seen missing.
    pub restored_at: DateTime<Utc>,
}

impl DomainEvent for SlaEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SlaEvent::SlaViolated(_) => "SlaViolated",
            SlaEvent::SlaRestored(_) => "SlaRestored",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        matches!(event_type, "SlaViolated" | "SlaRestored").then_some(1)
    }
}

/// The violations in force, by id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlaState {
    /// Active violations.
    pub active: BTreeMap<String, Violation>,
}

/// The SLA monitor decider; it never refuses a report.
pub struct SlaMonitor;

impl Decider for SlaMonitor {
    type State = SlaState;
    type Command = SlaCommand;
    type Event = SlaEvent;
    type Rejection = std::convert::Infallible;
    const CATEGORY: &'static str = "sla";

    fn decide(state: &SlaState, command: SlaCommand) -> Result<Vec<SlaEvent>, std::convert::Infallible> {
        let SlaCommand::ReportSlaViolations { violations, at } = command;
        let current: BTreeMap<String, Violation> = violations.into_iter().map(|v| (v.id.clone(), v)).collect();
        let mut events = Vec::new();
        for (id, v) in &state.active {
            if !current.contains_key(id) {
                events.push(SlaEvent::SlaRestored(SlaRestored {
                    id: id.clone(),
                    subject: v.subject.clone(),
                    policy: v.policy.clone(),
                    restored_at: at,
                }));
            }
        }
        for (id, v) in current {
            if !state.active.contains_key(&id) {
                events.push(SlaEvent::SlaViolated(SlaViolated {
                    id,
                    subject: v.subject,
                    policy: v.policy,
                    message: v.message,
                    since: at,
                }));
            }
        }
        Ok(events)
    }

    fn evolve(mut state: SlaState, event: &SlaEvent) -> SlaState {
        match event {
            SlaEvent::SlaViolated(e) => {
                let violation = Violation {
                    id: e.id.clone(),
                    subject: e.subject.clone(),
                    policy: e.policy.clone(),
                    message: e.message.clone(),
                };
                state.active.insert(e.id.clone(), violation);
            }
            SlaEvent::SlaRestored(e) => {
                state.active.remove(&e.id);
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use vigil_kernel::decider::given_when;

    use super::*;

    fn violation(id: &str) -> Violation {
        Violation { id: id.into(), subject: format!("host-{id}"), policy: "heartbeat".into(), message: "silent".into() }
    }

    fn report(ids: &[&str], minute: u32) -> SlaCommand {
        SlaCommand::ReportSlaViolations {
            violations: ids.iter().map(|id| violation(id)).collect(),
            at: Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap(),
        }
    }

    #[test]
    fn only_changes_of_the_violation_set_are_events() {
        let first = given_when::<SlaMonitor>(&[], report(&["a", "b"], 0)).unwrap();
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|e| matches!(e, SlaEvent::SlaViolated(_))));
        assert_eq!(given_when::<SlaMonitor>(&first, report(&["b", "a"], 1)).unwrap(), vec![], "unchanged");
        let next = given_when::<SlaMonitor>(&first, report(&["b", "c"], 2)).unwrap();
        assert_eq!(next.len(), 2);
        assert!(matches!(&next[0], SlaEvent::SlaRestored(r) if r.id == "a" && r.subject == "host-a"));
        assert!(matches!(&next[1], SlaEvent::SlaViolated(v) if v.id == "c"));
        let history = [first, next].concat();
        let cleared = given_when::<SlaMonitor>(&history, report(&[], 3)).unwrap();
        let restored: Vec<&str> = cleared
            .iter()
            .map(|e| match e {
                SlaEvent::SlaRestored(r) => r.id.as_str(),
                SlaEvent::SlaViolated(v) => v.id.as_str(),
            })
            .collect();
        assert_eq!(restored, ["b", "c"]);
    }
}
