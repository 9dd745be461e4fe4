use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::HostRejection;
use crate::health::Health;

/// What the Host aggregate remembers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostState {
    /// Set once registered.
    pub host_id: Option<Uuid>,
    /// The last discovered details.
    pub details: Option<HostDetails>,
    /// Whether heartbeats arrive.
    pub heartbeat: Heartbeat,
    /// The platform, once a cloud discovery arrived.
    pub provider: Option<Provider>,
    /// The SLES subscriptions; empty until a subscription discovery lists some (as Trento).
    pub subscriptions: Vec<SlesSubscription>,
    /// The last saptune discovery, once one arrived.
    pub saptune_status: Option<SaptuneStatus>,
    /// Whether SAP instances run on the host (told by the server); decides whether saptune
    /// counts for health.
    pub sap_workload_running: bool,
    /// Health of the saptune tuning; `Unknown` until a saptune discovery or a workload
    /// change has been graded.
    pub saptune_health: Health,
    /// Health from the last checks execution; `Unknown` until one completed.
    pub checks_health: Health,
    /// The host's health: the worst of its known parts.
    pub health: Health,
    /// Since when the host has been stale, until its next host discovery.
    pub stale_at: Option<DateTime<Utc>>,
    /// When the host was deregistered; cleared when it registers again.
    pub deregistered_at: Option<DateTime<Utc>>,
}

impl HostState {
    /// Whether the host is registered and not deregistered: the hosts commands apply to.
    pub fn is_registered(&self) -> bool {
        self.host_id.is_some() && self.deregistered_at.is_none()
    }

    pub(super) fn ensure_registered(&self, host_id: Uuid) -> Result<(), HostRejection> {
        if self.is_registered() { Ok(()) } else { Err(HostRejection::NotRegistered(host_id)) }
    }
}

/// A host's heartbeat state, with Trento's names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Heartbeat {
    /// No heartbeat seen yet.
    #[default]
    Unknown,
    /// Heartbeats arrive in time.
    Passing,
    /// Heartbeats stopped.
    Critical,
}

/// Everything a host discovery says about a machine. Two discoveries with equal details are
/// the same snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostDetails {
    /// Short host name.
    pub hostname: String,
    /// Fully qualified domain name, when the agent could resolve one.
    pub fully_qualified_domain_name: Option<String>,
    /// Every address the agent reported (loopback and IPv6 included), as `ip/prefix` when
    /// it sent netmasks, else bare. What Trento lists is [`HostDetails::trento_ip_addresses`].
    pub ip_addresses: Vec<String>,
    /// Agent version.
    pub agent_version: String,
    /// CPU architecture.
    pub arch: Architecture,
    /// OS version, e.g. `15-SP4`.
    pub os_version: String,
    /// Logical CPUs.
    pub cpu_count: u32,
    /// CPU sockets.
    pub socket_count: u32,
    /// Memory in MiB.
    pub total_memory_mb: u64,
    /// When the machine last booted.
    pub last_boot_timestamp: Option<DateTime<Utc>>,
    /// Systemd units the agent reports on (e.g. pacemaker).
    pub systemd_units: Vec<SystemdUnit>,
    /// Where the agent was installed from.
    pub installation_source: InstallationSource,
    /// Prometheus exporters by name, or the push gateway URL.
    pub prometheus_targets: BTreeMap<String, String>,
    /// Whether metrics are pulled by Prometheus or pushed by the host.
    pub prometheus_mode: PrometheusMode,
}

impl HostDetails {
    /// The addresses Trento lists for the host: the IPv4 ones that are not loopback, in the
    /// agent's order and form (`ip/prefix` or bare). See [`super::rules::trento_ip_addresses`].
    pub fn trento_ip_addresses(&self) -> Vec<String> {
        super::rules::trento_ip_addresses(&self.ip_addresses)
    }
}

/// A systemd unit and whether it is enabled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemdUnit {
    /// Unit name, e.g. `pacemaker.service`.
    pub name: String,
    /// e.g. `enabled`, `disabled`.
    pub unit_file_state: String,
}

