//! The command gate: the one way into an aggregate, and who may pass it.
//!
//! Every command, whatever its entry point (a discovery, a REST call, the heartbeat checker,
//! an action, the policy directory), goes `authorize (Rego) → record the decision → handle →
//! audit` here, so no entry point can skip a step.
//!
//! * [`gate`] is that path; [`commands`] dispatches an admitted command to its aggregate's
//!   kernel `CommandHandler`, with refusals kept typed ([`commands::Refusal`]).
//! * [`principal`] is who is asking; [`tokens`] are the API tokens people and automation
//!   authenticate with.
//! * [`policies`] are the Rego policies in force, folded from their events and compiled
//!   before a publication is stored; [`decisions`] are the decision records.
//!
//! Authentication happens at the edge (the HTTP layer) and hands the gate a principal; the
//! business rules stay in the domain crates' deciders.
#![deny(missing_docs)]

pub mod commands;
pub mod decisions;
pub mod gate;
pub mod policies;
pub mod principal;
pub mod tokens;
