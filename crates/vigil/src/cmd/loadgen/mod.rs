//! `vigil loadgen`: N simulated Trento agents against one server, at Trento's periods.
//!
//! Each agent is a task that sends its landscape copy's discoveries (`fleet.rs`) and its
//! heartbeat on their own tickers, each at a random phase, and waits for every answer as the
//! agent does. A share of snapshots changes at each tick. After a warm-up (every agent
//! registered, the backlog drained) the run measures for `--duration`: request latency per
//! kind, errors, discovery → read-model latency of changed host discoveries (the POST's
//! answer names the event's position; the server's `/readyz` says when the hosts projection
//! passed it, and the host's view is then checked once), and the server's CPU time and RSS
//! from `/proc`. `--find-max` repeats it on fresh servers to find the most agents that stay
//! within the bounds.

mod fleet;
pub(crate) mod server;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Notify;

use self::fleet::{Corpus, FleetAgent, HEARTBEAT_PERIOD};
use self::server::{Target, Usage};
use crate::args::LoadgenArgs;
use crate::cmd::bench::receiver::Receiver;
use crate::cmd::splitmix::SplitMix;

pub async fn run(args: LoadgenArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.agents >= 1, "--agents must be at least 1");
    anyhow::ensure!((0.0..=1.0).contains(&args.change_share), "--change-share is a share between 0 and 1");
    let corpus = Arc::new(Corpus::embedded()?);
    let receiver = match args.webhook_receiver {
        Some(addr) => Some(Receiver::start(addr, None).await?),
        None => None,
    };
    let result = if args.find_max {
        anyhow::ensure!(args.url.is_none(), "--find-max starts its own servers; leave out --url");
        find_max(&args, &corpus, receiver.as_ref()).await?
    } else {
        let outcome = run_step(&args, &corpus, args.agents, receiver.as_ref()).await?;
        serde_json::to_value(&outcome)?
    };
    if let Some(receiver) = receiver {
        receiver.stop().await?;
    }
    let text = serde_json::to_string_pretty(&json!({
        "benchmark": "loadgen",
        "durability": args.durability,
        "actions_file": args.actions_file,
        "change_share": args.change_share,
        "duration_s": args.duration.as_secs_f64(),
        "bounds": {
            "read_model_p99_ms": args.max_read_model_p99_ms,
            "request_p99_ms": args.max_request_p99_ms,
            "error_rate": args.max_error_rate,
        },
        "machine": crate::cmd::bench::machine(),
        "result": result,
    }))?;
    match &args.json {
        Some(path) => std::fs::write(path, &text)?,
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Doubles the agent count while the bounds hold, then bisects between the last count that
/// held and the first that did not.
async fn find_max(args: &LoadgenArgs, corpus: &Arc<Corpus>, receiver: Option<&Receiver>) -> anyhow::Result<Value> {
    let mut steps = Vec::new();
    let (mut held, mut failed): (Option<usize>, Option<usize>) = (None, None);
    let mut agents = args.agents;
    loop {
        let outcome = run_step(args, corpus, agents, receiver).await?;
        let sustained = outcome.verdict.sustained;
        eprintln!(
            "{agents} agents: {}",
            if sustained { "sustained".to_owned() } else { outcome.verdict.why.join("; ") }
        );
        steps.push(outcome);
        if sustained {
            held = Some(agents);
        } else {
            failed = Some(agents);
        }
        agents = match (held, failed) {
            (Some(h), None) => h * 2,
            (h, Some(f)) => {
                let h = h.unwrap_or(0);
                if (f - h) as f64 <= args.resolution * f as f64 || f - h <= 1 {
                    break;
                }
                h + (f - h) / 2
            }
            (None, None) => unreachable!("one step ran"),
        };
    }
    Ok(json!({ "max_sustainable_agents": held, "first_unsustained_agents": failed, "steps": steps }))
}

/// One measured run.
#[derive(Serialize)]
struct StepOutcome {
    agents: usize,
    landscape_copies: u32,
    ramp_s: f64,
    /// Until every agent's first snapshots were answered (and at least --warmup).
    warmup_s: f64,
    measured_s: f64,
    /// Requests per second the agents' periods call for.
    offered_per_second: f64,
    achieved_per_second: f64,
    requests: Latencies,
    by_kind: BTreeMap<&'static str, Latencies>,
    statuses: BTreeMap<String, u64>,
    errors: u64,
    error_rate: f64,
    changed_snapshots: u64,
    read_model: ReadModelLatency,
    server: Option<ServerCost>,
    /// What the load generator itself cost in the same window: on one machine the two share
    /// the cores, so server CPU + this near the core count means the machine is saturated.
    loadgen: Option<ServerCost>,
    /// What the server's read models hold at the end: hosts, clusters, databases and SAP
    /// systems, as `GET /api/v1/<kind>` counts them.
    landscape: BTreeMap<&'static str, Option<u64>>,
    /// What the --webhook-receiver had from the server's actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    webhooks: Option<Webhooks>,
    verdict: Verdict,
}

#[derive(Serialize)]
struct Webhooks {
    /// Deliveries during the measured window.
    measured: u64,
    per_second: f64,
    /// Over the whole step (warm-up included), repeats included.
    deliveries: u64,
    /// `webhook-id`s delivered more than once over the step.
    duplicates: u64,
}

#[derive(Serialize, Default)]
struct Latencies {
    count: usize,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    max_ms: f64,
}

impl Latencies {
    fn of(mut samples: Vec<f64>) -> Latencies {
        samples.sort_by(f64::total_cmp);
        let q = |q: f64| crate::cmd::bench::percentile(&samples, q);
        Latencies {
            count: samples.len(),
            p50_ms: q(0.5),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            max_ms: samples.last().copied().unwrap_or(f64::NAN),
        }
    }
}

#[derive(Serialize)]
struct ReadModelLatency {
    /// From sending a changed host discovery to the hosts projection having applied its
    /// events (polled every millisecond, so add up to 1 ms of resolution).
    #[serde(flatten)]
    latencies: Latencies,
    /// Probes whose host view did not show the change once the projection passed it.
    mismatches: u64,
    /// Probes not seen within 10 s.
    timeouts: u64,
}

#[derive(Serialize)]
struct ServerCost {
    cpu_seconds: f64,
    /// CPU seconds per second of the measured window: 2.0 is both cores of this machine.
    cpu_cores: f64,
    rss_mib: f64,
    peak_rss_mib: f64,
}

#[derive(Serialize)]
struct Verdict {
    sustained: bool,
    why: Vec<String>,
}

/// The kinds of request an agent sends.
const KINDS: [&str; 7] = [
    "heartbeat",
    "host_discovery",
    "ha_cluster_discovery",
    "sap_system_discovery",
    "cloud_discovery",
    "saptune_discovery",
    "subscription_discovery",
];

fn kind_index(kind: &str) -> usize {
    KINDS.iter().position(|k| *k == kind).expect("a known kind")
}

/// What the agents and probes record, shared.
#[derive(Default)]
struct Recorder {
    measuring: AtomicBool,
    /// Request latencies in ms, by kind, while measuring.
    latencies: [Mutex<Vec<f64>>; 7],
    statuses: Mutex<BTreeMap<String, u64>>,
    errors: AtomicU64,
    changed: AtomicU64,
    read_model: Mutex<Vec<f64>>,
    mismatches: AtomicU64,
    timeouts: AtomicU64,
    /// Agents whose first snapshots were all answered.
    registered: AtomicUsize,
    /// All requests answered since the start, for the progress line.
    answered: AtomicU64,
    /// Answers during the warm-up, by kind and status: a server that refuses the fleet
    /// (a wrong key, say) stops the run with them rather than measuring failures.
    warmup_statuses: Mutex<BTreeMap<String, u64>>,
    warmup_errors: AtomicU64,
}

impl Recorder {
    fn record(&self, kind: usize, latency: Duration, status: &str, ok: bool) {
        self.answered.fetch_add(1, Ordering::Relaxed);
        if !self.measuring.load(Ordering::Relaxed) {
            *self.warmup_statuses.lock().expect("recorder").entry(format!("{} {status}", KINDS[kind])).or_default() +=
                1;
            // A 503 is the server shedding load and saying when to come back (the agents
            // do, at their next tick), not a server that refuses the fleet.
            if !ok && !status.starts_with("503") {
                self.warmup_errors.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        self.latencies[kind].lock().expect("recorder").push(latency.as_secs_f64() * 1e3);
        *self.statuses.lock().expect("recorder").entry(format!("{} {status}", KINDS[kind])).or_default() += 1;
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A changed host discovery waiting to show in the read model.
struct Probe {
    sent: Instant,
    position: u64,
    agent: FleetAgent,
    memory: u64,
}

struct Shared {
    corpus: Arc<Corpus>,
    client: reqwest::Client,
    base: String,
    api_key: String,
    token: String,
    change_share: f64,
    recorder: Recorder,
    probes: Mutex<Vec<Probe>>,
    probe_added: Notify,
    stop: AtomicBool,
}

async fn run_step(
    args: &LoadgenArgs,
    corpus: &Arc<Corpus>,
    agents: usize,
    receiver: Option<&Receiver>,
) -> anyhow::Result<StepOutcome> {
    let hooks_at_start = receiver.map(Receiver::counts).unwrap_or_default();
    let target = match &args.url {
        Some(url) => Target::external(
            url.clone(),
            args.api_key.clone().unwrap_or_default(),
            args.token.clone().unwrap_or_default(),
            args.server_pid,
        ),
        None => Target::start(args.dir.as_deref(), &args.durability, args.actions_file.as_deref()).await?,
    };
    let fleet = corpus.fleet(agents);
    let copies = fleet.last().map(|a| a.copy + 1).unwrap_or(0);
    let offered: f64 = fleet
        .iter()
        .map(|a| {
            1.0 / HEARTBEAT_PERIOD.as_secs_f64()
                + corpus
                    .agent(*a)
                    .templates
                    .iter()
                    .map(|t| 1.0 / fleet::period(t.discovery_type).as_secs_f64())
                    .sum::<f64>()
        })
        .sum();
    let shared = Arc::new(Shared {
        corpus: corpus.clone(),
        client: reqwest::Client::builder().pool_max_idle_per_host(4096).timeout(Duration::from_secs(30)).build()?,
        base: target.base.clone(),
        api_key: target.api_key.clone(),
        token: target.token.clone(),
        change_share: args.change_share,
        recorder: Recorder::default(),
        probes: Mutex::default(),
        probe_added: Notify::new(),
        stop: AtomicBool::new(false),
    });
    eprintln!(
        "vigil loadgen: {agents} agents ({copies} landscape copies), {:.0} requests/s offered, change share {}, against {}",
        offered, args.change_share, target.base
    );

    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}").expect("a valid template"));
    bar.enable_steady_tick(Duration::from_millis(200));

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, agent) in fleet.iter().enumerate() {
        // Starts spread evenly over the ramp (at least one discovery period), so the load is
        // smooth from the start.
        let ramp = args.ramp.max(Duration::from_secs(10));
        let phase = ramp.mul_f64(n as f64 / agents as f64);
        tasks.spawn(run_agent(shared.clone(), *agent, n as u64, phase));
    }
    tasks.spawn(run_probes(shared.clone()));

    // Warm-up: at least --warmup, every agent registered, and the answers keeping pace.
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let registered = shared.recorder.registered.load(Ordering::Relaxed);
        bar.set_message(format!(
            "warming up: {registered}/{agents} agents registered, {} requests answered",
            shared.recorder.answered.load(Ordering::Relaxed)
        ));
        if started.elapsed() >= args.warmup && registered == agents {
            break;
        }
        let (answered, errors) =
            (shared.recorder.answered.load(Ordering::Relaxed), shared.recorder.warmup_errors.load(Ordering::Relaxed));
        if answered >= 50 && errors * 2 > answered {
            bar.finish_and_clear();
            let statuses = shared.recorder.warmup_statuses.lock().expect("recorder").clone();
            anyhow::bail!("the server refuses most of the fleet's requests ({errors} of {answered}): {statuses:?}");
        }
        if started.elapsed() > args.warmup + Duration::from_secs(600) {
            bar.finish_and_clear();
            anyhow::bail!("only {registered} of {agents} agents registered within 10 minutes");
        }
    }
    let warmup = started.elapsed();
    let answered_before = shared.recorder.answered.load(Ordering::Relaxed);
    let usage_before = target.pid.and_then(server::usage);
    let own_before = server::usage(std::process::id());
    let hooks_before = receiver.map(Receiver::counts).unwrap_or_default();
    shared.recorder.measuring.store(true, Ordering::Relaxed);
    let measuring = Instant::now();
    while measuring.elapsed() < args.duration {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let answered = shared.recorder.answered.load(Ordering::Relaxed) - answered_before;
        bar.set_message(format!(
            "measuring {agents} agents: {:.0}/{:.0} s, {:.0} requests/s, {} errors",
            measuring.elapsed().as_secs_f64(),
            args.duration.as_secs_f64(),
            answered as f64 / measuring.elapsed().as_secs_f64(),
            shared.recorder.errors.load(Ordering::Relaxed)
        ));
    }
    shared.recorder.measuring.store(false, Ordering::Relaxed);
    let measured = measuring.elapsed();
    let answered = shared.recorder.answered.load(Ordering::Relaxed) - answered_before;
    let usage_after = target.pid.and_then(server::usage);
    let own_after = server::usage(std::process::id());
    let hooks_after = receiver.map(Receiver::counts).unwrap_or_default();
    let landscape = landscape(&shared).await;
    shared.stop.store(true, Ordering::Relaxed);
    shared.probe_added.notify_one();
    bar.finish_and_clear();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    target.stop().await;

    let recorder = &shared.recorder;
    let mut all = Vec::new();
    let mut by_kind = BTreeMap::new();
    for (i, kind) in KINDS.iter().enumerate() {
        let samples = std::mem::take(&mut *recorder.latencies[i].lock().expect("recorder"));
        all.extend_from_slice(&samples);
        if !samples.is_empty() {
            by_kind.insert(*kind, Latencies::of(samples));
        }
    }
    let requests = Latencies::of(all);
    let errors = recorder.errors.load(Ordering::Relaxed);
    let error_rate = if requests.count == 0 { 1.0 } else { errors as f64 / requests.count as f64 };
    let read_model = ReadModelLatency {
        latencies: Latencies::of(std::mem::take(&mut *recorder.read_model.lock().expect("recorder"))),
        mismatches: recorder.mismatches.load(Ordering::Relaxed),
        timeouts: recorder.timeouts.load(Ordering::Relaxed),
    };
    let server = match (usage_before, usage_after) {
        (Some(before), Some(after)) => Some(cost(before, after, measured)),
        _ => None,
    };
    let achieved = answered as f64 / measured.as_secs_f64();
    let mut why = Vec::new();
    if requests.p99_ms > args.max_request_p99_ms {
        why.push(format!("request p99 {:.1} ms > {} ms", requests.p99_ms, args.max_request_p99_ms));
    }
    if read_model.latencies.count > 0 && read_model.latencies.p99_ms > args.max_read_model_p99_ms {
        why.push(format!("read-model p99 {:.1} ms > {} ms", read_model.latencies.p99_ms, args.max_read_model_p99_ms));
    }
    if error_rate > args.max_error_rate {
        why.push(format!("error rate {:.4} > {}", error_rate, args.max_error_rate));
    }
    if read_model.timeouts > 0 || read_model.mismatches > 0 {
        why.push(format!("{} read-model timeouts, {} mismatches", read_model.timeouts, read_model.mismatches));
    }
    // The agents wait for each answer: a server that cannot keep up shows as fewer requests.
    if achieved < 0.95 * offered {
        why.push(format!("achieved {achieved:.0} requests/s < 95 % of the {offered:.0} offered"));
    }
    let outcome = StepOutcome {
        agents,
        landscape_copies: copies,
        ramp_s: args.ramp.max(Duration::from_secs(10)).as_secs_f64(),
        warmup_s: warmup.as_secs_f64(),
        measured_s: measured.as_secs_f64(),
        offered_per_second: offered,
        achieved_per_second: achieved,
        requests,
        by_kind,
        statuses: std::mem::take(&mut *recorder.statuses.lock().expect("recorder")),
        errors,
        error_rate,
        changed_snapshots: recorder.changed.load(Ordering::Relaxed),
        read_model,
        server,
        loadgen: match (own_before, own_after) {
            (Some(before), Some(after)) => Some(cost(before, after, measured)),
            _ => None,
        },
        landscape,
        webhooks: receiver.map(|_| {
            let window = measured;
            let measured = hooks_after.deliveries - hooks_before.deliveries;
            Webhooks {
                measured,
                per_second: measured as f64 / window.as_secs_f64(),
                deliveries: hooks_after.deliveries - hooks_at_start.deliveries,
                duplicates: hooks_after.duplicates - hooks_at_start.duplicates,
            }
        }),
        verdict: Verdict { sustained: why.is_empty(), why },
    };
    eprintln!(
        "{agents} agents: {:.0} requests/s, request p50 {:.2} ms p99 {:.2} ms p99.9 {:.2} ms; read model p50 {:.2} ms p99 {:.2} ms ({} probes); errors {}; server {}",
        outcome.achieved_per_second,
        outcome.requests.p50_ms,
        outcome.requests.p99_ms,
        outcome.requests.p999_ms,
        outcome.read_model.latencies.p50_ms,
        outcome.read_model.latencies.p99_ms,
        outcome.read_model.latencies.count,
        outcome.errors,
        outcome
            .server
            .as_ref()
            .map(|s| format!("{:.2} cores, RSS {:.0} MiB", s.cpu_cores, s.rss_mib))
            .unwrap_or_else(|| "not observed".into()),
    );
    if let Some(own) = &outcome.loadgen {
        eprintln!("the load generator itself used {:.2} cores", own.cpu_cores);
    }
    if let Some(hooks) = &outcome.webhooks {
        eprintln!(
            "webhooks received: {:.1}/s while measuring, {} in the step, {} repeated ids",
            hooks.per_second, hooks.deliveries, hooks.duplicates
        );
    }
    Ok(outcome)
}

/// The size of the landscape the server shows.
async fn landscape(shared: &Shared) -> BTreeMap<&'static str, Option<u64>> {
    let mut counts = BTreeMap::new();
    for kind in ["hosts", "clusters", "databases", "sap_systems"] {
        let page =
            shared.client.get(format!("{}/api/v1/{kind}?limit=1", shared.base)).bearer_auth(&shared.token).send().await;
        let total = match page {
            Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["total"].as_u64()),
            Err(_) => None,
        };
        counts.insert(kind, total);
    }
    counts
}

