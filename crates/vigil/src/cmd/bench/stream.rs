//! `vigil bench stream`: the live stream (`GET /api/v1/stream`) under an agent fleet.
//!
//! Two phases, each on a fresh `vigil serve` (this binary): `vigil loadgen --url` runs the
//! fleet against it, once with no WebSocket client and once with `--clients` clients
//! subscribed to every topic plus `--slow-clients` that never read. The clients connect once
//! the fleet is registered (after loadgen's ramp and warm-up), and measure the fleet's steady
//! state. Each client records, for
//! every event that arrives during loadgen's measured window, its arrival time minus the
//! event's `time` (one machine, one clock), and checks that positions come without a gap.
//! The server's CPU and RSS are loadgen's own measurement of the server over its window, so
//! the two phases compare like with like.

use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::args::BenchStreamArgs;
use crate::cmd::loadgen::server::Target;

/// How long the clients have to connect, after the fleet's ramp and warm-up, before the
/// measured window.
const CONNECT: Duration = Duration::from_secs(20);

pub async fn run(args: BenchStreamArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.clients >= 1, "--clients must be at least 1 (the run without clients is made anyway)");
    anyhow::ensure!(
        args.warmup >= args.ramp + Duration::from_secs(10),
        "--warmup must be at least --ramp + 10 s: the clients connect once the fleet is registered"
    );
    let without = phase(&args, 0, 0).await.context("the run without clients")?;
    let with = phase(&args, args.clients, args.slow_clients).await.context("the run with clients")?;
    let per_thousand = |f: fn(&Phase) -> f64| (f(&with) - f(&without)) * 1000.0 / args.clients as f64;
    let text = serde_json::to_string_pretty(&json!({
        "benchmark": "stream",
        "durability": args.durability,
        "agents": args.agents,
        "change_share": args.change_share,
        "clients": args.clients,
        "slow_clients": args.slow_clients,
        "stream_queue": args.stream_queue,
        "duration_s": args.duration.as_secs_f64(),
        "machine": crate::cmd::bench::machine(),
        "date": Utc::now().to_rfc3339(),
        "added_per_1000_clients": {
            "server_cpu_cores": per_thousand(|p| p.server_cpu_cores),
            "server_rss_mib": per_thousand(|p| p.server_rss_mib),
        },
        "without_clients": without,
        "with_clients": with,
    }))?;
    if let Some(path) = &args.json {
        std::fs::write(path, &text)?;
    }
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct Phase {
    clients: usize,
    /// Server CPU seconds per second over loadgen's window (2.0: both cores of this machine).
    server_cpu_cores: f64,
    server_rss_mib: f64,
    /// Events the store took per second over the window (what every client gets).
    events_per_second: f64,
    /// Append (the event's `time`) → arrival at a reading client, over every client and event.
    delivery: Latency,
    /// The median over clients of each client's own p99.
    median_client_p99_ms: f64,
    /// Messages that arrived at reading clients during the window.
    messages: u64,
    /// Events that arrived at reading clients from their connection to the end.
    events_received: u64,
    /// Messages that were not the JSON the stream sends (must be 0).
    unreadable: u64,
    /// A position that did not follow the one before (must be 0).
    gaps: u64,
    /// Reading clients the server closed (must be 0), with why.
    reading_clients_closed: Vec<String>,
    /// What became of the clients that never read: the close code and reason they found
    /// once they read at last, or what else happened.
    slow_clients: Vec<String>,
    /// loadgen's own figures (requests, read-model latency, its verdict).
    loadgen: Value,
}

