//! The Cluster aggregate: one Pacemaker cluster, identified by a UUIDv5 of the corosync
//! authkey digest its agents report (see [`cluster_id`]).
//!
//! Rules (as Trento):
//! * Any member's discovery registers the cluster and adds the host; only the designated
//!   controller's discovery fills in or updates the details (type, SIDs, replication,
//!   fencing, nodes…) and with them the discovered health and the cluster's state. A host
//!   whose cluster stack is stopped joins as offline and says nothing about the cluster. An
//!   unchanged discovery decides nothing.
//! * When an offline registration leaves every member of a registered cluster offline, the
//!   cluster is `stopped` and the health parts that apply become unknown
//!   ([`rules::stopped_health`]), so its health is unknown; the designated controller's next
//!   report brings its own state and health back (Trento's rule).
//! * Health is the worst of the applicable parts ([`rules::cluster_health`]): HANA
//!   replication, ASCS/ERS distribution, SBD devices and the last checks execution.
//! * When the last host leaves the cluster is deregistered and tombstoned; a host
//!   registering again restores it.
//! * A host whose heartbeat is lost is marked stale; its next discovery, even unchanged,
//!   marks it in sync again.
//! * Removing or marking stale a host that is not a member does nothing, on a live or a
//!   deregistered cluster, since the detector may act on a read model that lags. Checks of a
//!   deregistered cluster are refused, as is any command but a registration for a cluster
//!   never registered.

mod command;
mod event;
pub mod rules;
mod state;
#[cfg(test)]
mod tests;

pub use command::{ClusterCommand, ClusterRejection};
pub use event::{
    ClusterChecksHealthChanged, ClusterDeregistered, ClusterDetailsUpdated, ClusterDiscoveredHealthChanged,
    ClusterEvent, ClusterHealthChanged, ClusterHostMarkedInSync, ClusterHostMarkedStale, ClusterHostStatusChanged,
    ClusterRegistered, ClusterRestored, ClusterStateChanged, ClusterTombstoned, HostAddedToCluster,
    HostRemovedFromCluster,
};
pub use rules::DiscoveredHealth;
pub use state::{
    AscsErsInstance, AscsErsRole, AscsErsSapSystem, ClusterDetails, ClusterHost, ClusterHostStatus, ClusterNode,
    ClusterResource, ClusterRunState, ClusterSapInstance, ClusterState, ClusterType, HanaArchitecture, HanaDetails,
    HanaScenario, HanaSite, HanaStatus, InstanceMount, NodeStatus, Provider, ResourceStatus, SapInstanceResourceType,
    SbdDevice, SbdDeviceStatus, StoppedResource,
};

use uuid::Uuid;
use vigil_kernel::decider::Decider;

use crate::health::Health;

/// The cluster id Trento derives from a discovery's `Id` (the md5 of the corosync authkey):
/// UUIDv5 in Trento's namespace, so that Vigil's ids equal Trento's.
pub fn cluster_id(payload_id: &str) -> Uuid {
    Uuid::new_v5(&crate::TRENTO_NAMESPACE, payload_id.as_bytes())
}

/// The Cluster decider.
pub struct Cluster;

impl Decider for Cluster {
    type State = ClusterState;
    type Command = ClusterCommand;
    type Event = ClusterEvent;
    type Rejection = ClusterRejection;
    const CATEGORY: &'static str = "cluster";

    fn decide(state: &ClusterState, command: ClusterCommand) -> Result<Vec<ClusterEvent>, ClusterRejection> {
        match command {
            ClusterCommand::RegisterOnlineClusterHost {
                cluster_id,
                host_id,
                name,
                designated_controller,
                details,
                ..
            } => {
                let view = designated_controller.then_some(*details);
                Ok(register(state, cluster_id, host_id, ClusterHostStatus::Online, name, view))
            }
            ClusterCommand::RegisterOfflineClusterHost { cluster_id, host_id, name } => {
                Ok(register(state, cluster_id, host_id, ClusterHostStatus::Offline, name, None))
            }
            ClusterCommand::DeregisterClusterHost { cluster_id, host_id } => {
                state.ensure_registered(cluster_id)?;
                if !state.hosts.contains_key(&host_id) {
                    return Ok(vec![]);
                }
                let mut events =
                    vec![ClusterEvent::HostRemovedFromCluster(HostRemovedFromCluster { cluster_id, host_id })];
                if state.hosts.len() == 1 {
                    events.push(ClusterEvent::ClusterDeregistered(ClusterDeregistered { cluster_id }));
                    events.push(ClusterEvent::ClusterTombstoned(ClusterTombstoned { cluster_id }));
                }
                Ok(events)
            }
            ClusterCommand::MarkClusterHostStale { cluster_id, host_id } => {
                state.ensure_registered(cluster_id)?;
                Ok(match state.hosts.get(&host_id) {
                    Some(host) if !host.stale => {
                        vec![ClusterEvent::ClusterHostMarkedStale(ClusterHostMarkedStale { cluster_id, host_id })]
                    }
                    _ => vec![],
                })
            }
            ClusterCommand::CompleteChecksExecution { cluster_id, health } => {
                state.ensure_live(cluster_id)?;
                if state.checks_health == health {
                    return Ok(vec![]);
                }
                let mut events = vec![ClusterEvent::ClusterChecksHealthChanged(ClusterChecksHealthChanged {
                    cluster_id,
                    checks_health: health,
                })];
                let new_health = rules::cluster_health(&state.discovered_health, health);
                if new_health != state.health {
                    events.push(ClusterEvent::ClusterHealthChanged(ClusterHealthChanged {
                        cluster_id,
                        health: new_health,
                    }));
                }
                Ok(events)
            }
        }
    }

