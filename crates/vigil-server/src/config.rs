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
    /// Largest accepted request body; a larger `Content-Length` is refused with 413 before
    /// the body is read.
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's head (request line and headers),
    /// counted from the connection's start or from the first byte of a later request on a
    /// kept-alive connection. Past it the connection is closed.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive in full, counted from its head. Past it
    /// the request is answered 408.
    #[serde(with = "humantime_serde")]
    pub body_read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request before it is closed.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Connections open at once. Past it a new connection is answered 503 with
    /// `Retry-After` and closed, rather than left waiting in the backlog.
    pub max_connections: usize,
    /// Discoveries (`POST /api/v1/collect`) handled at once. Past it one is answered 503
    /// with `Retry-After` before its body is read, which bounds the memory bodies take
    /// under overload.
    pub max_inflight_discoveries: usize,
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
    /// A directory of best-practice checks (`*.rego`, see docs/checks.md) loaded at start
    /// over the shipped catalog: a check there replaces a shipped one of the same id; a
    /// file that does not compile is logged and left out.
    pub checks_dir: Option<PathBuf>,
    /// How often the checks selected on a cluster or host are executed (Trento's default
    /// is 5 minutes); a target's discovered data changing, or a request, runs them sooner.
    #[serde(with = "humantime_serde")]
    pub checks_interval: Duration,
    /// How long an execution waits for the agents' facts; an agent that has not answered by
    /// then gives "facts not gathered" results.
    #[serde(with = "humantime_serde")]
    pub checks_facts_timeout: Duration,
    /// How many checks executions run at once; the others wait their turn.
    pub checks_concurrency: usize,
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
    /// `[server.actions]`: the actions service.
    pub actions: ActionsConfig,
    /// `[server.smtp]`: how alert mails leave; without it, email actions cannot be built and
    /// the default (mail) rules are off.
    pub smtp: Option<vigil_reactions::kinds::SmtpSettings>,
    /// `[server.stream]`: the live event feed (`GET /api/v1/stream`) and its limits.
    pub stream: crate::stream::StreamConfig,
    /// `[server.lake]`: every event in Parquet under `<data dir>/lake` (off by default).
    pub lake: vigil_lake::LakeSettings,
    /// `[server.analytics]`: anomaly detection raising `AnomalyDetected` (off by default).
    pub analytics: vigil_analytics::AnalyticsSettings,
    /// The top-level `[bus]` table (and `--bus`): the NATS JetStream bus, off without a URL.
    /// Not read from `[server]`: the binary's layering fills it.
    #[serde(skip)]
    pub bus: vigil_bus::BusSettings,
}

/// The actions service's settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionsConfig {
    /// The rules file (`actions.toml`), read again within two seconds of a change; a change
    /// that does not parse or conflicts is refused and the rules in force stay.
    pub rules_file: Option<PathBuf>,
    /// Whether Trento's alert rules (mail on critical health and failed heartbeats) are in
    /// force; they need `[server.smtp]`.
    pub default_rules: bool,
    /// Whether `program` actions may run at all (they are also subject to admission).
    pub allow_programs: bool,
    /// How long an attempt holds its execution; it is cut off a tenth before.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// Attempts running at once.
    pub concurrency: usize,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        ActionsConfig {
            rules_file: None,
            default_rules: true,
            allow_programs: false,
            lease: Duration::from_secs(300),
            concurrency: 256,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        let heartbeat = HeartbeatPolicy::default();
        ServerConfig {
            data_dir: PathBuf::from("vigil-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            durability: Durability::Full,
            max_body_bytes: 8 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 16_384,
            max_inflight_discoveries: 512,
            heartbeat_interval: heartbeat.interval,
            heartbeat_allowed_missed: heartbeat.allowed_missed,
            heartbeat_tolerance: heartbeat.tolerance,
            discovery_retention: Duration::from_secs(10 * 24 * 3600),
            prune_interval: Duration::from_secs(3600),
            policy_dir: None,
            checks_dir: None,
            checks_interval: Duration::from_secs(300),
            checks_facts_timeout: Duration::from_secs(60),
            checks_concurrency: 4,
            policy_compile_timeout: vigil_policy::PolicyLimits::default().timeout,
            sla_interval: Duration::from_secs(30),
            parked_expiry: Duration::from_secs(3600),
            deregistration_debounce: Duration::ZERO,
            read_wait: Duration::from_secs(5),
            actions: ActionsConfig::default(),
            smtp: None,
            stream: crate::stream::StreamConfig::default(),
            lake: vigil_lake::LakeSettings::default(),
            analytics: vigil_analytics::AnalyticsSettings::default(),
            bus: vigil_bus::BusSettings::default(),
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

    /// The limits the listener serves connections under.
    pub fn connection_limits(&self) -> crate::serve::ConnectionLimits {
        crate::serve::ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
            body_read_timeout: self.body_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
        }
    }

    /// Refuses limits that would refuse every request (no connection or no discovery at
    /// once, a timeout of zero) or that a semaphore cannot count.
    pub fn check_limits(&self) -> Result<(), String> {
        let max = tokio::sync::Semaphore::MAX_PERMITS;
        let counts = [
            ("max_connections", self.max_connections),
            ("max_inflight_discoveries", self.max_inflight_discoveries),
            ("actions.concurrency", self.actions.concurrency),
            ("checks_concurrency", self.checks_concurrency),
            ("stream.max_clients", self.stream.max_clients),
            ("stream.queue", self.stream.queue),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, n)| !(1..=max).contains(n)) {
            return Err(format!("{name} must be between 1 and {max}"));
        }
        let timeouts = [
            ("header_read_timeout", self.header_read_timeout),
            ("body_read_timeout", self.body_read_timeout),
            ("idle_timeout", self.idle_timeout),
            ("actions.lease", self.actions.lease),
            ("checks_interval", self.checks_interval),
            ("checks_facts_timeout", self.checks_facts_timeout),
            ("stream.ping_interval", self.stream.ping_interval),
            ("stream.idle_timeout", self.stream.idle_timeout),
            ("stream.send_timeout", self.stream.send_timeout),
        ];
        if let Some((name, _)) = timeouts.iter().find(|(_, t)| t.is_zero()) {
            return Err(format!("{name} must be longer than zero"));
        }
        if self.lake.enabled {
            self.lake.config(&self.data_dir).check().map_err(|e| e.to_string())?;
        }
        if self.analytics.enabled {
            vigil_analytics::Detectors::new(&self.analytics)?;
        }
        self.bus.check()?;
        Ok(())
    }

    /// The SQLite file inside the data directory.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("vigil.db")
    }
}

fn durability<'de, D: Deserializer<'de>>(d: D) -> Result<Durability, D::Error> {
    String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
}
