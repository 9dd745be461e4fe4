//! `vigil bench bus`: events per second the relay moves from a SQLite store into JetStream,
//! beside raw async-nats JetStream publishes of the same payload, pipelined the same way, in
//! the same run against the same server.

use std::collections::VecDeque;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use serde_json::json;
use uuid::Uuid;
use vigil_bus::{BusSettings, Relay};
use vigil_kernel::store::{EventStore, ExpectedVersion};
use vigil_store::sqlite::Durability;

use super::{Figure, machine, new_event, open_store, scratch, write_json};
use crate::args::BenchBusArgs;

/// A nats-server of the benchmark's own, killed when dropped.
struct OwnServer(Child);

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(binary: &std::path::Path, store_dir: &std::path::Path) -> anyhow::Result<(OwnServer, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let server = OwnServer(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "nats-server did not listen within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((server, format!("nats://127.0.0.1:{port}")))
}

pub async fn run(args: BenchBusArgs) -> anyhow::Result<ExitCode> {
    let dir = scratch(&args.dir)?;
    let (_server, url) = match &args.url {
        Some(url) => (None, url.clone()),
        None => {
            let (server, url) = start_server(&args.nats_server, &dir.path().join("nats"))?;
            (Some(server), url)
        }
    };
    let client = async_nats::connect(&url).await.with_context(|| format!("cannot reach {url}"))?;
    let version = client.server_info().version;
    eprintln!(
        "vigil bench bus: {} events, {} in flight, {} runs, nats-server {version} at {url}, file storage",
        args.events, args.max_in_flight, args.runs
    );

    // The store the relay reads: built once, durability `normal` (it is not what is measured).
    let store: Arc<dyn EventStore> = Arc::new(open_store(dir.path(), Durability::Normal).await?);
    let mut appended = 0u64;
    while appended < args.events {
        let n = (args.events - appended).min(100);
        let stream = format!("host-{}", Uuid::now_v7());
        let events = (0..n).map(|i| new_event(&stream, appended + i)).collect();
        store.append(&stream, ExpectedVersion::Exactly(0), events).await?;
        appended += n;
    }
    let first = store.read_all(0, 1).await?.into_iter().next().context("an event")?;
    let payload = vigil_bus::relay::payload(&first);
    eprintln!("payload: {} bytes of CloudEvent JSON per event", payload.len());

    let js = async_nats::jetstream::new(client.clone());
    let mut relayed = Vec::new();
    let mut raw = Vec::new();
    for run in 0..args.runs {
        // Alternate which goes first, so neither always meets a warmer server.
        if run % 2 == 0 {
            relayed.push(relay_once(&url, &store, &args, run).await?);
            raw.push(raw_once(&js, &payload, &args, run).await?);
        } else {
            raw.push(raw_once(&js, &payload, &args, run).await?);
            relayed.push(relay_once(&url, &store, &args, run).await?);
        }
    }
    let ratios: Vec<f64> = relayed.iter().zip(&raw).map(|(r, b)| r / b).collect();
    let figures = vec![
        Figure::new("baseline: raw JetStream publishes, same payload and window", "msgs/s", raw),
        Figure::new("relay: store → CloudEvent → JetStream, acknowledged", "events/s", relayed),
        Figure::new("relay / baseline", "×", ratios),
    ];
    write_json(
        &args.json,
        json!({
            "benchmark": "bus",
            "machine": machine(),
            "nats_server": version,
            "storage": "file (JetStream defaults of the server; 2.9 has no sync_interval setting)",
            "events": args.events,
            "max_in_flight": args.max_in_flight,
            "payload_bytes": payload.len(),
            "figures": figures,
        }),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// One relay from position 0 to the head into a fresh stream: events per second.
async fn relay_once(url: &str, store: &Arc<dyn EventStore>, args: &BenchBusArgs, run: usize) -> anyhow::Result<f64> {
    let settings = BusSettings {
        url: Some(url.to_owned()),
        stream: format!("VIGIL_BENCH_{run}"),
        subject_prefix: format!("vigilbench{run}"),
        max_in_flight: args.max_in_flight,
        commands: false,
        ..Default::default()
    };
    let (client, js) = vigil_bus::connect(&settings).await.map_err(anyhow::Error::msg)?;
    let relay = Relay::new(store.clone(), js.clone(), &settings);
    let mut progress = relay.progress();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let task = tokio::spawn(relay.run(stopped));
    let head = *store.head().borrow();
    tokio::time::timeout(Duration::from_secs(600), progress.wait_for(|p| *p >= head))
        .await
        .context("the relay did not finish within 10 minutes")??;
    let rate = head as f64 / started.elapsed().as_secs_f64();
    stop.send_replace(true);
    task.await?;
    js.delete_stream(&settings.stream).await?;
    js.delete_stream(format!("{}_RELAY", settings.stream)).await?;
    drop(client);
    Ok(rate)
}

/// The same number of messages of the same payload published straight into a stream of the
/// same settings, `max_in_flight` acknowledgements pending, awaited in order: msgs per second.
async fn raw_once(
    js: &async_nats::jetstream::Context,
    payload: &[u8],
    args: &BenchBusArgs,
    run: usize,
) -> anyhow::Result<f64> {
    let name = format!("RAW_BENCH_{run}");
    let prefix = format!("rawbench{run}");
    let config = vigil_bus::stream::StreamSettings {
        name: name.clone(),
        subject_prefix: prefix.clone(),
        max_age: Duration::ZERO,
        duplicate_window: Duration::from_secs(120),
    }
    .config();
    js.create_stream(config).await?;
    let subject = format!("{prefix}.hosts.HostRegistered");
    let payload = bytes::Bytes::copy_from_slice(payload);
    let mut pending: VecDeque<PublishAckFuture> = VecDeque::with_capacity(args.max_in_flight);
    let started = Instant::now();
    for position in 1..=args.events {
        let message = PublishMessage::build()
            .payload(payload.clone())
            .message_id(Uuid::now_v7().to_string())
            .header("Vigil-Position", position.to_string().as_str());
        pending.push_back(js.send_publish(subject.clone(), message).await?);
        if pending.len() >= args.max_in_flight {
            pending.pop_front().expect("pending").await?;
        }
    }
    while let Some(ack) = pending.pop_front() {
        ack.await?;
    }
    let rate = args.events as f64 / started.elapsed().as_secs_f64();
    js.delete_stream(&name).await?;
    Ok(rate)
}
