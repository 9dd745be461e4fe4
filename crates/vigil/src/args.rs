//! The command line, one definition per flag. Every setting can also come from a TOML file
//! (`--config`) and from a `VIGIL_*` environment variable; a flag beats the variable, which
//! beats the file, which beats the default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

/// Vigil: a reactive, event-driven control plane for SAP landscapes.
///
/// Agents (Vigil's own or SUSE Trento's) publish discoveries; Vigil turns them into events
/// in an append-only store and serves the landscape they describe.
#[derive(Parser, Debug)]
#[command(name = "vigil", version, propagate_version = true)]
pub struct Cli {
    /// A TOML configuration file (sections `[server]` and `[agent]`).
    #[arg(long, global = true, env = "VIGIL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server: ingest, event store, read models and the REST API on one SQLite file.
    Serve(Box<ServeArgs>),
    /// Run an agent on this machine: host discovery every 10 s, heartbeat every 5 s.
    Agent(AgentArgs),
    /// Post a directory of recorded discoveries (`<agent_id>_<discovery_type>.json`).
    Replay(ReplayArgs),
    /// List or follow the stored events, as CloudEvents JSON lines.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Show or rotate the agent API key.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Inspect or rebuild read models.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Create, list or revoke API tokens for people and automation.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Dead-lettered actions: list them, or run them again.
    #[command(subcommand)]
    Actions(ActionsCommand),
    /// Run Rego policy tests, or evaluate a query ad hoc.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Verify the tamper-evident audit log, or save its signed head.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The Parquet data lake: export a range of events, or snapshot the read models.
    #[command(subcommand)]
    Lake(LakeCommand),
    /// Measure the event store and the ingest path (results for BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Simulate N Trento agents at Trento's periods against a server, and measure latency,
    /// errors and the server's CPU and memory (or find the most agents it sustains).
    Loadgen(LoadgenArgs),
}

