//! Vigil's domain-free core.
//!
//! The pure half — [`decider`], [`envelope`], [`upcast`] — describes how a domain turns
//! commands into events and how events are stored and read back. It does no I/O, reads no
//! clock and is what domain crates (such as `vigil-landscape`) depend on.
//!
//! The `runtime` feature adds the half that touches the world through ports: the
//! [`store::EventStore`] port, [`command::CommandHandler`] (load → decide → append, retried on
//! version conflicts) and [`projection`] (durable, at-least-once subscriptions that keep read
//! models up to date).
//!
//! ```
//! use vigil_kernel::decider::Decider;
//! # use vigil_kernel::decider::DomainEvent;
//! # use serde::{Serialize, Deserialize};
//! #[derive(Clone, Debug, Serialize, Deserialize)]
//! #[serde(tag = "type", content = "data")]
//! enum CounterEvent { Incremented { by: u32 } }
//! impl DomainEvent for CounterEvent {
//!     fn event_type(&self) -> &'static str { match self { Self::Incremented { .. } => "Incremented" } }
//!     fn schema_version_of(event_type: &str) -> Option<u32> { (event_type == "Incremented").then_some(1) }
//! }
//! #[derive(Debug, thiserror::Error)]
//! #[error("too big")]
//! struct TooBig;
//! struct Counter;
//! impl Decider for Counter {
//!     type State = u32;
//!     type Command = u32;
//!     type Event = CounterEvent;
//!     type Rejection = TooBig;
//!     const CATEGORY: &'static str = "counter";
//!     fn decide(state: &u32, by: u32) -> Result<Vec<CounterEvent>, TooBig> {
//!         if state + by > 10 { return Err(TooBig) }
//!         Ok(vec![CounterEvent::Incremented { by }])
//!     }
//!     fn evolve(state: u32, event: &CounterEvent) -> u32 {
//!         match event { CounterEvent::Incremented { by } => state + by }
//!     }
//! }
//! assert_eq!(Counter::decide(&0, 3).unwrap().len(), 1);
//! assert!(Counter::decide(&9, 3).is_err());
//! ```
#![deny(missing_docs)]

pub mod decider;
pub mod envelope;
pub mod upcast;

#[cfg(feature = "runtime")]
pub mod command;
#[cfg(feature = "runtime")]
pub mod projection;
#[cfg(feature = "runtime")]
pub mod store;
