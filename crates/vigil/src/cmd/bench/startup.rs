//! `vigil bench startup`: the cold start of `vigil serve` and full projection rebuilds over a
//! large store (10 million events by default), beside a raw SQLite read of the same events.
//!
//! The store is built first (see [`generate`]) unless `--reuse` names one. Then, `runs`
//! times each:
//! - **cold start**: the real binary (`current_exe() serve`) on the data directory, timed
//!   from spawning the process until `GET /readyz` answers 200; its RSS at that moment; the
//!   latency of the first command it serves (an agent's heartbeat for a host whose
//!   heartbeat failed: through the gate to an append) and of a second one; then SIGTERM;
//! - **rebuild** of each projection, as `vigil projections rebuild NAME` does it, in events
//!   of the store per second;
//! - **baseline**: every column of every row of `events`, read in position order by one
//!   plain SQLite statement.

mod generate;

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use vigil_server::app::{lock_data_dir, read_model_names, rebuild_projection};
use vigil_server::config::ServerConfig;

use super::{Figure, machine, scratch, write_json};
use crate::args::BenchStartupArgs;

pub async fn run(args: BenchStartupArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.runs >= 1, "--runs must be at least 1");
    let rebuilds: Vec<String> = match args.rebuild.as_slice() {
        [] => read_model_names().map(str::to_owned).collect(),
        [none] if none == "none" => Vec::new(),
        names => names.to_vec(),
    };
    if let Some(unknown) = rebuilds.iter().find(|n| !read_model_names().any(|known| known == n.as_str())) {
        anyhow::bail!("no projection `{unknown}`; known: {}", read_model_names().collect::<Vec<_>>().join(", "));
    }
    let mut scratch_dir = None;
    let (data_dir, generated) = match &args.reuse {
        Some(dir) => {
            anyhow::ensure!(dir.join("vigil.db").exists(), "no vigil.db in {}", dir.display());
            (dir.clone(), None)
        }
        None => {
            let dir = scratch(&args.dir)?;
            let data_dir = dir.path().join("data");
            let fixtures = args.fixtures.clone().unwrap_or_else(generate::default_fixtures);
            eprintln!(
                "vigil bench startup: building {} events over {} hosts in {} (load average {})",
                args.events,
                args.hosts,
                data_dir.display(),
                load_average()
            );
            let generated = generate::generate(&data_dir, &fixtures, args.hosts, args.events).await?;
            scratch_dir = Some(dir);
            (data_dir, Some(generated))
        }
    };
    if args.keep
        && let Some(dir) = scratch_dir.take()
    {
        let kept = dir.keep();
        eprintln!("kept {} (measure it again with --reuse {})", kept.display(), kept.join("data").display());
    }

    let store = describe(&data_dir)?;
    eprintln!("store: {store}");
    let mut figures = Vec::new();
    let mut loads = vec![("start".to_owned(), load_average())];

    let samples = (0..args.runs).map(|_| raw_read(&data_dir)).collect::<anyhow::Result<Vec<_>>>()?;
    figures.push(Figure::new("baseline: raw SQLite sequential read of events", "rows/s", samples));
    loads.push(("after baseline".to_owned(), load_average()));

    let mut starts = Vec::new();
    for run in 0..args.runs {
        starts.push(cold_start(&data_dir, run, args.drop_caches).await?);
    }
    let column = |f: fn(&ColdStart) -> f64| starts.iter().map(f).collect::<Vec<_>>();
    figures.push(Figure::new("cold start: spawn → /readyz 200", "ms", column(|s| s.ready_ms)));
    figures.push(Figure::new("cold start: RSS when ready", "MiB", column(|s| s.rss_mib)));
    figures.push(Figure::new("first command after start (heartbeat → append)", "ms", column(|s| s.first_ms)));
    figures.push(Figure::new("second command after start", "ms", column(|s| s.second_ms)));
    figures.push(Figure::new("stop: SIGTERM → exit", "ms", column(|s| s.stop_ms)));
    loads.push(("after cold starts".to_owned(), load_average()));

    for name in &rebuilds {
        let mut samples = Vec::new();
        for _ in 0..args.runs {
            samples.push(rebuild(&data_dir, name).await?);
        }
        figures.push(Figure::new(format!("rebuild {name}"), "events/s", samples));
        loads.push((format!("after rebuild {name}"), load_average()));
    }
    eprintln!("load average: {}", loads.iter().map(|(at, l)| format!("{at}: {l}")).collect::<Vec<_>>().join("; "));
    write_json(
        &args.json,
        json!({
            "benchmark": "startup",
            "machine": machine(),
            "store": store,
            "generated": generated,
            "page_cache": if args.drop_caches { "dropped before each start" } else { "warm" },
            "load_average": loads.into_iter().map(|(at, l)| json!({"at": at, "load": l})).collect::<Vec<_>>(),
            "figures": figures,
        }),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The machine's load average (1, 5, 15 minutes), as `uptime` shows it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// What the data directory holds.
fn describe(data_dir: &Path) -> anyhow::Result<Value> {
    let conn = open_read_only(data_dir)?;
    let count = |sql: &str| -> anyhow::Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let file_bytes = std::fs::metadata(data_dir.join("vigil.db"))?.len();
    Ok(json!({
        "events": count("SELECT COALESCE(MAX(position), 0) FROM events")?,
        "audit_records": count("SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_records")?,
        "audit_heads": count("SELECT COUNT(*) FROM audit_heads")?,
        "snapshots": count("SELECT COUNT(*) FROM snapshots")?,
        "hosts": count("SELECT COUNT(*) FROM hosts")?,
        "clusters": count("SELECT COUNT(*) FROM clusters")?,
        "databases": count("SELECT COUNT(*) FROM databases")?,
        "sap_systems": count("SELECT COUNT(*) FROM sap_systems")?,
        "discovery_log": count("SELECT COUNT(*) FROM discovery_log")?,
        "database_gib": file_bytes as f64 / (1u64 << 30) as f64,
    }))
}

fn open_read_only(data_dir: &Path) -> anyhow::Result<rusqlite::Connection> {
    let path = data_dir.join("vigil.db");
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// Every column of every event, in position order, through one prepared statement: what
/// SQLite itself reads per second on this machine. Returns rows per second.
fn raw_read(data_dir: &Path) -> anyhow::Result<f64> {
    let conn = open_read_only(data_dir)?;
    let started = Instant::now();
    let mut stmt = conn.prepare(
        "SELECT position, stream_id, stream_version, event_id, event_type, schema_version, source, subject, time_us,
                data, correlation_id, causation_id FROM events ORDER BY position",
    )?;
    let mut rows = stmt.query([])?;
    let (mut n, mut bytes) = (0u64, 0usize);
    while let Some(row) = rows.next()? {
        for i in 0..12 {
            bytes += match row.get_ref(i)? {
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => t.len(),
                _ => 8,
            };
        }
        n += 1;
    }
    anyhow::ensure!(n > 0 && bytes > 0, "the store is empty");
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// One cold start's figures.
struct ColdStart {
    ready_ms: f64,
    rss_mib: f64,
    first_ms: f64,
    second_ms: f64,
    stop_ms: f64,
}

/// Starts `vigil serve` on `data_dir`, times it until ready, sends it two heartbeats of hosts
/// whose heartbeat failed (each a `RecordHeartbeat` through the gate that appends an
/// event), and stops it.
async fn cold_start(data_dir: &Path, run: usize, drop_caches: bool) -> anyhow::Result<ColdStart> {
    let hosts = failed_hosts(data_dir, run)?;
    // Live agents would have kept their timestamps fresh: the checker must not fail every
    // host the moment the server starts.
    refresh_heartbeats(data_dir)?;
    if drop_caches {
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
        std::fs::write("/proc/sys/vm/drop_caches", "3").context("dropping the page cache needs root")?;
    }
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?
    };
    let log_path = std::env::temp_dir().join(format!("vigil-bench-startup-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path)?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(data_dir)
        .env("VIGIL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("the server exited at once")?;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let base = format!("http://{addr}");
    loop {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            break;
        }
        if let Some(status) = child.try_wait()? {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            anyhow::bail!("vigil serve exited with {status} before it was ready:\n{log}");
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(300), "vigil serve was not ready within 300 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let ready = started.elapsed();
    let rss_mib = rss_kib(pid)? as f64 / 1024.0;
    let key = std::fs::read_to_string(data_dir.join("agent-api-key")).context("no agent key")?.trim().to_owned();
    let mut latencies = Vec::new();
    for host in &hosts {
        let sent = Instant::now();
        let response =
            client.post(format!("{base}/api/v1/hosts/{host}/heartbeat")).header("X-Trento-Apikey", &key).send().await?;
        let latency = sent.elapsed();
        anyhow::ensure!(response.status().as_u16() == 204, "heartbeat of {host}: {}", response.status());
        latencies.push(latency.as_secs_f64() * 1e3);
    }
    let stopping = Instant::now();
    // SAFETY: kill(2) on the pid of the child this process spawned and has not reaped.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let status =
        tokio::time::timeout(Duration::from_secs(120), child.wait()).await.context("no exit after SIGTERM")??;
    let stop = stopping.elapsed();
    anyhow::ensure!(status.success(), "vigil serve exited with {status}: see {}", log_path.display());
    let _ = std::fs::remove_file(&log_path);
    let figures = ColdStart {
        ready_ms: ready.as_secs_f64() * 1e3,
        rss_mib,
        first_ms: latencies[0],
        second_ms: latencies[1],
        stop_ms: stop.as_secs_f64() * 1e3,
    };
    eprintln!(
        "run {}: ready in {:.0} ms, RSS {:.0} MiB, first command {:.1} ms, second {:.1} ms, stop {:.0} ms (load {})",
        run + 1,
        figures.ready_ms,
        figures.rss_mib,
        figures.first_ms,
        figures.second_ms,
        figures.stop_ms,
        load_average()
    );
    Ok(figures)
}

/// Two hosts whose heartbeat failed, different ones for each run.
fn failed_hosts(data_dir: &Path, run: usize) -> anyhow::Result<Vec<String>> {
    let conn = open_read_only(data_dir)?;
    let mut stmt = conn.prepare(
        "SELECT id FROM hosts WHERE heartbeat = 'critical' AND deregistered_at IS NULL ORDER BY id LIMIT 2 OFFSET ?1",
    )?;
    let hosts = stmt.query_map([run as i64 * 2], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    anyhow::ensure!(hosts.len() == 2, "the store has too few hosts whose heartbeat failed");
    Ok(hosts)
}

fn refresh_heartbeats(data_dir: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(data_dir.join("vigil.db"))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    conn.execute("UPDATE heartbeats SET last_heartbeat_at = ?1", [now])?;
    Ok(())
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .context("no VmRSS")
}

/// `vigil projections rebuild NAME`, timed. Returns the store's events per second.
async fn rebuild(data_dir: &Path, name: &str) -> anyhow::Result<f64> {
    let config = ServerConfig { data_dir: PathBuf::from(data_dir), ..Default::default() };
    let _lock = lock_data_dir(data_dir)?;
    let bar = generate::progress_bar(0, &format!("rebuild {name}"));
    let started = Instant::now();
    let head = rebuild_projection(&config, name, |position, head| {
        bar.set_length(head);
        bar.set_position(position);
    })
    .await?;
    let elapsed = started.elapsed();
    bar.finish_and_clear();
    let rate = head as f64 / elapsed.as_secs_f64();
    eprintln!("rebuild {name}: {:.1} s, {rate:.0} events/s (load {})", elapsed.as_secs_f64(), load_average());
    Ok(rate)
}