fn cost(before: Usage, after: Usage, window: Duration) -> ServerCost {
    let cpu_seconds = after.cpu_seconds - before.cpu_seconds;
    ServerCost {
        cpu_seconds,
        cpu_cores: cpu_seconds / window.as_secs_f64(),
        rss_mib: after.rss_mib,
        peak_rss_mib: after.peak_rss_mib,
    }
}

/// One agent: its first snapshots back to back (host first, as the others need the host),
/// then every discovery and the heartbeat on its own ticker, one request at a time, as
/// Trento's agent does.
async fn run_agent(shared: Arc<Shared>, agent: FleetAgent, n: u64, phase: Duration) {
    tokio::time::sleep(phase).await;
    let corpus = shared.corpus.clone();
    let templates = &corpus.agent(agent).templates;
    let heartbeat_url = format!("{}/api/v1/hosts/{}/heartbeat", shared.base, corpus.agent_id(agent));
    let mut changes = vec![0u64; templates.len()];
    let mut dice = SplitMix(n);
    let start = tokio::time::Instant::now();
    for template in templates {
        send_discovery(&shared, agent, template, 0).await;
    }
    shared.recorder.registered.fetch_add(1, Ordering::Relaxed);
    // Due times: each discovery one period after the first round, the heartbeat now.
    let mut due: Vec<tokio::time::Instant> =
        templates.iter().map(|t| start + fleet::period(t.discovery_type)).collect();
    due.push(tokio::time::Instant::now());
    while !shared.stop.load(Ordering::Relaxed) {
        let (next, at) = due.iter().enumerate().min_by_key(|(_, at)| **at).map(|(i, at)| (i, *at)).expect("due");
        tokio::time::sleep_until(at).await;
        if next == templates.len() {
            let sent = Instant::now();
            let response = shared.client.post(&heartbeat_url).header("X-Trento-Apikey", &shared.api_key).send().await;
            let status = response.as_ref().map(|r| r.status().as_u16()).unwrap_or(0);
            let label = if status == 0 { "no answer".to_owned() } else { status.to_string() };
            shared.recorder.record(0, sent.elapsed(), &label, status == 204);
            due[next] = later(at, HEARTBEAT_PERIOD);
            continue;
        }
        let template = &templates[next];
        if template.changes && dice.chance(shared.change_share) {
            changes[next] += 1;
            if shared.recorder.measuring.load(Ordering::Relaxed) {
                shared.recorder.changed.fetch_add(1, Ordering::Relaxed);
            }
        }
        send_discovery(&shared, agent, template, changes[next]).await;
        due[next] = later(at, fleet::period(template.discovery_type));
    }
}

