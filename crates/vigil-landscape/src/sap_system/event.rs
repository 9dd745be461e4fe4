use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigil_kernel::decider::DomainEvent;

use super::state::{ApplicationInstance, EnsaVersion};
use crate::health::Health;

/// What happened to a SAP system. The variant name is the stored event type; each type's
/// schema version is in [`DomainEvent::schema_version_of`] and never changes once shipped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SapSystemEvent {
    /// An application instance joined the system (registered or not yet).
    ApplicationInstanceRegistered(ApplicationInstanceRegistered),
    /// An instance's SAPControl status changed.
    ApplicationInstanceHealthChanged(ApplicationInstanceHealthChanged),
    /// The host's SAP system discovery no longer lists the instance.
    ApplicationInstanceMarkedAbsent(ApplicationInstanceMarkedAbsent),
    /// An absent instance was discovered again.
    ApplicationInstanceMarkedPresent(ApplicationInstanceMarkedPresent),
    /// An instance was removed.
    ApplicationInstanceDeregistered(ApplicationInstanceDeregistered),
    /// The instance's host stopped sending heartbeats.
    ApplicationInstanceDataMarkedStale(ApplicationInstanceDataMarkedStale),
    /// A stale instance was registered again by its host.
    ApplicationInstanceDataMarkedInSync(ApplicationInstanceDataMarkedInSync),
    /// The instances include an ABAP or J2EE instance and a message server: the system exists.
    SapSystemRegistered(SapSystemRegistered),
    /// The system's enqueue replication version changed.
    SapSystemUpdated(SapSystemUpdated),
    /// The worst of the instances' and the database's health changed.
    SapSystemHealthChanged(SapSystemHealthChanged),
    /// The database's health changed.
    SapSystemDatabaseHealthChanged(SapSystemDatabaseHealthChanged),
    /// The database was deregistered, or the instances no longer make a system.
    SapSystemDeregistered(SapSystemDeregistered),
    /// A deregistered system's instances make a system again.
    SapSystemRestored(SapSystemRestored),
}

/// See [`SapSystemEvent::ApplicationInstanceRegistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceRegistered {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The database it runs on.
    pub database_id: Uuid,
    /// The SAP system id.
    pub sid: String,
    /// The database tenant.
    pub tenant: String,
    /// The instance.
    #[serde(flatten)]
    pub instance: ApplicationInstance,
}

/// See [`SapSystemEvent::ApplicationInstanceHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceHealthChanged {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
    /// The new health.
    pub health: Health,
}

/// See [`SapSystemEvent::ApplicationInstanceMarkedAbsent`]. When it was noticed is the
/// event's envelope time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceMarkedAbsent {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// See [`SapSystemEvent::ApplicationInstanceMarkedPresent`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceMarkedPresent {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// See [`SapSystemEvent::ApplicationInstanceDeregistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceDeregistered {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
    /// When.
    pub deregistered_at: DateTime<Utc>,
}

/// See [`SapSystemEvent::ApplicationInstanceDataMarkedStale`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceDataMarkedStale {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// See [`SapSystemEvent::ApplicationInstanceDataMarkedInSync`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceDataMarkedInSync {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// See [`SapSystemEvent::SapSystemRegistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SapSystemRegistered {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The database it runs on.
    pub database_id: Uuid,
    /// The SAP system id.
    pub sid: String,
    /// The database tenant.
    pub tenant: String,
    /// The database host as the profile names it.
    pub db_host: String,
    /// The worst of the instances' and the database's health.
    pub health: Health,
    /// The database's health, if known.
    pub database_health: Option<Health>,
    /// The enqueue replication version.
    pub ensa_version: EnsaVersion,
}

/// See [`SapSystemEvent::SapSystemUpdated`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SapSystemUpdated {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The new enqueue replication version.
    pub ensa_version: EnsaVersion,
}

/// See [`SapSystemEvent::SapSystemHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SapSystemHealthChanged {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The new health.
    pub health: Health,
}

