//! The host's rules that are formulas, as Trento has them: the health grades, the
//! deregistration window and the addresses Trento lists.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::heartbeat::HeartbeatPolicy;
use super::state::{SaptuneStatus, TuningState};
use crate::health::Health;

/// The oldest saptune whose tuning Trento trusts: earlier versions have no JSON status, and
/// Trento flags them.
pub const MINIMUM_SAPTUNE_VERSION: (u64, u64, u64) = (3, 1, 0);

/// The saptune part of a host's health.
///
/// Without SAP workload saptune does not matter: passing. With it: no saptune discovery or
/// saptune not installed is a warning, as is a version older than 3.1.0; otherwise the
/// tuning state decides (compliant passing, not tuned warning, not compliant critical).
/// What cannot be graded (no status from a recent saptune, a state or version this build
/// cannot read) is unknown, as Trento has it.
pub fn saptune_health(sap_workload_running: bool, status: Option<&SaptuneStatus>) -> Health {
    if !sap_workload_running {
        return Health::Passing;
    }
    let Some(status) = status.filter(|s| s.saptune_installed) else {
        return Health::Warning;
    };
    let Some(version) = status.package_version.as_deref().and_then(parse_version) else {
        return Health::Unknown;
    };
    if version < MINIMUM_SAPTUNE_VERSION {
        return Health::Warning;
    }
    match status.tuning.as_ref().map(|t| &t.tuning_state) {
        Some(TuningState::Compliant) => Health::Passing,
        Some(TuningState::NotTuned) => Health::Warning,
        Some(TuningState::NotCompliant) => Health::Critical,
        Some(TuningState::Other(_)) | None => Health::Unknown,
    }
}

/// The host's health: the worst of its parts that are known. Heartbeats are deliberately
/// not a part: a host that stops sending them is marked stale, not unhealthy. With no part
/// known the health is unknown (Trento's aggregate of nothing).
pub fn host_health(saptune_health: Health, checks_health: Health) -> Health {
    let known: Vec<Health> = [saptune_health, checks_health].into_iter().filter(|h| *h != Health::Unknown).collect();
    if known.is_empty() { Health::Unknown } else { Health::worst(known) }
}

/// From when a host whose last heartbeat was at `last_heartbeat_at` may be deregistered:
/// Trento's `last heartbeat + heartbeat interval + deregistration debounce` (saturating at
/// the end of representable time).
pub fn deregistrable_from(
    last_heartbeat_at: DateTime<Utc>,
    heartbeat: &HeartbeatPolicy,
    debounce: Duration,
) -> DateTime<Utc> {
    heartbeat
        .interval
        .checked_add(debounce)
        .and_then(|window| chrono::Duration::from_std(window).ok())
        .and_then(|window| last_heartbeat_at.checked_add_signed(window))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether the heartbeat is still alive at `at`, which refuses deregistration: Trento
/// refuses while `at < last heartbeat + interval + debounce`. Returns, when alive, from when
/// deregistration will be allowed. A host that never sent a heartbeat is not alive.
pub fn heartbeat_alive_until(
    at: DateTime<Utc>,
    last_heartbeat_at: Option<DateTime<Utc>>,
    heartbeat: &HeartbeatPolicy,
    debounce: Duration,
) -> Option<DateTime<Utc>> {
    let from = deregistrable_from(last_heartbeat_at?, heartbeat, debounce);
    (at < from).then_some(from)
}

/// Trento's `build_ip_addresses`: of the addresses a host discovery reports (`ip/prefix` or
/// bare), only the IPv4 ones that are not loopback, kept in their form and order. IPv6
/// addresses (`::1`, link-local `fe80::…`, global ones) and `127.0.0.0/8` are left out.
/// Trento leaves out only `127.0.0.1`; no other loopback address is configured on an
/// interface in practice, so the two agree on real payloads.
pub fn trento_ip_addresses(addresses: &[String]) -> Vec<String> {
    addresses
        .iter()
        .filter(|address| {
            let ip = address.split_once('/').map_or(address.as_str(), |(ip, _)| ip).trim();
            ip.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| !ip.is_loopback())
        })
        .cloned()
        .collect()
}

/// `major.minor.patch` of a version such as `3.1.0` or `3.2.1-1.2`; missing parts count as
/// zero, anything after the numeric core is ignored. `None` when a part is not a number.
pub(crate) fn parse_version(version: &str) -> Option<(u64, u64, u64)> {
    let core = version.trim().split(['-', '+', '~']).next()?;
    let mut parts = core.split('.');
    let mut next = |required: bool| -> Option<u64> {
        match parts.next() {
            Some(p) => p.parse().ok(),
            None if required => None,
            None => Some(0),
        }
    };
    Some((next(true)?, next(false)?, next(false)?))
}