/// Posts one discovery and records its answer; a changed host discovery that was applied
/// becomes a read-model probe.
async fn send_discovery(shared: &Shared, agent: FleetAgent, template: &fleet::Template, changes: u64) {
    let body = shared.corpus.render(agent, template, changes);
    let sent = Instant::now();
    let response = shared
        .client
        .post(format!("{}/api/v1/collect", shared.base))
        .header("X-Trento-Apikey", &shared.api_key)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await;
    let (status, reply) = match response {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    };
    let latency = sent.elapsed();
    let outcome = reply["status"].as_str().unwrap_or("error");
    let ok = status == 202 && outcome != "discarded";
    let label = if status == 0 { "no answer".to_owned() } else { format!("{status} {outcome}") };
    shared.recorder.record(kind_index(template.discovery_type), latency, &label, ok);
    if template.discovery_type == "host_discovery"
        && changes > 0
        && outcome == "applied"
        && shared.recorder.measuring.load(Ordering::Relaxed)
        && let (Some(position), Some(memory)) =
            (reply["last_position"].as_u64(), shared.corpus.memory_after(agent, changes))
    {
        shared.probes.lock().expect("probes").push(Probe { sent, position, agent, memory });
        shared.probe_added.notify_one();
    }
}

/// The next due time: one period after the last, or now if the agent fell that far behind
/// (Trento's agent skips missed ticks rather than bursting).
fn later(at: tokio::time::Instant, period: Duration) -> tokio::time::Instant {
    (at + period).max(tokio::time::Instant::now())
}

