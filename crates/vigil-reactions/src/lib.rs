//! The reacting half of Vigil: what happens after an event is stored.
//!
//! Every stored event belongs to a [`topic`]. Outside providers add events of their own as
//! CloudEvents 1.0 ([`cloudevents`]). A [`rule`] names, for one event type, the one action
//! that follows it. The [`dispatch`] subscription turns each matching event into a durable
//! *execution* keyed by (event id, rule), in the same transaction as its checkpoint, so no
//! event is skipped and none is taken twice. The [`worker`] runs due executions under a
//! lease, records every attempt, schedules retries with backoff in the database (a restart
//! resumes them) and moves an execution to the dead letters after its last attempt.
//! [`kinds`] holds what an action can do; [`external`] appends outside events to their
//! sources' streams.
//!
//! Delivery is at least once towards the outside: a crash after an action took effect but
//! before its success was recorded runs it again. Every kind therefore carries the
//! execution's id as an idempotency key (`webhook-id`, the mail's `Message-ID`, the
//! service's `Idempotency-Key`), which stays the same across attempts.

pub mod action;
pub mod book;
pub mod cloudevents;
pub mod defaults;
pub mod dispatch;
pub mod execution;
pub mod external;
pub mod kinds;
pub mod operation;
pub mod ports;
pub mod rule;
pub mod store;
pub mod template;
pub mod topic;
pub mod worker;
