//! `vigil bench actions`: the actions service of issue #11, measured in one process.
//!
//! The server (`App::start`) runs on a scratch data directory with one rule: a signed
//! `webhook` on the synthetic event type [`EVENT_TYPE`], posting to a [`Receiver`] on
//! loopback. Events are appended straight to the event store, so what is measured is what
//! follows an append: the dispatcher's durable executions, the worker's lease, the admission
//! policy and its decision record, the webhook, the attempt's durable record and its audit
//! record. See `vigil bench actions --help` for the two measurements.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::ExpectedVersion;
use vigil_reactions::execution::{Status, execution_id};
use vigil_reactions::store::ExecutionFilter;
use vigil_server::app::App;
use vigil_server::config::ServerConfig;
use vigil_store::sqlite::Durability;

use super::receiver::{Counts, Receiver};
use super::{Figure, fsync_rate, machine, percentile, raw_sqlite_inserts, scratch, write_json};
use crate::args::BenchActionsArgs;

/// The synthetic event type the rule reacts to.
pub const EVENT_TYPE: &str = "BenchEventHappened";
/// The rule's name.
pub const RULE: &str = "bench-webhook";
/// How long a run may go without a new delivery before it is given up.
const STALL: Duration = Duration::from_secs(60);

pub async fn run(args: BenchActionsArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.runs >= 1, "--runs must be at least 1");
    anyhow::ensure!(args.events >= 1 && args.batch >= 1, "--events and --batch must be at least 1");
    anyhow::ensure!(args.rate >= 1 && args.seconds > 0.0, "--rate and --seconds must be above zero");
    let durability: Durability = args.durability.parse().map_err(anyhow::Error::msg)?;
    let dir = scratch(&args.dir)?;
    let load_start = load_average();
    eprintln!(
        "vigil bench actions: durability {durability}, {} events per throughput run (batches of {}), {} events/s for {} s per latency run, concurrency {}, {} runs, in {} (load average {load_start})",
        args.events,
        args.batch,
        args.rate,
        args.seconds,
        args.concurrency,
        args.runs,
        dir.path().display()
    );

    let bar = spinner("baselines: fsync rate and raw SQLite inserts");
    let probe = Duration::from_secs_f64(args.baseline_seconds);
    let mut fsyncs = Vec::new();
    let mut inserts = Vec::new();
    for _ in 0..args.runs {
        fsyncs.push(fsync_rate(dir.path(), probe)?);
        inserts.push(raw_sqlite_inserts(dir.path(), args.raw_rows, durability)?);
    }
    bar.finish_and_clear();
    let fsync = Figure::new("baseline: fsync (4 KiB write + fdatasync)", "ops/s", fsyncs);
    let raw = Figure::new("baseline: raw SQLite inserts, one transaction", "rows/s", inserts);

    let mut throughput_runs = Vec::new();
    for run in 0..args.runs {
        throughput_runs.push(throughput(&args, dir.path(), durability, run).await?);
    }
    let mut latency_runs = Vec::new();
    for run in 0..args.runs {
        latency_runs.push(latency(&args, dir.path(), durability, run).await?);
    }
    let load_end = load_average();

    let column = |f: fn(&ThroughputRun) -> f64| throughput_runs.iter().map(f).collect::<Vec<_>>();
    let delivered = Figure::new(
        "webhook deliveries/s (every event delivered)",
        "deliveries/s",
        column(|r| r.deliveries_per_second),
    );
    let succeeded = Figure::new(
        "webhook actions/s (every execution durably succeeded)",
        "actions/s",
        column(|r| r.succeeded_per_second),
    );
    let cores = Figure::new("process CPU during the throughput run", "cores", column(|r| r.cpu_cores));
    let duplicates: u64 = throughput_runs.iter().map(|r| r.receiver.duplicates).sum::<u64>()
        + latency_runs.iter().map(|r| r.receiver.duplicates).sum::<u64>();
    let rejected: u64 = throughput_runs.iter().map(|r| r.receiver.rejected).sum::<u64>()
        + latency_runs.iter().map(|r| r.receiver.rejected).sum::<u64>();
    let column = |f: fn(&LatencyRun) -> f64| latency_runs.iter().map(f).collect::<Vec<_>>();
    let p50 = Figure::new("append → action start, p50", "ms", column(|r| r.append_to_arrival.p50_ms));
    let p99 = Figure::new("append → action start, p99", "ms", column(|r| r.append_to_arrival.p99_ms));
    let p999 = Figure::new("append → action start, p99.9", "ms", column(|r| r.append_to_arrival.p999_ms));
    let achieved = Figure::new("latency runs: events appended per second", "events/s", column(|r| r.achieved_rate));

    let ratios = json!({
        "actions_per_fsync": succeeded.median / fsync.median,
        "actions_per_raw_insert": succeeded.median / raw.median,
    });
    eprintln!(
        "webhook actions/s ÷ fsyncs/s: {:.2}; ÷ raw inserts/s: {:.3}; duplicates seen by the receiver: {duplicates}; rejected deliveries: {rejected}",
        succeeded.median / fsync.median,
        succeeded.median / raw.median
    );
    eprintln!(
        "goals: ≥ 5,000 actions/s: {}; p99 ≤ 50 ms at {}/s: {}",
        if succeeded.median >= 5000.0 { "met" } else { "missed" },
        args.rate,
        if p99.median <= 50.0 { "met" } else { "missed" }
    );
    eprintln!("load average: start {load_start}; end {load_end}");
    write_json(
        &args.json,
        json!({
            "benchmark": "actions",
            "durability": durability.to_string(),
            "machine": machine(),
            "load_average": {"start": load_start, "end": load_end},
            "settings": {
                "events": args.events, "batch": args.batch, "rate": args.rate, "seconds": args.seconds,
                "concurrency": args.concurrency, "runs": args.runs, "event_type": EVENT_TYPE, "rule": RULE,
            },
            "baselines": [fsync, raw],
            "throughput": { "figures": [delivered, succeeded, cores], "runs": throughput_runs },
            "latency": { "figures": [p50, p99, p999, achieved], "runs": latency_runs },
            "duplicates": duplicates,
            "rejected": rejected,
            "ratios": ratios,
        }),
    )?;
    anyhow::ensure!(duplicates == 0, "the receiver saw {duplicates} repeated webhook-ids");
    anyhow::ensure!(rejected == 0, "the receiver rejected {rejected} deliveries (no id, or a bad signature)");
    Ok(ExitCode::SUCCESS)
}

