//! The SAP landscape as SUSE's Trento models it, as pure deciders.
//!
//! * [`discovery`] — the `ScenarioDetector`: turns a Trento agent's discovery payload into
//!   the commands it means, with a clear, field-naming error when the payload is wrong.
//! * [`host`] — the Host aggregate: registration, details, heartbeats.
//!
//! **Architecture invariant:** this crate does no I/O, has no async, reads no clock and draws
//! no random numbers. Time and ids arrive on commands. Its only Vigil dependency is the pure
//! half of `vigil-kernel`.
#![deny(missing_docs)]

pub mod discovery;
pub mod host;

use uuid::Uuid;

/// Every command of the landscape, addressed to its aggregate. Entry points (discovery,
/// REST, CLI) produce these; the command gate dispatches them.
#[derive(Clone, Debug, PartialEq)]
pub enum LandscapeCommand {
    /// A command for the Host aggregate `host_id`.
    Host {
        /// The host (its agent id).
        host_id: Uuid,
        /// What to do.
        command: host::HostCommand,
    },
}

impl LandscapeCommand {
    /// The command's type name, as policies and audit records see it.
    pub fn name(&self) -> &'static str {
        match self {
            LandscapeCommand::Host { command, .. } => command.name(),
        }
    }
}
