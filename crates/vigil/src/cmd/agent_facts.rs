//! `vigil agent facts`: the agent's gatherers run once on this machine, printing what a
//! check execution would receive.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use vigil_agent::facts::{self, FactRequest, FactsGatheringRequested, Outcome, Sources};

use crate::args::FactsArgs;
use crate::settings::FileConfig;

/// The largest request file read: a thousand fact requests fit in a tenth of it.
const MAX_REQUEST_BYTES: u64 = 1 << 20;

pub async fn run(file: &FileConfig, args: FactsArgs) -> anyhow::Result<ExitCode> {
    let sources = Sources { root: args.root.clone(), timeout: args.timeout, ..Sources::local() };
    match (&args.request, &args.gatherer) {
        (Some(path), _) => answer(file, &args, &sources, path).await,
        (None, Some(gatherer)) => one(&sources, gatherer, &args.argument).await,
        (None, None) => anyhow::bail!("give --gatherer NAME or --request FILE"),
    }
}

/// One gatherer and argument: `{"gatherer", "argument", "value" | "error"}`, exit 1 on an error.
async fn one(sources: &Sources, gatherer: &str, argument: &str) -> anyhow::Result<ExitCode> {
    let request = FactRequest {
        check_id: String::new(),
        name: gatherer.to_owned(),
        gatherer: gatherer.to_owned(),
        argument: argument.to_owned(),
    };
    let fact = facts::gather(sources, std::slice::from_ref(&request)).await.remove(0);
    let failed = matches!(fact.outcome, Outcome::Error(_));
    let mut printed = serde_json::json!({"gatherer": gatherer, "argument": argument});
    let outcome = serde_json::to_value(&fact.outcome)?;
    printed.as_object_mut().expect("an object").extend(outcome.as_object().cloned().unwrap_or_default());
    println!("{}", serde_json::to_string_pretty(&printed)?);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A whole request: the FactsGathered of this agent's target.
async fn answer(
    file: &FileConfig,
    args: &FactsArgs,
    sources: &Sources,
    path: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let shown = path.display();
    let mut bytes = Vec::new();
    let reader: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("cannot open {shown}"))?)
    };
    reader.take(MAX_REQUEST_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {shown}"))?;
    anyhow::ensure!(bytes.len() as u64 <= MAX_REQUEST_BYTES, "{shown} is larger than {MAX_REQUEST_BYTES} bytes");
    let request: FactsGatheringRequested =
        serde_json::from_slice(&bytes).with_context(|| format!("{shown} is not a FactsGatheringRequested"))?;
    let agent_id = match args.agent_id.or(file.agent.agent_id) {
        Some(id) => id,
        None => vigil_agent::machine::agent_id().context("cannot read /etc/machine-id; pass --agent-id")?,
    };
    let Some(gathered) = facts::answer(sources, &request, agent_id).await else {
        let targets: Vec<String> = request.targets.iter().map(|t| t.agent_id.to_string()).collect();
        anyhow::bail!(
            "{shown} asks nothing of agent {agent_id} (its targets: {}); pass --agent-id",
            targets.join(", ")
        );
    };
    println!("{}", serde_json::to_string_pretty(&gathered)?);
    Ok(ExitCode::SUCCESS)
}
