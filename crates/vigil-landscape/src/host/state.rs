use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::HostRejection;

/// What the Host aggregate remembers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostState {
    /// Set once registered.
    pub host_id: Option<Uuid>,
    /// The last discovered details.
    pub details: Option<HostDetails>,
    /// Whether heartbeats arrive.
    pub heartbeat: Heartbeat,
}

impl HostState {
    pub(super) fn ensure_registered(&self, host_id: Uuid) -> Result<(), HostRejection> {
        match self.host_id {
            Some(_) => Ok(()),
            None => Err(HostRejection::NotRegistered(host_id)),
        }
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
    /// Addresses as `ip/prefix` when the agent sent netmasks, else bare.
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
