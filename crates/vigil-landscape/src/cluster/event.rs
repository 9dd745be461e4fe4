use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigil_kernel::decider::DomainEvent;

use super::rules::DiscoveredHealth;
use super::state::{ClusterDetails, ClusterHostStatus, ClusterRunState};
use crate::health::Health;

/// What happened to a cluster. The variant name is the stored event type (Trento's name
/// where Trento has one); each type's schema version is in
/// [`DomainEvent::schema_version_of`] and never changes once shipped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ClusterEvent {
    /// The first discovery of the cluster, from any of its hosts.
    ClusterRegistered(ClusterRegistered),
    /// A host joined the cluster.
    HostAddedToCluster(HostAddedToCluster),
    /// A member's cluster stack started or stopped.
    ClusterHostStatusChanged(ClusterHostStatusChanged),
    /// A member's heartbeat was lost.
    ClusterHostMarkedStale(ClusterHostMarkedStale),
    /// A stale member reported again.
    ClusterHostMarkedInSync(ClusterHostMarkedInSync),
    /// The designated controller reported something new.
    ClusterDetailsUpdated(ClusterDetailsUpdated),
    /// The health parts derived from the details changed.
    ClusterDiscoveredHealthChanged(ClusterDiscoveredHealthChanged),
    /// The cluster's state changed other than by new details: every member's cluster stack
    /// stopped, or the designated controller reported again, unchanged, after that.
    ClusterStateChanged(ClusterStateChanged),
    /// A checks execution changed the checks health.
    ClusterChecksHealthChanged(ClusterChecksHealthChanged),
    /// The cluster's health changed.
    ClusterHealthChanged(ClusterHealthChanged),
    /// A host left the cluster.
    HostRemovedFromCluster(HostRemovedFromCluster),
    /// The last host left; the event's time is the deregistration time.
    ClusterDeregistered(ClusterDeregistered),
    /// Follows `ClusterDeregistered`: the stream may be archived.
    ClusterTombstoned(ClusterTombstoned),
    /// A host registered a deregistered cluster again.
    ClusterRestored(ClusterRestored),
}

/// See [`ClusterEvent::ClusterRegistered`]. A registration by a host that is not the
/// designated controller (or is offline) carries no details and unknown health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterRegistered {
    /// The cluster.
    pub cluster_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// The designated controller's view, if it was the one registering.
    pub details: Option<ClusterDetails>,
    /// The health parts derived from `details`.
    pub discovered_health: DiscoveredHealth,
    /// The cluster's health.
    pub health: Health,
}

/// See [`ClusterEvent::HostAddedToCluster`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostAddedToCluster {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// Whether its cluster stack runs.
    pub cluster_host_status: ClusterHostStatus,
}

/// See [`ClusterEvent::ClusterHostStatusChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterHostStatusChanged {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The host.
    pub host_id: Uuid,
    /// The new status.
    pub cluster_host_status: ClusterHostStatus,
}

/// See [`ClusterEvent::ClusterHostMarkedStale`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterHostMarkedStale {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The host.
    pub host_id: Uuid,
}

/// See [`ClusterEvent::ClusterHostMarkedInSync`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterHostMarkedInSync {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The host.
    pub host_id: Uuid,
}

/// See [`ClusterEvent::ClusterDetailsUpdated`]: the full new name and details, not a diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterDetailsUpdated {
    /// The cluster.
    pub cluster_id: Uuid,
    /// Its name.
    pub name: Option<String>,
    /// The designated controller's view.
    pub details: ClusterDetails,
}

/// See [`ClusterEvent::ClusterDiscoveredHealthChanged`]: all discovered parts, not a diff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterDiscoveredHealthChanged {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The new parts.
    pub discovered_health: DiscoveredHealth,
}

/// See [`ClusterEvent::ClusterStateChanged`]. `ClusterRegistered` and
/// `ClusterDetailsUpdated` set the state too: the one their details report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterStateChanged {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The new state.
    pub state: ClusterRunState,
}

/// See [`ClusterEvent::ClusterChecksHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterChecksHealthChanged {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The new checks health.
    pub checks_health: Health,
}

/// See [`ClusterEvent::ClusterHealthChanged`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterHealthChanged {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The new health.
    pub health: Health,
}

/// See [`ClusterEvent::HostRemovedFromCluster`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostRemovedFromCluster {
    /// The cluster.
    pub cluster_id: Uuid,
    /// The host.
    pub host_id: Uuid,
}

/// See [`ClusterEvent::ClusterDeregistered`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterDeregistered {
    /// The cluster.
    pub cluster_id: Uuid,
}

