use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigil_kernel::decider::DomainEvent;

use super::state::{DatabaseInstance, SystemReplication, Tenant};
use crate::health::Health;

/// What happened to a database. The variant name is the stored event type; each type's
/// schema version is in [`DomainEvent::schema_version_of`] and never changes once shipped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum DatabaseEvent {
    /// A primary, or an instance without system replication, was discovered first.
    DatabaseRegistered(DatabaseRegistered),
    /// An instance joined the database.
    DatabaseInstanceRegistered(DatabaseInstanceRegistered),
    /// The discovered tenants changed.
    DatabaseTenantsUpdated(DatabaseTenantsUpdated),
    /// An instance's system replication role, site, mode or status changed.
    DatabaseInstanceSystemReplicationChanged(DatabaseInstanceSystemReplicationChanged),
    /// An instance's SAPControl status changed.
    DatabaseInstanceHealthChanged(DatabaseInstanceHealthChanged),
    /// The worst health of the instances changed.
    DatabaseHealthChanged(DatabaseHealthChanged),
    /// The host's SAP system discovery no longer lists the instance.
    DatabaseInstanceMarkedAbsent(DatabaseInstanceMarkedAbsent),
    /// An absent instance was discovered again.
    DatabaseInstanceMarkedPresent(DatabaseInstanceMarkedPresent),
    /// An instance was removed.
    DatabaseInstanceDeregistered(DatabaseInstanceDeregistered),
    /// No instance, or only secondaries, remain.
    DatabaseDeregistered(DatabaseDeregistered),
    /// A deregistered database's primary (or non-replicating instance) registered again.
    DatabaseRestored(DatabaseRestored),
    /// The instance's host stopped sending heartbeats.
    DatabaseInstanceDataMarkedStale(DatabaseInstanceDataMarkedStale),
    /// A stale instance was registered again by its host.
    DatabaseInstanceDataMarkedInSync(DatabaseInstanceDataMarkedInSync),
}

/// See [`DatabaseEvent::DatabaseRegistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseRegistered {
    /// The database.
    pub database_id: Uuid,
    /// The HANA system id.
    pub sid: String,
    /// The health of the registering instance.
    pub health: Health,
}

/// See [`DatabaseEvent::DatabaseInstanceRegistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceRegistered {
    /// The database.
    pub database_id: Uuid,
    /// The HANA system id.
    pub sid: String,
    /// The instance.
    #[serde(flatten)]
    pub instance: DatabaseInstance,
}

/// See [`DatabaseEvent::DatabaseTenantsUpdated`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseTenantsUpdated {
    /// The database.
    pub database_id: Uuid,
    /// The tenants now.
    pub tenants: Vec<Tenant>,
    /// The tenants before.
    pub previous_tenants: Vec<Tenant>,
}

/// See [`DatabaseEvent::DatabaseInstanceSystemReplicationChanged`]: carries the whole new
/// replication state, not a diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceSystemReplicationChanged {
    /// The database.
    pub database_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
    /// The new replication state.
    pub system_replication: SystemReplication,
}

/// See [`DatabaseEvent::DatabaseInstanceHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceHealthChanged {
    /// The database.
    pub database_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
    /// The new health.
    pub health: Health,
}

/// See [`DatabaseEvent::DatabaseHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseHealthChanged {
    /// The database.
    pub database_id: Uuid,
    /// The new health.
    pub health: Health,
}

/// See [`DatabaseEvent::DatabaseInstanceMarkedAbsent`]. When it was noticed is the event's
/// envelope time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceMarkedAbsent {
    /// The database.
    pub database_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// See [`DatabaseEvent::DatabaseInstanceMarkedPresent`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceMarkedPresent {
    /// The database.
    pub database_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// See [`DatabaseEvent::DatabaseInstanceDeregistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceDeregistered {
    /// The database.
    pub database_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
    /// When.
    pub deregistered_at: DateTime<Utc>,
}

/// See [`DatabaseEvent::DatabaseDeregistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseDeregistered {
    /// The database.
    pub database_id: Uuid,
    /// When.
    pub deregistered_at: DateTime<Utc>,
}

/// See [`DatabaseEvent::DatabaseRestored`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseRestored {
    /// The database.
    pub database_id: Uuid,
    /// The worst health of its instances once restored.
    pub health: Health,
}

/// See [`DatabaseEvent::DatabaseInstanceDataMarkedStale`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceDataMarkedStale {
    /// The database.
    pub database_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// See [`DatabaseEvent::DatabaseInstanceDataMarkedInSync`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceDataMarkedInSync {
    /// The database.
    pub database_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

impl DomainEvent for DatabaseEvent {
    fn event_type(&self) -> &'static str {
        match self {
            DatabaseEvent::DatabaseRegistered(_) => "DatabaseRegistered",
            DatabaseEvent::DatabaseInstanceRegistered(_) => "DatabaseInstanceRegistered",
            DatabaseEvent::DatabaseTenantsUpdated(_) => "DatabaseTenantsUpdated",
            DatabaseEvent::DatabaseInstanceSystemReplicationChanged(_) => "DatabaseInstanceSystemReplicationChanged",
            DatabaseEvent::DatabaseInstanceHealthChanged(_) => "DatabaseInstanceHealthChanged",
            DatabaseEvent::DatabaseHealthChanged(_) => "DatabaseHealthChanged",
            DatabaseEvent::DatabaseInstanceMarkedAbsent(_) => "DatabaseInstanceMarkedAbsent",
            DatabaseEvent::DatabaseInstanceMarkedPresent(_) => "DatabaseInstanceMarkedPresent",
            DatabaseEvent::DatabaseInstanceDeregistered(_) => "DatabaseInstanceDeregistered",
            DatabaseEvent::DatabaseDeregistered(_) => "DatabaseDeregistered",
            DatabaseEvent::DatabaseRestored(_) => "DatabaseRestored",
            DatabaseEvent::DatabaseInstanceDataMarkedStale(_) => "DatabaseInstanceDataMarkedStale",
            DatabaseEvent::DatabaseInstanceDataMarkedInSync(_) => "DatabaseInstanceDataMarkedInSync",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        match event_type {
            "DatabaseRegistered"
            | "DatabaseInstanceRegistered"
            | "DatabaseTenantsUpdated"
            | "DatabaseInstanceSystemReplicationChanged"
            | "DatabaseInstanceHealthChanged"
            | "DatabaseHealthChanged"
            | "DatabaseInstanceMarkedAbsent"
            | "DatabaseInstanceMarkedPresent"
            | "DatabaseInstanceDeregistered"
            | "DatabaseDeregistered"
            | "DatabaseRestored"
            | "DatabaseInstanceDataMarkedStale"
            | "DatabaseInstanceDataMarkedInSync" => Some(1),
            _ => None,
        }
    }
}

impl DatabaseEvent {
    /// The database the event is about.
    pub fn database_id(&self) -> Uuid {
        match self {
            DatabaseEvent::DatabaseRegistered(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceRegistered(e) => e.database_id,
            DatabaseEvent::DatabaseTenantsUpdated(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceSystemReplicationChanged(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceHealthChanged(e) => e.database_id,
            DatabaseEvent::DatabaseHealthChanged(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceMarkedAbsent(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceMarkedPresent(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceDeregistered(e) => e.database_id,
            DatabaseEvent::DatabaseDeregistered(e) => e.database_id,
            DatabaseEvent::DatabaseRestored(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceDataMarkedStale(e) => e.database_id,
            DatabaseEvent::DatabaseInstanceDataMarkedInSync(e) => e.database_id,
        }
    }
}
