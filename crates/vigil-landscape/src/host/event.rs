use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigil_kernel::decider::DomainEvent;

use super::state::{HostDetails, Provider, SaptuneStatus, SlesSubscription};
use crate::health::Health;

/// What happened to a host. The variant name is the stored event type; each type's schema
/// version is in [`DomainEvent::schema_version_of`] and never changes once shipped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum HostEvent {
    /// The first host discovery of an agent.
    HostRegistered(HostRegistered),
    /// A later host discovery that changed something.
    HostDetailsUpdated(HostDetailsUpdated),
    /// Heartbeats started (again) to arrive.
    HeartbeatSucceeded(HeartbeatSucceeded),
    /// Heartbeats stopped arriving.
    HeartbeatFailed(HeartbeatFailed),
    /// A cloud discovery changed the platform or its metadata.
    ProviderUpdated(ProviderUpdated),
    /// A subscription discovery changed the subscriptions.
    SlesSubscriptionsUpdated(SlesSubscriptionsUpdated),
    /// A saptune discovery changed saptune's status.
    SaptuneStatusUpdated(SaptuneStatusUpdated),
    /// SAP instances appeared on or disappeared from the host.
    HostSapWorkloadChanged(HostSapWorkloadChanged),
    /// A checks execution changed the checks health.
    HostChecksHealthChanged(HostChecksHealthChanged),
    /// The saptune grade changed.
    HostSaptuneHealthChanged(HostSaptuneHealthChanged),
    /// The host's health changed; always follows the event that caused it.
    HostHealthChanged(HostHealthChanged),
    /// The host has not been heard of for too long.
    HostMarkedStale(HostMarkedStale),
    /// A host discovery arrived for a stale host: it is current again.
    HostSynced(HostSynced),
    /// A user asked to remove the host, and its heartbeat allowed it.
    HostDeregistrationRequested(HostDeregistrationRequested),
    /// The host was removed.
    HostDeregistered(HostDeregistered),
    /// The host's stream may be archived; follows `HostDeregistered`, as in Trento.
    HostTombstoned(HostTombstoned),
    /// A deregistered host registered again.
    HostRestored(HostRestored),
}

/// See [`HostEvent::HostRegistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostRegistered {
    /// The agent id.
    pub host_id: Uuid,
    /// What was discovered.
    #[serde(flatten)]
    pub details: HostDetails,
}

/// See [`HostEvent::HostDetailsUpdated`]: carries the full new details, not a diff, so a
/// consumer never needs the previous event to know the current state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostDetailsUpdated {
    /// The agent id.
    pub host_id: Uuid,
    /// The new details.
    #[serde(flatten)]
    pub details: HostDetails,
}

/// See [`HostEvent::HeartbeatSucceeded`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatSucceeded {
    /// The agent id.
    pub host_id: Uuid,
}

/// See [`HostEvent::HeartbeatFailed`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatFailed {
    /// The agent id.
    pub host_id: Uuid,
}

/// See [`HostEvent::ProviderUpdated`]. Stored as Trento stores it: `provider` (the name)
/// and `provider_data` (the metadata of a cloud, absent for the others).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderUpdated {
    /// The agent id.
    pub host_id: Uuid,
    /// The new platform.
    #[serde(flatten)]
    pub provider: Provider,
}

/// See [`HostEvent::SlesSubscriptionsUpdated`]: the full new list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlesSubscriptionsUpdated {
    /// The agent id.
    pub host_id: Uuid,
    /// Every subscription.
    pub subscriptions: Vec<SlesSubscription>,
}

/// See [`HostEvent::SaptuneStatusUpdated`]: the full new status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SaptuneStatusUpdated {
    /// The agent id.
    pub host_id: Uuid,
    /// What the discovery said.
    pub status: SaptuneStatus,
}

/// See [`HostEvent::HostSapWorkloadChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostSapWorkloadChanged {
    /// The agent id.
    pub host_id: Uuid,
    /// Whether SAP instances run on the host now.
    pub running: bool,
}

/// See [`HostEvent::HostChecksHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostChecksHealthChanged {
    /// The agent id.
    pub host_id: Uuid,
    /// The new checks health.
    pub checks_health: Health,
}

/// See [`HostEvent::HostSaptuneHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostSaptuneHealthChanged {
    /// The agent id.
    pub host_id: Uuid,
    /// The new saptune health.
    pub saptune_health: Health,
}

/// See [`HostEvent::HostHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostHealthChanged {
    /// The agent id.
    pub host_id: Uuid,
    /// The new health.
    pub health: Health,
}