/// One server with the benchmark's rule, and its receiver.
struct Bench {
    app: Arc<App>,
    receiver: Receiver,
    _data: tempfile::TempDir,
}

impl Bench {
    async fn start(args: &BenchActionsArgs, dir: &Path, durability: Durability) -> anyhow::Result<Bench> {
        let data = tempfile::tempdir_in(dir)?;
        let key: Vec<u8> = [Uuid::now_v7(), Uuid::now_v7()].iter().flat_map(|u| *u.as_bytes()).collect();
        let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
        let receiver = Receiver::start("127.0.0.1:0".parse()?, Some(&secret)).await?;
        let rules = data.path().join("actions.toml");
        std::fs::write(
            &rules,
            format!(
                "[[rule]]\nname = \"{RULE}\"\non = \"{EVENT_TYPE}\"\n\n[rule.action]\nkind = \"webhook\"\nurl = \"{}\"\nsecret = \"{secret}\"\ntimeout = \"10s\"\n",
                receiver.url
            ),
        )?;
        let mut config = ServerConfig { data_dir: data.path().join("data"), durability, ..Default::default() };
        config.actions.rules_file = Some(rules);
        config.actions.concurrency = args.concurrency;
        let app = App::start(config).await.context("cannot start the server")?;
        Ok(Bench { app, receiver, _data: data })
    }

    async fn count(&self, status: Option<Status>) -> anyhow::Result<u64> {
        let filter = ExecutionFilter { status, limit: 1, ..Default::default() };
        Ok(self.app.actions.executions.list(filter).await?.1)
    }

