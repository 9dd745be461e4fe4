//! `vigil bench store|ingest|gate|streams|startup|actions|stream|lake|bus|checks`: measurements for BENCHMARKS.md,
//! with the machine's own limits (fsync rate, raw SQLite inserts) measured in the same run as
//! baselines.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::{EventStore, ExpectedVersion};
use vigil_store::SqliteEventStore;
use vigil_store::sqlite::{Db, DbOptions, Durability};

use crate::args::{BenchCommand, BenchGateArgs, BenchIngestArgs, BenchStoreArgs, BenchStreamsArgs};

mod actions;
mod bus;
mod checks;
mod checks_schedule;
mod lake;
mod postgres;
pub(crate) mod receiver;
mod startup;
mod stream;
mod workload;

pub async fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Store(args) => store(args).await,
        BenchCommand::Ingest(args) => ingest(args).await,
        BenchCommand::Gate(args) => gate(args).await,
        BenchCommand::Streams(args) => streams(args).await,
        BenchCommand::Startup(args) => startup::run(args).await,
        BenchCommand::Actions(args) => actions::run(args).await,
        BenchCommand::Workload(args) => workload::run(args).await,
        BenchCommand::Stream(args) => stream::run(args).await,
        BenchCommand::Lake(args) => lake::run(args).await,
        BenchCommand::Bus(args) => bus::run(args).await,
        BenchCommand::Checks(args) => checks::run(args).await,
    }
}

/// A measurement repeated `runs` times.
#[derive(Serialize)]
struct Figure {
    name: String,
    unit: &'static str,
    median: f64,
    min: f64,
    max: f64,
}

impl Figure {
    fn new(name: impl Into<String>, unit: &'static str, mut samples: Vec<f64>) -> Figure {
        samples.sort_by(f64::total_cmp);
        let median = samples[samples.len() / 2];
        let figure = Figure { name: name.into(), unit, median, min: samples[0], max: samples[samples.len() - 1] };
        // Small figures (latencies in ms, cores) keep two decimals.
        let decimals = if figure.median.abs() < 100.0 { 2 } else { 0 };
        eprintln!(
            "{:<58} {:>12.decimals$} {} (min {:.decimals$}, max {:.decimals$})",
            figure.name, figure.median, unit, figure.min, figure.max
        );
        figure
    }
}

pub(crate) fn scratch(dir: &Option<PathBuf>) -> anyhow::Result<tempfile::TempDir> {
    Ok(match dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            tempfile::tempdir_in(d)?
        }
        None => tempfile::tempdir()?,
    })
}

/// `vigil serve` inside the benchmark's process, on a loopback port, for benchmarks that
/// drive it over HTTP as agents do.
pub(crate) struct InProcessServer {
    /// The server, for what a benchmark reads beside HTTP (the store, `settle`).
    pub app: Arc<vigil_server::app::App>,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The agent API key it made.
    pub key: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl InProcessServer {
    /// Starts the server with `config` (its data directory is `config.data_dir`).
    pub async fn start(config: vigil_server::config::ServerConfig) -> anyhow::Result<InProcessServer> {
        let data_dir = config.data_dir.clone();
        let app = vigil_server::app::App::start(config).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.clone().serve(listener, async move {
            let _ = stopped.await;
        }));
        let key = vigil_discovery::keys::show(&app.db, &data_dir).await?.context("the server made no agent key")?;
        Ok(InProcessServer { app, base, key, stop, server })
    }

    /// Stops it gracefully and waits until it has.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await??;
        Ok(())
    }
}

/// A realistic event body: a host registration of about 600 bytes.
fn sample_data(n: u64) -> String {
    json!({
        "host_id": Uuid::from_u128(n as u128), "hostname": format!("host-{n}"),
        "fully_qualified_domain_name": format!("host-{n}.example.internal.cloudapp.net"),
        "ip_addresses": ["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32", "fe80::f9:9cff:fe45:2cde/64"],
        "agent_version": "2.4.0", "arch": "x86_64", "os_version": "15-SP5", "cpu_count": 8, "socket_count": 1,
        "total_memory_mb": 65536, "last_boot_timestamp": "2026-01-01T00:00:00Z",
        "systemd_units": [{"name": "pacemaker.service", "unit_file_state": "enabled"}],
        "installation_source": "suse", "prometheus_targets": {"node_exporter": "10.1.1.4:9100"}, "prometheus_mode": "pull"
    })
    .to_string()
}

