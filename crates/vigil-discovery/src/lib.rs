//! What agents send Vigil, and what follows from it in the landscape.
//!
//! * [`ingest`] is the path of a discovery: hash, detect (the landscape's
//!   `ScenarioDetector`), submit each command through the command gate, then log or park;
//!   [`parking`] keeps the discoveries that wait for a prerequisite, and [`log`] is the
//!   discovery log (raw payloads and what became of them).
//! * [`heartbeats`] holds when each host last said it is alive and runs the checker that
//!   notices silence; [`keys`] is the agent key agents authenticate with.
//! * [`process`] is the landscape's process manager: it runs what the domain's
//!   `vigil_landscape::process::react` says an event asks of other aggregates and of parked
//!   discoveries.
//! * [`sla_monitor`] evaluates the SLA policies over the read models on a timer.
//!
//! Nothing here decides a business rule: the deciders and the detector live in
//! `vigil-landscape`; this crate feeds them and keeps the plain tables around them.
#![deny(missing_docs)]

pub mod heartbeats;
pub mod ingest;
pub mod keys;
pub mod log;
pub mod parking;
pub mod process;
pub mod sla_monitor;
