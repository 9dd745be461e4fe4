//! `vigil serve`, `vigil agent`, `vigil replay`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use vigil_agent::agent::AgentConfig;
use vigil_agent::client::VigilClient;
use vigil_agent::replay::{ReplayOptions, replay as replay_dir};
use vigil_server::app::App;
use vigil_server::config::ServerConfig;

use super::stop_signal;
use crate::args::{AgentArgs, ReplayArgs};
use crate::settings::FileConfig;

pub async fn serve(config: ServerConfig) -> anyhow::Result<ExitCode> {
    let listen = config.listen;
    let stop = stop_signal();
    let app = App::start(config.clone()).await?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        data_dir = %config.data_dir.display(),
        durability = %config.durability,
        "vigil is serving; `vigil keys show` prints the agent key"
    );
    app.serve(listener, stop).await?;
    tracing::info!("vigil stopped");
    Ok(ExitCode::SUCCESS)
}

pub async fn agent(file: &FileConfig, args: AgentArgs) -> anyhow::Result<ExitCode> {
    let (server_url, api_key) = file.endpoint(&args.server)?;
    let agent_id = match args.agent_id.or(file.agent.agent_id) {
        Some(id) => id,
        None => vigil_agent::machine::agent_id().context("cannot read /etc/machine-id; pass --agent-id")?,
    };
    let config = AgentConfig {
        server_url,
        api_key,
        agent_id,
        discovery_interval: args
            .discovery_interval
            .or(file.agent.discovery_interval)
            .unwrap_or(Duration::from_secs(10)),
        heartbeat_interval: args.heartbeat_interval.or(file.agent.heartbeat_interval).unwrap_or(Duration::from_secs(5)),
        facts_channel: args.facts_channel.or(file.agent.facts_channel).unwrap_or(true),
        facts_sources: vigil_agent::facts::Sources {
            programs: args.facts_programs.clone(),
            ..vigil_agent::facts::Sources::under(&args.facts_root)
        },
        discovery: args.discovery,
    };
    tracing::info!(%agent_id, server = %config.server_url, "agent started");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signal = stop_signal();
    tokio::spawn(async move {
        signal.await;
        stop.send_replace(true);
    });
    vigil_agent::agent::run(config, stopped).await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn replay(file: &FileConfig, args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let (server_url, api_key) = file.endpoint(&args.server)?;
    let client = VigilClient::new(&server_url, &api_key)?;
    let options = ReplayOptions { shuffle_seed: args.shuffle, retry_for: args.retry_for, progress: !args.json };
    let summary = replay_dir(&client, &args.dir, &options).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        for f in summary.files.iter().filter(|f| matches!(f.status.as_str(), "discarded" | "rejected" | "failed")) {
            println!("{:<10} {} ({})", f.status, f.file, f.message.as_deref().unwrap_or(""));
        }
        println!(
            "{} files: {} accepted, {} discarded, {} rejected, {} failed",
            summary.files.len(),
            summary.accepted,
            summary.discarded,
            summary.rejected,
            summary.failed
        );
        match &summary.parked_error {
            Some(error) => println!("cannot tell what is still parked: {error}"),
            None if summary.parked.is_empty() => println!("nothing is parked"),
            None => {
                println!("{} still parked:", summary.parked.len());
                for p in &summary.parked {
                    println!("parked     {} {} ({})", p.agent_id, p.discovery_type, p.reason);
                }
            }
        }
    }
    Ok(if summary.failed > 0 || summary.rejected > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
