//! `vigil bench checks --executions N`: whole checks executions, as the 5-minute schedule
//! runs them, through a real server: a SQLite file, the scenario's cluster replayed over
//! HTTP, its two nodes' agents connected over the facts channel (the agent's own channel
//! code, in this process, gathering from a captured node written to a temporary directory),
//! every applicable check selected. Each execution is the gate (start), the facts asked of
//! both agents over WebSockets, the catalog evaluated per host, the gate again (results),
//! the read model; it is timed from the start to its results in the read model (polled
//! every millisecond).
//!
//! The CPU share of 1,000 clusters every 5 minutes is the process's CPU time per execution
//! (server and both agents, everything in this process) × 1,000 / 300 s.

use std::time::{Duration, Instant};

use uuid::Uuid;
use vigil_server::app::App;
use vigil_server::checks::ChecksTarget;
use vigil_server::config::ServerConfig;

use super::{Figure, percentile};

/// The figures of one run.
pub(super) struct ScheduleRun {
    pub latency_ms_median: f64,
    pub latency_ms_p99: f64,
    pub per_second: f64,
    pub cpu_ms_per_execution: f64,
}

/// A captured node: the files the shipped checks' facts read, and the programs they run
/// (`rpm`, `cibadmin`, `corosync-cmapctl`) as scripts printing recorded output, in `bin/`.
/// Returns the programs' directory.
pub(super) fn captured_node(root: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(root.join("etc/corosync"))?;
    std::fs::create_dir_all(root.join("etc/sysconfig"))?;
    std::fs::write(
        root.join("etc/corosync/corosync.conf"),
        "totem {\n\tversion: 2\n\ttoken: 30000\n\tconsensus: 36000\n\tmax_messages: 20\n\tjoin: 60\n\ttoken_retransmits_before_loss_const: 10\n\ttransport: udpu\n\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n}\n\
         quorum {\n\tprovider: corosync_votequorum\n\ttwo_node: 1\n\texpected_votes: 2\n}\n\
         nodelist {\n\tnode {\n\t\tring0_addr: 10.80.1.11\n\t\tnodeid: 1\n\t}\n\tnode {\n\t\tring0_addr: 10.80.1.12\n\t\tnodeid: 2\n\t}\n}\n",
    )?;
    std::fs::write(
        root.join("etc/sysconfig/sbd"),
        "SBD_PACEMAKER=yes\nSBD_STARTMODE=always\nSBD_WATCHDOG_TIMEOUT=15\n",
    )?;
    std::fs::write(root.join("etc/hosts"), "127.0.0.1 localhost\n10.80.1.11 vmangi01\n10.80.1.12 vmangi02\n")?;
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin)?;
    let scripts = [
        (
            "rpm",
            "#!/bin/sh\nshift 3\nfor name in \"$@\"; do\n  case $name in\n    corosync) echo 'corosync\t(none)\t2.4.6\t150600.3.3.1\tx86_64' ;;\n    sbd) echo 'sbd\t(none)\t1.5.2\t150600.1.4\tx86_64' ;;\n    resource-agents) echo 'resource-agents\t(none)\t4.13.0\t150600.1.3\tx86_64' ;;\n    SAPHanaSR-angi) echo 'SAPHanaSR-angi\t(none)\t1.2.7\t150600.3.8.1\tnoarch' ;;\n    pacemaker) echo 'pacemaker\t(none)\t2.1.7\t150600.6.3.1\tx86_64' ;;\n    *) echo \"package $name is not installed\" ;;\n  esac\ndone\n",
        ),
        (
            "cibadmin",
            "#!/bin/sh\ncat <<'EOF'\n<cib crm_feature_set=\"3.19.0\" validate-with=\"pacemaker-3.9\" epoch=\"42\" num_updates=\"0\" admin_epoch=\"0\">\n  <configuration>\n    <crm_config><cluster_property_set id=\"cib-bootstrap-options\"><nvpair id=\"o1\" name=\"stonith-enabled\" value=\"true\"/></cluster_property_set></crm_config>\n    <nodes/>\n    <resources/>\n    <constraints/>\n    <rsc_defaults><meta_attributes id=\"rsc-options\"><nvpair id=\"r1\" name=\"resource-stickiness\" value=\"1000\"/><nvpair id=\"r2\" name=\"migration-threshold\" value=\"5000\"/></meta_attributes></rsc_defaults>\n  </configuration>\n  <status/>\n</cib>\nEOF\n",
        ),
        (
            "corosync-cmapctl",
            "#!/bin/sh\necho 'runtime.config.totem.token (u32) = 30000'\necho 'totem.token (u32) = 30000'\n",
        ),
    ];
    for (name, script) in scripts {
        std::fs::write(bin.join(name), script)?;
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(bin)
}

