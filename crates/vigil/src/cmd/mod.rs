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
mod splitmix;
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
pub fn stop_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    // The handlers are installed here, when this is called, not when the future is first
    // polled: the accept loop may serve a request before it polls the signal, and a SIGTERM
    // in between would end the process without a clean stop.
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (term, interrupt) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
        async move {
            let received = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
                match s {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending().await,
                }
            };
            tokio::select! {
                () = received(term) => {}
                () = received(interrupt) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
