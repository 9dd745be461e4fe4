use serde::{Deserialize, Serialize};
use uuid::Uuid;
use vigil_kernel::decider::DomainEvent;

use super::state::HostDetails;

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

impl DomainEvent for HostEvent {
    fn event_type(&self) -> &'static str {
        match self {
            HostEvent::HostRegistered(_) => "HostRegistered",
            HostEvent::HostDetailsUpdated(_) => "HostDetailsUpdated",
            HostEvent::HeartbeatSucceeded(_) => "HeartbeatSucceeded",
            HostEvent::HeartbeatFailed(_) => "HeartbeatFailed",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        match event_type {
            "HostRegistered" | "HostDetailsUpdated" | "HeartbeatSucceeded" | "HeartbeatFailed" => Some(1),
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
        }
    }
}
