use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::ClusterRejection;
use super::rules::DiscoveredHealth;
use crate::health::Health;

/// What the Cluster aggregate remembers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterState {
    /// Set once registered.
    pub cluster_id: Option<Uuid>,
    /// The cluster's name, as the first registering host or later the designated controller
    /// reported it; `None` for a cluster whose corosync configuration names none.
    pub name: Option<String>,
    /// What the designated controller last reported; `None` until one has.
    pub details: Option<ClusterDetails>,
    /// The member hosts (agent ids) and how each takes part.
    pub hosts: BTreeMap<Uuid, ClusterHost>,
    /// The health parts derived from `details`.
    pub discovered_health: DiscoveredHealth,
    /// The health of the last checks execution; unknown until one completed.
    pub checks_health: Health,
    /// The cluster's health: see [`super::rules::cluster_health`].
    pub health: Health,
    /// The cluster's state (Trento's `state`): what the designated controller last
    /// reported, or `stopped` once every member's cluster stack is stopped.
    #[serde(default)]
    pub run_state: ClusterRunState,
    /// Set when the last host left; cleared when a host registers again.
    pub deregistered: bool,
}

impl ClusterState {
    /// Refuses commands for a cluster that was never registered.
    pub(super) fn ensure_registered(&self, cluster_id: Uuid) -> Result<(), ClusterRejection> {
        match self.cluster_id {
            Some(_) => Ok(()),
            None => Err(ClusterRejection::NotRegistered(cluster_id)),
        }
    }

    /// Refuses commands that need a live (not deregistered) cluster.
    pub(super) fn ensure_live(&self, cluster_id: Uuid) -> Result<(), ClusterRejection> {
        self.ensure_registered(cluster_id)?;
        if self.deregistered {
            return Err(ClusterRejection::Deregistered(cluster_id));
        }
        Ok(())
    }
}

/// How a host takes part in its cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterHost {
    /// Whether the cluster stack runs on the host.
    pub status: ClusterHostStatus,
    /// Set when the host's heartbeat was lost: what it last said may be out of date.
    pub stale: bool,
}

/// Whether the cluster stack (corosync and pacemaker) runs on a member host, with Trento's
/// names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterHostStatus {
    /// Corosync and pacemaker run: the host sent a full discovery.
    Online,
    /// The host is configured as a member but its cluster stack is stopped.
    Offline,
}

/// Everything a cluster discovery says about the cluster as a whole. Only the designated
/// controller's view is stored; two equal values are the same snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterDetails {
    /// What the cluster runs.
    pub cluster_type: ClusterType,
    /// The SID of the HANA system the cluster manages, if any.
    pub sid: Option<String>,
    /// The SIDs of the other SAP instances (`SAPInstance` resources) it manages, in CIB order.
    pub additional_sids: Vec<String>,
    /// The platform the nodes run on.
    pub provider: Provider,
    /// Pacemaker's controller state as reported (e.g. `S_IDLE`); absent from older agents.
    /// Trento's name for it is [`ClusterDetails::reported_state`].
    pub state: Option<String>,
    /// Nodes configured, from the crm_mon summary.
    pub hosts_number: u32,
    /// Resources configured, from the crm_mon summary.
    pub resources_number: u32,
    /// The fencing agent (`external/sbd`, `fence_gce`, …), `Diskless SBD`, or `Unknown` when
    /// SBD devices are configured but no fencing resource is; `None` when nothing says.
    pub fencing_type: Option<String>,
    /// Whether the cluster-wide `maintenance-mode` property is on.
    pub maintenance_mode: bool,
    /// The SBD devices and whether each is healthy.
    pub sbd_devices: Vec<SbdDevice>,
    /// Resources running nowhere.
    pub stopped_resources: Vec<StoppedResource>,
    /// The nodes, in crm_mon order.
    pub nodes: Vec<ClusterNode>,
    /// HANA system replication, for clusters that manage HANA.
    pub hana: Option<HanaDetails>,
    /// The ASCS/ERS SAP systems, for clusters that manage them.
    pub sap_systems: Vec<AscsErsSapSystem>,
    /// The SAP instances the cluster manages, Trento's `sap_instances`: one per
    /// `SAPHanaTopology` resource, then one per `SAPInstance` resource, each in CIB order.
    /// Empty in details stored before Vigil derived it.
    #[serde(default)]
    pub sap_instances: Vec<ClusterSapInstance>,
}

