//! One module per subcommand.

mod actions;
mod agent_facts;
mod audit;
mod bench;
mod events;
mod keys;
mod lake;
pub(crate) mod loadgen;
mod policy;
mod projections;
mod serve;
mod tokens;

use std::process::ExitCode;

use crate::args::{AgentCommand, Cli, Command};
use crate::settings::FileConfig;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let file = FileConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => serve::serve(file.server(&args)?).await,
        Command::Agent(mut args) => match args.command.take() {
            Some(AgentCommand::Facts(facts)) => agent_facts::run(&file, facts).await,
            None => serve::agent(&file, args).await,
        },
        Command::Replay(args) => serve::replay(&file, args).await,
        Command::Events(command) => events::run(&file, command).await,
        Command::Keys(command) => keys::run(&file, command).await,
        Command::Projections(command) => projections::run(&file, command).await,
        Command::Tokens(command) => tokens::run(&file, command).await,
        Command::Actions(command) => actions::run(&file, command).await,
        Command::Policy(command) => policy::run(command),
        Command::Audit(command) => audit::run(&file, command).await,
        Command::Lake(command) => lake::run(&file, command).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Loadgen(args) => loadgen::run(args).await,
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