/// `vigil loadgen`. Without `--url` it starts its own `vigil serve` on a scratch data
/// directory, so it can also read the server's CPU time and RSS.
#[derive(Args, Debug)]
pub struct LoadgenArgs {
    /// Simulated agents: copies of two landscapes of Trento's corpus (a two-node HANA
    /// cluster; a HANA host with an application server), each with its own ids and addresses.
    #[arg(long, default_value_t = 1000)]
    pub agents: usize,
    /// Share of snapshots that change at each tick (host discoveries change the host's
    /// memory, cluster discoveries the last CIB change).
    #[arg(long, default_value_t = 0.01)]
    pub change_share: f64,
    /// How long to measure, after the warm-up.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub duration: Duration,
    /// Agents start spread over this long (at least one discovery period, 10 s): a fleet
    /// rolled out over minutes, rather than every agent's first snapshots in the same 10 s.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub ramp: Duration,
    /// Least warm-up: every agent has also sent its first snapshots and they were answered.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub warmup: Duration,
    /// A running server to load, e.g. http://127.0.0.1:8080 (needs --api-key and --token).
    #[arg(long, value_name = "URL", requires_all = ["api_key", "token"])]
    pub url: Option<String>,
    /// The agent API key of the server at --url.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// A viewer token of the server at --url, to check what the read model shows.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// The process id of the server at --url, to read its CPU time and RSS.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Durability of the server it starts.
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub durability: String,
    /// Where the server it starts keeps its data [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// An action rules file for the server it starts (passed as `vigil serve --actions-file`),
    /// to measure what the actions service costs under the fleet's load.
    #[arg(long, value_name = "FILE", conflicts_with = "url")]
    pub actions_file: Option<PathBuf>,
    /// Run a webhook receiver on this loopback address (e.g. 127.0.0.1:9797) for the rules of
    /// --actions-file to call: it answers 200 at once, checks nothing but counts deliveries and
    /// repeated `webhook-id`s, and its CPU is the load generator's, not the server's.
    #[arg(long, value_name = "ADDR")]
    pub webhook_receiver: Option<SocketAddr>,
    /// Find the most agents the server sustains within the bounds below, starting from
    /// --agents and doubling, then bisecting (a fresh server for each step).
    #[arg(long)]
    pub find_max: bool,
    /// Bound: p99 of discovery → read model, in milliseconds.
    #[arg(long, default_value_t = 100.0, value_name = "MS")]
    pub max_read_model_p99_ms: f64,
    /// Bound: p99 of request latency, in milliseconds.
    #[arg(long, default_value_t = 100.0, value_name = "MS")]
    pub max_request_p99_ms: f64,
    /// Bound: share of failed requests.
    #[arg(long, default_value_t = 0.001)]
    pub max_error_rate: f64,
    /// With --find-max: stop bisecting when the bracket is narrower than this share.
    #[arg(long, default_value_t = 0.1)]
    pub resolution: f64,
    /// Write the result as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum ActionsCommand {
    /// Check a rules file (`actions.toml`) as the server would load it: the tables parse, one
    /// rule per event type, conditions compile, templates, URLs and secrets are well-formed.
    /// Exits 1 with the first problem.
    Check {
        /// The rules file.
        file: PathBuf,
    },
    /// List the executions in the dead letters (their last attempt failed).
    DeadLetters(DataDirArg),
    /// Give dead executions more attempts, due now: one by id, or all with --all. The
    /// server's worker picks them up within a second; the redrive is audited.
    Redrive {
        /// The execution id (from `vigil actions dead-letters` or the API).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<uuid::Uuid>,
        /// Every dead execution.
        #[arg(long)]
        all: bool,
        /// How many more attempts each gets.
        #[arg(long, default_value_t = 5)]
        attempts: u32,
        #[command(flatten)]
        data: DataDirArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokensCommand {
    /// Create a token and print it (the only time it is shown).
    Create {
        /// `admin` (everything), `operator` (commands, not policies or tokens), `viewer` (reads).
        #[arg(long, value_parser = ["admin", "operator", "viewer"])]
        role: String,
        /// A label, e.g. the person's or the program's name.
        #[arg(long, default_value = "cli")]
        name: String,
        /// For a program rather than a person.
        #[arg(long)]
        service: bool,
        /// Expire after this long (e.g. `30days`); never by default.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
        expires: Option<Duration>,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// List tokens (never their secrets).
    List(DataDirArg),
    /// Revoke a token by id; it stops working at once.
    Revoke {
        /// The token id (`vgt_<id>_...`).
        id: String,
        #[command(flatten)]
        data: DataDirArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run every `test_*` rule of the `*.rego` files in DIR (like `opa test`); exits 1 if one fails.
    Test {
        /// The directory, e.g. crates/vigil-policy/policies/default.
        dir: PathBuf,
        /// How long compiling and running all the tests may take.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION", default_value = "2s")]
        timeout: Duration,
    },
    /// Evaluate QUERY (e.g. `data.vigil.authz`) over the policies of DIR with an input document.
    Eval {
        /// The query.
        query: String,
        /// A JSON input document.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// The policies [default: the default bundle].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// How long compiling and evaluating may take.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION", default_value = "2s")]
        timeout: Duration,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute the Merkle tree from the stored records, check every signed head, and check
    /// against a head saved earlier; reports the first bad index and exits 1 on tampering.
    Verify {
        /// A head saved with `vigil audit head > FILE`: the log must still contain it.
        #[arg(long, value_name = "FILE")]
        head: Option<PathBuf>,
        /// The signing public key (hex or PEM file) [default: derived from the data directory's key].
        #[arg(long, value_name = "KEY")]
        public_key: Option<String>,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Print the latest signed tree head as JSON, to keep somewhere the server cannot write.
    Head(DataDirArg),
}

/// Where the data lives.
#[derive(Args, Debug, Clone, Default)]
pub struct DataDirArg {
    /// Data directory (SQLite file, agent key, lock) [default: ./vigil-data].
    #[arg(long, env = "VIGIL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Address to listen on [default: 127.0.0.1:4000].
    #[arg(long, env = "VIGIL_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// `full`: every acknowledged write is fsynced (survives power loss). `normal`: fsync at
    /// checkpoints (survives a crash of Vigil, may lose the last writes on power loss)
    /// [default: full].
    #[arg(long, env = "VIGIL_DURABILITY", value_parser = ["full", "normal"])]
    pub durability: Option<String>,
    /// Largest accepted request body in bytes [default: 8388608].
    #[arg(long, env = "VIGIL_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// How long a client may take to send a request's head before its connection is closed [default: 10s].
    #[arg(long, env = "VIGIL_HEADER_READ_TIMEOUT", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub header_read_timeout: Option<Duration>,
    /// How long a request's body may take to arrive before it is answered 408 [default: 30s].
    #[arg(long, env = "VIGIL_BODY_READ_TIMEOUT", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub body_read_timeout: Option<Duration>,
    /// How long a kept-alive connection may wait for its next request [default: 60s].
    #[arg(long, env = "VIGIL_IDLE_TIMEOUT", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub idle_timeout: Option<Duration>,
    /// Connections open at once; past it a new one is answered 503 [default: 16384].
    #[arg(long, env = "VIGIL_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Discoveries handled at once; past it one is answered 503 before its body is read [default: 512].
    #[arg(long, env = "VIGIL_MAX_INFLIGHT_DISCOVERIES", value_name = "N")]
    pub max_inflight_discoveries: Option<usize>,
    /// Expected heartbeat period of agents [default: 5s].
    #[arg(long, env = "VIGIL_HEARTBEAT_INTERVAL", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub heartbeat_interval: Option<Duration>,
    /// Heartbeats a host may miss before it fails [default: 1].
    #[arg(long, env = "VIGIL_HEARTBEAT_ALLOWED_MISSED", value_name = "N")]
    pub heartbeat_allowed_missed: Option<u32>,
    /// Extra slack before a silent host fails [default: 1s].
    #[arg(long, env = "VIGIL_HEARTBEAT_TOLERANCE", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub heartbeat_tolerance: Option<Duration>,
    /// How long raw discoveries stay in the discovery log [default: 10days].
    #[arg(long, env = "VIGIL_DISCOVERY_RETENTION", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub discovery_retention: Option<Duration>,
    /// A directory of `*.rego` files kept published (GitOps), checked every 2 s.
    #[arg(long, env = "VIGIL_POLICY_DIR", value_name = "DIR")]
    pub policy_dir: Option<PathBuf>,
    /// A directory of best-practice checks (`*.rego`) loaded over the shipped catalog at start.
    #[arg(long, env = "VIGIL_CHECKS_DIR", value_name = "DIR")]
    pub checks_dir: Option<PathBuf>,
    /// How often the selected checks of each cluster and host run [default: 5m].
    #[arg(long, env = "VIGIL_CHECKS_INTERVAL", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub checks_interval: Option<Duration>,
    /// How long a checks execution waits for the agents' facts [default: 60s].
    #[arg(long, env = "VIGIL_CHECKS_FACTS_TIMEOUT", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub checks_facts_timeout: Option<Duration>,
    /// How often SLA policies are evaluated over the read models [default: 30s].
    #[arg(long, env = "VIGIL_SLA_INTERVAL", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub sla_interval: Option<Duration>,
    /// How long a discovery waiting for its prerequisite stays parked before it is discarded [default: 1h].
    #[arg(long, env = "VIGIL_PARKED_EXPIRY", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub parked_expiry: Option<Duration>,
    /// Extra time after a host's heartbeat window before it may be deregistered [default: 0s].
    #[arg(long, env = "VIGIL_DEREGISTRATION_DEBOUNCE", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub deregistration_debounce: Option<Duration>,
    /// How long a read with `min_position` waits for the read models before it answers 503
    /// [default: 5s].
    #[arg(long, env = "VIGIL_READ_WAIT", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub read_wait: Option<Duration>,
    /// How long compiling and test-evaluating a published Rego module may take before it is
    /// refused [default: 2s].
    #[arg(long, env = "VIGIL_POLICY_COMPILE_TIMEOUT", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub policy_compile_timeout: Option<Duration>,
    /// The action rules file (`actions.toml`, `[[rule]]` tables), read again on change.
    #[arg(long, env = "VIGIL_ACTIONS_FILE", value_name = "FILE")]
    pub actions_file: Option<PathBuf>,
    /// Whether Trento's alert rules (mail on critical health, failed heartbeats) are in
    /// force when SMTP is configured [default: true].
    #[arg(long, env = "VIGIL_DEFAULT_RULES", value_name = "BOOL")]
    pub default_rules: Option<bool>,
    /// Let `program` actions run (they are also subject to the admission policy) [default: false].
    #[arg(long, env = "VIGIL_ALLOW_PROGRAMS", value_name = "BOOL")]
    pub allow_programs: Option<bool>,
    /// How long an action attempt may hold its execution before it counts as failed [default: 5m].
    #[arg(long, env = "VIGIL_ACTION_LEASE", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub action_lease: Option<Duration>,
    /// Action attempts running at once [default: 256].
    #[arg(long, env = "VIGIL_ACTION_CONCURRENCY", value_name = "N")]
    pub action_concurrency: Option<usize>,
    /// WebSocket clients of `GET /api/v1/stream` at once; more are answered 503 [default: 4096].
    #[arg(long, env = "VIGIL_STREAM_MAX_CLIENTS", value_name = "N")]
    pub stream_max_clients: Option<usize>,
    /// Events the live stream keeps for clients that are behind; a client further behind is
    /// closed (code 4008, "reconnect with from=N") [default: 4096].
    #[arg(long, env = "VIGIL_STREAM_QUEUE", value_name = "N")]
    pub stream_queue: Option<usize>,
    /// The SMTP server alert mails go through; setting it configures SMTP.
    #[arg(long, env = "VIGIL_SMTP_SERVER", value_name = "HOST")]
    pub smtp_server: Option<String>,
    /// Its port [default: 25].
    #[arg(long, env = "VIGIL_SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// The SMTP user; none: no authentication.
    #[arg(long, env = "VIGIL_SMTP_USERNAME", value_name = "USER")]
    pub smtp_username: Option<String>,
    /// The SMTP password (better from the environment than a flag; never logged).
    #[arg(long, env = "VIGIL_SMTP_PASSWORD", hide_env_values = true, value_name = "PASSWORD")]
    pub smtp_password: Option<String>,
    /// The From address of alert mails [default: vigil@localhost].
    #[arg(long, env = "VIGIL_SMTP_SENDER", value_name = "ADDRESS")]
    pub smtp_sender: Option<String>,
    /// Who receives alert mails, comma-separated.
    #[arg(long, env = "VIGIL_SMTP_RECIPIENTS", value_delimiter = ',', value_name = "ADDRESSES")]
    pub smtp_recipients: Option<Vec<String>>,
    /// `none`, `starttls` or `tls` [default: none].
    #[arg(long, env = "VIGIL_SMTP_TLS", value_parser = ["none", "starttls", "tls"], value_name = "MODE")]
    pub smtp_tls: Option<String>,
    /// Write every event into the Parquet lake (`[server.lake]`) [default: false].
    #[arg(long, env = "VIGIL_LAKE_ENABLED", value_name = "BOOL")]
    pub lake: Option<bool>,
    /// The lake's directory [default: <data dir>/lake].
    #[arg(long, env = "VIGIL_LAKE_DIR", value_name = "DIR")]
    pub lake_dir: Option<PathBuf>,
    /// Roll the lake's open files when they hold this many bytes [default: 134217728].
    #[arg(long, env = "VIGIL_LAKE_ROLL_BYTES", value_name = "BYTES")]
    pub lake_roll_bytes: Option<u64>,
    /// Roll the lake's open files when their oldest row is this old: how far the lake may
    /// trail the store [default: 1m].
    #[arg(long, env = "VIGIL_LAKE_ROLL_AGE", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub lake_roll_age: Option<Duration>,
    /// Run the anomaly detection that raises `AnomalyDetected` events (`[server.analytics]`
    /// holds the thresholds) [default: false].
    #[arg(long, env = "VIGIL_ANALYTICS_ENABLED", value_name = "BOOL")]
    pub analytics: Option<bool>,
    /// Publish every stored event to NATS JetStream (stream `VIGIL_EVENTS`, subjects
    /// `vigil.<topic>.<type>`) and take commands on `vigil-commands.<command>` (`[bus]`)
    /// [default: off].
    #[arg(long, env = "VIGIL_BUS", value_name = "NATS_URL")]
    pub bus: Option<String>,
}

/// How to reach a Vigil server as an agent.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Vigil's base URL [default: http://127.0.0.1:4000].
    #[arg(long, env = "VIGIL_SERVER_URL", value_name = "URL")]
    pub server_url: Option<String>,
    /// The agent API key [default: read from --data-dir, for a server on this machine].
    #[arg(long, env = "VIGIL_API_KEY", value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    #[command(flatten)]
    pub data: DataDirArg,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AgentArgs {
    #[command(subcommand)]
    pub command: Option<AgentCommand>,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Report as this agent id [default: UUIDv5 of /etc/machine-id, as Trento's agent].
    #[arg(long, env = "VIGIL_AGENT_ID")]
    pub agent_id: Option<Uuid>,
    /// Period of host discoveries [default: 10s].
    #[arg(long, env = "VIGIL_DISCOVERY_INTERVAL", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub discovery_interval: Option<Duration>,
    /// Period of heartbeats [default: 5s].
    #[arg(long, env = "VIGIL_AGENT_HEARTBEAT_INTERVAL", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub heartbeat_interval: Option<Duration>,
    /// Keep the facts channel open: a WebSocket to the server on which checks executions ask
    /// this machine for facts (docs/facts.md) [default: true].
    #[arg(long, env = "VIGIL_AGENT_FACTS_CHANNEL", value_name = "BOOL")]
    pub facts_channel: Option<bool>,
    /// Read the facts' files under this directory instead of `/` (a captured machine).
    #[arg(long, env = "VIGIL_AGENT_FACTS_ROOT", value_name = "DIR", default_value = "/")]
    pub facts_root: PathBuf,
    /// Run the facts' programs (rpm, systemctl, corosync-cmapctl, saptune) from this
    /// directory instead of PATH (a captured machine's recorded tools).
    #[arg(long, env = "VIGIL_AGENT_FACTS_PROGRAMS", value_name = "DIR")]
    pub facts_programs: Option<PathBuf>,
    /// Send host discoveries and heartbeats; `false` only answers facts, for a machine whose
    /// discoveries come from elsewhere (a replayed scenario).
    #[arg(long, env = "VIGIL_AGENT_DISCOVERY", value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub discovery: bool,
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Gather facts on this machine as a check execution asks for them, and print them as
    /// JSON (docs/facts.md): one gatherer with --gatherer, or a whole FactsGatheringRequested
    /// with --request. A fact that cannot be gathered is printed as an error, never a crash.
    Facts(FactsArgs),
}

#[derive(Args, Debug)]
pub struct FactsArgs {
    /// The gatherer: corosync.conf, corosync-cmapctl, sbd_config, package_version, systemd,
    /// sysctl, hosts, fstab or saptune.
    #[arg(long, value_name = "NAME", required_unless_present = "request", conflicts_with = "request")]
    pub gatherer: Option<String>,
    /// The gatherer's argument: a dotted path (totem.token), a key (SBD_PACEMAKER,
    /// vm.swappiness), a package, a unit, a host name, a mount point, a saptune command; empty
    /// for the whole source where the gatherer allows it.
    #[arg(long, value_name = "ARG", default_value = "")]
    pub argument: String,
    /// A FactsGatheringRequested JSON file (`-` for standard input); prints the
    /// FactsGathered answer to this agent's target.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// Answer a --request as this agent id [default: UUIDv5 of /etc/machine-id, as Trento's agent].
    #[arg(long, env = "VIGIL_AGENT_ID")]
    pub agent_id: Option<Uuid>,
    /// Read files under this directory instead of / (a mounted image, a captured tree);
    /// programs still run on this machine.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Longest wait for one program or file.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// A scenario directory, e.g. shared/fixtures/trento/scenarios/hana-scale-up-angi.
    pub dir: PathBuf,
    #[command(flatten)]
    pub server: ServerArgs,
    /// Post in a random order drawn from this seed (file-name order otherwise).
    #[arg(long, value_name = "SEED")]
    pub shuffle: Option<u64>,
    /// Keep retrying a file while the server is down or failing, up to this long.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub retry_for: Duration,
    /// Print the summary, with every file's outcome, as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// Print stored events.
    List(EventsListArgs),
    /// Print the last events, then new ones as they are stored.
    Tail(EventsTailArgs),
}

#[derive(Args, Debug)]
pub struct EventsListArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// Only events after this global position.
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// Only events about this aggregate id.
    #[arg(long)]
    pub subject: Option<String>,
    /// Only events of this type (e.g. HostRegistered).
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}

#[derive(Args, Debug)]
pub struct EventsTailArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// How many past events to print first.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub lines: u64,
}

#[derive(Subcommand, Debug)]
pub enum LakeCommand {
    /// Write the events of a range of positions into the lake: a backfill of a lake started
    /// after the store, or a rewrite of files lost or damaged (whole files are replaced:
    /// the range grows to cover every part file it overlaps). Refused while `vigil serve`
    /// writes the same lake.
    Export(LakeExportArgs),
    /// Write the read models (hosts, clusters, SAP systems, databases and their members) as
    /// they stand now into `<lake>/snapshots/model=<name>/date=<today>/part-<position>.parquet`.
    Snapshot(LakeSnapshotArgs),
}

#[derive(Args, Debug)]
pub struct LakeExportArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The first position [default: 1].
    #[arg(long, default_value_t = 1)]
    pub from: u64,
    /// The last position [default: the store's last event].
    #[arg(long)]
    pub to: Option<u64>,
    /// Only events of this topic (`hosts`, `heartbeats`, `external.*`, ...); it must end at
    /// the lake's checkpoint or before.
    #[arg(long)]
    pub topic: Option<String>,
    /// The lake's directory [default: `[server.lake] dir`, else <data dir>/lake].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct LakeSnapshotArgs {
    #[command(flatten)]
    pub data: DataDirArg,
    /// The lake's directory [default: `[server.lake] dir`, else <data dir>/lake].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print the agent API key.
    Show(DataDirArg),
    /// Replace the agent API key; the old one stops working within a second.
    Rotate(DataDirArg),
}

#[derive(Subcommand, Debug)]
pub enum ProjectionsCommand {
    /// List the read models and their positions.
    List(DataDirArg),
    /// Empty a read model and replay every event into it (stop `vigil serve` first).
    Rebuild {
        /// The projection, e.g. `hosts`.
        name: String,
        #[command(flatten)]
        data: DataDirArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Event-store appends and catch-up reads, beside raw SQLite inserts and the fsync rate;
    /// with `--store postgres://…`, appends to the PostgreSQL event store beside pgbench's
    /// single-row insert rate.
    Store(BenchStoreArgs),
    /// Authorization latency, audit append rate, and command throughput with the gate on and off.
    Gate(BenchGateArgs),
    /// Cold-load time of an aggregate with a long history, with and without snapshots.
    Streams(BenchStreamsArgs),
    /// Host discoveries through HTTP: throughput and POST → read-model latency.
    Ingest(BenchIngestArgs),
    /// Cold start of the server and projection rebuilds over a large store (10 million events).
    Startup(BenchStartupArgs),
    /// The actions service: webhook actions per second with durable execution records, and
    /// latency from event append to action start, beside the fsync and raw SQLite baselines.
    ///
    /// Starts the server in this process (`App::start`) on a scratch data directory with a rules
    /// file holding one rule: a `webhook` action, signed with a `whsec_` secret, on the synthetic
    /// event type `BenchEventHappened`. The webhook goes to a receiver in this process on
    /// loopback that answers 200 at once and records when each delivery arrived and its
    /// `webhook-id` (and checks its signature). Events are appended straight to the event store
    /// (streams `bench-<uuid>`, `time` = when appended), so no HTTP ingest is measured. Two
    /// measurements, each on a fresh server, `--runs` times:
    ///
    /// * throughput: append `--events` events as fast as the store takes them (batches of
    ///   `--batch`), then time until the receiver has had every one and the store shows every
    ///   execution `succeeded`; duplicates (a `webhook-id` seen twice) are counted;
    ///
    /// * latency: append one event at a time at `--rate` per second for `--seconds` (after a
    ///   one-second warm-up at the same rate, not counted); for each event, the receiver's
    ///   arrival time minus the time its append was called (one monotonic clock), p50 / p99,
    ///   and the stages in between from the execution's records.
    ///
    /// Baselines in the same run: the fsync rate and raw SQLite inserts of `vigil bench store`.
    Actions(BenchActionsArgs),
    /// The web UI's live stream under load: `--clients` WebSocket clients on
    /// `GET /api/v1/stream` (all topics) while `vigil loadgen` runs `--agents` agents against
    /// the same server, beside the same run with no client. Reports the p50 / p99 from an
    /// event's `time` (set when the server handles the command that appends it) to its arrival
    /// at each client, the server's CPU and RSS added per 1,000 clients, and what became of
    /// `--slow-clients` clients that never read (closed with code 4008 and where to resume)
    /// while the others kept up.
    Stream(BenchStreamArgs),
    /// The peer comparison's workload on Vigil: N aggregates × M commands, each appended with the
    /// expected version, then projected into a read model (`benches/peers/run` compares it).
    Workload(BenchWorkloadArgs),
    /// The data lake: the sink's write rate beside `parquet` writing the same rows, bytes
    /// per event, DuckDB aggregates over the lake beside the same queries over SQLite, and
    /// the analytics' CPU per event.
    Lake(BenchLakeArgs),
    /// The NATS bus: events per second the relay publishes from a SQLite store into JetStream
    /// (each acknowledged, `--max-in-flight` pending), beside raw async-nats JetStream publishes
    /// of the same CloudEvent payload with the same window, in the same run against the same
    /// server (its own nats-server, file storage, unless `--url` is given).
    Bus(BenchBusArgs),
    /// The best-practice checks: the whole shipped catalog evaluated on one two-node cluster
    /// of a Trento scenario (the input built once, facts supplied so no check is skipped):
    /// median latency and evaluations per second on one thread, the share of one core that
    /// 1,000 clusters every 5 minutes would take, and one authz decision as the same-run
    /// baseline.
    Checks(BenchChecksArgs),
}

#[derive(Args, Debug)]
pub struct BenchChecksArgs {
    /// A scenario directory of Trento discovery files holding one two-node cluster.
    #[arg(long, value_name = "DIR", default_value = "../shared/fixtures/trento/scenarios/hana-scale-up-angi")]
    pub scenario: PathBuf,
    /// Catalog evaluations per run.
    #[arg(long, default_value_t = 2_000)]
    pub evaluations: usize,
    /// Whole executions per run through a real server and two connected agents, as the
    /// schedule runs them (0: evaluation only).
    #[arg(long, default_value_t = 200)]
    pub executions: usize,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Write the results as JSON to this file [default: standard output].
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchStoreArgs {
    /// Where to put the scratch databases [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Measure the PostgreSQL event store at this URL (`postgres://user@host:port/db`)
    /// instead of SQLite: durable appends from 1, 16 and 64 callers (and 64 callers over two
    /// nodes), 100-event batches, and in the same run pgbench's single-row insert rate with
    /// 8 clients (`pgbench` must be on the PATH). Each run uses a scratch schema
    /// `vigil_bench_<uuid>`, dropped after.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// `full` or `normal`.
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub durability: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchIngestArgs {
    /// Where to put the scratch data directory [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// `full` or `normal`.
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub durability: String,
    /// Distinct agents (hosts).
    #[arg(long, default_value_t = 2000)]
    pub agents: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Discoveries to post (each a changed snapshot, so each appends an event).
    #[arg(long, default_value_t = 20000)]
    pub discoveries: usize,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchGateArgs {
    /// Where to put the scratch data directories [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Policy evaluations for the latency figures.
    #[arg(long, default_value_t = 100_000)]
    pub evaluations: usize,
    /// Commands per throughput run.
    #[arg(long, default_value_t = 5_000)]
    pub commands: usize,
    /// Concurrent callers in the throughput runs.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Repetitions of each throughput run (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchBusArgs {
    /// Events relayed in each run (and messages published by the baseline).
    #[arg(long, default_value_t = 200_000)]
    pub events: u64,
    /// Publishes awaiting their acknowledgement at once, for both.
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: usize,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// A NATS server with JetStream to measure against [default: start the nats-server of
    /// --nats-server on a free loopback port with its store in the scratch directory].
    #[arg(long, value_name = "NATS_URL")]
    pub url: Option<String>,
    /// The nats-server binary started when no --url is given.
    #[arg(long, default_value = "/usr/sbin/nats-server", value_name = "FILE")]
    pub nats_server: PathBuf,
    /// Where to put the scratch store and the server's store dir [default: the temp dir].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchLakeArgs {
    /// Events written in each write-rate run (held in memory).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Events in the store the queries run over (the sink catches up from it first).
    #[arg(long, default_value_t = 10_000_000)]
    pub query_events: u64,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// A Python with the `duckdb` package [default: a virtual environment made in the scratch
    /// directory, from PyPI].
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// Where to put the scratch files (several GiB at the default sizes) [default: the temp dir].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchStreamsArgs {
    /// Events in the long stream (a host whose heartbeat flapped this many times).
    #[arg(long, default_value_t = 20_000)]
    pub events: u64,
    /// Cold loads per measurement (the median is reported).
    #[arg(long, default_value_t = 21)]
    pub runs: usize,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchStartupArgs {
    /// Where to build the large store [default: a temporary directory]. It is deleted
    /// afterwards unless --keep is given.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Measure this data directory (built by an earlier run with --keep) instead of building one.
    #[arg(long, value_name = "DATA_DIR")]
    pub reuse: Option<PathBuf>,
    /// Keep the built data directory (its path is printed), for --reuse.
    #[arg(long)]
    pub keep: bool,
    /// Events in the generated store.
    #[arg(long, default_value_t = 10_000_000)]
    pub events: u64,
    /// Hosts in the generated landscape (with their clusters, databases and SAP systems).
    #[arg(long, default_value_t = 10_000)]
    pub hosts: usize,
    /// The Trento fixtures whose scenarios seed the landscape [default: ../shared/fixtures/trento
    /// beside the repository].
    #[arg(long, env = "VIGIL_FIXTURES", value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Projections to rebuild, comma-separated [default: all of them]; `none` skips the rebuilds.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub rebuild: Vec<String>,
    /// Drop the OS page cache before each cold start (needs root; affects the whole machine).
    #[arg(long)]
    pub drop_caches: bool,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

/// `vigil bench actions` (see [`BenchCommand::Actions`]).
#[derive(Args, Debug)]
pub struct BenchActionsArgs {
    /// Where to put the scratch data directories [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// `full` (every write fsynced before it is acknowledged) or `normal`.
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub durability: String,
    /// Events per throughput run (each triggers one webhook).
    #[arg(long, default_value_t = 20_000)]
    pub events: u64,
    /// Events per append in the throughput runs.
    #[arg(long, default_value_t = 100)]
    pub batch: u64,
    /// Events per second in the latency runs.
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// Seconds measured in each latency run.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Attempts running at once (the server's `actions.concurrency`).
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Seconds of each fsync probe.
    #[arg(long, default_value_t = 3.0)]
    pub baseline_seconds: f64,
    /// Rows of each raw SQLite insert baseline (as `vigil bench store` inserts them).
    #[arg(long, default_value_t = 200_000)]
    pub raw_rows: u64,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchStreamArgs {
    /// WebSocket clients that read everything (the run without clients comes first).
    #[arg(long, default_value_t = 1000)]
    pub clients: usize,
    /// Clients that connect and never read, to be closed as too slow.
    #[arg(long, default_value_t = 1)]
    pub slow_clients: usize,
    /// Simulated agents (`vigil loadgen --agents`).
    #[arg(long, default_value_t = 5000)]
    pub agents: usize,
    /// Share of snapshots that change at each tick (`vigil loadgen --change-share`): more
    /// changes, more events for every client.
    #[arg(long, default_value_t = 0.01)]
    pub change_share: f64,
    /// How long loadgen measures, after its ramp and warm-up.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub duration: Duration,
    /// Loadgen's ramp (agents start spread over this long).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub ramp: Duration,
    /// When the clients connect, from loadgen's start (at least --ramp + 10 s, so that the
    /// fleet is registered); loadgen measures from 20 s later.
    #[arg(long, default_value = "45s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub warmup: Duration,
    /// The server's `stream.queue`.
    #[arg(long, default_value_t = 4096)]
    pub stream_queue: usize,
    /// `full` or `normal`, for the server.
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub durability: String,
    /// Where the servers keep their data [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BenchWorkloadArgs {
    /// Where to put the scratch databases [default: a temporary directory].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// `full` or `normal`.
    #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
    pub durability: String,
    /// Aggregates (N).
    #[arg(long, default_value_t = 1000)]
    pub aggregates: usize,
    /// Commands per aggregate (M), each appending one event.
    #[arg(long, default_value_t = 20)]
    pub events: usize,
    /// Concurrent callers, each owning its share of the aggregates.
    #[arg(long, default_value_t = 1)]
    pub callers: usize,
    /// Repetitions (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Write the results as JSON to this file too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}
