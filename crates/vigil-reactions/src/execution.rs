//! An execution: one rule's action for one event, and what becomes of it after an attempt.
//!
//! This module is pure (no clock, no randomness: both are arguments), so the retry and
//! dead-letter rules are unit-tested here and the store only records their answers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::action::ActionError;
use crate::rule::Backoff;

/// The namespace of execution ids (UUIDv5 over event id and rule name).
const EXECUTION_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_9a3e_4c0b_4a8e_9d57_2b1e_0c6f_53a1);

/// The id of the execution of `rule` for event `event_id`: the same on every redelivery of
/// the event, which is what makes a redelivery a no-op, and the idempotency key every kind
/// passes on.
pub fn execution_id(event_id: Uuid, rule: &str) -> Uuid {
    let mut name = Vec::with_capacity(16 + rule.len());
    name.extend_from_slice(event_id.as_bytes());
    name.extend_from_slice(rule.as_bytes());
    Uuid::new_v5(&EXECUTION_NAMESPACE, &name)
}

/// Where an execution stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its next attempt (`due_at`).
    Pending,
    /// An attempt holds a lease on it.
    Running,
    /// An attempt succeeded.
    Succeeded,
    /// The rule's condition was false: nothing to do.
    Skipped,
    /// The admission policy refused it.
    Denied,
    /// Its last attempt failed (or one failed for good): waiting for a redrive.
    Dead,
    /// Its rule was removed before it ran.
    Cancelled,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 7] = [
        Status::Pending,
        Status::Running,
        Status::Succeeded,
        Status::Skipped,
        Status::Denied,
        Status::Dead,
        Status::Cancelled,
    ];

    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Skipped => "skipped",
            Status::Denied => "denied",
            Status::Dead => "dead",
            Status::Cancelled => "cancelled",
        }
    }

    /// The status named `text`.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether nothing more will happen to it without a redrive.
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Pending | Status::Running)
    }
}

/// How one attempt ended.
#[derive(Clone, Debug, PartialEq)]
pub enum AttemptEnd {
    /// The action succeeded.
    Succeeded,
    /// The action failed.
    Failed(ActionError),
    /// The worker holding the lease stopped before it finished (a crash, a restart, a
    /// deadline passed): the action may or may not have taken effect.
    LeaseExpired,
}

impl AttemptEnd {
    /// As stored in the attempt's `status`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AttemptEnd::Succeeded => "succeeded",
            AttemptEnd::Failed(ActionError::Retryable(_)) => "failed",
            AttemptEnd::Failed(ActionError::Permanent(_)) => "failed_permanently",
            AttemptEnd::LeaseExpired => "lease_expired",
        }
    }
}

/// What follows an attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    /// Done for good.
    Succeeded,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// No more attempts: to the dead letters, with the reason.
    Dead(String),
}

/// What follows attempt number `attempt` (from 1) of at most `max_attempts`, ended by
/// `end`, at `now`, with `jitter` in [0, 1] drawn by the caller.
pub fn after_attempt(
    attempt: u32,
    max_attempts: u32,
    end: &AttemptEnd,
    backoff: &Backoff,
    jitter: f64,
    now: DateTime<Utc>,
) -> Next {
    let reason = match end {
        AttemptEnd::Succeeded => return Next::Succeeded,
        AttemptEnd::Failed(ActionError::Permanent(message)) => {
            return Next::Dead(format!("attempt {attempt} failed permanently: {message}"));
        }
        AttemptEnd::Failed(ActionError::Retryable(message)) => message.clone(),
        AttemptEnd::LeaseExpired => "the worker running it stopped before it finished".to_owned(),
    };
    if attempt >= max_attempts {
        return Next::Dead(format!("attempt {attempt} of {max_attempts} failed: {reason}"));
    }
    let delay = backoff.delay(attempt, jitter);
    Next::RetryAt(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn backoff() -> Backoff {
        Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(60) }
    }

    #[test]
    fn an_execution_id_is_the_same_for_the_same_event_and_rule_and_differs_otherwise() {
        let event = Uuid::now_v7();
        assert_eq!(execution_id(event, "mail"), execution_id(event, "mail"));
        assert_ne!(execution_id(event, "mail"), execution_id(event, "hook"));
        assert_ne!(execution_id(event, "mail"), execution_id(Uuid::now_v7(), "mail"));
    }

    #[test]
    fn retries_back_off_exponentially_within_the_jitter_and_stop_at_the_maximum() {
        let b = backoff();
        assert_eq!(b.delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(b.delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(60));
        assert_eq!(b.delay(u32::MAX, 1.0), Duration::from_secs(60), "no overflow");
    }

    #[test]
    fn a_retryable_failure_is_retried_until_the_last_attempt_then_dead() {
        let now = Utc::now();
        let failed = AttemptEnd::Failed(ActionError::Retryable("500".into()));
        assert_eq!(
            after_attempt(1, 3, &failed, &backoff(), 1.0, now),
            Next::RetryAt(now + chrono::Duration::seconds(1))
        );
        assert_eq!(
            after_attempt(2, 3, &failed, &backoff(), 1.0, now),
            Next::RetryAt(now + chrono::Duration::seconds(2))
        );
        assert!(
            matches!(after_attempt(3, 3, &failed, &backoff(), 1.0, now), Next::Dead(reason) if reason.contains("500"))
        );
    }

    #[test]
    fn a_permanent_failure_is_dead_at_once_and_an_expired_lease_is_retried() {
        let now = Utc::now();
        let permanent = AttemptEnd::Failed(ActionError::Permanent("404".into()));
        assert!(matches!(after_attempt(1, 5, &permanent, &backoff(), 0.5, now), Next::Dead(_)));
        assert!(matches!(after_attempt(1, 5, &AttemptEnd::LeaseExpired, &backoff(), 0.5, now), Next::RetryAt(_)));
        assert_eq!(after_attempt(1, 5, &AttemptEnd::Succeeded, &backoff(), 0.5, now), Next::Succeeded);
    }
}
