//! `host_discovery` → `RegisterHost`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{InvalidDiscovery, parse_payload};
use crate::LandscapeCommand;
use crate::host::{Architecture, HostCommand, HostDetails, InstallationSource, PrometheusMode, SystemdUnit};

/// The payload as the Trento agent sends it.
#[derive(Deserialize)]
struct HostDiscoveryPayload {
    hostname: String,
    #[serde(default)]
    fully_qualified_domain_name: Option<String>,
    ip_addresses: Vec<String>,
    #[serde(default)]
    netmasks: Option<Vec<Netmask>>,
    agent_version: String,
    #[serde(default)]
    arch: Option<String>,
    os_version: String,
    cpu_count: u32,
    socket_count: u32,
    total_memory_mb: u64,
    #[serde(default)]
    last_boot_timestamp: Option<String>,
    #[serde(default)]
    systemd_units: Option<Vec<SystemdUnit>>,
    #[serde(default)]
    installation_source: Option<String>,
    #[serde(default)]
    prometheus_targets: Option<BTreeMap<String, String>>,
    #[serde(default)]
    prometheus_mode: Option<String>,
}

/// Agents have sent netmasks both as numbers and as numeric strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum Netmask {
    Number(u32),
    Text(String),
}

pub(super) fn detect(agent_id: Uuid, payload: &str) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let p: HostDiscoveryPayload = parse_payload(payload)?;
    let details = HostDetails {
        hostname: non_empty("hostname", p.hostname)?,
        fully_qualified_domain_name: p.fully_qualified_domain_name.filter(|f| !f.trim().is_empty()),
        ip_addresses: zip_addresses(&p.ip_addresses, p.netmasks.as_deref())?,
        agent_version: p.agent_version,
        arch: Architecture::parse(p.arch.as_deref()),
        os_version: p.os_version,
        cpu_count: p.cpu_count,
        socket_count: p.socket_count,
        total_memory_mb: p.total_memory_mb,
        last_boot_timestamp: p.last_boot_timestamp.as_deref().map(parse_boot_time).transpose()?,
        systemd_units: p.systemd_units.unwrap_or_default(),
        installation_source: match p.installation_source.map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("community") => InstallationSource::Community,
            Some("suse") => InstallationSource::Suse,
            _ => InstallationSource::Unknown,
        },
        prometheus_targets: p.prometheus_targets.unwrap_or_default(),
        prometheus_mode: match p.prometheus_mode.as_deref() {
            None | Some("pull") => PrometheusMode::Pull,
            Some("push") => PrometheusMode::Push,
            Some(other) => {
                return Err(InvalidDiscovery::field(
                    "payload.prometheus_mode",
                    format!("must be `pull` or `push`, not `{other}`"),
                ));
            }
        },
    };
    Ok(vec![LandscapeCommand::Host {
        host_id: agent_id,
        command: HostCommand::RegisterHost { host_id: agent_id, details },
    }])
}

fn non_empty(field: &str, value: String) -> Result<String, InvalidDiscovery> {
    if value.trim().is_empty() {
        return Err(InvalidDiscovery::field(format!("payload.{field}"), "must not be empty"));
    }
    Ok(value)
}

fn parse_boot_time(value: &str) -> Result<DateTime<Utc>, InvalidDiscovery> {
    DateTime::parse_from_rfc3339(value).map(|t| t.with_timezone(&Utc)).map_err(|e| {
        InvalidDiscovery::field("payload.last_boot_timestamp", format!("`{value}` is not an RFC 3339 time ({e})"))
    })
}

/// Pairs each address with its prefix length as `ip/prefix`; without netmasks the
/// addresses stay bare. Addresses are kept as the agent sent them, not validated: real
/// (anonymised) payloads carry strings that are not valid IPv6, and Trento stores them.
fn zip_addresses(addresses: &[String], netmasks: Option<&[Netmask]>) -> Result<Vec<String>, InvalidDiscovery> {
    let addresses: Vec<&str> = addresses.iter().map(|a| a.trim()).collect();
    if let Some(i) = addresses.iter().position(|a| a.is_empty()) {
        return Err(InvalidDiscovery::field(format!("payload.ip_addresses[{i}]"), "must not be empty"));
    }
    let Some(netmasks) = netmasks else {
        return Ok(addresses.iter().map(|a| (*a).to_owned()).collect());
    };
    if netmasks.len() != addresses.len() {
        return Err(InvalidDiscovery::field(
            "payload.netmasks",
            format!("has {} entries but ip_addresses has {}", netmasks.len(), addresses.len()),
        ));
    }
    addresses
        .iter()
        .zip(netmasks)
        .enumerate()
        .map(|(i, (ip, mask))| {
            let max = if ip.parse::<std::net::Ipv4Addr>().is_ok() { 32 } else { 128 };
            let prefix = match mask {
                Netmask::Number(n) => Some(*n),
                Netmask::Text(t) => t.trim().parse().ok(),
            }
            .filter(|p| *p <= max)
            .ok_or_else(|| {
                InvalidDiscovery::field(format!("payload.netmasks[{i}]"), format!("must be a prefix length 0..={max}"))
            })?;
            Ok(format!("{ip}/{prefix}"))
        })
        .collect()
}