impl ClusterDetails {
    /// The reported Pacemaker state with Trento's names (`S_IDLE` is `idle`).
    pub fn reported_state(&self) -> ClusterRunState {
        ClusterRunState::from_pacemaker(self.state.as_deref())
    }
}

/// A SAP instance a cluster manages, as Trento's `SapInstance` value object has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSapInstance {
    /// `HDB<nr>` for a HANA instance, else the instance part of `InstanceName`
    /// (`ASCS00` of `NWP_ASCS00_sapnwpas`).
    pub name: String,
    /// The SID.
    pub sid: String,
    /// The instance number, e.g. `00`.
    pub instance_number: String,
    /// The host part of `InstanceName` (`sapnwpas`); HANA instances name none.
    pub hostname: Option<String>,
    /// The resource the instance was found in.
    pub resource_type: SapInstanceResourceType,
}

/// The resource agent a clustered SAP instance was found in, with Trento's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SapInstanceResourceType {
    /// A `SAPHanaTopology` resource (`SID` and `InstanceNumber` attributes).
    SapHanaTopology,
    /// A `SAPInstance` resource (`InstanceName` attribute, `<SID>_<instance>_<host>`).
    SapInstance,
}

/// The state of a cluster, with Trento's names: Pacemaker's controller state without `S_`
/// and in lower case, plus Trento's own `stopped` (every member's cluster stack is stopped)
/// and `unknown` (no designated controller reported one, or one this build does not know).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterRunState {
    /// `S_IDLE`: nothing to do.
    Idle,
    /// `S_ELECTION`: electing a designated controller.
    Election,
    /// `S_INTEGRATION`: integrating the nodes.
    Integration,
    /// `S_FINALIZE_JOIN`: finalizing the join of the nodes.
    FinalizeJoin,
    /// `S_NOT_DC`: the reporting node is not the designated controller.
    NotDc,
    /// `S_POLICY_ENGINE`: computing the next transition.
    PolicyEngine,
    /// `S_RECOVERY`: recovering from an error.
    Recovery,
    /// `S_RELEASE_DC`: giving up the designated controller role.
    ReleaseDc,
    /// `S_STARTING`: the controller is starting.
    Starting,
    /// `S_PENDING`: waiting to join.
    Pending,
    /// `S_STOPPING`: the controller is stopping.
    Stopping,
    /// `S_TERMINATE`: the controller is terminating.
    Terminate,
    /// `S_TRANSITION_ENGINE`: carrying out a transition.
    TransitionEngine,
    /// Every member's cluster stack is stopped (Trento's).
    Stopped,
    /// Not known (Trento's).
    #[default]
    Unknown,
}

impl ClusterRunState {
    /// Pacemaker's state as the agent reports it (`S_IDLE`), with Trento's names; missing,
    /// empty or unrecognised is `Unknown`.
    pub fn from_pacemaker(reported: Option<&str>) -> ClusterRunState {
        let Some(reported) = reported else {
            return ClusterRunState::Unknown;
        };
        let name = reported.trim().to_ascii_lowercase();
        match name.strip_prefix("s_").unwrap_or(&name) {
            "idle" => ClusterRunState::Idle,
            "election" => ClusterRunState::Election,
            "integration" => ClusterRunState::Integration,
            "finalize_join" => ClusterRunState::FinalizeJoin,
            "not_dc" => ClusterRunState::NotDc,
            "policy_engine" => ClusterRunState::PolicyEngine,
            "recovery" => ClusterRunState::Recovery,
            "release_dc" => ClusterRunState::ReleaseDc,
            "starting" => ClusterRunState::Starting,
            "pending" => ClusterRunState::Pending,
            "stopping" => ClusterRunState::Stopping,
            "terminate" => ClusterRunState::Terminate,
            "transition_engine" => ClusterRunState::TransitionEngine,
            _ => ClusterRunState::Unknown,
        }
    }

