//! `vigil bench lake`: the lake's write rate beside `parquet` writing the same rows directly,
//! bytes per event, the sink catching up from a SQLite store, DuckDB aggregate queries over
//! the lake beside the same queries over the store, and the analytics' CPU per event.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_kernel::envelope::{NewEvent, RecordedEvent};
use vigil_kernel::projection::{Projection, ProjectionRunner};
use vigil_kernel::store::EventStore;
use vigil_lake::{LakeConfig, LakeSink};
use vigil_store::SqliteEventStore;
use vigil_store::sqlite::{Db, DbOptions};

use super::{Figure, sample_data};
use crate::args::BenchLakeArgs;

/// Hosts the synthetic events are about.
const HOSTS: u64 = 10_000;

/// The first event's time; each next one is 50 ms later (10 M events: almost six days).
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

/// Event `i` of the synthetic mix: 60 % host details (about 600 bytes of JSON), 20 %
/// heartbeat flips, 10 % cluster health, 5 % database and 5 % SAP system health, spread
/// over `HOSTS` hosts and their clusters.
fn synthetic(i: u64, versions: &mut HashMap<String, u64>, details: &[String]) -> RecordedEvent {
    let host_index = i * 7919 % HOSTS;
    let host = Uuid::from_u128(host_index as u128);
    let cluster = Uuid::from_u128(1_000_000 + (i * 7919 % HOSTS / 4) as u128);
    let health = ["passing", "warning", "critical"][(i / 20 % 3) as usize];
    let (stream, event_type, data, source) = match i % 20 {
        0..=11 => (
            format!("host-{host}"),
            "HostDetailsUpdated",
            details[host_index as usize % details.len()].clone(),
            format!("/vigil/agents/{host}"),
        ),
        12..=15 => {
            let kind = if i.is_multiple_of(2) { "HeartbeatFailed" } else { "HeartbeatSucceeded" };
            (format!("host-{host}"), kind, format!(r#"{{"host_id":"{host}"}}"#), "/vigil/heartbeats".to_owned())
        }
        16 | 17 => (
            format!("cluster-{cluster}"),
            "ClusterHealthChanged",
            format!(r#"{{"cluster_id":"{cluster}","health":"{health}"}}"#),
            format!("/vigil/agents/{host}"),
        ),
        18 => (
            format!("database-{cluster}"),
            "DatabaseHealthChanged",
            format!(r#"{{"database_id":"{cluster}","health":"{health}"}}"#),
            format!("/vigil/agents/{host}"),
        ),
        _ => (
            format!("sap_system-{cluster}"),
            "SapSystemHealthChanged",
            format!(r#"{{"sap_system_id":"{cluster}","health":"{health}"}}"#),
            "/vigil/process-manager".to_owned(),
        ),
    };
    let version = versions.entry(stream.clone()).or_default();
    *version += 1;
    let subject = stream.split_once('-').map_or("", |(_, s)| s).to_owned();
    RecordedEvent {
        position: i + 1,
        stream_id: stream,
        stream_version: *version,
        event: NewEvent {
            id: Uuid::from_u128(0xbe00_0000_0000_0000_0000_0000_0000_0000 | i as u128),
            event_type: event_type.to_owned(),
            schema_version: 1,
            source,
            subject,
            time: start() + chrono::Duration::milliseconds(50 * i as i64),
            data,
            correlation_id: i.is_multiple_of(3).then(|| Uuid::from_u128(i as u128)),
            causation_id: None,
        },
    }
}

/// Each host's details (about 600 bytes of JSON, its own id and name in them), built once.
fn details() -> Vec<String> {
    (0..HOSTS).map(sample_data).collect()
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!("{{spinner}} {what} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} ({{per_sec}})");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

fn dir_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        total += if path.is_dir() { dir_bytes(&path) } else { entry.metadata().map(|m| m.len()).unwrap_or(0) };
    }
    total
}

pub async fn run(args: BenchLakeArgs) -> anyhow::Result<ExitCode> {
    let scratch = super::scratch(&args.dir)?;
    let runs = args.runs.max(1);
    let details = details();
    let mut figures = Vec::new();
    let started = Utc::now();

    // 1. The sink's write rate beside parquet writing the same rows directly.
    let mut versions = HashMap::new();
    let events: Vec<RecordedEvent> = (0..args.events).map(|i| synthetic(i, &mut versions, &details)).collect();
    let batch_size = 5000;
    let (mut sink_rates, mut raw_rates, mut bytes_per_event, mut raw_bytes) = (vec![], vec![], vec![], vec![]);
    for run in 0..runs {
        let batches: Vec<Vec<RecordedEvent>> = events.chunks(batch_size).map(<[_]>::to_vec).collect();
        let lake = scratch.path().join(format!("sink-{run}"));
        let (_, head) = tokio::sync::watch::channel(args.events);
        let config = LakeConfig { roll_age: Duration::from_secs(3600), ..LakeConfig::at(&lake) };
        let sink = LakeSink::open(config, head.clone())?;
        let t = Instant::now();
        for batch in batches {
            sink.apply(batch).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        sink.roll().await?;
        let seconds = t.elapsed().as_secs_f64();
        sink_rates.push(args.events as f64 / seconds);
        bytes_per_event.push(dir_bytes(&lake.join("events")) as f64 / args.events as f64);
        drop(sink);
        std::fs::remove_dir_all(&lake)?;

        // The same rows, as Arrow batches built beforehand, into one file by ArrowWriter.
        let refs: Vec<&RecordedEvent> = events.iter().collect();
        let batches: Vec<_> = refs.chunks(batch_size).map(vigil_lake::schema::event_batch).collect::<Result<_, _>>()?;
        let path = scratch.path().join(format!("raw-{run}.parquet"));
        let t = Instant::now();
        let file = std::fs::File::create(&path)?;
        let properties = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_max_row_group_row_count(Some(64 * 1024))
            .build();
        let mut writer = parquet::arrow::ArrowWriter::try_new(
            std::io::BufWriter::with_capacity(1 << 20, file),
            vigil_lake::schema::event_schema(),
            Some(properties),
        )?;
        for batch in &batches {
            writer.write(batch)?;
        }
        let file = writer.into_inner()?.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        raw_rates.push(args.events as f64 / t.elapsed().as_secs_f64());
        raw_bytes.push(std::fs::metadata(&path)?.len() as f64 / args.events as f64);
        std::fs::remove_file(&path)?;
    }
    let sink_median = median(&sink_rates);
    let raw_median = median(&raw_rates);
    figures.push(Figure::new(
        format!("lake sink write ({} events, batches of {batch_size})", args.events),
        "events/s",
        sink_rates,
    ));
    figures.push(Figure::new(
        "baseline: parquet ArrowWriter, same rows, prebuilt batches, one file",
        "events/s",
        raw_rates,
    ));
    figures.push(Figure::new("lake sink ÷ baseline", "ratio", vec![sink_median / raw_median]));
    figures.push(Figure::new("lake bytes per event (Snappy, partitioned)", "bytes", bytes_per_event));
    figures.push(Figure::new("baseline bytes per event (one file)", "bytes", raw_bytes));

    // 2. The analytics' CPU per event, on the same mix.
    let mut per_event = Vec::new();
    for _ in 0..runs {
        let mut detectors = vigil_analytics::Detectors::new(&Default::default()).map_err(anyhow::Error::msg)?;
        let t = cpu_time();
        let mut anomalies = 0;
        for e in &events {
            anomalies += detectors.observe_event(e).len();
        }
        per_event.push((cpu_time() - t) * 1e9 / args.events as f64);
        std::hint::black_box(anomalies);
    }
    figures.push(Figure::new("analytics: CPU per event (all detectors, this mix)", "ns", per_event));
    drop(events);

    // 3. A store of --query-events, the sink catching up from it, and the queries.
    let data_dir = scratch.path().join("store");
    std::fs::create_dir_all(&data_dir)?;
    build_store(&data_dir, args.query_events, &details).await?;
    let db = Db::open(&data_dir.join("vigil.db"), DbOptions::default())?;
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(db).await?);
    let lake = data_dir.join("lake");
    let sink = Arc::new(LakeSink::open(LakeConfig::at(&lake), store.head())?);
    let projection: Arc<dyn Projection> = sink.clone();
    let progress = bar(args.query_events, "lake catch-up");
    let t = Instant::now();
    ProjectionRunner::new(store.clone(), projection, 5000).catch_up(None, |p| progress.set_position(p)).await?;
    sink.roll().await?;
    let catch_up = args.query_events as f64 / t.elapsed().as_secs_f64();
    progress.finish_and_clear();
    figures.push(Figure::new(
        format!("lake sink catching up from SQLite ({} events)", args.query_events),
        "events/s",
        vec![catch_up],
    ));
    let lake_bytes = dir_bytes(&lake.join("events"));
    let db_bytes = std::fs::metadata(data_dir.join("vigil.db"))?.len();
    figures.push(Figure::new("lake size", "MiB", vec![lake_bytes as f64 / 1048576.0]));
    figures.push(Figure::new("SQLite store size", "MiB", vec![db_bytes as f64 / 1048576.0]));
    drop(sink);

    let python = match &args.python {
        Some(p) => p.clone(),
        None => duckdb_python(scratch.path())?,
    };
    let day = (start() + chrono::Duration::days(1)).date_naive();
    let day_start = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap()).timestamp_micros();
    let day_end = day_start + 86_400_000_000;
    let queries = [
        (
            "events per type, all",
            "SELECT type, count(*) FROM lake GROUP BY type".to_owned(),
            "SELECT event_type, count(*) FROM events GROUP BY event_type".to_owned(),
        ),
        (
            "heartbeat failures per hour of one day",
            format!(
                "SELECT date_trunc('hour', time) AS h, count(*) FROM lake WHERE topic = 'heartbeats' AND date = DATE '{day}' \
                 AND type = 'HeartbeatFailed' GROUP BY h"
            ),
            format!(
                "SELECT time_us / 3600000000, count(*) FROM events WHERE event_type = 'HeartbeatFailed' \
                 AND time_us >= {day_start} AND time_us < {day_end} GROUP BY 1"
            ),
        ),
        (
            "mean memory over every host-details event (JSON)",
            "SELECT avg(CAST(json_extract(data, '$.total_memory_mb') AS BIGINT)) FROM lake WHERE type = 'HostDetailsUpdated'"
                .to_owned(),
            "SELECT avg(json_extract(data, '$.total_memory_mb')) FROM events WHERE event_type = 'HostDetailsUpdated'".to_owned(),
        ),
    ];
    let duck = duckdb_times(&python, &lake, &queries.iter().map(|(_, d, _)| d.clone()).collect::<Vec<_>>(), runs)?;
    let conn =
        rusqlite::Connection::open_with_flags(data_dir.join("vigil.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    for (i, (name, _, sql)) in queries.iter().enumerate() {
        let mut times = Vec::new();
        let mut sqlite_rows = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let mut statement = conn.prepare(sql)?;
            sqlite_rows = statement.query_map([], |_| Ok(()))?.count();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let duck_times: Vec<f64> =
            duck["times"][i].as_array().context("duckdb times")?.iter().filter_map(Value::as_f64).collect();
        let duck_rows = duck["rows"][i].as_u64().unwrap_or(0);
        anyhow::ensure!(
            duck_rows as usize == sqlite_rows,
            "{name}: DuckDB gave {duck_rows} rows, SQLite {sqlite_rows}"
        );
        let ratio = median(&times) / median(&duck_times);
        figures.push(Figure::new(format!("DuckDB over the lake: {name}"), "ms", duck_times));
        figures.push(Figure::new(format!("SQLite over the store: {name}"), "ms", times));
        figures.push(Figure::new(format!("SQLite ÷ DuckDB: {name}"), "ratio", vec![ratio]));
    }

    let result = json!({
        "benchmark": "lake",
        "started": started.to_rfc3339(),
        "events": args.events,
        "query_events": args.query_events,
        "runs": runs,
        "machine": super::machine(),
        "figures": figures,
    });
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&result)?)?;
    }
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(ExitCode::SUCCESS)
}

fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// The calling thread's CPU time so far, in seconds.
pub(super) fn cpu_time() -> f64 {
    rusage_seconds(libc::RUSAGE_THREAD)
}

/// The whole process's CPU time so far (every thread), in seconds.
pub(super) fn process_cpu_time() -> f64 {
    rusage_seconds(libc::RUSAGE_SELF)
}

fn rusage_seconds(who: libc::c_int) -> f64 {
    let mut usage = libc::rusage {
        ru_utime: libc::timeval { tv_sec: 0, tv_usec: 0 },
        ru_stime: libc::timeval { tv_sec: 0, tv_usec: 0 },
        ..unsafe { std::mem::zeroed() }
    };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(who, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A store of `n` synthetic events, inserted straight into its `events` table in large
/// transactions (the store's own appends are measured by `vigil bench store`).
async fn build_store(data_dir: &Path, n: u64, details: &[String]) -> anyhow::Result<()> {
    {
        let db = Db::open(&data_dir.join("vigil.db"), DbOptions::default())?;
        SqliteEventStore::open(db).await?;
    }
    let mut conn = rusqlite::Connection::open(data_dir.join("vigil.db"))?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    let progress = bar(n, "building the store");
    let mut versions = HashMap::new();
    let mut i = 0;
    while i < n {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version, source, \
                 subject, time_us, data, correlation_id, causation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL)",
            )?;
            for _ in 0..100_000.min(n - i) {
                let r = synthetic(i, &mut versions, details);
                let e = &r.event;
                insert.execute(rusqlite::params![
                    r.position as i64,
                    r.stream_id,
                    r.stream_version as i64,
                    e.id.as_bytes(),
                    e.event_type,
                    e.schema_version,
                    e.source,
                    e.subject,
                    e.time.timestamp_micros(),
                    e.data,
                    e.correlation_id.map(|c| c.as_bytes().to_vec()),
                ])?;
                i += 1;
            }
        }
        tx.commit()?;
        progress.set_position(i);
    }
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    progress.finish_and_clear();
    Ok(())
}