/// CPU architecture, as Trento names them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// x86-64.
    X86_64,
    /// 64-bit ARM.
    Aarch64,
    /// POWER, little endian.
    Ppc64le,
    /// IBM Z.
    S390x,
    /// Not reported or not recognised.
    #[default]
    Unknown,
}

impl Architecture {
    /// Parses an agent's value; anything unrecognised (a newer platform) is `Unknown`
    /// rather than a reason to drop the whole discovery.
    pub fn parse(value: Option<&str>) -> Architecture {
        match value.map(str::to_ascii_lowercase).as_deref() {
            Some("x86_64") => Architecture::X86_64,
            Some("aarch64") => Architecture::Aarch64,
            Some("ppc64le") => Architecture::Ppc64le,
            Some("s390x") => Architecture::S390x,
            _ => Architecture::Unknown,
        }
    }
}

/// Where the agent was installed from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallationSource {
    /// Community packages.
    Community,
    /// SUSE packages.
    Suse,
    /// Not reported or not recognised.
    #[default]
    Unknown,
}

/// How the host's metrics reach Prometheus.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrometheusMode {
    /// Prometheus scrapes the exporters (Trento's default).
    #[default]
    Pull,
    /// The host pushes to Prometheus.
    Push,
}

/// Where the host runs, as a cloud discovery tells it. The three clouds carry the metadata
/// Trento keeps; `None` when the agent could not read it (it sends `null` then).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", content = "provider_data", rename_all = "snake_case")]
pub enum Provider {
    /// Microsoft Azure.
    Azure(Option<AzureProvider>),
    /// Amazon Web Services.
    Aws(Option<AwsProvider>),
    /// Google Cloud Platform.
    Gcp(Option<GcpProvider>),
    /// KVM virtual machine.
    Kvm,
    /// Nutanix AHV.
    Nutanix,
    /// VMware virtual machine.
    Vmware,
    /// Bare metal or a platform the agent did not recognise.
    Unknown,
}

impl Provider {
    /// The wire name, e.g. `azure`.
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Azure(_) => "azure",
            Provider::Aws(_) => "aws",
            Provider::Gcp(_) => "gcp",
            Provider::Kvm => "kvm",
            Provider::Nutanix => "nutanix",
            Provider::Vmware => "vmware",
            Provider::Unknown => "unknown",
        }
    }
}

/// What Trento keeps of Azure's instance metadata. The agent omits empty values, so every
/// text is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzureProvider {
    /// The VM's name.
    pub vm_name: Option<String>,
    /// The resource group.
    pub resource_group: Option<String>,
    /// The region, e.g. `westeurope`.
    pub location: Option<String>,
    /// e.g. `Standard_E4s_v3`.
    pub vm_size: Option<String>,
    /// How many data disks are attached.
    pub data_disk_number: u32,
    /// The image offer, e.g. `sles-sap-15-sp3-byos`.
    pub offer: Option<String>,
    /// The image SKU, e.g. `gen2`.
    pub sku: Option<String>,
    /// The VM's administrator account.
    pub admin_username: Option<String>,
}

/// What Trento keeps of AWS's instance metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsProvider {
    /// The AWS account.
    pub account_id: String,
    /// The machine image.
    pub ami_id: String,
    /// e.g. `eu-west-1a`.
    pub availability_zone: String,
    /// How many data disks (block devices other than root) are attached.
    pub data_disk_number: u32,
    /// The EC2 instance.
    pub instance_id: String,
    /// e.g. `t3.micro`.
    pub instance_type: String,
    /// e.g. `eu-west-1`.
    pub region: String,
    /// The VPC of the first network interface.
    pub vpc_id: String,
}

/// What Trento keeps of GCP's instance metadata.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcpProvider {
    /// How many disks are attached.
    pub disk_number: u32,
    /// The boot image, when known.
    pub image: Option<String>,
    /// The instance's name.
    pub instance_name: String,
    /// e.g. `n1-highmem-8`.
    pub machine_type: String,
    /// The network of the first interface.
    pub network: String,
    /// The GCP project.
    pub project_id: String,
    /// e.g. `europe-west1-b`.
    pub zone: String,
}

