//! The peer workload of `benches/peers/README.md` on cqrs-es, with its PostgreSQL store
//! (postgres-es) or its SQLite store (sqlite-es).
//!
//! ```text
//! cqrs-es-peer --store postgres|sqlite [--aggregates N] [--events M] [--callers C] [--runs R]
//!              [--pg-url URL] [--dir DIR] [--json FILE]
//! ```
//!
//! Each run gets a fresh store: a new PostgreSQL schema, or a new SQLite file. Commands go
//! through `CqrsFramework::execute` (load by replaying the stream, `handle`, commit with the
//! next sequence number, which the store's primary key turns into an optimistic lock). The
//! read model is then fed by `QueryReplay::replay_all` into a `Query` that upserts per event.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{PersistedEventRepository, QueryReplay};
use cqrs_es::{Aggregate, CqrsFramework, DomainEvent, EventEnvelope, EventStore, Query};
use postgres_es::PostgresEventRepository;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlite_es::SqliteEventRepository;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Row;

type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// The versions this harness pins in Cargo.toml (reported with the figures).
const VERSIONS: &str = "cqrs-es 0.5.0, postgres-es 0.5.0, sqlite-es 0.5.0, sqlx 0.8";
/// The schema each PostgreSQL run creates and drops.
const PG_SCHEMA: &str = "vigil_peer_cqrs_es";

// ---------------------------------------------------------------------------------------
// The domain: one aggregate, one command, one event.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemdUnit {
    name: String,
    unit_file_state: String,
}

/// The ~500-byte discovery body of the workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Details {
    hostname: String,
    fully_qualified_domain_name: String,
    ip_addresses: Vec<String>,
    agent_version: String,
    arch: String,
    os_version: String,
    cpu_count: u32,
    socket_count: u32,
    total_memory_mb: u64,
    systemd_units: Vec<SystemdUnit>,
    installation_source: String,
}

impl Details {
    fn new(i: usize, seq: usize) -> Details {
        Details {
            hostname: format!("host-{i}"),
            fully_qualified_domain_name: format!("host-{i}.example.internal.cloudapp.net"),
            ip_addresses: ["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32", "fe80::f9:9cff:fe45:2cde/64"]
                .map(String::from)
                .to_vec(),
            agent_version: "2.4.0".into(),
            arch: "x86_64".into(),
            os_version: "15-SP5".into(),
            cpu_count: 8,
            socket_count: 1,
            total_memory_mb: 65536 + seq as u64,
            systemd_units: vec![SystemdUnit { name: "pacemaker.service".into(), unit_file_state: "enabled".into() }],
            installation_source: "suse".into(),
        }
    }
}

/// cqrs-es passes the aggregate id (`host_id`) beside the command, to `CqrsFramework::execute`.
#[derive(Debug)]
pub enum HostCommand {
    RecordDiscovery { seq: usize, details: Details },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HostEvent {
    DiscoveryRecorded { seq: usize, details: Details },
}

impl DomainEvent for HostEvent {
    fn event_type(&self) -> String {
        match self {
            HostEvent::DiscoveryRecorded { .. } => "DiscoveryRecorded".into(),
        }
    }
    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HostError(String);

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Host {
    last_seq: usize,
    details: Option<Details>,
}

impl Aggregate for Host {
    const TYPE: &'static str = "Host";
    type Command = HostCommand;
    type Event = HostEvent;
    type Error = HostError;
    type Services = ();

