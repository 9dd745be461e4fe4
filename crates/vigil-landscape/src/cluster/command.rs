use uuid::Uuid;

use super::state::ClusterDetails;
use crate::health::Health;

/// What may be asked of a cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterCommand {
    /// A host whose cluster stack runs reported the cluster (from `ha_cluster_discovery`).
    RegisterOnlineClusterHost {
        /// The cluster.
        cluster_id: Uuid,
        /// The reporting host (its agent id).
        host_id: Uuid,
        /// The cluster's name; `None` when corosync names none.
        name: Option<String>,
        /// Whether the host is the designated controller: only its view becomes the
        /// cluster's details.
        designated_controller: bool,
        /// Everything the discovery said about the cluster (boxed: it dwarfs the other
        /// commands).
        details: Box<ClusterDetails>,
        /// When the CIB was last written (crm_mon's last change, e.g. `Mon Jun 10 13:03:57
        /// 2024`), Trento's `cib_last_written`. Every member reports it, and it changes with
        /// every write of the CIB, so it is no part of the cluster's state and the decider
        /// ignores it: the server keeps the latest outside the event store, as Trento keeps
        /// it outside its event stream.
        cib_last_written: Option<String>,
    },
    /// A member host whose cluster stack is stopped reported only the cluster's identity.
    RegisterOfflineClusterHost {
        /// The cluster.
        cluster_id: Uuid,
        /// The reporting host.
        host_id: Uuid,
        /// The cluster's name, if the host knows it.
        name: Option<String>,
    },
    /// The host left the cluster: it reports no cluster or another one. The stored event's
    /// time is the deregistration time.
    DeregisterClusterHost {
        /// The cluster.
        cluster_id: Uuid,
        /// The host.
        host_id: Uuid,
    },
    /// The host's heartbeat was lost, so what it last reported may be out of date.
    MarkClusterHostStale {
        /// The cluster.
        cluster_id: Uuid,
        /// The host.
        host_id: Uuid,
    },
    /// A checks execution on the cluster completed with `health`.
    CompleteChecksExecution {
        /// The cluster.
        cluster_id: Uuid,
        /// The execution's result.
        health: Health,
    },
}

impl ClusterCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match self {
            ClusterCommand::RegisterOnlineClusterHost { .. } => "RegisterOnlineClusterHost",
            ClusterCommand::RegisterOfflineClusterHost { .. } => "RegisterOfflineClusterHost",
            ClusterCommand::DeregisterClusterHost { .. } => "DeregisterClusterHost",
            ClusterCommand::MarkClusterHostStale { .. } => "MarkClusterHostStale",
            ClusterCommand::CompleteChecksExecution { .. } => "CompleteChecksExecution",
        }
    }

    /// The cluster the command is for.
    pub fn cluster_id(&self) -> Uuid {
        match self {
            ClusterCommand::RegisterOnlineClusterHost { cluster_id, .. }
            | ClusterCommand::RegisterOfflineClusterHost { cluster_id, .. }
            | ClusterCommand::DeregisterClusterHost { cluster_id, .. }
            | ClusterCommand::MarkClusterHostStale { cluster_id, .. }
            | ClusterCommand::CompleteChecksExecution { cluster_id, .. } => *cluster_id,
        }
    }
}

/// Why a cluster command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterRejection {
    /// No host ever registered the cluster.
    #[error("cluster {0} is not registered")]
    NotRegistered(Uuid),
    /// The cluster's last host left; only a new registration brings it back.
    #[error("cluster {0} is deregistered")]
    Deregistered(Uuid),
}