/// Event bodies are built once: the benchmark measures the store, not `serde_json::json!`
/// running on the cores the writer needs.
fn new_event(stream: &str, n: u64) -> NewEvent {
    static DATA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let _ = n;
    NewEvent {
        id: Uuid::now_v7(),
        event_type: "HostRegistered".into(),
        schema_version: 1,
        source: "/bench".into(),
        subject: stream.into(),
        time: Utc::now(),
        data: DATA.get_or_init(|| sample_data(0)).clone(),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
    }
}

async fn open_store(dir: &Path, durability: Durability) -> anyhow::Result<SqliteEventStore> {
    let db = Db::open(&dir.join(format!("{}.db", Uuid::now_v7())), DbOptions { durability, ..Default::default() })?;
    Ok(SqliteEventStore::open(db).await?)
}

async fn store(args: BenchStoreArgs) -> anyhow::Result<ExitCode> {
    if let Some(url) = args.store.clone() {
        anyhow::ensure!(
            url.starts_with("postgres://") || url.starts_with("postgresql://"),
            "--store takes a postgres:// URL (SQLite is the default without it)"
        );
        return postgres::run(args, url).await;
    }
    let durability: Durability = args.durability.parse().map_err(anyhow::Error::msg)?;
    let dir = scratch(&args.dir)?;
    let seconds = Duration::from_secs_f64(args.seconds);
    eprintln!(
        "vigil bench store: durability {durability}, {} s per run, {} runs, in {}",
        args.seconds,
        args.runs,
        dir.path().display()
    );
    let mut figures = Vec::new();

    let mut samples = Vec::new();
    for _ in 0..args.runs {
        samples.push(fsync_rate(dir.path(), seconds)?);
    }
    figures.push(Figure::new("baseline: fsync (4 KiB write + fdatasync)", "ops/s", samples));

    let mut samples = Vec::new();
    for _ in 0..args.runs {
        samples.push(raw_sqlite_inserts(dir.path(), 200_000, durability)?);
    }
    figures.push(Figure::new("baseline: raw SQLite inserts, one transaction", "rows/s", samples));

    for callers in [1usize, 16, 64] {
        let mut samples = Vec::new();
        for _ in 0..args.runs {
            let store = Arc::new(open_store(dir.path(), durability).await?);
            samples.push(concurrent_appends(&[store], callers, 1, seconds).await?);
        }
        figures.push(Figure::new(format!("single-event appends, {callers} callers"), "events/s", samples));
    }

    let mut samples = Vec::new();
    for _ in 0..args.runs {
        let store = Arc::new(open_store(dir.path(), durability).await?);
        samples.push(concurrent_appends(&[store], 1, 100, seconds).await?);
    }
    figures.push(Figure::new("100-event batched appends, 1 caller", "events/s", samples));

    let mut samples = Vec::new();
    for _ in 0..args.runs {
        let store = Arc::new(open_store(dir.path(), durability).await?);
        samples.push(concurrent_appends(&[store], 4, 100, seconds).await?);
    }
    figures.push(Figure::new("100-event batched appends, 4 callers", "events/s", samples));

    let store = Arc::new(open_store(dir.path(), Durability::Normal).await?);
    let n_events = 500_000u64;
    for b in 0..n_events / 1000 {
        let stream = format!("host-{b}");
        let batch = (0..1000).map(|i| new_event(&stream, b * 1000 + i)).collect();
        store.append(&stream, ExpectedVersion::Exactly(0), batch).await?;
    }
    let mut samples = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        let mut after = 0;
        let mut read = 0u64;
        loop {
            let page = store.read_all(after, 5000).await?;
            let Some(last) = page.last() else { break };
            after = last.position;
            read += page.len() as u64;
        }
        anyhow::ensure!(read == n_events, "catch-up read {read} of {n_events} events");
        samples.push(read as f64 / started.elapsed().as_secs_f64());
    }
    figures.push(Figure::new(format!("catch-up read of {n_events} events (pages of 5000)"), "events/s", samples));

    let raw = figures[1].median;
    eprintln!(
        "batched appends / raw inserts: {:.0} % (1 caller), {:.0} % (4 callers)",
        100.0 * figures[5].median / raw,
        100.0 * figures[6].median / raw
    );
    write_json(
        &args.json,
        json!({ "benchmark": "store", "durability": durability.to_string(), "machine": machine(), "figures": figures }),
    )?;
    Ok(ExitCode::SUCCESS)
}

