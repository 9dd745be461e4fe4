//! What a host discovery reports, read from the local (Linux) machine.
//!
//! Everything comes from `/proc`, `/etc` and the interface list, so the agent needs no
//! privileges and no helper programs.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use uuid::Uuid;

/// Trento agents derive their id from the machine id in this namespace, so a machine keeps
/// its identity across reinstalls of the agent.
pub const AGENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0xfb92284e_aa5e_47f6_a883_bf9469e7a0dc);

/// A `host_discovery` payload, with the Trento agent's field names.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HostDiscovery {
    /// Short host name.
    pub hostname: String,
    /// Canonical name, when the resolver knows one.
    pub fully_qualified_domain_name: Option<String>,
    /// Addresses of every interface.
    pub ip_addresses: Vec<String>,
    /// Prefix lengths, one per address.
    pub netmasks: Vec<u32>,
    /// This agent's version.
    pub agent_version: String,
    /// CPU architecture.
    pub arch: String,
    /// OS version (e.g. `15-SP4`).
    pub os_version: String,
    /// Logical CPUs.
    pub cpu_count: u32,
    /// Physical sockets.
    pub socket_count: u32,
    /// Memory in MiB.
    pub total_memory_mb: u64,
    /// Boot time, RFC 3339.
    pub last_boot_timestamp: Option<String>,
}

/// The agent id of this machine: UUIDv5 of `/etc/machine-id`, as Trento's agent computes it.
pub fn agent_id() -> std::io::Result<Uuid> {
    let machine_id = std::fs::read_to_string("/etc/machine-id")?;
    Ok(Uuid::new_v5(&AGENT_ID_NAMESPACE, machine_id.trim().as_bytes()))
}

/// Reads the machine.
pub fn discover() -> HostDiscovery {
    let hostname = read_trimmed("/proc/sys/kernel/hostname").unwrap_or_else(|| "localhost".into());
    let (ip_addresses, netmasks) = addresses();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    HostDiscovery {
        fully_qualified_domain_name: fqdn(&hostname),
        hostname,
        ip_addresses,
        netmasks,
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
        arch: std::env::consts::ARCH.to_owned(),
        os_version: os_version(Path::new("/etc/os-release")).unwrap_or_else(|| "unknown".into()),
        cpu_count: std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1),
        socket_count: socket_count(&cpuinfo),
        total_memory_mb: total_memory_mb(&std::fs::read_to_string("/proc/meminfo").unwrap_or_default()),
        last_boot_timestamp: boot_time(&std::fs::read_to_string("/proc/stat").unwrap_or_default()),
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn addresses() -> (Vec<String>, Vec<u32>) {
    let mut ips = Vec::new();
    let mut masks = Vec::new();
    for iface in if_addrs::get_if_addrs().unwrap_or_default() {
        let (ip, prefix) = match &iface.addr {
            if_addrs::IfAddr::V4(v4) => (v4.ip.to_string(), u32::from(v4.netmask).count_ones()),
            if_addrs::IfAddr::V6(v6) => (v6.ip.to_string(), u128::from(v6.netmask).count_ones()),
        };
        ips.push(ip);
        masks.push(prefix);
    }
    (ips, masks)
}

/// The canonical name the resolver gives the host name, as `hostname -f` prints it.
fn fqdn(hostname: &str) -> Option<String> {
    use std::ffi::{CStr, CString};
    let name = CString::new(hostname).ok()?;
    // SAFETY: `hints` is zeroed as getaddrinfo requires, `result` is only read when the call
    // succeeded, and it is freed exactly once with freeaddrinfo.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_flags = libc::AI_CANONNAME;
        hints.ai_family = libc::AF_UNSPEC;
        let mut result: *mut libc::addrinfo = std::ptr::null_mut();
        if libc::getaddrinfo(name.as_ptr(), std::ptr::null(), &hints, &mut result) != 0 || result.is_null() {
            return None;
        }
        let canon = (*result).ai_canonname;
        let fqdn = (!canon.is_null()).then(|| CStr::from_ptr(canon).to_string_lossy().into_owned());
        libc::freeaddrinfo(result);
        fqdn.filter(|f| !f.is_empty())
    }
}

/// `VERSION` of os-release (`15-SP4` on SLES), else `VERSION_ID`.
fn os_version(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().trim_matches('"').to_owned())
            .filter(|v| !v.is_empty())
    };
    field("VERSION").or_else(|| field("VERSION_ID"))
}

fn socket_count(cpuinfo: &str) -> u32 {
    let ids: BTreeSet<&str> = cpuinfo
        .lines()
        .filter(|l| l.starts_with("physical id"))
        .filter_map(|l| l.split(':').nth(1))
        .map(str::trim)
        .collect();
    ids.len().max(1) as u32
}

fn total_memory_mb(meminfo: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| kib / 1024)
        .unwrap_or(0)
}

fn boot_time(stat: &str) -> Option<String> {
    let seconds: i64 = stat.lines().find_map(|l| l.strip_prefix("btime "))?.trim().parse().ok()?;
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_machine_is_described_plausibly() {
        let d = discover();
        assert!(!d.hostname.is_empty());
        assert!(d.cpu_count >= 1);
        assert!(d.total_memory_mb > 0);
        assert_eq!(d.ip_addresses.len(), d.netmasks.len());
        let loopback = d.ip_addresses.iter().position(|ip| ip == "127.0.0.1").expect("loopback is listed");
        assert_eq!(d.netmasks[loopback], 8);
        let boot = chrono::DateTime::parse_from_rfc3339(d.last_boot_timestamp.as_deref().unwrap()).unwrap();
        assert!(boot < chrono::Utc::now());
    }

    #[test]
    fn proc_files_are_parsed() {
        assert_eq!(total_memory_mb("MemTotal:       16384000 kB\nMemFree: 1 kB\n"), 16000);
        let cpuinfo =
            "processor: 0\nphysical id\t: 0\nprocessor: 1\nphysical id\t: 1\nprocessor: 2\nphysical id\t: 1\n";
        assert_eq!(socket_count(cpuinfo), 2);
        assert_eq!(socket_count("processor: 0\n"), 1);
        assert_eq!(boot_time("cpu 1 2\nbtime 1718022896\n").as_deref(), Some("2024-06-10T12:34:56Z"));
        let dir = tempfile::tempdir().unwrap();
        let os_release = dir.path().join("os-release");
        std::fs::write(&os_release, "NAME=\"SLES\"\nVERSION=\"15-SP4\"\nVERSION_ID=\"15.4\"\n").unwrap();
        assert_eq!(os_version(&os_release).as_deref(), Some("15-SP4"));
        std::fs::write(&os_release, "NAME=Debian\nVERSION_ID=\"12\"\n").unwrap();
        assert_eq!(os_version(&os_release).as_deref(), Some("12"));
    }

    #[test]
    fn the_agent_id_is_a_v5_uuid_of_the_machine_id() {
        let machine_id = std::fs::read_to_string("/etc/machine-id");
        if let Ok(machine_id) = machine_id {
            let id = agent_id().unwrap();
            assert_eq!(id.get_version_num(), 5);
            assert_eq!(id, Uuid::new_v5(&AGENT_ID_NAMESPACE, machine_id.trim().as_bytes()));
        }
    }
}