/// A Python with DuckDB: a virtual environment made in `scratch` (PyPI `duckdb`).
fn duckdb_python(scratch: &Path) -> anyhow::Result<PathBuf> {
    let venv = scratch.join("duckdb-venv");
    let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().context("python3 -m venv")?;
    anyhow::ensure!(made.success(), "python3 could not make a virtual environment");
    let python = venv.join("bin/python");
    let installed = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "duckdb==2.0.1"])
        .status()?;
    anyhow::ensure!(installed.success(), "pip could not install duckdb (give --python a Python that has it)");
    Ok(python)
}

/// Each query's wall times (ms, `runs` of them, timed inside Python) and row count.
fn duckdb_times(python: &Path, lake: &Path, queries: &[String], runs: usize) -> anyhow::Result<Value> {
    let script = r#"
import json, sys, time, duckdb
lake, runs, queries = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
con = duckdb.connect()
con.sql("SET enable_progress_bar = false")
con.sql(f"CREATE VIEW lake AS SELECT * FROM read_parquet('{lake}/events/*/*/*.parquet', hive_partitioning = true)")
times, rows = [], []
for q in queries:
    t = []
    for _ in range(runs):
        start = time.perf_counter()
        n = len(con.sql(q).fetchall())
        t.append((time.perf_counter() - start) * 1000)
    times.append(t)
    rows.append(n)
print(json.dumps({"times": times, "rows": rows, "threads": con.sql("SELECT current_setting('threads')").fetchall()[0][0]}))
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(lake)
        .arg(runs.to_string())
        .arg(serde_json::to_string(queries)?)
        .output()?;
    anyhow::ensure!(out.status.success(), "duckdb: {}", String::from_utf8_lossy(&out.stderr));
    let value: Value = serde_json::from_slice(&out.stdout)?;
    eprintln!("DuckDB threads: {}", value["threads"]);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_mix_has_its_shares_and_gap_free_versions() {
        let mut versions = HashMap::new();
        let details = vec!["{}".to_owned()];
        let events: Vec<_> = (0..2000).map(|i| synthetic(i, &mut versions, &details)).collect();
        let share = |t: &str| events.iter().filter(|e| e.event.event_type == t).count() as f64 / 2000.0;
        assert_eq!(share("HostDetailsUpdated"), 0.6);
        assert_eq!(share("HeartbeatFailed") + share("HeartbeatSucceeded"), 0.2);
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for e in &events {
            let v = seen.entry(&e.stream_id).or_default();
            *v += 1;
            assert_eq!(e.stream_version, *v);
        }
    }
}
