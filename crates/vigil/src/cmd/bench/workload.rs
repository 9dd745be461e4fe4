//! `vigil bench workload`: the workload of the peer comparison (`benches/peers/`), on Vigil's
//! own parts: a decider behind the `CommandHandler`, the SQLite event store, and a
//! `SqliteProjection` fed by the `ProjectionRunner`. The peers run the same aggregate, the
//! same commands in the same order and the same read model, so their figures compare.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_kernel::command::{CommandHandler, CommandHandlerConfig};
use vigil_kernel::decider::{Decider, DomainEvent};
use vigil_kernel::envelope::{EventMetadata, RecordedEvent};
use vigil_kernel::projection::ProjectionRunner;
use vigil_server::readmodel::{SqliteProjection, TableProjection};
use vigil_store::SqliteEventStore;
use vigil_store::sqlite::{Db, DbOptions, Durability};

use super::{Figure, machine, percentile, scratch, write_json};
use crate::args::BenchWorkloadArgs;

/// The peer workload's aggregate: a host whose discoveries must arrive in sequence.
struct WorkloadHost;

#[derive(Clone, Default)]
struct WorkloadHostState {
    last_seq: u64,
    /// Kept, as the peers keep it, though no rule reads it.
    #[allow(dead_code)]
    details: Option<Arc<Value>>,
}

#[derive(Clone)]
struct RecordDiscovery {
    seq: u64,
    details: Arc<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum WorkloadEvent {
    DiscoveryRecorded { seq: u64, details: Arc<Value> },
}

impl DomainEvent for WorkloadEvent {
    fn event_type(&self) -> &'static str {
        "DiscoveryRecorded"
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        (event_type == "DiscoveryRecorded").then_some(1)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("discovery {got} out of sequence: expected {expected}")]
struct OutOfSequence {
    expected: u64,
    got: u64,
}

impl Decider for WorkloadHost {
    type State = WorkloadHostState;
    type Command = RecordDiscovery;
    type Event = WorkloadEvent;
    type Rejection = OutOfSequence;
    const CATEGORY: &'static str = "workload_host";

    fn decide(state: &Self::State, command: Self::Command) -> Result<Vec<Self::Event>, Self::Rejection> {
        if command.seq != state.last_seq + 1 {
            return Err(OutOfSequence { expected: state.last_seq + 1, got: command.seq });
        }
        Ok(vec![WorkloadEvent::DiscoveryRecorded { seq: command.seq, details: command.details }])
    }

    fn evolve(_: Self::State, event: &Self::Event) -> Self::State {
        let WorkloadEvent::DiscoveryRecorded { seq, details } = event;
        WorkloadHostState { last_seq: *seq, details: Some(details.clone()) }
    }
}

/// The read model every peer fills: one row per host.
struct HostSummary;

impl TableProjection for HostSummary {
    const NAME: &'static str = "host_summary";
    const SCHEMA: &'static str = "CREATE TABLE IF NOT EXISTS host_summary (
        host_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, hostname TEXT NOT NULL, total_memory_mb INTEGER NOT NULL);";
    const RESET: &'static str = "DELETE FROM host_summary;";

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        let event: WorkloadEvent =
            recorded.decode().map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let WorkloadEvent::DiscoveryRecorded { seq, details } = event;
        conn.prepare_cached(
            "INSERT INTO host_summary (host_id, last_seq, hostname, total_memory_mb) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (host_id) DO UPDATE SET last_seq = excluded.last_seq, hostname = excluded.hostname,
             total_memory_mb = excluded.total_memory_mb",
        )?
        .execute(params![
            recorded.event.subject,
            seq as i64,
            details["hostname"].as_str().unwrap_or_default(),
            details["total_memory_mb"].as_i64().unwrap_or_default()
        ])?;
        Ok(())
    }
}

fn host_id(i: usize) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("vigil-workload-host-{i}").as_bytes())
}

/// The command's details, about 500 bytes, as the peers build them.
fn details(i: usize, seq: u64) -> Value {
    json!({
        "hostname": format!("host-{i}"),
        "fully_qualified_domain_name": format!("host-{i}.example.internal.cloudapp.net"),
        "ip_addresses": ["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32", "fe80::f9:9cff:fe45:2cde/64"],
        "agent_version": "2.4.0", "arch": "x86_64", "os_version": "15-SP5", "cpu_count": 8, "socket_count": 1,
        "total_memory_mb": 65536 + seq,
        "systemd_units": [{"name": "pacemaker.service", "unit_file_state": "enabled"}],
        "installation_source": "suse"
    })
}