    fn evolve(mut state: ClusterState, event: &ClusterEvent) -> ClusterState {
        match event {
            ClusterEvent::ClusterRegistered(e) => {
                state.cluster_id = Some(e.cluster_id);
                state.name = e.name.clone();
                state.run_state = e.details.as_ref().map_or(ClusterRunState::Unknown, ClusterDetails::reported_state);
                state.details = e.details.clone();
                state.discovered_health = e.discovered_health;
                state.health = e.health;
            }
            ClusterEvent::HostAddedToCluster(e) => {
                state.hosts.insert(e.host_id, ClusterHost { status: e.cluster_host_status, stale: false });
            }
            ClusterEvent::ClusterHostStatusChanged(e) => {
                if let Some(host) = state.hosts.get_mut(&e.host_id) {
                    host.status = e.cluster_host_status;
                }
            }
            ClusterEvent::ClusterHostMarkedStale(e) => {
                if let Some(host) = state.hosts.get_mut(&e.host_id) {
                    host.stale = true;
                }
            }
            ClusterEvent::ClusterHostMarkedInSync(e) => {
                if let Some(host) = state.hosts.get_mut(&e.host_id) {
                    host.stale = false;
                }
            }
            ClusterEvent::ClusterDetailsUpdated(e) => {
                state.name = e.name.clone();
                state.run_state = e.details.reported_state();
                state.details = Some(e.details.clone());
            }
            ClusterEvent::ClusterDiscoveredHealthChanged(e) => state.discovered_health = e.discovered_health,
            ClusterEvent::ClusterStateChanged(e) => state.run_state = e.state,
            ClusterEvent::ClusterChecksHealthChanged(e) => state.checks_health = e.checks_health,
            ClusterEvent::ClusterHealthChanged(e) => state.health = e.health,
            ClusterEvent::HostRemovedFromCluster(e) => {
                state.hosts.remove(&e.host_id);
            }
            ClusterEvent::ClusterDeregistered(_) => state.deregistered = true,
            // The stream may be archived from here on; the state has nothing more to note.
            ClusterEvent::ClusterTombstoned(_) => {}
            ClusterEvent::ClusterRestored(_) => state.deregistered = false,
        }
        state
    }
}

/// A host's registration, online or offline. `view` is the discovered details when the
/// host is the designated controller, else `None`.
fn register(
    state: &ClusterState,
    cluster_id: Uuid,
    host_id: Uuid,
    status: ClusterHostStatus,
    name: Option<String>,
    view: Option<ClusterDetails>,
) -> Vec<ClusterEvent> {
    let host_added =
        ClusterEvent::HostAddedToCluster(HostAddedToCluster { cluster_id, host_id, cluster_host_status: status });
    if state.cluster_id.is_none() {
        let discovered_health = view.as_ref().map(rules::discovered_health).unwrap_or_default();
        let health = rules::cluster_health(&discovered_health, Health::Unknown);
        return vec![
            ClusterEvent::ClusterRegistered(ClusterRegistered {
                cluster_id,
                name,
                details: view,
                discovered_health,
                health,
            }),
            host_added,
        ];
    }

    let mut events = Vec::new();
    if state.deregistered {
        events.push(ClusterEvent::ClusterRestored(ClusterRestored { cluster_id }));
    }
    match state.hosts.get(&host_id) {
        None => events.push(host_added),
        Some(host) => {
            if host.status != status {
                events.push(ClusterEvent::ClusterHostStatusChanged(ClusterHostStatusChanged {
                    cluster_id,
                    host_id,
                    cluster_host_status: status,
                }));
            }
            if host.stale {
                events.push(ClusterEvent::ClusterHostMarkedInSync(ClusterHostMarkedInSync { cluster_id, host_id }));
            }
        }
    }
    let (discovered_health, health) = if let Some(details) = view {
        let discovered_health = rules::discovered_health(&details);
        let reported_state = details.reported_state();
        if state.name != name || state.details.as_ref() != Some(&details) {
            events.push(ClusterEvent::ClusterDetailsUpdated(ClusterDetailsUpdated { cluster_id, name, details }));
        } else if state.run_state != reported_state {
            // Unchanged details after the cluster was stopped: only the state comes back.
            events.push(ClusterEvent::ClusterStateChanged(ClusterStateChanged { cluster_id, state: reported_state }));
        }
        (discovered_health, rules::cluster_health(&discovered_health, state.checks_health))
    } else if status == ClusterHostStatus::Offline
        && !state.deregistered
        && state.run_state != ClusterRunState::Stopped
        && state.hosts.iter().all(|(id, host)| *id == host_id || host.status == ClusterHostStatus::Offline)
    {
        events.push(ClusterEvent::ClusterStateChanged(ClusterStateChanged {
            cluster_id,
            state: ClusterRunState::Stopped,
        }));
        let discovered_health = rules::stopped_health(&state.discovered_health);
        (discovered_health, rules::cluster_health(&discovered_health, state.checks_health))
    } else {
        return events;
    };
    if discovered_health != state.discovered_health {
        events.push(ClusterEvent::ClusterDiscoveredHealthChanged(ClusterDiscoveredHealthChanged {
            cluster_id,
            discovered_health,
        }));
    }
    if health != state.health {
        events.push(ClusterEvent::ClusterHealthChanged(ClusterHealthChanged { cluster_id, health }));
    }
    events
}
