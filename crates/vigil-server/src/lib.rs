//! Vigil's server: HTTP and wiring, nothing else.
//!
//! * [`app`] wires the embedded shape together: one SQLite file holding the event store,
//!   the read models and the plain tables; the background tasks (projections, the process
//!   manager, the heartbeat checker, the actions worker, the audit keeper); and the HTTP
//!   [`router`](app::App::router).
//! * [`http`] translates requests into calls and errors into statuses, in one place each;
//!   [`serve`] is the accept loop that runs it, with the connection limits and deadlines.
//! * [`config`] is the server's settings; [`reactions`] adapts the actions service's ports
//!   to the gate, the policies, the read models and the audit log.
//! * [`stream`] is the live event feed the web UI follows over a WebSocket.
//! * [`checks`] runs best-practice checks executions: the agents on the facts channel, the
//!   schedule, and checks health into the landscape.
//!
//! The rooms it wires: `vigil-discovery` (ingest, parking, discovery log, heartbeats, agent
//! key, process manager), `vigil-gate` (the command gate, principals, tokens, policies in
//! force, decision records), `vigil-readmodel` (re-exported here as [`readmodel`]),
//! `vigil-reactions` (topics, outside events, actions), `vigil-audit`.
//!
//! **Architecture invariant:** no business rule and no SQL lives here. A rule found in this
//! crate is a bug; it belongs in `vigil-landscape`.
#![deny(missing_docs)]

pub mod app;
mod bus;
pub mod checks;
pub mod config;
pub mod http;
mod lake;
pub mod reactions;
pub mod serve;
pub mod stream;

/// The read models, their own crate; re-exported for the binary's commands and tests.
pub use vigil_readmodel as readmodel;