/// See [`SapSystemEvent::SapSystemDatabaseHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SapSystemDatabaseHealthChanged {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The database's new health.
    pub database_health: Health,
}

/// See [`SapSystemEvent::SapSystemDeregistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SapSystemDeregistered {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// When.
    pub deregistered_at: DateTime<Utc>,
}

/// See [`SapSystemEvent::SapSystemRestored`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SapSystemRestored {
    /// The SAP system.
    pub sap_system_id: Uuid,
    /// The worst of the instances' and the database's health once restored.
    pub health: Health,
}

impl DomainEvent for SapSystemEvent {
    fn event_type(&self) -> &'static str {
        match self {
            SapSystemEvent::ApplicationInstanceRegistered(_) => "ApplicationInstanceRegistered",
            SapSystemEvent::ApplicationInstanceHealthChanged(_) => "ApplicationInstanceHealthChanged",
            SapSystemEvent::ApplicationInstanceMarkedAbsent(_) => "ApplicationInstanceMarkedAbsent",
            SapSystemEvent::ApplicationInstanceMarkedPresent(_) => "ApplicationInstanceMarkedPresent",
            SapSystemEvent::ApplicationInstanceDeregistered(_) => "ApplicationInstanceDeregistered",
            SapSystemEvent::ApplicationInstanceDataMarkedStale(_) => "ApplicationInstanceDataMarkedStale",
            SapSystemEvent::ApplicationInstanceDataMarkedInSync(_) => "ApplicationInstanceDataMarkedInSync",
            SapSystemEvent::SapSystemRegistered(_) => "SapSystemRegistered",
            SapSystemEvent::SapSystemUpdated(_) => "SapSystemUpdated",
            SapSystemEvent::SapSystemHealthChanged(_) => "SapSystemHealthChanged",
            SapSystemEvent::SapSystemDatabaseHealthChanged(_) => "SapSystemDatabaseHealthChanged",
            SapSystemEvent::SapSystemDeregistered(_) => "SapSystemDeregistered",
            SapSystemEvent::SapSystemRestored(_) => "SapSystemRestored",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        match event_type {
            "ApplicationInstanceRegistered"
            | "ApplicationInstanceHealthChanged"
            | "ApplicationInstanceMarkedAbsent"
            | "ApplicationInstanceMarkedPresent"
            | "ApplicationInstanceDeregistered"
            | "ApplicationInstanceDataMarkedStale"
            | "ApplicationInstanceDataMarkedInSync"
            | "SapSystemRegistered"
            | "SapSystemUpdated"
            | "SapSystemHealthChanged"
            | "SapSystemDatabaseHealthChanged"
            | "SapSystemDeregistered"
            | "SapSystemRestored" => Some(1),
            _ => None,
        }
    }
}

impl SapSystemEvent {
    /// The SAP system the event is about.
    pub fn sap_system_id(&self) -> Uuid {
        match self {
            SapSystemEvent::ApplicationInstanceRegistered(e) => e.sap_system_id,
            SapSystemEvent::ApplicationInstanceHealthChanged(e) => e.sap_system_id,
            SapSystemEvent::ApplicationInstanceMarkedAbsent(e) => e.sap_system_id,
            SapSystemEvent::ApplicationInstanceMarkedPresent(e) => e.sap_system_id,
            SapSystemEvent::ApplicationInstanceDeregistered(e) => e.sap_system_id,
            SapSystemEvent::ApplicationInstanceDataMarkedStale(e) => e.sap_system_id,
            SapSystemEvent::ApplicationInstanceDataMarkedInSync(e) => e.sap_system_id,
            SapSystemEvent::SapSystemRegistered(e) => e.sap_system_id,
            SapSystemEvent::SapSystemUpdated(e) => e.sap_system_id,
            SapSystemEvent::SapSystemHealthChanged(e) => e.sap_system_id,
            SapSystemEvent::SapSystemDatabaseHealthChanged(e) => e.sap_system_id,
            SapSystemEvent::SapSystemDeregistered(e) => e.sap_system_id,
            SapSystemEvent::SapSystemRestored(e) => e.sap_system_id,
        }
    }
}