/// Resolves probes: polls `/readyz` every millisecond while any is pending, and for each
/// probe whose position the hosts projection passed, records the latency and checks that
/// the host's view shows the memory sent.
async fn run_probes(shared: Arc<Shared>) {
    let readyz = format!("{}/readyz", shared.base);
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        if shared.probes.lock().expect("probes").is_empty() {
            shared.probe_added.notified().await;
            continue;
        }
        let hosts = match shared.client.get(&readyz).send().await {
            Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["projections"]["hosts"].as_u64()),
            Err(_) => None,
        };
        let now = Instant::now();
        let done: Vec<Probe> = {
            let mut probes = shared.probes.lock().expect("probes");
            let (done, pending): (Vec<Probe>, Vec<Probe>) =
                probes.drain(..).partition(|p| hosts.is_some_and(|h| h >= p.position));
            let (timed_out, pending): (Vec<Probe>, Vec<Probe>) =
                pending.into_iter().partition(|p| now - p.sent > Duration::from_secs(10));
            shared.recorder.timeouts.fetch_add(timed_out.len() as u64, Ordering::Relaxed);
            *probes = pending;
            done
        };
        for probe in done {
            shared.recorder.read_model.lock().expect("recorder").push((now - probe.sent).as_secs_f64() * 1e3);
            let shared = shared.clone();
            tokio::spawn(async move {
                let id = shared.corpus.agent_id(probe.agent);
                let view = shared
                    .client
                    .get(format!("{}/api/v1/hosts/{id}", shared.base))
                    .bearer_auth(&shared.token)
                    .send()
                    .await;
                let memory = match view {
                    Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["total_memory_mb"].as_u64()),
                    Err(_) => None,
                };
                // A later change may already show; an earlier value may not.
                if memory.is_none_or(|m| m < probe.memory) {
                    shared.recorder.mismatches.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
