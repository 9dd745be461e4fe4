//! `vigil actions dead-letters|redrive`: works on the data directory, with or without a
//! running server.

use std::process::ExitCode;

use vigil_reactions::execution::Status;
use vigil_reactions::store::{ExecutionFilter, ExecutionStore};
use vigil_server::config::ServerConfig;

use crate::args::ActionsCommand;
use crate::settings::FileConfig;

pub async fn run(file: &FileConfig, command: ActionsCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        ActionsCommand::DeadLetters(data) | ActionsCommand::Redrive { data, .. } => data,
    };
    let config = ServerConfig { data_dir: file.data_dir(data), ..file.server.clone() };
    std::fs::create_dir_all(&config.data_dir)?;
    let db = vigil_server::app::open_db(&config)?;
    match command {
        ActionsCommand::DeadLetters(_) => {
            let store = ExecutionStore::open(db).await?;
            let mut offset = 0;
            loop {
                let filter = ExecutionFilter { status: Some(Status::Dead), rule: None, limit: 500, offset };
                let (page, total) = store.list(filter).await?;
                for e in &page {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        e.id,
                        e.rule,
                        e.event_id,
                        e.updated_at,
                        e.reason.as_deref().unwrap_or("")
                    );
                }
                offset += page.len();
                if page.is_empty() || offset as u64 >= total {
                    break;
                }
            }
        }
        ActionsCommand::Redrive { id, attempts, .. } => {
            let n =
                vigil_server::reactions::redrive_offline(&db, id, attempts).await.map_err(|e| anyhow::anyhow!(e.0))?;
            eprintln!("{n} execution(s) redriven with {attempts} more attempt(s) each");
            if n == 0 && id.is_some() {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