    /// The wire name, e.g. `idle`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterRunState::Idle => "idle",
            ClusterRunState::Election => "election",
            ClusterRunState::Integration => "integration",
            ClusterRunState::FinalizeJoin => "finalize_join",
            ClusterRunState::NotDc => "not_dc",
            ClusterRunState::PolicyEngine => "policy_engine",
            ClusterRunState::Recovery => "recovery",
            ClusterRunState::ReleaseDc => "release_dc",
            ClusterRunState::Starting => "starting",
            ClusterRunState::Pending => "pending",
            ClusterRunState::Stopping => "stopping",
            ClusterRunState::Terminate => "terminate",
            ClusterRunState::TransitionEngine => "transition_engine",
            ClusterRunState::Stopped => "stopped",
            ClusterRunState::Unknown => "unknown",
        }
    }
}

/// What a cluster runs, as Trento classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterType {
    /// HANA system replication between two single-node sites.
    HanaScaleUp,
    /// HANA system replication between two multi-node sites.
    HanaScaleOut,
    /// An even number (≥ 2) of SAP `SAPInstance` groups: ASCS and ERS pairs.
    AscsErs,
    /// HANA system replication and ASCS/ERS pairs in the same cluster.
    HanaAscsErs,
    /// Anything else.
    Unknown,
}

/// The SAPHanaSR generation driving a HANA cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HanaArchitecture {
    /// SAPHanaSR / SAPHanaSR-ScaleOut: replication state in node attributes (scale-up) or
    /// cluster properties (scale-out).
    Classic,
    /// SAPHanaSR-angi: replication state in `hana_<sid>_site_*` cluster properties.
    Angi,
}

/// The flavour of a HANA scale-up cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HanaScenario {
    /// The secondary only replicates.
    PerformanceOptimized,
    /// The secondary's node also runs another HANA (a `SAPInstance` of an `HDB` instance,
    /// typically QAS) that is stopped on takeover.
    CostOptimized,
    /// Not a scale-up cluster.
    Unknown,
}

/// Where the cluster's nodes run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Microsoft Azure.
    Azure,
    /// Amazon Web Services.
    Aws,
    /// Google Cloud.
    Gcp,
    /// KVM.
    Kvm,
    /// VMware.
    Vmware,
    /// Nutanix.
    Nutanix,
    /// Not reported or not recognised.
    Unknown,
}

impl Provider {
    /// Parses an agent's value; an empty or unrecognised one is `Unknown`, Trento's default.
    pub fn parse(value: Option<&str>) -> Provider {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("azure") => Provider::Azure,
            Some("aws") => Provider::Aws,
            Some("gcp") => Provider::Gcp,
            Some("kvm") => Provider::Kvm,
            Some("vmware") => Provider::Vmware,
            Some("nutanix") => Provider::Nutanix,
            _ => Provider::Unknown,
        }
    }
}

/// HANA system replication as the cluster sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HanaDetails {
    /// SAPHanaSR generation.
    pub architecture: HanaArchitecture,
    /// Performance or cost optimized (scale-up only).
    pub scenario: HanaScenario,
    /// e.g. `sync`, `syncmem`.
    pub system_replication_mode: String,
    /// e.g. `logreplay`, `delta_datashipping`.
    pub system_replication_operation_mode: String,
    /// The secondary's sync state (`SOK`, `SFAIL`, …) or `Unknown`.
    pub secondary_sync_state: String,
    /// The secondary's landscape status (`4` is all fine) or `Unknown`.
    pub sr_health_state: String,
    /// The replication sites.
    pub sites: Vec<HanaSite>,
}

/// A HANA replication site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HanaSite {
    /// Site name.
    pub name: String,
    /// The site's replication role.
    pub state: HanaStatus,
    /// The site's landscape status, or `Unknown`.
    pub sr_health_state: String,
}

/// The replication role of a HANA node or site, as Trento derives it from the role (`P`/`S`)
/// and sync state (`PRIM`/`SOK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HanaStatus {
    /// Primary with `PRIM`.
    Primary,
    /// Secondary with `SOK`.
    Secondary,
    /// Primary or secondary in any other sync state.
    Failed,
    /// Not known.
    Unknown,
}

