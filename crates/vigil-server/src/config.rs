//! The server's settings, as plain values. Layering (TOML file, `VIGIL_*` variables, flags)
//! happens in the binary; this is what comes out of it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use vigil_landscape::host::HeartbeatPolicy;
use vigil_store::Durability;

/// Everything `vigil serve` can be told.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Where the SQLite file, the agent key and the lock live.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `full` (fsync every commit) or `normal` (fsync at checkpoints).
    #[serde(deserialize_with = "durability")]
    pub durability: Durability,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How often agents send heartbeats.
    #[serde(with = "humantime_serde")]
    pub heartbeat_interval: Duration,
    /// Heartbeats that may be missed before a host fails.
    pub heartbeat_allowed_missed: u32,
    /// Extra slack before a host fails.
    #[serde(with = "humantime_serde")]
    pub heartbeat_tolerance: Duration,
    /// How long raw discoveries are kept in the discovery log.
    #[serde(with = "humantime_serde")]
    pub discovery_retention: Duration,
    /// How often the discovery log is pruned.
    #[serde(with = "humantime_serde")]
    pub prune_interval: Duration,
    /// A directory of `*.rego` files kept published (GitOps): changes are picked up within
    /// two seconds, each as a PolicyPublished / PolicyRetired event.
    pub policy_dir: Option<PathBuf>,
    /// How long compiling a policy set may take (a publication, a `policy_dir` change, the
    /// set in force at start) before it is refused; see `vigil_policy::PolicyLimits`.
    #[serde(with = "humantime_serde")]
    pub policy_compile_timeout: Duration,
    /// How often SLA policies (`data.vigil.sla`) are evaluated over the read models.
    #[serde(with = "humantime_serde")]
    pub sla_interval: Duration,
    /// How long a parked discovery (one waiting for its host, its database or its primary)
    /// is kept before it expires into the discovery log as `discarded`.
    #[serde(with = "humantime_serde")]
    pub parked_expiry: Duration,
    /// Extra time after a host's last heartbeat plus the heartbeat interval before the host
    /// may be deregistered (Trento's deregistration debounce).
    #[serde(with = "humantime_serde")]
    pub deregistration_debounce: Duration,
    /// How long a read with `min_position=N` waits for the read models to reach `N` before
    /// it answers 503 with `Retry-After`.
    #[serde(with = "humantime_serde")]
    pub read_wait: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let heartbeat = HeartbeatPolicy::default();
        ServerConfig {
            data_dir: PathBuf::from("vigil-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            durability: Durability::Full,
            max_body_bytes: 8 * 1024 * 1024,
            heartbeat_interval: heartbeat.interval,
            heartbeat_allowed_missed: heartbeat.allowed_missed,
            heartbeat_tolerance: heartbeat.tolerance,
            discovery_retention: Duration::from_secs(10 * 24 * 3600),
            prune_interval: Duration::from_secs(3600),
            policy_dir: None,
            policy_compile_timeout: vigil_policy::PolicyLimits::default().timeout,
            sla_interval: Duration::from_secs(30),
            parked_expiry: Duration::from_secs(3600),
            deregistration_debounce: Duration::ZERO,
            read_wait: Duration::from_secs(5),
        }
    }
}

impl ServerConfig {
    /// The heartbeat rule these settings describe.
    pub fn heartbeat_policy(&self) -> HeartbeatPolicy {
        HeartbeatPolicy {
            interval: self.heartbeat_interval,
            allowed_missed: self.heartbeat_allowed_missed,
            tolerance: self.heartbeat_tolerance,
        }
    }

    /// The limits every policy compilation runs under.
    pub fn policy_limits(&self) -> vigil_policy::PolicyLimits {
        vigil_policy::PolicyLimits { timeout: self.policy_compile_timeout, ..Default::default() }
    }

    /// The SQLite file inside the data directory.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("vigil.db")
    }
}

fn durability<'de, D: Deserializer<'de>>(d: D) -> Result<Durability, D::Error> {
    String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
}
