//! Best-practice checks at run time: the selection per cluster or host, executions (facts
//! from the agents, evaluation, results) on a schedule, after a change and on request, and
//! checks health fed into the landscape.
//!
//! What a check is and how it is evaluated is `vigil-checks`; the facts channel's endpoint
//! is `http::facts`; this module is what runs between them:
//!
//! * [`agents`]: the agents connected over the facts channel and the answers awaited;
//! * [`runner`]: one execution from start to results, and the schedule;
//! * [`reactions`]: a completed execution's health into the cluster or host, and changed
//!   discovered data into the schedule.

pub mod agents;
pub mod reactions;
pub mod runner;

pub use runner::{ChecksRunner, ChecksTarget, RunError, Started};
