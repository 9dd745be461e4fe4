use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::state::{DatabaseInstance, Tenant};

/// What may be asked of a database. Trento's command names.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "a command lives for one dispatch; boxing the discovered instance would only add noise"
)]
pub enum DatabaseCommand {
    /// A SAP system discovery lists this HANA instance: register it (and the database, if it
    /// is the first instance and not a system replication secondary), or update what changed.
    RegisterDatabaseInstance {
        /// The database (see [`super::database_id`]).
        database_id: Uuid,
        /// The HANA system id.
        sid: String,
        /// The tenants the discovery lists.
        tenants: Vec<Tenant>,
        /// The instance.
        instance: DatabaseInstance,
    },
    /// A SAP system discovery of the instance's host no longer lists it. The time it was
    /// noticed is the event's envelope time: the detector that sends this reads no clock.
    MarkDatabaseInstanceAbsent {
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
    },
    /// Remove the instance whatever its state (the host was deregistered).
    DeregisterDatabaseInstance {
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Remove an absent instance (an operator's request); refused while it is present.
    DeleteAbsentDatabaseInstance {
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The host stopped sending heartbeats: what it last said of its instances may be out
    /// of date. Its next registration of an instance clears the mark.
    MarkDatabaseInstancesStale {
        /// The host.
        host_id: Uuid,
    },
}

impl DatabaseCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match self {
            DatabaseCommand::RegisterDatabaseInstance { .. } => "RegisterDatabaseInstance",
            DatabaseCommand::MarkDatabaseInstanceAbsent { .. } => "MarkDatabaseInstanceAbsent",
            DatabaseCommand::DeregisterDatabaseInstance { .. } => "DeregisterDatabaseInstance",
            DatabaseCommand::DeleteAbsentDatabaseInstance { .. } => "DeleteAbsentDatabaseInstance",
            DatabaseCommand::MarkDatabaseInstancesStale { .. } => "MarkDatabaseInstancesStale",
        }
    }
}

/// Why a database command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseRejection {
    /// Only a primary (or an instance without system replication) registers or restores a
    /// database; a secondary discovered first must wait for it. Trento discards such a
    /// discovery and takes the secondary with the next one after the primary's.
    #[error(
        "database {database_id} is not registered: instance {instance_number} on host {host_id} is a system \
         replication secondary, and only its primary can register the database"
    )]
    SecondaryBeforePrimary {
        /// The database.
        database_id: Uuid,
        /// The secondary's host.
        host_id: Uuid,
        /// The secondary's instance number.
        instance_number: String,
    },
    /// The database was never registered.
    #[error("database is not registered")]
    NotRegistered,
    /// No such instance.
    #[error("database {database_id} has no instance {instance_number} on host {host_id}")]
    InstanceNotRegistered {
        /// The database.
        database_id: Uuid,
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
    },
    /// Only absent instances may be deleted.
    #[error("instance {instance_number} on host {host_id} of database {database_id} is present and cannot be deleted")]
    InstanceStillPresent {
        /// The database.
        database_id: Uuid,
        /// The host.
        host_id: Uuid,
        /// The instance number.
        instance_number: String,
    },
}
