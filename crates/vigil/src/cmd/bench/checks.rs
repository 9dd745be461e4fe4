//! `vigil bench checks`: the whole shipped catalog evaluated on one two-node cluster
//! (evaluation only: the input document and both nodes' facts, answered by the agent's
//! gatherers on a captured node, are built once), its median latency and
//! evaluations per second, and the CPU share that 1,000 clusters every 5 minutes would take.
//! The same-run baseline is one default-bundle authz decision (`vigil bench gate`'s figure).
//! With `--executions` it also runs whole executions through a server (`checks_schedule`).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

use vigil_checks::facts::HostFacts;
use vigil_checks::{Catalog, CheckInput, Selection, Status};
use vigil_policy::{AuthzInput, CommandInput, CompiledPolicies, PolicySet, Principal, PrincipalKind};

use super::{Figure, machine, percentile, write_json};
use crate::args::BenchChecksArgs;

pub async fn run(args: BenchChecksArgs) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::shipped();
    let (input, facts) = two_node_cluster(&args.scenario, &catalog).await?;
    anyhow::ensure!(catalog.rejected().is_empty(), "the shipped catalog has rejected files: {:?}", catalog.rejected());
    let selection = Selection::default();
    let first = catalog.evaluate(&input, &selection, &facts);
    let applicable = first.results.len();
    let evaluated = first.results.iter().filter(|r| r.status != Status::NotGathered).count();
    anyhow::ensure!(first.results.iter().all(|r| r.status != Status::Error), "a check errors: {:?}", first.results);
    eprintln!(
        "vigil bench checks: {} checks loaded, {applicable} apply to the cluster ({evaluated} evaluated, the rest are not_gathered); {} evaluations × {} runs",
        catalog.len(),
        args.evaluations,
        args.runs
    );

    let policies = CompiledPolicies::compile(PolicySet::default_bundle())?;
    let authz = AuthzInput {
        principal: Principal { kind: PrincipalKind::User, id: "ops".into(), roles: vec!["operator".into()] },
        command: CommandInput { command_type: "DeregisterHost".into(), body: json!({}), read: false },
        target: None,
    };

    let (mut catalog_ms, mut per_second, mut authz_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // CPU time of this thread per evaluation (the mean over a run): on a shared machine a
    // 2 ms evaluation is often preempted, so wall latency measures the neighbours too.
    let mut cpu_ms = Vec::new();
    for _ in 0..args.runs {
        let mut latencies = Vec::with_capacity(args.evaluations);
        let started = Instant::now();
        let cpu_started = super::lake::cpu_time();
        for _ in 0..args.evaluations {
            let one = Instant::now();
            let evaluation = catalog.evaluate(&input, &selection, &facts);
            latencies.push(one.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(evaluation);
        }
        let elapsed = started.elapsed().as_secs_f64();
        cpu_ms.push((super::lake::cpu_time() - cpu_started) * 1e3 / args.evaluations as f64);
        latencies.sort_by(f64::total_cmp);
        let median_ms = percentile(&latencies, 0.5);
        catalog_ms.push(median_ms);
        per_second.push(args.evaluations as f64 / elapsed);

        let mut decisions = Vec::with_capacity(args.evaluations);
        for _ in 0..args.evaluations {
            let one = Instant::now();
            std::hint::black_box(policies.authorize(&authz)?);
            decisions.push(one.elapsed().as_secs_f64() * 1e6);
        }
        decisions.sort_by(f64::total_cmp);
        let decision_us = percentile(&decisions, 0.5);
        authz_us.push(decision_us);
        ratios.push(median_ms * 1e3 / decision_us);
    }
    // 1,000 clusters every 300 s: the evaluations' CPU time over the period, on one core.
    let cpu_share: Vec<f64> = cpu_ms.iter().map(|ms| ms / 1e3 * 1000.0 / 300.0 * 100.0).collect();
    let latency = Figure::new("whole catalog on one two-node cluster, wall median", "ms", catalog_ms);
    let cpu = Figure::new("whole catalog on one two-node cluster, CPU time (mean)", "ms", cpu_ms);
    let throughput = Figure::new("catalog evaluations per second (one thread)", "/s", per_second);
    let authz = Figure::new("baseline: one authz decision (default bundle), median", "µs", authz_us);
    let ratio = Figure::new("catalog evaluation / authz decision (wall medians)", "×", ratios);
    let share = Figure::new("1,000 clusters every 5 min: share of one core", "%", cpu_share);
    let mut figures = vec![latency, cpu, throughput, authz, ratio, share];
    if args.executions > 0 {
        eprintln!(
            "vigil bench checks: {} whole executions × {} runs through a server and two agents",
            args.executions, args.runs
        );
        let runs = super::checks_schedule::run(&args.scenario, args.executions, args.runs).await?;
        figures.extend(super::checks_schedule::figures(&runs));
    }
    write_json(
        &args.json,
        json!({
            "benchmark": "checks", "machine": machine(), "checks_loaded": catalog.len(),
            "checks_applicable": applicable, "checks_evaluated": evaluated,
            "evaluations_per_run": args.evaluations, "runs": args.runs,
            "executions_per_run": args.executions,
            "figures": figures,
        }),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The scenario's first cluster, and each node's facts as the agent's own gatherers answer
/// the catalog's requests on a captured node (`checks_schedule::captured_node`), so that
/// the fact-needing checks are evaluated rather than short-cut as `not_gathered`.
async fn two_node_cluster(
    dir: &std::path::Path,
    catalog: &Catalog,
) -> anyhow::Result<(CheckInput, BTreeMap<Uuid, HostFacts>)> {
    let mut hosts: BTreeMap<Uuid, vigil_checks::HostDiscoveries> = Default::default();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read the scenario {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "json") {
            continue;
        }
        let envelope: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        let stem = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let (agent, kind) = stem.split_once('_').unwrap_or((&stem, ""));
        let agent_id: Uuid = envelope["agent_id"].as_str().unwrap_or(agent).parse()?;
        let kind = envelope["discovery_type"].as_str().unwrap_or(kind).to_owned();
        let host = hosts
            .entry(agent_id)
            .or_insert_with(|| vigil_checks::HostDiscoveries { host_id: agent_id, ..Default::default() });
        host.payloads.insert(kind, envelope["payload"].clone());
    }
    let members: Vec<_> = hosts.into_values().filter(|h| h.payloads.contains_key("ha_cluster_discovery")).collect();
    anyhow::ensure!(members.len() == 2, "{} is not a two-node cluster ({} members)", dir.display(), members.len());
    let input = vigil_checks::cluster_input(&members, json!({}))?;
    let requests = catalog.fact_requests(&input, &Selection::default());
    let nodes = tempfile::tempdir()?;
    let mut facts = BTreeMap::new();
    for member in &members {
        let root = nodes.path().join(member.host_id.to_string());
        let programs = super::checks_schedule::captured_node(&root)?;
        let request = vigil_agent::facts::FactsGatheringRequested {
            execution_id: Uuid::nil(),
            group_id: Uuid::nil(),
            targets: vec![vigil_agent::facts::Target {
                agent_id: member.host_id,
                fact_requests: serde_json::from_value(serde_json::to_value(&requests)?)?,
            }],
        };
        let sources =
            vigil_agent::facts::Sources { programs: Some(programs), ..vigil_agent::facts::Sources::under(&root) };
        let answered = vigil_agent::facts::answer(&sources, &request, member.host_id)
            .await
            .ok_or_else(|| anyhow::anyhow!("the agent did not answer its own target"))?;
        // Over the wire, as the server reads it.
        let gathered: vigil_checks::facts::FactsGathered = serde_json::from_value(serde_json::to_value(&answered)?)?;
        facts.insert(member.host_id, HostFacts::Gathered(gathered.facts_gathered));
    }
    Ok((input, facts))
}
