//! The SAP landscape as SUSE's Trento models it, as pure deciders.
//!
//! * [`discovery`] — the `ScenarioDetector`: turns a Trento agent's discovery payload into
//!   the commands it means, with a clear, field-naming error when the payload is wrong.
//! * [`host`] — the Host aggregate: registration, details, heartbeats, provider,
//!   subscriptions, saptune, health, staleness, deregistration.
//! * [`cluster`] — the Cluster aggregate: membership, the designated controller's details,
//!   health from replication, distribution and SBD.
//! * [`database`] and [`sap_system`] — HANA databases and the SAP systems on them, with
//!   the lookup (`sap_system::resolve`) that links an application instance to its database.
//! * [`health`] — Trento's health grades.
//!
//! **Architecture invariant:** this crate does no I/O, has no async, reads no clock and draws
//! no random numbers. Time and ids arrive on commands. Its only Vigil dependency is the pure
//! half of `vigil-kernel`.
#![deny(missing_docs)]

pub mod cluster;
pub mod database;
pub mod discovery;
pub mod health;
pub mod host;
pub mod prerequisite;
pub mod process;
pub mod sap_system;

/// Trento's namespace for deriving cluster and database ids (UUIDv5), so that Vigil's ids
/// equal Trento's for the same landscape.
pub const TRENTO_NAMESPACE: Uuid = Uuid::from_u128(0xfb92284e_aa5e_47f6_a883_bf9469e7a0dc);

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
    /// A command for the Cluster aggregate `cluster_id`.
    Cluster {
        /// The cluster.
        cluster_id: Uuid,
        /// What to do.
        command: cluster::ClusterCommand,
    },
    /// A command for the Database aggregate `database_id`.
    Database {
        /// The database.
        database_id: Uuid,
        /// What to do.
        command: database::DatabaseCommand,
    },
    /// A command for the SAP system aggregate `sap_system_id`.
    SapSystem {
        /// The SAP system.
        sap_system_id: Uuid,
        /// What to do.
        command: sap_system::SapSystemCommand,
    },
    /// An application instance whose SAP system is known only once its database has been
    /// found (`sap_system::resolve`); the server resolves it, or parks it until it can.
    ResolveApplicationInstance(sap_system::ApplicationInstanceRegistration),
}

impl LandscapeCommand {
    /// The command's type name, as policies and audit records see it.
    pub fn name(&self) -> &'static str {
        match self {
            LandscapeCommand::Host { command, .. } => command.name(),
            LandscapeCommand::Cluster { command, .. } => command.name(),
            LandscapeCommand::Database { command, .. } => command.name(),
            LandscapeCommand::SapSystem { command, .. } => command.name(),
            LandscapeCommand::ResolveApplicationInstance(_) => "RegisterApplicationInstance",
        }
    }
}