#[derive(Serialize, Default)]
struct Latency {
    count: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Latency {
    fn of(samples: &mut [f64]) -> Latency {
        samples.sort_by(f64::total_cmp);
        let q = |q| crate::cmd::bench::percentile(samples, q);
        Latency {
            count: samples.len(),
            p50_ms: q(0.5),
            p99_ms: q(0.99),
            max_ms: samples.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// What one reading client saw.
#[derive(Default)]
struct Seen {
    samples: Vec<f64>,
    /// Every event that arrived, in the window or not.
    events: u64,
    /// Messages that were not the JSON expected.
    unreadable: u64,
    gaps: u64,
    closed: Option<String>,
}

#[derive(Deserialize)]
struct Frame {
    #[serde(rename = "type")]
    kind: String,
    position: Option<u64>,
    event: Option<FrameEvent>,
}

#[derive(Deserialize)]
struct FrameEvent {
    time: Option<DateTime<Utc>>,
}

async fn phase(args: &BenchStreamArgs, clients: usize, slow: usize) -> anyhow::Result<Phase> {
    let extra = vec![
        "--stream-queue".to_owned(),
        args.stream_queue.to_string(),
        "--stream-max-clients".to_owned(),
        (clients + slow + 16).to_string(),
        "--max-connections".to_owned(),
        (args.agents * 2 + clients + slow + 1024).to_string(),
    ];
    let target = Target::start_with(args.dir.as_deref(), &args.durability, None, &extra).await?;
    let url = format!("{}/api/v1/stream", target.base.replacen("http://", "ws://", 1));
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(tokio::sync::Notify::new());

    // The fleet first: its registration (tens of thousands of events within the ramp) is not
    // what the stream is measured on. The clients connect at the end of `--warmup`, and
    // loadgen's warm-up is longer by `CONNECT`, so that its measured window (and the
    // server's CPU and RSS in it) starts once they are connected.
    let report = tempfile::NamedTempFile::new()?;
    let mut loadgen = tokio::process::Command::new(std::env::current_exe()?);
    loadgen
        .args(["loadgen", "--url", &target.base, "--api-key", &target.api_key, "--token", &target.token])
        .args(["--agents", &args.agents.to_string()])
        .args(["--change-share", &args.change_share.to_string()])
        .args(["--duration", &format!("{}s", args.duration.as_secs_f64())])
        .args(["--ramp", &format!("{}s", args.ramp.as_secs_f64())])
        .args(["--warmup", &format!("{}s", (args.warmup + CONNECT).as_secs_f64())])
        .arg("--json")
        .arg(report.path())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(pid) = target.pid {
        loadgen.args(["--server-pid", &pid.to_string()]);
    }
    let mut child = loadgen.spawn().context("cannot start vigil loadgen")?;
    // loadgen's warm-up counts from its start: it measures from `warmup + CONNECT` on.
    tokio::time::sleep(args.warmup).await;

    let connecting = std::time::Instant::now();
    let mut readers = Vec::new();
    for _ in 0..clients {
        let socket = connect(&url, &target.token, false).await?;
        readers.push(tokio::spawn(read_all(socket, measuring.clone(), stop.clone())));
    }
    let mut idle = Vec::new();
    for _ in 0..slow {
        idle.push(connect(&url, &target.token, true).await?);
    }
    eprintln!(
        "stream bench: {clients} clients (+{slow} that never read) connected in {:.1} s",
        connecting.elapsed().as_secs_f64()
    );
    tokio::time::sleep(CONNECT.saturating_sub(connecting.elapsed())).await;
    let head_at = |t: &Target| {
        let base = t.base.clone();
        let token = t.token.clone();
        async move { head(&base, &token).await }
    };
    let first = head_at(&target).await?;
    let started = std::time::Instant::now();
    measuring.store(true, Ordering::Relaxed);
    let status = child.wait().await?;
    measuring.store(false, Ordering::Relaxed);
    let window = started.elapsed().as_secs_f64();
    let last = head_at(&target).await?;
    anyhow::ensure!(status.success(), "vigil loadgen failed: {status}");
    let loadgen: Value = serde_json::from_str(&std::fs::read_to_string(report.path())?)?;
    let result = &loadgen["result"];

    let mut slow_clients = Vec::new();
    for socket in idle {
        slow_clients.push(drain_until_close(socket).await);
    }
    stop.notify_waiters();
    let mut samples = Vec::new();
    let mut client_p99 = Vec::new();
    let (mut gaps, mut closed, mut events_received, mut unreadable) = (0, Vec::new(), 0, 0);
    for reader in readers {
        let mut seen = reader.await?;
        gaps += seen.gaps;
        events_received += seen.events;
        unreadable += seen.unreadable;
        closed.extend(seen.closed.take());
        if !seen.samples.is_empty() {
            seen.samples.sort_by(f64::total_cmp);
            client_p99.push(crate::cmd::bench::percentile(&seen.samples, 0.99));
        }
        samples.extend(seen.samples);
    }
    client_p99.sort_by(f64::total_cmp);
    target.stop().await;
    Ok(Phase {
        clients,
        server_cpu_cores: result["server"]["cpu_cores"].as_f64().unwrap_or(f64::NAN),
        server_rss_mib: result["server"]["rss_mib"].as_f64().unwrap_or(f64::NAN),
        events_per_second: (last - first) as f64 / window,
        messages: samples.len() as u64,
        events_received,
        unreadable,
        delivery: Latency::of(&mut samples),
        median_client_p99_ms: crate::cmd::bench::percentile(&client_p99, 0.5),
        gaps,
        reading_clients_closed: closed,
        slow_clients,
        loadgen: json!({
            "requests": result["requests"],
            "read_model": result["read_model"],
            "achieved_per_second": result["achieved_per_second"],
            "error_rate": result["error_rate"],
            "loadgen_cpu_cores": result["loadgen"]["cpu_cores"],
            "verdict": result["verdict"],
        }),
    })
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A client subscribed to every topic. A slow one has a tiny receive buffer, so that the
/// server's socket fills after a few messages rather than after megabytes.
async fn connect(url: &str, token: &str, slow: bool) -> anyhow::Result<Socket> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    if !slow {
        let (socket, _) = tokio_tungstenite::connect_async(request).await.context("cannot connect a client")?;
        return Ok(socket);
    }
    let address: std::net::SocketAddr =
        url.trim_start_matches("ws://").split('/').next().context("no address in the stream URL")?.parse()?;
    let tcp = tokio::net::TcpSocket::new_v4()?;
    tcp.set_recv_buffer_size(4096)?;
    let stream = tcp.connect(address).await?;
    let (socket, _) = tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
        .context("cannot connect a slow client")?;
    Ok(socket)
}

async fn read_all(mut socket: Socket, measuring: Arc<AtomicBool>, stop: Arc<tokio::sync::Notify>) -> Seen {
    let mut seen = Seen::default();
    let mut last: Option<u64> = None;
    let stopped = stop.notified();
    tokio::pin!(stopped);
    loop {
        let message = tokio::select! {
            m = socket.next() => m,
            () = &mut stopped => return seen,
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                seen.closed =
                    Some(frame.map_or("closed without a reason".into(), |f| format!("{}: {}", f.code, f.reason)));
                return seen;
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                seen.closed = Some(format!("error: {e}"));
                return seen;
            }
            None => {
                seen.closed = Some("the connection ended".into());
                return seen;
            }
        };
        let arrived = Utc::now();
        let frame = match serde_json::from_str::<Frame>(&text) {
            Ok(frame) => frame,
            Err(error) => {
                seen.unreadable += 1;
                if seen.unreadable == 1 {
                    eprintln!("stream bench: a message that does not read ({error}): {}", &text[..text.len().min(300)]);
                }
                continue;
            }
        };
        match frame.kind.as_str() {
            "welcome" | "caught_up" => last = frame.position.or(last),
            "event" => {
                let position = frame.position.unwrap_or_default();
                if last.is_some_and(|l| position != l + 1) {
                    seen.gaps += 1;
                }
                last = Some(position);
                seen.events += 1;
                if measuring.load(Ordering::Relaxed)
                    && let Some(time) = frame.event.and_then(|e| e.time)
                {
                    seen.samples.push((arrived - time).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0);
                }
            }
            _ => {}
        }
    }
}

/// Reads what reached a client that never read, up to the close frame.
async fn drain_until_close(mut socket: Socket) -> String {
    let mut messages = 0u64;
    let outcome = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return format!("closed {}: {}", frame.code, frame.reason),
                Some(Ok(Message::Close(None))) => return "closed without a reason".to_owned(),
                Some(Ok(_)) => messages += 1,
                Some(Err(e)) => return format!("error: {e}"),
                None => return "the connection ended without a close frame".to_owned(),
            }
        }
    })
    .await;
    let outcome = outcome.unwrap_or_else(|_| "still open after 30 s of reading: never closed".to_owned());
    format!("{outcome} (after {messages} messages)")
}

/// The store's head, from `/readyz`'s projections (the hosts projection trails it by little)
/// or the events listing.
async fn head(base: &str, token: &str) -> anyhow::Result<u64> {
    let client = reqwest::Client::new();
    let ready: Value = client.get(format!("{base}/readyz")).bearer_auth(token).send().await?.json().await?;
    let positions = ready["projections"].as_object().context("no projections in /readyz")?;
    Ok(positions.values().filter_map(Value::as_u64).max().unwrap_or(0))
}
