use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::heartbeat::HeartbeatPolicy;
use super::state::{HostDetails, Provider, SaptuneStatus, SlesSubscription};
use crate::health::Health;

/// What may be asked of a host.
#[derive(Clone, Debug, PartialEq)]
pub enum HostCommand {
    /// Register the host, or update its details (from `host_discovery`).
    RegisterHost {
        /// The agent id.
        host_id: Uuid,
        /// Everything the discovery said.
        details: HostDetails,
    },
    /// The agent's heartbeat arrived.
    RecordHeartbeat {
        /// The agent id.
        host_id: Uuid,
    },
    /// No heartbeat arrived within the allowed window.
    MarkHeartbeatFailed {
        /// The agent id.
        host_id: Uuid,
    },
    /// Record the platform the host runs on (from `cloud_discovery`).
    UpdateProvider {
        /// The agent id.
        host_id: Uuid,
        /// The platform and its metadata.
        provider: Provider,
    },
    /// Record the host's SLES subscriptions (from `subscription_discovery`).
    UpdateSlesSubscriptions {
        /// The agent id.
        host_id: Uuid,
        /// Every subscription, in the agent's order.
        subscriptions: Vec<SlesSubscription>,
    },
    /// Record saptune's status (from `saptune_discovery`) and grade it.
    UpdateSaptuneStatus {
        /// The agent id.
        host_id: Uuid,
        /// What the discovery said.
        status: SaptuneStatus,
    },
    /// SAP instances appeared on (`running`) or disappeared from the host; sent by the
    /// server, it decides whether saptune counts for the host's health.
    UpdateSapWorkload {
        /// The agent id.
        host_id: Uuid,
        /// Whether any SAP instance runs on the host.
        running: bool,
    },
    /// A checks execution for the host completed with `health`.
    UpdateChecksHealth {
        /// The agent id.
        host_id: Uuid,
        /// The execution's result.
        health: Health,
    },
    /// The host has not been heard of for too long; its data may be out of date.
    MarkHostStale {
        /// The agent id.
        host_id: Uuid,
        /// When it was found stale.
        at: DateTime<Utc>,
    },
    /// A user asks to remove the host. Refused while its heartbeat is alive: the caller
    /// passes what it knows of heartbeats, so that the rule stays here.
    RequestHostDeregistration {
        /// The agent id.
        host_id: Uuid,
        /// When the user asked.
        requested_at: DateTime<Utc>,
        /// The last heartbeat received, if any.
        last_heartbeat_at: Option<DateTime<Utc>>,
        /// The heartbeat settings in force.
        heartbeat: HeartbeatPolicy,
        /// Extra time after a heartbeat's interval before the host counts as gone.
        debounce: Duration,
    },
    /// Remove the host (after a granted request).
    DeregisterHost {
        /// The agent id.
        host_id: Uuid,
        /// When.
        at: DateTime<Utc>,
    },
}

impl HostCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match self {
            HostCommand::RegisterHost { .. } => "RegisterHost",
            HostCommand::RecordHeartbeat { .. } => "RecordHeartbeat",
            HostCommand::MarkHeartbeatFailed { .. } => "MarkHeartbeatFailed",
            HostCommand::UpdateProvider { .. } => "UpdateProvider",
            HostCommand::UpdateSlesSubscriptions { .. } => "UpdateSlesSubscriptions",
            HostCommand::UpdateSaptuneStatus { .. } => "UpdateSaptuneStatus",
            HostCommand::UpdateSapWorkload { .. } => "UpdateSapWorkload",
            HostCommand::UpdateChecksHealth { .. } => "UpdateChecksHealth",
            HostCommand::MarkHostStale { .. } => "MarkHostStale",
            HostCommand::RequestHostDeregistration { .. } => "RequestHostDeregistration",
            HostCommand::DeregisterHost { .. } => "DeregisterHost",
        }
    }

    /// The host the command is addressed to.
    pub fn host_id(&self) -> Uuid {
        match self {
            HostCommand::RegisterHost { host_id, .. }
            | HostCommand::RecordHeartbeat { host_id }
            | HostCommand::MarkHeartbeatFailed { host_id }
            | HostCommand::UpdateProvider { host_id, .. }
            | HostCommand::UpdateSlesSubscriptions { host_id, .. }
            | HostCommand::UpdateSaptuneStatus { host_id, .. }
            | HostCommand::UpdateSapWorkload { host_id, .. }
            | HostCommand::UpdateChecksHealth { host_id, .. }
            | HostCommand::MarkHostStale { host_id, .. }
            | HostCommand::RequestHostDeregistration { host_id, .. }
            | HostCommand::DeregisterHost { host_id, .. } => *host_id,
        }
    }
}

/// Why a host command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostRejection {
    /// The host never sent a host discovery, or it was deregistered since.
    #[error("host {0} is not registered")]
    NotRegistered(Uuid),
    /// Deregistration was asked while the host still sends heartbeats.
    #[error(
        "host {host_id} is still sending heartbeats (last at {last_heartbeat_at}); \
         it can be deregistered from {deregistrable_from}"
    )]
    HeartbeatAlive {
        /// The host.
        host_id: Uuid,
        /// Its last heartbeat.
        last_heartbeat_at: DateTime<Utc>,
        /// From when deregistration will be allowed if no heartbeat arrives meanwhile.
        deregistrable_from: DateTime<Utc>,
    },
}