struct RunFigures {
    commands_per_second: f64,
    latencies_us: Vec<f64>,
    projection_events_per_second: f64,
}

pub async fn run(args: BenchWorkloadArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.aggregates >= 1 && args.events >= 1 && args.callers >= 1, "N, M and callers must be ≥ 1");
    let durability: Durability = args.durability.parse().map_err(anyhow::Error::msg)?;
    eprintln!(
        "vigil bench workload: {} aggregates × {} commands, {} callers, durability {durability}, {} runs",
        args.aggregates, args.events, args.callers, args.runs
    );
    let mut runs = Vec::new();
    for _ in 0..args.runs {
        runs.push(run_once(&args, durability).await?);
    }
    let commands = Figure::new("commands (load, decide, append with expected version)", "commands/s", {
        runs.iter().map(|r| r.commands_per_second).collect()
    });
    let projection = Figure::new("projection into host_summary", "events/s", {
        runs.iter().map(|r| r.projection_events_per_second).collect()
    });
    let mut latencies: Vec<f64> = runs.iter().flat_map(|r| r.latencies_us.iter().copied()).collect();
    latencies.sort_by(f64::total_cmp);
    let latency = json!({ "p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99) });
    eprintln!("command latency µs: {latency}");
    write_json(
        &args.json,
        json!({
            "benchmark": "workload", "system": "vigil", "version": env!("CARGO_PKG_VERSION"), "store": "sqlite",
            "durability": match durability { Durability::Full => "full (WAL, synchronous=FULL)", _ => "normal (WAL, synchronous=NORMAL)" },
            "aggregates": args.aggregates, "events_per_aggregate": args.events, "callers": args.callers,
            "commands_per_second": { "median": commands.median, "min": commands.min, "max": commands.max },
            "command_latency_us": latency,
            "projection_events_per_second": { "median": projection.median, "min": projection.min, "max": projection.max },
            "machine": machine(),
        }),
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn run_once(args: &BenchWorkloadArgs, durability: Durability) -> anyhow::Result<RunFigures> {
    let dir = scratch(&args.dir)?;
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions { durability, ..Default::default() })?;
    let store = Arc::new(SqliteEventStore::open(db.clone()).await?);
    let handler = Arc::new(CommandHandler::<WorkloadHost>::new(store.clone(), CommandHandlerConfig::default()));
    let (n, m, callers) = (args.aggregates, args.events, args.callers);

    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|caller| {
            let handler = handler.clone();
            tokio::spawn(async move {
                // This caller's aggregates, round robin: command k goes to aggregate k % N.
                let mine: Vec<usize> = (caller..n).step_by(callers).collect();
                let ids: Vec<String> = mine.iter().map(|&i| host_id(i).to_string()).collect();
                let mut latencies = Vec::with_capacity(mine.len() * m);
                for seq in 1..=m as u64 {
                    for (&i, id) in mine.iter().zip(&ids) {
                        let command = RecordDiscovery { seq, details: Arc::new(details(i, seq)) };
                        let meta = EventMetadata {
                            time: Utc::now(),
                            source: "/bench/workload".into(),
                            correlation_id: None,
                            causation_id: None,
                        };
                        let sent = Instant::now();
                        handler.handle(id, command, &meta).await?;
                        latencies.push(sent.elapsed().as_secs_f64() * 1e6);
                    }
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await??);
    }
    let commands_per_second = (n * m) as f64 / started.elapsed().as_secs_f64();

    let projection = Arc::new(SqliteProjection::<HostSummary>::open(db.clone()).await?);
    let runner = ProjectionRunner::new(store.clone(), projection, 1000);
    let started = Instant::now();
    runner.catch_up(None, |_| ()).await?;
    let elapsed = started.elapsed();
    let (rows, complete): (i64, i64) = db
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*), COALESCE(SUM(last_seq = ?1), 0) FROM host_summary",
                [m as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await?;
    anyhow::ensure!(
        rows == n as i64 && complete == n as i64,
        "the read model holds {rows} rows, {complete} at seq {m}; expected {n}"
    );
    let projection_events_per_second = (n * m) as f64 / elapsed.max(Duration::from_nanos(1)).as_secs_f64();
    Ok(RunFigures { commands_per_second, latencies_us, projection_events_per_second })
}
