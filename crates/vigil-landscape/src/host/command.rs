use uuid::Uuid;

use super::state::HostDetails;

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
}

impl HostCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match self {
            HostCommand::RegisterHost { .. } => "RegisterHost",
            HostCommand::RecordHeartbeat { .. } => "RecordHeartbeat",
            HostCommand::MarkHeartbeatFailed { .. } => "MarkHeartbeatFailed",
        }
    }
}

/// Why a host command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostRejection {
    /// The host never sent a host discovery.
    #[error("host {0} is not registered")]
    NotRegistered(Uuid),
}