    /// How many executions are in each status.
    async fn statuses(&self) -> anyhow::Result<BTreeMap<&'static str, u64>> {
        let mut counts = BTreeMap::new();
        for status in Status::ALL {
            let n = self.count(Some(status)).await?;
            if n > 0 {
                counts.insert(status.as_str(), n);
            }
        }
        Ok(counts)
    }

    /// Waits until the receiver has had `n` distinct deliveries, showing them on `bar`.
    async fn wait_for_deliveries(&self, n: u64, bar: &ProgressBar) -> anyhow::Result<()> {
        let (mut seen, mut moved) = (0, Instant::now());
        loop {
            let counts = self.receiver.counts();
            bar.set_position(counts.distinct);
            if counts.distinct >= n {
                return Ok(());
            }
            if counts.distinct > seen {
                (seen, moved) = (counts.distinct, Instant::now());
            } else if moved.elapsed() > STALL {
                bar.abandon();
                anyhow::bail!(
                    "only {} of {n} webhooks arrived; none for {STALL:?}; executions: {:?}",
                    counts.distinct,
                    self.statuses().await?
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.app.stop().await;
        self.receiver.stop().await
    }
}

/// The events' data: a small fixed document (built once, as `vigil bench store` does).
fn event(stream: &str) -> NewEvent {
    static DATA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NewEvent {
        id: Uuid::now_v7(),
        event_type: EVENT_TYPE.into(),
        schema_version: 1,
        source: "/bench/actions".into(),
        subject: stream.into(),
        time: Utc::now(),
        data: DATA
            .get_or_init(|| {
                json!({"host_id": Uuid::nil(), "check": "corosync_token_timeout", "result": "critical",
                       "message": "token timeout is 5000 ms, expected 30000 ms", "attempt": 1})
                .to_string()
            })
            .clone(),
        correlation_id: None,
        causation_id: None,
    }
}

#[derive(Serialize)]
struct ThroughputRun {
    events: u64,
    /// Appending them all (batches of --batch, one caller).
    append_s: f64,
    /// Until the receiver had every one.
    delivered_s: f64,
    /// Until the store showed every execution succeeded.
    succeeded_s: f64,
    deliveries_per_second: f64,
    succeeded_per_second: f64,
    receiver: Counts,
    executions: u64,
    statuses: BTreeMap<&'static str, u64>,
    /// CPU of this whole process (server, receiver, appender) over the run.
    cpu_cores: f64,
    /// The same, per thread name.
    threads: BTreeMap<String, f64>,
}

async fn throughput(
    args: &BenchActionsArgs,
    dir: &Path,
    durability: Durability,
    run: usize,
) -> anyhow::Result<ThroughputRun> {
    let bench = Bench::start(args, dir, durability).await?;
    let bar = counter(args.events, &format!("throughput run {} of {}: webhooks delivered", run + 1, args.runs));
    let cpu_before = threads_cpu();
    let started = Instant::now();
    let store = bench.app.store.clone();
    let (events, batch) = (args.events, args.batch);
    let appender = tokio::spawn(async move {
        let mut appended = 0;
        while appended < events {
            let stream = format!("bench-{}", Uuid::now_v7());
            let n = batch.min(events - appended);
            store.append(&stream, ExpectedVersion::Exactly(0), (0..n).map(|_| event(&stream)).collect()).await?;
            appended += n;
        }
        anyhow::Ok(started.elapsed())
    });
    bench.wait_for_deliveries(args.events, &bar).await?;
    let append = appender.await??;
    let delivered = bench.receiver.arrivals().values().map(|a| a.at).max().unwrap_or(started) - started;
    bar.set_message("waiting for every execution to be recorded as succeeded");
    let mut moved = Instant::now();
    let mut last = 0;
    loop {
        let succeeded = bench.count(Some(Status::Succeeded)).await?;
        if succeeded >= args.events {
            break;
        }
        if succeeded > last {
            (last, moved) = (succeeded, Instant::now());
        } else if moved.elapsed() > STALL {
            bar.abandon();
            anyhow::bail!("only {succeeded} of {} executions succeeded; {:?}", args.events, bench.statuses().await?);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let succeeded = started.elapsed();
    let cpu_after = threads_cpu();
    bar.finish_and_clear();
    let receiver = bench.receiver.counts();
    let executions = bench.count(None).await?;
    let statuses = bench.statuses().await?;
    bench.stop().await?;
    let (cpu_cores, threads) = cpu_between(&cpu_before, &cpu_after, succeeded);
    let result = ThroughputRun {
        events: args.events,
        append_s: append.as_secs_f64(),
        delivered_s: delivered.as_secs_f64(),
        succeeded_s: succeeded.as_secs_f64(),
        deliveries_per_second: args.events as f64 / delivered.as_secs_f64(),
        succeeded_per_second: args.events as f64 / succeeded.as_secs_f64(),
        receiver,
        executions,
        statuses,
        cpu_cores,
        threads,
    };
    eprintln!(
        "throughput run {}: {} events appended in {:.2} s, delivered in {:.2} s ({:.0}/s), all succeeded in {:.2} s ({:.0}/s); {} deliveries, {} duplicates; {:.2} cores",
        run + 1,
        result.events,
        result.append_s,
        result.delivered_s,
        result.deliveries_per_second,
        result.succeeded_s,
        result.succeeded_per_second,
        receiver.deliveries,
        receiver.duplicates,
        cpu_cores
    );
    anyhow::ensure!(executions == args.events, "{executions} executions for {} events", args.events);
    Ok(result)
}

#[derive(Serialize)]
struct Latencies {
    count: usize,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    max_ms: f64,
}

impl Latencies {
    fn of(mut ms: Vec<f64>) -> Latencies {
        ms.sort_by(f64::total_cmp);
        Latencies {
            count: ms.len(),
            p50_ms: percentile(&ms, 0.5),
            p90_ms: percentile(&ms, 0.9),
            p99_ms: percentile(&ms, 0.99),
            p999_ms: percentile(&ms, 0.999),
            max_ms: ms.last().copied().unwrap_or(f64::NAN),
        }
    }
}

#[derive(Serialize)]
struct LatencyRun {
    /// Events measured (the warm-up's are not).
    events: usize,
    achieved_rate: f64,
    /// From calling append (the event's `time`) to the webhook's arrival.
    append_to_arrival: Latencies,
    /// From the append's acknowledgement (durable) to the webhook's arrival.
    acknowledged_to_arrival: Latencies,
    /// The append itself.
    append: Latencies,
    /// The stages in between, from what the server records (wall clock): the event's time
    /// to the dispatcher's (before its durable write); that to the attempt's start (after
    /// the dispatch is committed, the worker woken and its lease committed); that to the
    /// arrival (admission with its decision record, then the POST).
    stages: BTreeMap<&'static str, Latencies>,
    receiver: Counts,
    statuses: BTreeMap<&'static str, u64>,
    cpu_cores: f64,
    threads: BTreeMap<String, f64>,
}

/// One event appended by the latency run.
struct Sent {
    execution: Uuid,
    time: DateTime<Utc>,
    called: Instant,
    acknowledged: Instant,
}

async fn latency(
    args: &BenchActionsArgs,
    dir: &Path,
    durability: Durability,
    run: usize,
) -> anyhow::Result<LatencyRun> {
    let bench = Bench::start(args, dir, durability).await?;
    let warmup = args.rate;
    let measured = (args.rate as f64 * args.seconds).round() as u64;
    let bar = counter(
        warmup + measured,
        &format!("latency run {} of {}: {} events/s, webhooks delivered", run + 1, args.runs, args.rate),
    );
    let period = Duration::from_secs_f64(1.0 / args.rate as f64);
    let sent = Arc::new(Mutex::new(Vec::with_capacity(measured as usize)));
    let mut appends = tokio::task::JoinSet::new();
    let mut cpu_before = None;
    let started = tokio::time::Instant::now();
    let first = started + period.mul_f64(warmup as f64);
    for i in 0..warmup + measured {
        tokio::time::sleep_until(started + period.mul_f64(i as f64)).await;
        if i == warmup {
            cpu_before = Some(threads_cpu());
        }
        let (store, sent) = (bench.app.store.clone(), sent.clone());
        let measuring = i >= warmup;
        appends.spawn(async move {
            let stream = format!("bench-{}", Uuid::now_v7());
            let event = event(&stream);
            let (id, time) = (event.id, event.time);
            let called = Instant::now();
            store.append(&stream, ExpectedVersion::Exactly(0), vec![event]).await?;
            let acknowledged = Instant::now();
            if measuring {
                let execution = execution_id(id, RULE);
                sent.lock().expect("sent").push(Sent { execution, time, called, acknowledged });
            }
            anyhow::Ok(())
        });
        if i % 64 == 0 {
            bar.set_position(bench.receiver.counts().distinct);
        }
    }
    let appended = first.elapsed();
    while let Some(done) = appends.join_next().await {
        done??;
    }
    bench.wait_for_deliveries(warmup + measured, &bar).await?;
    let window = first.elapsed();
    let cpu_after = threads_cpu();
    bar.set_message("reading the executions' records");
    let sent = std::mem::take(&mut *sent.lock().expect("sent"));
    let arrivals = bench.receiver.arrivals();
    let mut to_arrival = Vec::new();
    let mut from_ack = Vec::new();
    let mut append = Vec::new();
    let mut stages: [Vec<f64>; 3] = Default::default();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let wall_ms = |from: DateTime<Utc>, to: DateTime<Utc>| (to - from).num_microseconds().unwrap_or(0) as f64 / 1e3;
    for s in &sent {
        let arrival = arrivals.get(&s.execution).context("a measured event's webhook never arrived")?;
        to_arrival.push(ms(arrival.at.saturating_duration_since(s.called)));
        from_ack.push(ms(arrival.at.saturating_duration_since(s.acknowledged)));
        append.push(ms(s.acknowledged - s.called));
        let view = bench.app.actions.executions.get(s.execution).await?.context("an execution is missing")?;
        if let Some(attempt) = view.history.first() {
            stages[0].push(wall_ms(s.time, view.created_at));
            stages[1].push(wall_ms(view.created_at, attempt.started_at));
            stages[2].push(wall_ms(attempt.started_at, arrival.utc));
        }
    }
    bar.finish_and_clear();
    let receiver = bench.receiver.counts();
    let statuses = bench.statuses().await?;
    bench.stop().await?;
    let (cpu_cores, threads) = cpu_between(cpu_before.as_ref().unwrap_or(&cpu_after), &cpu_after, window);
    let [dispatched, started_attempt, arrived] = stages;
    let result = LatencyRun {
        events: sent.len(),
        achieved_rate: sent.len() as f64 / appended.as_secs_f64(),
        append_to_arrival: Latencies::of(to_arrival),
        acknowledged_to_arrival: Latencies::of(from_ack),
        append: Latencies::of(append),
        stages: BTreeMap::from([
            ("1 event time → dispatched", Latencies::of(dispatched)),
            ("2 dispatched → attempt started", Latencies::of(started_attempt)),
            ("3 attempt started → arrival", Latencies::of(arrived)),
        ]),
        receiver,
        statuses,
        cpu_cores,
        threads,
    };
    eprintln!(
        "latency run {}: {} events at {:.0}/s; append → action start p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms; stages p99: {}",
        run + 1,
        result.events,
        result.achieved_rate,
        result.append_to_arrival.p50_ms,
        result.append_to_arrival.p99_ms,
        result.append_to_arrival.p999_ms,
        result.append_to_arrival.max_ms,
        result.stages.iter().map(|(k, v)| format!("{k} {:.2} ms", v.p99_ms)).collect::<Vec<_>>().join(", ")
    );
    Ok(result)
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}").expect("a valid template"));
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn counter(length: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .expect("a valid template"),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The machine's load average (1, 5, 15 minutes).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// CPU seconds of each thread of this process, by thread id, with the thread's name.
fn threads_cpu() -> HashMap<u32, (String, f64)> {
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut threads = HashMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return threads };
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
        let Some((head, rest)) = stat.rsplit_once(')') else { continue };
        let name = head.split_once('(').map(|(_, n)| n.to_owned()).unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let cpu = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        threads.insert(tid, (name, (cpu(11) + cpu(12)) / ticks));
    }
    threads
}

/// Cores used between two readings, in all and per thread name (threads that ended in
/// between are not counted).
fn cpu_between(
    before: &HashMap<u32, (String, f64)>,
    after: &HashMap<u32, (String, f64)>,
    window: Duration,
) -> (f64, BTreeMap<String, f64>) {
    let mut by_name = BTreeMap::<String, f64>::new();
    for (tid, (name, seconds)) in after {
        let earlier = before.get(tid).map_or(0.0, |(_, s)| *s);
        *by_name.entry(name.clone()).or_default() += (seconds - earlier) / window.as_secs_f64();
    }
    let total = by_name.values().sum();
    by_name.retain(|_, cores| *cores >= 0.005);
    (total, by_name)
}
