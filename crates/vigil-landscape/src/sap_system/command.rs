use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::state::ApplicationInstance;
use crate::health::Health;

/// What may be asked of a SAP system. Trento's command names.
#[derive(Clone, Debug, PartialEq)]
pub enum SapSystemCommand {
    /// A SAP system discovery lists this application instance and its database was found
    /// ([`super::resolve`]): register it, or update what changed.
    RegisterApplicationInstance {
        /// The SAP system (see [`super::sap_system_id`]).
        sap_system_id: Uuid,
        /// The database it runs on.
        database_id: Uuid,
        /// The SAP system id, e.g. `HA1`.
        sid: String,
        /// The database tenant (`dbs/hdb/dbname`).
        tenant: String,
        /// The database host as the instance's profile names it (an address).
        db_host: String,
        /// The database's health when it was looked up, if the lookup knew it.
        database_health: Option<Health>,
        /// The instance.
        instance: ApplicationInstance,
    },
    /// A SAP system discovery of the instance's host no longer lists it. The time it was
    /// noticed is the event's envelope time: the detector that sends this reads no clock.
    MarkApplicationInstanceAbsent {
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
    },
    /// Remove the instance whatever its state (the host was deregistered).
    DeregisterApplicationInstance {
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Remove an absent instance (an operator's request); refused while it is present.
    DeleteAbsentApplicationInstance {
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The host stopped sending heartbeats: what it last said of its instances may be out
    /// of date. Its next registration of an instance clears the mark.
    MarkApplicationInstancesStale {
        /// The host.
        host_id: Uuid,
    },
    /// The system's database changed health (sent by the process manager that follows
    /// databases).
    UpdateDatabaseHealth {
        /// The database's new health.
        health: Health,
    },
    /// The system's database was deregistered (sent by the process manager).
    DeregisterSapSystem {
        /// When the database was deregistered.
        at: DateTime<Utc>,
    },
    /// The system's database was restored (sent by the process manager): restore the
    /// system if its instances make one. Without it a deregistered system would wait for a
    /// changed discovery of one of its instances, as unchanged ones are not re-applied.
    RestoreSapSystem,
}

impl SapSystemCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match self {
            SapSystemCommand::RegisterApplicationInstance { .. } => "RegisterApplicationInstance",
            SapSystemCommand::MarkApplicationInstanceAbsent { .. } => "MarkApplicationInstanceAbsent",
            SapSystemCommand::DeregisterApplicationInstance { .. } => "DeregisterApplicationInstance",
            SapSystemCommand::DeleteAbsentApplicationInstance { .. } => "DeleteAbsentApplicationInstance",
            SapSystemCommand::MarkApplicationInstancesStale { .. } => "MarkApplicationInstancesStale",
            SapSystemCommand::UpdateDatabaseHealth { .. } => "UpdateDatabaseHealth",
            SapSystemCommand::DeregisterSapSystem { .. } => "DeregisterSapSystem",
            SapSystemCommand::RestoreSapSystem => "RestoreSapSystem",
        }
    }
}

/// Why a SAP system command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SapSystemRejection {
    /// No application instance of the system was ever registered.
    #[error("SAP system is not registered")]
    NotRegistered,
    /// No such instance.
    #[error("SAP system {sap_system_id} has no instance {instance_number} on host {host_id}")]
    InstanceNotRegistered {
        /// The SAP system.
        sap_system_id: Uuid,
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
    },
    /// Only absent instances may be deleted.
    #[error(
        "instance {instance_number} on host {host_id} of SAP system {sap_system_id} is present and cannot be deleted"
    )]
    InstanceStillPresent {
        /// The SAP system.
        sap_system_id: Uuid,
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
    },
}