/// A cluster node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterNode {
    /// Node (host) name.
    pub name: String,
    /// Pacemaker's view of the node.
    pub status: NodeStatus,
    /// Whether the node is the designated controller.
    pub designated_controller: bool,
    /// The HANA site the node belongs to.
    pub site: Option<String>,
    /// The node's HANA replication role (HANA clusters only).
    pub hana_status: Option<HanaStatus>,
    /// The HANA nameserver's actual role on the node (e.g. `master`).
    pub nameserver_actual_role: Option<String>,
    /// The HANA indexserver's actual role on the node.
    pub indexserver_actual_role: Option<String>,
    /// The virtual IP running on the node.
    pub virtual_ip: Option<String>,
    /// A scale-out node that belongs to no HANA site: it only gives the cluster a quorum.
    pub majority_maker: bool,
    /// The resources running on the node.
    pub resources: Vec<ClusterResource>,
    /// The node's attributes as crm_mon lists them (`hana_<sid>_roles`,
    /// `hana_<sid>_clone_state`, `master-rsc_…`), by name. Of a HANA scale-up cluster
    /// `lpa_<sid>_lpt` is left out, as Trento leaves it out: SAPHanaSR rewrites that
    /// timestamp on the primary as it monitors it, and keeping it would store new details
    /// each time. Empty in details stored before Vigil kept them.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// Pacemaker's view of a node, the first that applies in this order (Trento's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// Not online.
    Offline,
    /// Needs fencing.
    Unclean,
    /// In standby.
    Standby,
    /// In maintenance.
    Maintenance,
    /// Shutting down.
    Shutdown,
    /// Joining.
    Pending,
    /// Put in standby after a failure.
    StandbyOnFail,
    /// Online.
    Online,
    /// Not reported.
    Unknown,
}

/// A resource running on a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterResource {
    /// Resource id.
    pub id: String,
    /// The resource agent, e.g. `ocf::suse:SAPHana`.
    pub agent: String,
    /// e.g. `Started`, `Master`, `Slave`.
    pub role: String,
    /// Its state.
    pub status: ResourceStatus,
    /// Failures on this node, from the node history (`1000000` is pacemaker's INFINITY).
    pub fail_count: Option<u64>,
    /// Whether pacemaker manages it.
    pub managed: bool,
    /// The clone or group it belongs to.
    pub parent: Option<String>,
}

/// A resource's state, the first that applies in this order (Trento's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    /// Active.
    Active,
    /// Blocked.
    Blocked,
    /// Failed.
    Failed,
    /// Failed, but failures are ignored.
    FailureIgnored,
    /// No longer configured.
    Orphaned,
    /// None of the above.
    Inactive,
}

/// A resource that runs nowhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoppedResource {
    /// Resource id.
    pub id: String,
    /// The resource agent.
    pub agent: String,
    /// Its role, usually `Stopped`.
    pub role: String,
}

/// An SBD device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SbdDevice {
    /// Device path.
    pub device: String,
    /// Whether the agent could read its header.
    pub status: SbdDeviceStatus,
}

/// An SBD device's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SbdDeviceStatus {
    /// The agent reported `healthy`.
    Healthy,
    /// Anything else.
    Unhealthy,
}

/// An SAP system whose ASCS and ERS instances the cluster manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AscsErsSapSystem {
    /// The SID.
    pub sid: String,
    /// Whether the instance directories are `Filesystem` resources of the cluster (one per
    /// instance), rather than a simple mount.
    pub filesystem_resource_based: bool,
    /// Whether ASCS and ERS run started, not failed, on two different clean online nodes.
    pub distributed: bool,
    /// The ASCS and ERS instances, in CIB order.
    pub instances: Vec<AscsErsInstance>,
}

/// One `SAPInstance` resource of an ASCS/ERS pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AscsErsInstance {
    /// ASCS or ERS.
    pub role: AscsErsRole,
    /// The profile's instance name, e.g. `NWP_ASCS00_sapnwpas`.
    pub instance_name: String,
    /// e.g. `00`.
    pub instance_number: String,
    /// The node it runs on, if it runs.
    pub node: Option<String>,
    /// The group's virtual IP.
    pub virtual_ip: Option<String>,
    /// How its instance directory is mounted.
    pub mount: InstanceMount,
    /// The `Filesystem` resource's directory, when there is one.
    pub filesystem: Option<String>,
}

/// An instance's role in the pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AscsErsRole {
    /// The central services instance.
    Ascs,
    /// The enqueue replication server (`IS_ERS=true`).
    Ers,
}

/// How an ASCS/ERS instance directory is mounted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceMount {
    /// A `Filesystem` resource in the instance's group mounts it.
    FilesystemResource,
    /// Simple mount: the directory is always mounted and a `SAPStartSrv` resource starts
    /// the instance's service.
    SimpleMount,
    /// The group neither mounts it nor starts `sapstartsrv`.
    Unmanaged,
}
