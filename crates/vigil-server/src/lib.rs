//! Vigil's server: everything between the network and the domain.
//!
//! * [`app`] wires the embedded shape together: one SQLite file holding the event store,
//!   the read models and the plain tables; the background tasks (projections, heartbeat
//!   checker, discovery-log pruning); and the HTTP [`router`](app::App::router).
//! * [`ingest`] is the path of a discovery: authenticate, hash, detect, dispatch, log;
//!   [`parking`] keeps the discoveries that wait for a prerequisite.
//! * [`process`] is the process manager: what an event means for other aggregates.
//! * [`gate`] is the one way into an aggregate: authorize (Rego), record, handle, audit.
//! * [`commands`] dispatches landscape commands to their aggregates.
//! * [`policies`], [`decisions`], [`tokens`], [`audited`]: policies in force, decision
//!   records, API tokens, and the audit log's feeds.
//! * The read models (projections, the queries the API serves, tags and CIB times) are
//!   the crate `vigil-readmodel`, re-exported here as [`readmodel`].
//! * [`http`] translates requests into calls and errors into statuses, in one place each;
//!   [`serve`] is the accept loop that runs it, with the connection limits and deadlines.
//!
//! **Architecture invariant:** no business rule lives here. A rule found in this crate is
//! a bug; it belongs in `vigil-landscape`.
#![deny(missing_docs)]

pub mod app;
pub mod audit_inbox;
pub mod audited;
pub mod commands;
pub mod config;
pub mod decisions;
pub mod discovery_log;
pub mod external;
pub mod gate;
pub mod heartbeats;
pub mod http;
pub mod ingest;
pub mod keys;
mod lake;
pub mod parking;
pub mod policies;
pub mod principal;
pub mod process;
pub mod reactions;
pub mod serve;
pub mod sla_monitor;
pub mod tokens;

/// The read models, their own crate; re-exported for the binary's commands and tests.
pub use vigil_readmodel as readmodel;