fn fsync_rate(dir: &Path, seconds: Duration) -> anyhow::Result<f64> {
    use std::io::Write;
    let path = dir.join("fsync.probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [0x5au8; 4096];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < seconds {
        file.write_all(&block)?;
        file.sync_data()?;
        n += 1;
    }
    std::fs::remove_file(path)?;
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// The same table and indexes as the event store, filled by one prepared statement in one
/// transaction: what SQLite itself can do on this disk.
fn raw_sqlite_inserts(dir: &Path, n: u64, durability: Durability) -> anyhow::Result<f64> {
    let path = dir.join(format!("raw-{}.db", Uuid::now_v7()));
    let conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", if durability == Durability::Full { "full" } else { "normal" })?;
    conn.execute_batch(
        "CREATE TABLE events (position INTEGER PRIMARY KEY, event_id BLOB NOT NULL UNIQUE, stream_id TEXT NOT NULL,
         stream_version INTEGER NOT NULL, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL, source TEXT NOT NULL,
         subject TEXT NOT NULL, time_us INTEGER NOT NULL, data TEXT NOT NULL, correlation_id BLOB, causation_id BLOB,
         UNIQUE (stream_id, stream_version));
         CREATE INDEX events_by_subject ON events (subject, position);
         CREATE INDEX events_by_type ON events (event_type, position);",
    )?;
    let events: Vec<NewEvent> = (0..n).map(|i| new_event(&format!("host-{}", i / 100), i)).collect();
    let started = Instant::now();
    conn.execute_batch("BEGIN")?;
    {
        let mut insert = conn.prepare(
            "INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, source, subject, time_us,
             data, correlation_id, causation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for (i, e) in events.iter().enumerate() {
            insert.execute(rusqlite::params![
                format!("host-{}", i / 100),
                (i % 100) as i64 + 1,
                e.id.as_bytes(),
                e.event_type,
                e.schema_version,
                e.source,
                e.subject,
                e.time.timestamp_micros(),
                e.data,
                e.correlation_id.map(|u| u.as_bytes().to_vec()),
                Option::<Vec<u8>>::None,
            ])?;
        }
    }
    conn.execute_batch("COMMIT")?;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    drop(conn);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

/// `callers` tasks, spread over the `nodes` (one store or several sharing a database), append
/// `batch`-event batches to their own streams with the expected version for `duration`.
/// Returns events per second.
pub(super) async fn concurrent_appends<S: EventStore>(
    nodes: &[Arc<S>],
    callers: usize,
    batch: u64,
    duration: Duration,
) -> anyhow::Result<f64> {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let (store, stop, count) = (nodes[c % nodes.len()].clone(), stop.clone(), count.clone());
            tokio::spawn(async move {
                let stream = format!("host-{}", Uuid::now_v7());
                let mut version = 0;
                while !stop.load(Ordering::Relaxed) {
                    let events = (0..batch).map(|i| new_event(&stream, version + i)).collect();
                    let appended = store.append(&stream, ExpectedVersion::Exactly(version), events).await?;
                    version = appended.stream_version;
                    count.fetch_add(batch, Ordering::Relaxed);
                }
                anyhow::Ok(())
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    Ok(count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

async fn ingest(args: BenchIngestArgs) -> anyhow::Result<ExitCode> {
    use vigil_server::config::ServerConfig;

    anyhow::ensure!(args.agents >= 1 && args.discoveries >= args.agents, "--discoveries must be at least --agents");
    let dir = scratch(&args.dir)?;
    let config = ServerConfig {
        data_dir: dir.path().to_owned(),
        listen: "127.0.0.1:0".parse()?,
        durability: args.durability.parse().map_err(anyhow::Error::msg)?,
        ..Default::default()
    };
    let server = InProcessServer::start(config).await?;
    let (app, base, key) = (server.app.clone(), server.base.clone(), server.key.clone());
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    eprintln!(
        "vigil bench ingest: {} agents, {} changed discoveries, {} clients, durability {}",
        args.agents, args.discoveries, args.concurrency, args.durability
    );

    let template: Value = serde_json::from_str(HOST_DISCOVERY)?;
    let body = |n: usize, revision: usize| {
        let mut d = template.clone();
        d["agent_id"] = json!(Uuid::from_u128(0xbe7c_0000_0000 + (n % args.agents) as u128));
        d["payload"]["hostname"] = json!(format!("host-{}-r{revision}", n % args.agents));
        d.to_string()
    };

    // Changed snapshots: every discovery appends an event and updates the read model.
    let bodies: Vec<String> = (0..args.discoveries).map(|n| body(n, n / args.agents)).collect();
    let changed = post_all(&client, &base, &key, bodies, args.concurrency, Some(app.clone())).await?;
    // Unchanged snapshots, the common case: every agent resends the last state it sent.
    let last_sent = |agent: usize| agent + args.agents * ((args.discoveries - 1 - agent) / args.agents);
    let unchanged_bodies: Vec<String> = (0..args.discoveries)
        .map(|n| {
            let last = last_sent(n % args.agents);
            body(last, last / args.agents)
        })
        .collect();
    let unchanged = post_all(&client, &base, &key, unchanged_bodies, args.concurrency, None).await?;

    drop(app);
    server.stop().await?;
    write_json(
        &args.json,
        json!({ "benchmark": "ingest", "durability": args.durability, "agents": args.agents, "concurrency": args.concurrency,
                "machine": machine(), "changed": changed, "unchanged": unchanged }),
    )?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct IngestFigures {
    discoveries: usize,
    per_second: f64,
    request_p50_ms: f64,
    request_p99_ms: f64,
    read_model_p50_ms: Option<f64>,
    read_model_p99_ms: Option<f64>,
    statuses: std::collections::BTreeMap<String, usize>,
}

async fn post_all(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    bodies: Vec<String>,
    concurrency: usize,
    app: Option<Arc<vigil_server::app::App>>,
) -> anyhow::Result<IngestFigures> {
    let n = bodies.len();
    // Reversed, so that popping from the end posts in the given order.
    let queue = Arc::new(std::sync::Mutex::new(bodies.into_iter().enumerate().rev().collect::<Vec<_>>()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, queue, app) = (client.clone(), queue.clone(), app.clone());
            let (url, key) = (format!("{base}/api/v1/collect"), key.to_owned());
            tokio::spawn(async move {
                let mut samples = Vec::new();
                loop {
                    let Some((_, body)) = queue.lock().expect("queue").pop() else {
                        break;
                    };
                    let sent = Instant::now();
                    let response = client.post(&url).header("X-Trento-Apikey", &key).body(body).send().await?;
                    let status = response.status().as_u16();
                    let reply: Value = response.json().await?;
                    let request = sent.elapsed();
                    let mut visible = None;
                    if let (Some(app), Some(position)) = (&app, reply["last_position"].as_u64()) {
                        app.wait_for_projection("hosts", position, Duration::from_secs(30)).await;
                        visible = Some(sent.elapsed());
                    }
                    let outcome = reply["status"].as_str().unwrap_or("error").to_owned();
                    samples.push((request, visible, format!("{status} {outcome}")));
                }
                anyhow::Ok(samples)
            })
        })
        .collect();
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    let elapsed = started.elapsed();
    let mut requests: Vec<f64> = samples.iter().map(|s| s.0.as_secs_f64() * 1e3).collect();
    let mut visible: Vec<f64> = samples.iter().filter_map(|s| s.1).map(|d| d.as_secs_f64() * 1e3).collect();
    requests.sort_by(f64::total_cmp);
    visible.sort_by(f64::total_cmp);
    let mut statuses = std::collections::BTreeMap::new();
    for s in &samples {
        *statuses.entry(s.2.clone()).or_insert(0) += 1;
    }
    let figures = IngestFigures {
        discoveries: n,
        per_second: n as f64 / elapsed.as_secs_f64(),
        request_p50_ms: percentile(&requests, 0.50),
        request_p99_ms: percentile(&requests, 0.99),
        read_model_p50_ms: (!visible.is_empty()).then(|| percentile(&visible, 0.50)),
        read_model_p99_ms: (!visible.is_empty()).then(|| percentile(&visible, 0.99)),
        statuses,
    };
    eprintln!("{}", serde_json::to_string(&figures)?);
    Ok(figures)
}

pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub(crate) fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|c| {
        c.lines().find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned()))
    });
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "cpu_model": cpu,
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
        "date": Utc::now().to_rfc3339(),
    })
}