    async fn handle(&mut self, command: HostCommand, _: &(), sink: &EventSink<Self>) -> Result<(), HostError> {
        match command {
            HostCommand::RecordDiscovery { seq, details } => {
                if seq != self.last_seq + 1 {
                    return Err(HostError(format!("seq {seq} does not follow {}", self.last_seq)));
                }
                sink.write(HostEvent::DiscoveryRecorded { seq, details }, self).await;
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: HostEvent) {
        match event {
            HostEvent::DiscoveryRecorded { seq, details } => {
                self.last_seq = seq;
                self.details = Some(details);
            }
        }
    }
}

/// The aggregate id of host `i`: a UUID derived from the index (the same as Vigil's and Python's).
fn host_id(i: usize) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("vigil-workload-host-{i}").as_bytes()).to_string()
}

// ---------------------------------------------------------------------------------------
// The read model: a `Query` that upserts one row per host, fed by `QueryReplay`.

const PG_UPSERT: &str =
    "INSERT INTO host_summary (host_id, last_seq, hostname, total_memory_mb) VALUES ($1, $2, $3, $4)
     ON CONFLICT (host_id) DO UPDATE SET last_seq = excluded.last_seq, hostname = excluded.hostname,
     total_memory_mb = excluded.total_memory_mb";
const SQLITE_UPSERT: &str =
    "INSERT INTO host_summary (host_id, last_seq, hostname, total_memory_mb) VALUES (?, ?, ?, ?)
     ON CONFLICT (host_id) DO UPDATE SET last_seq = excluded.last_seq, hostname = excluded.hostname,
     total_memory_mb = excluded.total_memory_mb";
const HOST_SUMMARY_DDL: &str =
    "CREATE TABLE host_summary (host_id TEXT PRIMARY KEY, last_seq INTEGER, hostname TEXT, total_memory_mb INTEGER)";

struct HostSummary<P> {
    pool: P,
    /// `Query::dispatch` cannot return an error: failures are counted and checked after.
    errors: Arc<AtomicUsize>,
}

#[async_trait]
impl Query<Host> for HostSummary<PgPool> {
    async fn dispatch(&self, aggregate_id: &str, events: &[EventEnvelope<Host>]) {
        for event in events {
            let HostEvent::DiscoveryRecorded { seq, details } = &event.payload;
            let result = sqlx::query(PG_UPSERT)
                .bind(aggregate_id)
                .bind(*seq as i32)
                .bind(&details.hostname)
                .bind(details.total_memory_mb as i32)
                .execute(&self.pool)
                .await;
            if let Err(e) = result {
                eprintln!("host_summary upsert failed: {e}");
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[async_trait]
impl Query<Host> for HostSummary<SqlitePool> {
    async fn dispatch(&self, aggregate_id: &str, events: &[EventEnvelope<Host>]) {
        for event in events {
            let HostEvent::DiscoveryRecorded { seq, details } = &event.payload;
            let result = sqlx::query(SQLITE_UPSERT)
                .bind(aggregate_id)
                .bind(*seq as i64)
                .bind(&details.hostname)
                .bind(details.total_memory_mb as i64)
                .execute(&self.pool)
                .await;
            if let Err(e) = result {
                eprintln!("host_summary upsert failed: {e}");
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The workload.

struct Params {
    store: String,
    aggregates: usize,
    events: usize,
    callers: usize,
    runs: usize,
    pg_url: String,
    dir: PathBuf,
    json: Option<PathBuf>,
}

struct RunResult {
    commands_per_second: f64,
    latencies_us: Vec<u32>,
    projection_events_per_second: f64,
}

/// Sends the N*M commands from `callers` tasks. Caller c owns the aggregates i with
/// i % callers == c and round-robins over them: seq 1 for each, then seq 2, ...
/// With one caller that is command k -> aggregate k % N, seq k / N + 1.
async fn send_commands<ES>(cqrs: Arc<CqrsFramework<Host, ES>>, p: &Params) -> Result<(f64, Vec<u32>)>
where
    ES: EventStore<Host> + 'static,
    ES::AC: Send,
{
    let ids: Arc<Vec<String>> = Arc::new((0..p.aggregates).map(host_id).collect());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..p.callers {
        let (cqrs, ids, n, m, callers) = (cqrs.clone(), ids.clone(), p.aggregates, p.events, p.callers);
        tasks.push(tokio::spawn(async move {
            let mine: Vec<usize> = (c..n).step_by(callers).collect();
            let mut latencies = Vec::with_capacity(mine.len() * m);
            for seq in 1..=m {
                for &i in &mine {
                    let command = HostCommand::RecordDiscovery { seq, details: Details::new(i, seq) };
                    let t = Instant::now();
                    cqrs.execute(&ids[i], command).await.map_err(|e| format!("host {i} seq {seq}: {e}"))?;
                    latencies.push(t.elapsed().as_micros() as u32);
                }
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(p.aggregates * p.events);
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(((p.aggregates * p.events) as f64 / seconds, latencies))
}

/// Replays every event of the store into the read model, then checks it holds N rows at seq M.
async fn project<R, P>(
    repo: R,
    pool: P,
    p: &Params,
    check: impl AsyncFnOnce() -> Result<(i64, i64, i64)>,
) -> Result<f64>
where
    R: PersistedEventRepository,
    HostSummary<P>: Query<Host>,
{
    let errors = Arc::new(AtomicUsize::new(0));
    let mut replay = QueryReplay::new(repo, HostSummary { pool, errors: errors.clone() });
    let stream_errors = errors.clone();
    replay.use_error_handler(Box::new(move |e| {
        eprintln!("replay stream error: {e}");
        stream_errors.fetch_add(1, Ordering::Relaxed);
    }));
    let start = Instant::now();
    replay.replay_all().await.map_err(|e| format!("replay_all: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let (rows, min_seq, max_seq) = check().await?;
    let errors = errors.load(Ordering::Relaxed);
    if errors > 0 || rows != p.aggregates as i64 || min_seq != p.events as i64 || max_seq != p.events as i64 {
        return Err(format!(
            "read model is wrong after replay: {rows} rows (want {}), last_seq {min_seq}..{max_seq} (want {}), {errors} errors",
            p.aggregates, p.events
        )
        .into());
    }
    Ok((p.aggregates * p.events) as f64 / seconds)
}

async fn run_postgres(p: &Params, run: usize) -> Result<(RunResult, (String, String))> {
    // A fresh schema per run; the pool puts it first on the search_path, so postgres-es
    // uses its default table names ("events") in it, through its usual constructor.
    let admin = PgPool::connect(&p.pg_url).await?;
    sqlx::raw_sql(&format!(
        "DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE; CREATE SCHEMA {PG_SCHEMA};
         CREATE TABLE {PG_SCHEMA}.events (
             aggregate_type text NOT NULL, aggregate_id text NOT NULL,
             sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL,
             event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL,
             PRIMARY KEY (aggregate_type, aggregate_id, sequence));
         CREATE TABLE {PG_SCHEMA}.{}",
        HOST_SUMMARY_DDL.trim_start_matches("CREATE TABLE ")
    ))
    .execute(&admin)
    .await?;
    let mut settings = Vec::new();
    for setting in ["fsync", "synchronous_commit", "wal_sync_method", "full_page_writes"] {
        let value: String = sqlx::query_scalar(&format!("SHOW {setting}")).fetch_one(&admin).await?;
        settings.push(format!("{setting}={value}"));
    }
    let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&admin).await?;

    let options = PgConnectOptions::from_str(&p.pg_url)?.options([("search_path", PG_SCHEMA)]);
    // postgres-es's default_postgress_pool: 10 connections.
    let pool = PgPoolOptions::new().max_connections(10).connect_with(options).await?;
    let cqrs = Arc::new(postgres_es::postgres_cqrs::<Host>(pool.clone(), vec![], ()));
    let (commands_per_second, latencies_us) = send_commands(cqrs, p).await?;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    if stored != (p.aggregates * p.events) as i64 {
        return Err(format!("{stored} events stored, want {}", p.aggregates * p.events).into());
    }

    let check_pool = pool.clone();
    let projection_events_per_second = project(PostgresEventRepository::new(pool.clone()), pool.clone(), p, async || {
        let row = sqlx::query("SELECT count(*), coalesce(min(last_seq), 0)::bigint, coalesce(max(last_seq), 0)::bigint FROM host_summary")
            .fetch_one(&check_pool)
            .await?;
        Ok((row.get(0), row.get(1), row.get(2)))
    })
    .await?;
    pool.close().await;
    sqlx::raw_sql(&format!("DROP SCHEMA {PG_SCHEMA} CASCADE")).execute(&admin).await?;
    admin.close().await;
    eprintln!(
        "  run {run}: {commands_per_second:.0} commands/s, projection {projection_events_per_second:.0} events/s"
    );
    Ok((
        RunResult { commands_per_second, latencies_us, projection_events_per_second },
        (settings[..2].join(", "), format!("PostgreSQL {version}, its defaults: {}", settings.join(", "))),
    ))
}

async fn run_sqlite(p: &Params, run: usize) -> Result<(RunResult, (String, String))> {
    std::fs::create_dir_all(&p.dir)?;
    let file = p.dir.join(format!("cqrs-es-run{run}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    // sqlite-es's default_sqlite_pool (WAL, 10 connections), with synchronous FULL instead of
    // its NORMAL, to match the other systems: every commit is fsynced.
    let options = SqliteConnectOptions::new()
        .filename(&file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new().max_connections(10).connect_with(options).await?;
    // sqlite-es's migration (events table only: no snapshots are used).
    sqlx::raw_sql(&format!(
        "CREATE TABLE events (
             aggregate_type text NOT NULL, aggregate_id text NOT NULL,
             sequence integer CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL,
             event_version text NOT NULL, payload text NOT NULL, metadata text NOT NULL,
             PRIMARY KEY (aggregate_type, aggregate_id, sequence)) STRICT;
         {HOST_SUMMARY_DDL};"
    ))
    .execute(&pool)
    .await?;
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&pool).await?;
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&pool).await?;
    if synchronous != 2 || journal != "wal" {
        return Err(format!("SQLite is not in WAL with synchronous=FULL: {journal}, {synchronous}").into());
    }

    let cqrs = Arc::new(sqlite_es::sqlite_cqrs::<Host>(pool.clone(), vec![], ()));
    let (commands_per_second, latencies_us) = send_commands(cqrs, p).await?;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&pool).await?;
    if stored != (p.aggregates * p.events) as i64 {
        return Err(format!("{stored} events stored, want {}", p.aggregates * p.events).into());
    }

    let check_pool = pool.clone();
    let projection_events_per_second = project(SqliteEventRepository::new(pool.clone()), pool.clone(), p, async || {
        let row =
            sqlx::query("SELECT count(*), coalesce(min(last_seq), 0), coalesce(max(last_seq), 0) FROM host_summary")
                .fetch_one(&check_pool)
                .await?;
        Ok((row.get(0), row.get(1), row.get(2)))
    })
    .await?;
    pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    eprintln!(
        "  run {run}: {commands_per_second:.0} commands/s, projection {projection_events_per_second:.0} events/s"
    );
    Ok((
        RunResult { commands_per_second, latencies_us, projection_events_per_second },
        (
            "synchronous=FULL (WAL)".to_string(),
            format!("SQLite {version} (bundled by sqlx); sqlite-es's default pool says synchronous=NORMAL, set to FULL here"),
        ),
    ))
}

fn figure(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    json!({"median": samples[samples.len() / 2], "min": samples[0], "max": samples[samples.len() - 1]})
}

fn percentile(sorted: &[u32], q: f64) -> u32 {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn parse_args() -> Result<Params> {
    let mut p = Params {
        store: "postgres".into(),
        aggregates: 1000,
        events: 20,
        callers: 1,
        runs: 3,
        pg_url: std::env::var("PEERS_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".into()),
        dir: std::env::temp_dir().join("cqrs-es-peer"),
        json: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => p.store = value()?,
            "--aggregates" => p.aggregates = value()?.parse()?,
            "--events" => p.events = value()?.parse()?,
            "--callers" => p.callers = value()?.parse()?,
            "--runs" => p.runs = value()?.parse()?,
            "--pg-url" => p.pg_url = value()?,
            "--dir" => p.dir = value()?.into(),
            "--json" => p.json = Some(value()?.into()),
            _ => return Err(format!("unknown argument {flag} (see the top of src/main.rs)").into()),
        }
    }
    if !["postgres", "sqlite"].contains(&p.store.as_str())
        || p.aggregates == 0
        || p.events == 0
        || p.callers == 0
        || p.runs == 0
    {
        return Err("--store is postgres or sqlite; N, M, C and R are at least 1".into());
    }
    p.callers = p.callers.min(p.aggregates);
    Ok(p)
}

#[tokio::main]
async fn main() -> Result<()> {
    let p = parse_args()?;
    eprintln!(
        "cqrs-es on {}: {} aggregates x {} events, {} callers, {} runs",
        p.store, p.aggregates, p.events, p.callers, p.runs
    );
    let mut runs = Vec::new();
    let mut durability = (String::new(), String::new());
    for run in 1..=p.runs {
        let (result, d) = match p.store.as_str() {
            "postgres" => run_postgres(&p, run).await?,
            _ => run_sqlite(&p, run).await?,
        };
        durability = d;
        runs.push(result);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut latencies: Vec<u32> = runs.iter().flat_map(|r| r.latencies_us.iter().copied()).collect();
    latencies.sort_unstable();
    let result = json!({
        "system": "cqrs-es",
        "version": VERSIONS,
        "store": if p.store == "postgres" { "postgresql" } else { "sqlite" },
        "durability": durability.0,
        "durability_detail": durability.1,
        "aggregates": p.aggregates,
        "events_per_aggregate": p.events,
        "callers": p.callers,
        "runs": p.runs,
        "aggregate_loading": "event replay of the whole stream (PersistedEventStore::new_event_store, as postgres_cqrs/sqlite_cqrs build it; cqrs-es has no aggregate cache, snapshots are opt-in and off)",
        "connection_pool": 10,
        "tokio_worker_threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "commands_per_second": figure(runs.iter().map(|r| r.commands_per_second).collect()),
        "command_latency_us": {"p50": percentile(&latencies, 0.50), "p99": percentile(&latencies, 0.99)},
        "projection_events_per_second": figure(runs.iter().map(|r| r.projection_events_per_second).collect()),
        "extra": HashMap::from([("projection", "QueryReplay::replay_all (events ordered by per-aggregate sequence: cqrs-es stores no global position) into a Query upserting host_summary, one autocommitted statement per event")]),
    });
    let text = serde_json::to_string_pretty(&result)?;
    match &p.json {
        Some(path) => std::fs::write(path, text + "\n")?,
        None => println!("{text}"),
    }
    Ok(())
}