/// See [`HostEvent::HostMarkedStale`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostMarkedStale {
    /// The agent id.
    pub host_id: Uuid,
    /// Since when.
    pub stale_at: DateTime<Utc>,
}

/// See [`HostEvent::HostSynced`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostSynced {
    /// The agent id.
    pub host_id: Uuid,
}

/// See [`HostEvent::HostDeregistrationRequested`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostDeregistrationRequested {
    /// The agent id.
    pub host_id: Uuid,
    /// When the user asked.
    pub requested_at: DateTime<Utc>,
}

/// See [`HostEvent::HostDeregistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostDeregistered {
    /// The agent id.
    pub host_id: Uuid,
    /// When.
    pub deregistered_at: DateTime<Utc>,
}

/// See [`HostEvent::HostTombstoned`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostTombstoned {
    /// The agent id.
    pub host_id: Uuid,
}

/// See [`HostEvent::HostRestored`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostRestored {
    /// The agent id.
    pub host_id: Uuid,
}

impl DomainEvent for HostEvent {
    fn event_type(&self) -> &'static str {
        match self {
            HostEvent::HostRegistered(_) => "HostRegistered",
            HostEvent::HostDetailsUpdated(_) => "HostDetailsUpdated",
            HostEvent::HeartbeatSucceeded(_) => "HeartbeatSucceeded",
            HostEvent::HeartbeatFailed(_) => "HeartbeatFailed",
            HostEvent::ProviderUpdated(_) => "ProviderUpdated",
            HostEvent::SlesSubscriptionsUpdated(_) => "SlesSubscriptionsUpdated",
            HostEvent::SaptuneStatusUpdated(_) => "SaptuneStatusUpdated",
            HostEvent::HostSapWorkloadChanged(_) => "HostSapWorkloadChanged",
            HostEvent::HostChecksHealthChanged(_) => "HostChecksHealthChanged",
            HostEvent::HostSaptuneHealthChanged(_) => "HostSaptuneHealthChanged",
            HostEvent::HostHealthChanged(_) => "HostHealthChanged",
            HostEvent::HostMarkedStale(_) => "HostMarkedStale",
            HostEvent::HostSynced(_) => "HostSynced",
            HostEvent::HostDeregistrationRequested(_) => "HostDeregistrationRequested",
            HostEvent::HostDeregistered(_) => "HostDeregistered",
            HostEvent::HostTombstoned(_) => "HostTombstoned",
            HostEvent::HostRestored(_) => "HostRestored",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        match event_type {
            "HostRegistered" | "HostDetailsUpdated" | "HeartbeatSucceeded" | "HeartbeatFailed" => Some(1),
            "ProviderUpdated"
            | "SlesSubscriptionsUpdated"
            | "SaptuneStatusUpdated"
            | "HostSapWorkloadChanged"
            | "HostChecksHealthChanged"
            | "HostSaptuneHealthChanged"
            | "HostHealthChanged"
            | "HostMarkedStale"
            | "HostSynced"
            | "HostDeregistrationRequested"
            | "HostDeregistered"
            | "HostTombstoned"
            | "HostRestored" => Some(1),
            _ => None,
        }
    }
}

impl HostEvent {
    /// The host the event is about.
    pub fn host_id(&self) -> Uuid {
        match self {
            HostEvent::HostRegistered(e) => e.host_id,
            HostEvent::HostDetailsUpdated(e) => e.host_id,
            HostEvent::HeartbeatSucceeded(e) => e.host_id,
            HostEvent::HeartbeatFailed(e) => e.host_id,
            HostEvent::ProviderUpdated(e) => e.host_id,
            HostEvent::SlesSubscriptionsUpdated(e) => e.host_id,
            HostEvent::SaptuneStatusUpdated(e) => e.host_id,
            HostEvent::HostSapWorkloadChanged(e) => e.host_id,
            HostEvent::HostChecksHealthChanged(e) => e.host_id,
            HostEvent::HostSaptuneHealthChanged(e) => e.host_id,
            HostEvent::HostHealthChanged(e) => e.host_id,
            HostEvent::HostMarkedStale(e) => e.host_id,
            HostEvent::HostSynced(e) => e.host_id,
            HostEvent::HostDeregistrationRequested(e) => e.host_id,
            HostEvent::HostDeregistered(e) => e.host_id,
            HostEvent::HostTombstoned(e) => e.host_id,
            HostEvent::HostRestored(e) => e.host_id,
        }
    }
}