fn write_json(path: &Option<PathBuf>, value: Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&value)?;
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

/// The corpus's host discovery, embedded so the benchmark runs anywhere.
const HOST_DISCOVERY: &str = r#"{"agent_id":"779cdd70-e9e2-58ca-b18a-bf3eb3f71244","discovery_type":"host_discovery","payload":{"os_version":"15-SP2","arch":"x86_64","ip_addresses":["10.1.1.4","10.1.1.5","10.1.1.6"],"netmasks":[16,24,32],"hostname":"suse","cpu_count":2,"socket_count":1,"total_memory_mb":4096,"agent_version":"0.1.0","fully_qualified_domain_name":"suse.l15cqsinwnpu5gfyrf1r5l51fe.ax.internal.cloudapp.net","systemd_units":[{"name":"pacemaker.service","unit_file_state":"enabled"}]}}"#;

async fn gate(args: BenchGateArgs) -> anyhow::Result<ExitCode> {
    use vigil_gate::gate::{GateCommand, GateConfig, Via};
    use vigil_landscape::LandscapeCommand;
    use vigil_landscape::host::HostCommand;
    use vigil_policy::{AuthzInput, CommandInput, CompiledPolicies, PolicySet, Principal, PrincipalKind, TargetInput};
    use vigil_server::app::App;
    use vigil_server::config::ServerConfig;

    let dir = scratch(&args.dir)?;
    eprintln!(
        "vigil bench gate: {} evaluations, {} commands × {} runs from {} callers, durability full",
        args.evaluations, args.commands, args.runs, args.concurrency
    );

    // Decision latency of the default authz policy for an operator command.
    let policies = CompiledPolicies::compile(PolicySet::default_bundle())?;
    let input = AuthzInput {
        principal: Principal { kind: PrincipalKind::User, id: "ops".into(), roles: vec!["operator".into()] },
        command: CommandInput { command_type: "DeregisterHost".into(), body: json!({}), read: false },
        target: Some(TargetInput {
            id: Uuid::nil().to_string(),
            kind: "host".into(),
            state: json!({"heartbeat": "critical"}),
        }),
    };
    let mut latencies = Vec::with_capacity(args.evaluations);
    for _ in 0..args.evaluations {
        let started = Instant::now();
        let decision = policies.authorize(&input)?;
        latencies.push(started.elapsed().as_secs_f64() * 1e6);
        anyhow::ensure!(decision.allow == Some(true), "the operator must be allowed");
    }
    latencies.sort_by(f64::total_cmp);
    let decision = json!({
        "p50_us": percentile(&latencies, 0.5), "p99_us": percentile(&latencies, 0.99), "p999_us": percentile(&latencies, 0.999),
        "bytecode": policies.runs_bytecode(),
    });
    eprintln!("authz decision latency: {decision}");

    // Audit appends, durably, from many callers (they share commits).
    let mut audit_rates = Vec::new();
    for _ in 0..args.runs {
        let db = Db::open(&dir.path().join(format!("audit-{}.db", Uuid::now_v7())), DbOptions::default())?;
        let keys = scratch(&args.dir)?;
        let log = vigil_audit::AuditLog::open(db, keys.path(), vigil_audit::HeadPolicy::default()).await?;
        let started = Instant::now();
        let per_caller = args.commands / args.concurrency.max(1);
        let tasks: Vec<_> = (0..args.concurrency)
            .map(|c| {
                let log = log.clone();
                tokio::spawn(async move {
                    for i in 0..per_caller {
                        log.append("command", Utc::now(), &json!({"caller": c, "i": i, "command": "RegisterHost"}))
                            .await?;
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        for t in tasks {
            t.await??;
        }
        audit_rates.push((per_caller * args.concurrency) as f64 / started.elapsed().as_secs_f64());
    }
    let audit = Figure::new(format!("audit appends, {} callers", args.concurrency), "records/s", audit_rates);

    // Command throughput through the gate, on and off.
    let mut throughput = serde_json::Map::new();
    // The two halves alone as well, so that each one's share of the cost is measured.
    for (name, config) in [
        ("gate off", GateConfig { authorize: false, audit: false }),
        ("authorization only", GateConfig { authorize: true, audit: false }),
        ("command audit only", GateConfig { authorize: false, audit: true }),
        ("gate on", GateConfig { authorize: true, audit: true }),
    ] {
        let mut samples = Vec::new();
        for _ in 0..args.runs {
            let data = scratch(&args.dir)?;
            let app = App::start_with(ServerConfig { data_dir: data.path().to_owned(), ..Default::default() }, config)
                .await?;
            let started = Instant::now();
            let per_caller = args.commands / args.concurrency.max(1);
            let tasks: Vec<_> = (0..args.concurrency)
                .map(|c| {
                    let app = app.clone();
                    tokio::spawn(async move {
                        let host_id = Uuid::now_v7();
                        let agent = vigil_gate::principal::agent(&host_id.to_string());
                        for i in 0..per_caller {
                            let details = bench_host(format!("host-{c}-{i}"));
                            let command = LandscapeCommand::Host {
                                host_id,
                                command: HostCommand::RegisterHost { host_id, details },
                            };
                            let meta = vigil_kernel::envelope::EventMetadata {
                                time: Utc::now(),
                                source: "/bench".into(),
                                correlation_id: None,
                                causation_id: None,
                            };
                            app.gate
                                .submit(
                                    &agent,
                                    GateCommand::Landscape(command),
                                    Via::Discovery("host_discovery"),
                                    &meta,
                                )
                                .await?;
                        }
                        anyhow::Ok(())
                    })
                })
                .collect();
            for t in tasks {
                t.await??;
            }
            samples.push((per_caller * args.concurrency) as f64 / started.elapsed().as_secs_f64());
            app.stop().await;
        }
        let figure = Figure::new(format!("commands through the gate ({name})"), "commands/s", samples);
        throughput.insert(name.into(), serde_json::to_value(&figure)?);
    }
    let off = throughput["gate off"]["median"].as_f64().unwrap_or(f64::NAN);
    let on = throughput["gate on"]["median"].as_f64().unwrap_or(f64::NAN);
    eprintln!("the gate costs {:.1} % of command throughput", 100.0 * (1.0 - on / off));
    for half in ["authorization only", "command audit only"] {
        let rate = throughput[half]["median"].as_f64().unwrap_or(f64::NAN);
        eprintln!("  {half}: {:.1} %", 100.0 * (1.0 - rate / off));
    }
    write_json(
        &args.json,
        json!({ "benchmark": "gate", "machine": machine(), "decision_latency": decision, "audit_appends": audit,
                "throughput": throughput, "gate_cost_percent": 100.0 * (1.0 - on / off) }),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// A host whose heartbeat flapped `events` times, loaded cold (a new handler, an empty
/// cache) with snapshots, without, and beside a host with one event.
async fn streams(args: BenchStreamsArgs) -> anyhow::Result<ExitCode> {
    use vigil_kernel::command::{CommandHandler, CommandHandlerConfig};
    use vigil_kernel::envelope::EventMetadata;
    use vigil_landscape::host::{Host, HostCommand};

    let dir = tempfile::tempdir()?;
    let db =
        Db::open(&dir.path().join("vigil.db"), DbOptions { durability: Durability::Normal, ..Default::default() })?;
    let store = Arc::new(SqliteEventStore::open(db).await?);
    let config = CommandHandlerConfig::default();
    let handler = CommandHandler::<Host>::with_snapshots(store.clone(), store.clone(), config.clone());
    let meta = || EventMetadata { time: Utc::now(), source: "/bench".into(), correlation_id: None, causation_id: None };
    let details = bench_host("long-lived".into());
    let (old, new) = (Uuid::now_v7(), Uuid::now_v7());
    for host_id in [old, new] {
        handler
            .handle(&host_id.to_string(), HostCommand::RegisterHost { host_id, details: details.clone() }, &meta())
            .await?;
    }
    eprintln!("vigil bench streams: writing {} heartbeat flips to one host stream", args.events);
    for i in 0..args.events {
        let command = if i % 2 == 0 {
            HostCommand::RecordHeartbeat { host_id: old }
        } else {
            HostCommand::MarkHeartbeatFailed { host_id: old }
        };
        handler.handle(&old.to_string(), command, &meta()).await?;
    }
    let time_cold_loads = |snapshots: bool, host_id: Uuid| {
        let store = store.clone();
        let config = config.clone();
        async move {
            let mut samples = Vec::new();
            for _ in 0..args.runs {
                let cold = if snapshots {
                    CommandHandler::<Host>::with_snapshots(store.clone(), store.clone(), config.clone())
                } else {
                    CommandHandler::<Host>::new(store.clone(), config.clone())
                };
                let started = Instant::now();
                let (_, version) = cold.state(&host_id.to_string()).await?;
                samples.push(started.elapsed().as_secs_f64() * 1e6);
                anyhow::ensure!(version >= 1, "the host must load");
            }
            anyhow::Ok(samples)
        }
    };
    let new_host = Figure::new("cold load, new host (1 event)", "µs", time_cold_loads(true, new).await?);
    let with = Figure::new(
        format!("cold load, {} events, snapshots every 1000", args.events + 1),
        "µs",
        time_cold_loads(true, old).await?,
    );
    let without = Figure::new(
        format!("cold load, {} events, no snapshots", args.events + 1),
        "µs",
        time_cold_loads(false, old).await?,
    );
    eprintln!(
        "with snapshots the long stream loads in {:.1}× the new host's time; without, {:.0}×",
        with.median / new_host.median,
        without.median / new_host.median
    );
    write_json(
        &args.json,
        json!({ "benchmark": "streams", "machine": machine(), "events": args.events + 1, "figures": [new_host, with, without] }),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The host details the gate and stream benchmarks register: a typical SLES for SAP host.
fn bench_host(hostname: String) -> vigil_landscape::host::HostDetails {
    use vigil_landscape::host::{Architecture, HostDetails, InstallationSource, PrometheusMode};
    HostDetails {
        hostname,
        fully_qualified_domain_name: None,
        ip_addresses: vec!["10.0.0.1/24".into()],
        agent_version: "2.4.0".into(),
        arch: Architecture::X86_64,
        os_version: "15-SP5".into(),
        cpu_count: 8,
        socket_count: 1,
        total_memory_mb: 65536,
        last_boot_timestamp: None,
        systemd_units: vec![],
        installation_source: InstallationSource::Suse,
        prometheus_targets: Default::default(),
        prometheus_mode: PrometheusMode::Pull,
    }
}
