//! The dispatcher: a durable subscription that turns each event with a rule into an
//! execution.
//!
//! It runs under the kernel's `ProjectionRunner` like a read model. For each batch it picks
//! each event's rule by type, applies the rule's filters and condition, and stores the
//! executions with its checkpoint in one durable transaction: a crash repeats a whole batch
//! or none of it, and a repeated one finds its executions already there (they are keyed by
//! event and rule). Events that no rule names leave no row: "why didn't this fire" is
//! answered from the checkpoint (the event was dispatched) and the absence of a row (no
//! rule was in force for its type when it was).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::Notify;
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::projection::{Projection, ProjectionError};

use crate::book::RuleBook;
use crate::execution::{Status, execution_id};
use crate::store::{ExecutionStore, NewExecution};
use crate::topic::topic_of;

/// The subscription's name, also of its checkpoint.
pub const NAME: &str = crate::store::CHECKPOINT;

/// How a stored event looks as CloudEvents JSON (external events keep their own envelope).
pub type Encoder = Arc<dyn Fn(&RecordedEvent) -> String + Send + Sync>;

/// The dispatcher.
pub struct Dispatcher {
    store: ExecutionStore,
    book: Arc<RuleBook>,
    wake: Arc<Notify>,
    encode: Encoder,
}

impl Dispatcher {
    /// A dispatcher storing into `store`, waking the worker through `wake`.
    pub fn new(store: ExecutionStore, book: Arc<RuleBook>, wake: Arc<Notify>, encode: Encoder) -> Self {
        Dispatcher { store, book, wake, encode }
    }

    fn error(&self, message: impl std::fmt::Display) -> ProjectionError {
        ProjectionError { name: NAME.to_owned(), message: message.to_string() }
    }

    /// The execution `event` calls for under the rules in force, if any.
    fn execution(&self, armed: &crate::book::Armed, recorded: &RecordedEvent) -> Option<NewExecution> {
        let e = &recorded.event;
        let armed_rule = armed.for_type(&e.event_type)?;
        let rule = &armed_rule.rule;
        let text = (self.encode)(recorded);
        let event: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let topic = topic_of(&recorded.stream_id, &e.event_type, &e.source);
        let (status, condition, reason) = if !rule.selects(&topic, &event) {
            (
                Status::Skipped,
                None,
                Some(format!("the event (topic {topic}) does not pass the rule's topic, source or subject filter")),
            )
        } else {
            match &armed_rule.condition {
                None => (Status::Pending, None, None),
                Some(condition) => match condition.evaluate(&json!({ "event": event })) {
                    Ok(true) => {
                        (Status::Pending, Some(json!({"expression": condition.expression(), "holds": true})), None)
                    }
                    Ok(false) => (
                        Status::Skipped,
                        Some(json!({"expression": condition.expression(), "holds": false})),
                        Some("the rule's condition does not hold".to_owned()),
                    ),
                    Err(error) => (
                        Status::Dead,
                        Some(json!({"expression": condition.expression(), "error": error.to_string()})),
                        Some(format!("the rule's condition could not be evaluated: {error}")),
                    ),
                },
            }
        };
        Some(NewExecution {
            id: execution_id(e.id, &rule.name),
            event_id: e.id,
            rule: rule.name.clone(),
            position: recorded.position,
            event_type: e.event_type.clone(),
            topic,
            event: text,
            status,
            condition,
            max_attempts: rule.max_attempts,
            reason,
        })
    }
}

#[async_trait]
impl Projection for Dispatcher {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn checkpoint(&self) -> Result<u64, ProjectionError> {
        self.store.positions().await.map(|(checkpoint, _)| checkpoint).map_err(|e| self.error(e))
    }

    async fn apply(&self, events: Vec<RecordedEvent>) -> Result<(), ProjectionError> {
        let Some(through) = events.last().map(|e| e.position) else { return Ok(()) };
        let armed = self.book.current();
        let executions: Vec<_> = events.iter().filter_map(|e| self.execution(&armed, e)).collect();
        let pending = executions.iter().any(|e| e.status == Status::Pending);
        self.store.dispatch(executions, through, Utc::now()).await.map_err(|e| self.error(e))?;
        if pending {
            self.wake.notify_one();
        }
        Ok(())
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        Err(self.error("the actions dispatcher is not a read model and is never rebuilt: that would run actions again"))
    }
}