/// One SLES product or module registration, as `SUSEConnect --status` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlesSubscription {
    /// Product or module, e.g. `SLES_SAP`, `sle-module-basesystem`.
    pub identifier: String,
    /// e.g. `15.3`.
    pub version: String,
    /// e.g. `x86_64`.
    pub arch: String,
    /// e.g. `Registered`, `Not Registered`.
    pub status: String,
    /// e.g. `ACTIVE`; only products with a subscription of their own have one.
    pub subscription_status: Option<String>,
    /// The subscription type, e.g. `internal`.
    #[serde(rename = "type")]
    pub subscription_type: Option<String>,
    /// When the subscription started.
    pub starts_at: Option<DateTime<Utc>>,
    /// When the subscription expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a saptune discovery says: whether saptune is there, its version, and what its own
/// `saptune status` reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaptuneStatus {
    /// Whether the saptune package is installed.
    pub saptune_installed: bool,
    /// The saptune package version, e.g. `3.1.0`; `None` when not installed.
    pub package_version: Option<String>,
    /// The `saptune status` report; `None` when the agent could not run it (saptune older
    /// than 3.1.0 has no JSON output).
    pub tuning: Option<SaptuneTuning>,
}

/// The parts of `saptune --format json status` that Trento keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaptuneTuning {
    /// The configuration format version, e.g. `3`.
    pub configured_version: Option<String>,
    /// Whether the system is tuned as the enabled solution and notes say.
    pub tuning_state: TuningState,
    /// The tuning services, by name.
    pub services: Vec<SaptuneService>,
    /// Notes enabled, in saptune's order.
    pub enabled_notes: Vec<SaptuneNote>,
    /// Notes applied, in saptune's order.
    pub applied_notes: Vec<SaptuneNote>,
    /// The enabled solution, if any.
    pub enabled_solution: Option<SaptuneSolution>,
    /// The applied solution, if any.
    pub applied_solution: Option<SaptuneSolution>,
    /// Staging, when saptune reported it.
    pub staging: Option<SaptuneStaging>,
}

/// saptune's verdict on the tuning. Stored as saptune words it (`not compliant`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum TuningState {
    /// `compliant`: tuned as configured.
    Compliant,
    /// `not compliant`: tuned, but the system deviates.
    NotCompliant,
    /// `not tuned`: nothing applied.
    NotTuned,
    /// A state this build does not know; graded unknown.
    Other(String),
}

impl TuningState {
    /// The saptune wording.
    pub fn as_str(&self) -> &str {
        match self {
            TuningState::Compliant => "compliant",
            TuningState::NotCompliant => "not compliant",
            TuningState::NotTuned => "not tuned",
            TuningState::Other(other) => other,
        }
    }
}

impl From<String> for TuningState {
    fn from(value: String) -> Self {
        match value.as_str() {
            "compliant" => TuningState::Compliant,
            "not compliant" => TuningState::NotCompliant,
            "not tuned" => TuningState::NotTuned,
            _ => TuningState::Other(value),
        }
    }
}

impl From<TuningState> for String {
    fn from(value: TuningState) -> Self {
        value.as_str().to_owned()
    }
}

/// A tuning service (`saptune`, `sapconf`, `tuned`) and its systemd state; both `None`
/// when the service is not installed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaptuneService {
    /// Service name.
    pub name: String,
    /// e.g. `enabled`, `disabled`.
    pub enabled: Option<String>,
    /// e.g. `active`, `inactive`.
    pub active: Option<String>,
}

/// A SAP note saptune enabled or applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaptuneNote {
    /// The note number, e.g. `941735`.
    pub id: String,
    /// Whether it was enabled on its own rather than through the solution.
    pub additionally_enabled: bool,
}

/// A saptune solution (e.g. `HANA`, `NETWEAVER`) and its notes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaptuneSolution {
    /// Solution id.
    pub id: String,
    /// Its notes.
    pub notes: Vec<String>,
    /// Whether it is applied only partially.
    pub partial: bool,
}

/// saptune's staging area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaptuneStaging {
    /// Whether staging is enabled.
    pub enabled: bool,
    /// Notes staged.
    pub notes: Vec<String>,
    /// Solutions staged.
    pub solution_ids: Vec<String>,
}