/// See [`ClusterEvent::ClusterTombstoned`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterTombstoned {
    /// The cluster.
    pub cluster_id: Uuid,
}

/// See [`ClusterEvent::ClusterRestored`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterRestored {
    /// The cluster.
    pub cluster_id: Uuid,
}

impl DomainEvent for ClusterEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ClusterEvent::ClusterRegistered(_) => "ClusterRegistered",
            ClusterEvent::HostAddedToCluster(_) => "HostAddedToCluster",
            ClusterEvent::ClusterHostStatusChanged(_) => "ClusterHostStatusChanged",
            ClusterEvent::ClusterHostMarkedStale(_) => "ClusterHostMarkedStale",
            ClusterEvent::ClusterHostMarkedInSync(_) => "ClusterHostMarkedInSync",
            ClusterEvent::ClusterDetailsUpdated(_) => "ClusterDetailsUpdated",
            ClusterEvent::ClusterDiscoveredHealthChanged(_) => "ClusterDiscoveredHealthChanged",
            ClusterEvent::ClusterStateChanged(_) => "ClusterStateChanged",
            ClusterEvent::ClusterChecksHealthChanged(_) => "ClusterChecksHealthChanged",
            ClusterEvent::ClusterHealthChanged(_) => "ClusterHealthChanged",
            ClusterEvent::HostRemovedFromCluster(_) => "HostRemovedFromCluster",
            ClusterEvent::ClusterDeregistered(_) => "ClusterDeregistered",
            ClusterEvent::ClusterTombstoned(_) => "ClusterTombstoned",
            ClusterEvent::ClusterRestored(_) => "ClusterRestored",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        match event_type {
            "ClusterRegistered"
            | "HostAddedToCluster"
            | "ClusterHostStatusChanged"
            | "ClusterHostMarkedStale"
            | "ClusterHostMarkedInSync"
            | "ClusterDetailsUpdated"
            | "ClusterDiscoveredHealthChanged"
            | "ClusterStateChanged"
            | "ClusterChecksHealthChanged"
            | "ClusterHealthChanged"
            | "HostRemovedFromCluster"
            | "ClusterDeregistered"
            | "ClusterTombstoned"
            | "ClusterRestored" => Some(1),
            _ => None,
        }
    }
}

impl ClusterEvent {
    /// The cluster the event is about.
    pub fn cluster_id(&self) -> Uuid {
        match self {
            ClusterEvent::ClusterRegistered(e) => e.cluster_id,
            ClusterEvent::HostAddedToCluster(e) => e.cluster_id,
            ClusterEvent::ClusterHostStatusChanged(e) => e.cluster_id,
            ClusterEvent::ClusterHostMarkedStale(e) => e.cluster_id,
            ClusterEvent::ClusterHostMarkedInSync(e) => e.cluster_id,
            ClusterEvent::ClusterDetailsUpdated(e) => e.cluster_id,
            ClusterEvent::ClusterDiscoveredHealthChanged(e) => e.cluster_id,
            ClusterEvent::ClusterStateChanged(e) => e.cluster_id,
            ClusterEvent::ClusterChecksHealthChanged(e) => e.cluster_id,
            ClusterEvent::ClusterHealthChanged(e) => e.cluster_id,
            ClusterEvent::HostRemovedFromCluster(e) => e.cluster_id,
            ClusterEvent::ClusterDeregistered(e) => e.cluster_id,
            ClusterEvent::ClusterTombstoned(e) => e.cluster_id,
            ClusterEvent::ClusterRestored(e) => e.cluster_id,
        }
    }

    /// The host the event is about, for membership events.
    pub fn host_id(&self) -> Option<Uuid> {
        match self {
            ClusterEvent::HostAddedToCluster(e) => Some(e.host_id),
            ClusterEvent::ClusterHostStatusChanged(e) => Some(e.host_id),
            ClusterEvent::ClusterHostMarkedStale(e) => Some(e.host_id),
            ClusterEvent::ClusterHostMarkedInSync(e) => Some(e.host_id),
            ClusterEvent::HostRemovedFromCluster(e) => Some(e.host_id),
            ClusterEvent::ClusterRegistered(_)
            | ClusterEvent::ClusterDetailsUpdated(_)
            | ClusterEvent::ClusterDiscoveredHealthChanged(_)
            | ClusterEvent::ClusterStateChanged(_)
            | ClusterEvent::ClusterChecksHealthChanged(_)
            | ClusterEvent::ClusterHealthChanged(_)
            | ClusterEvent::ClusterDeregistered(_)
            | ClusterEvent::ClusterTombstoned(_)
            | ClusterEvent::ClusterRestored(_) => None,
        }
    }
}