/// Runs `executions` executions of the scenario's cluster, `runs` times.
pub(super) async fn run(
    scenario: &std::path::Path,
    executions: usize,
    runs: usize,
) -> anyhow::Result<Vec<ScheduleRun>> {
    let dir = tempfile::tempdir()?;
    let config = ServerConfig {
        data_dir: dir.path().join("data"),
        // The bench starts the executions itself; the schedule must not add its own.
        checks_interval: Duration::from_secs(24 * 3600),
        ..ServerConfig::default()
    };
    let app = App::start(config).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop_serving, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(app.clone().serve(listener, async move {
        let _ = stopped.await;
    }));
    let key = vigil_discovery::keys::show(&app.db, &app.config.data_dir)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no agent key"))?;
    let client = vigil_agent::client::VigilClient::new(&url, &key)?;
    let options =
        vigil_agent::replay::ReplayOptions { shuffle_seed: None, retry_for: Duration::from_secs(30), progress: false };
    vigil_agent::replay::replay(&client, scenario, &options).await?;
    anyhow::ensure!(app.settle(Duration::from_secs(60)).await, "the replayed scenario did not settle");

    let (clusters, _) =
        app.reads.clusters(vigil_server::readmodel::ListQuery { limit: 10, ..Default::default() }).await?;
    let cluster = clusters.first().ok_or_else(|| anyhow::anyhow!("{} holds no cluster", scenario.display()))?;
    let target = ChecksTarget { target_type: vigil_checks::TargetType::Cluster, id: cluster.id.parse()? };
    let (stop_agents, agents_stopped) = tokio::sync::watch::channel(false);
    for member in &cluster.hosts {
        let root = dir.path().join(&member.host_id);
        let programs = captured_node(&root)?;
        let agent_id: Uuid = member.host_id.parse()?;
        let sources =
            vigil_agent::facts::Sources { programs: Some(programs), ..vigil_agent::facts::Sources::under(&root) };
        tokio::spawn(vigil_agent::facts::channel::run(
            url.clone(),
            key.clone(),
            agent_id,
            sources,
            agents_stopped.clone(),
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.checks_runner.agents.connected_count() < cluster.hosts.len() {
        anyhow::ensure!(Instant::now() < deadline, "the agents did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let admin = vigil_gate::principal::system("bench");
    let applicable = app.checks_runner.applicable(&app, target).await?;
    app.checks_runner.select(&app, &admin, target, applicable, Default::default()).await?;

    let mut results = Vec::new();
    for _ in 0..runs {
        let cpu_started = super::lake::process_cpu_time();
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(executions);
        // One after the other: a newer start on a target supersedes a running one, so the
        // executions of one target never overlap (the schedule runs different targets side
        // by side, `checks_concurrency` at a time).
        for _ in 0..executions {
            let one = Instant::now();
            let started = app.checks_runner.start(&app, &admin, target).await?;
            let id = started.execution_id.to_string();
            loop {
                let execution = app.checks_runner.views.execution(id.clone()).await?;
                match execution.map(|e| e.status) {
                    Some(status) if status == "completed" => break,
                    Some(status) if status == "superseded" => anyhow::bail!("execution {id} was superseded"),
                    _ => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
            latencies.push(one.elapsed().as_secs_f64() * 1e3);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = super::lake::process_cpu_time() - cpu_started;
        latencies.sort_by(f64::total_cmp);
        results.push(ScheduleRun {
            latency_ms_median: percentile(&latencies, 0.5),
            latency_ms_p99: percentile(&latencies, 0.99),
            per_second: executions as f64 / elapsed,
            cpu_ms_per_execution: cpu * 1e3 / executions as f64,
        });
    }
    // One execution's results, to show what was measured.
    let last = app.checks_runner.views.last_completed(target.id.to_string()).await?;
    if let Some(last) = last {
        let results = last.results.unwrap_or_default();
        let count = |status: &str| results.as_array().map_or(0, |r| r.iter().filter(|r| r["status"] == status).count());
        eprintln!(
            "vigil bench checks: one execution = {} results ({} passing, {} warning, {} critical, {} not gathered)",
            results.as_array().map_or(0, Vec::len),
            count("passing"),
            count("warning"),
            count("critical"),
            count("not_gathered")
        );
    }
    stop_agents.send_replace(true);
    let _ = stop_serving.send(());
    let _ = serving.await;
    app.stop().await;
    Ok(results)
}

/// The figures of [`run`] for the JSON report.
pub(super) fn figures(runs: &[ScheduleRun]) -> Vec<Figure> {
    let collect = |f: fn(&ScheduleRun) -> f64| runs.iter().map(f).collect::<Vec<_>>();
    vec![
        Figure::new(
            "whole execution (gate, facts from 2 agents, evaluation, results), wall median",
            "ms",
            collect(|r| r.latency_ms_median),
        ),
        Figure::new("whole execution, wall p99", "ms", collect(|r| r.latency_ms_p99)),
        Figure::new("executions per second", "/s", collect(|r| r.per_second)),
        Figure::new("CPU time per execution (server and agents)", "ms", collect(|r| r.cpu_ms_per_execution)),
        Figure::new(
            "1,000 clusters every 5 min, whole executions: share of one core",
            "%",
            collect(|r| r.cpu_ms_per_execution / 1e3 * 1000.0 / 300.0 * 100.0),
        ),
    ]
}
