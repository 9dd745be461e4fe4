//! `vigil actions dead-letters|redrive`: works on the data directory, with or without a
//! running server.

use std::process::ExitCode;

use vigil_reactions::execution::Status;
use vigil_reactions::kinds;
use vigil_reactions::rule::{Enrichment, RuleSet};
use vigil_reactions::store::{ExecutionFilter, ExecutionStore};
use vigil_server::config::ServerConfig;

use crate::args::ActionsCommand;
use crate::settings::FileConfig;

pub async fn run(file: &FileConfig, command: ActionsCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        ActionsCommand::Check { file } => return check(file),
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
        ActionsCommand::Check { .. } => unreachable!("checked above"),
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

/// `vigil actions check FILE`.
fn check(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let problem = |message: String| {
        eprintln!("{}: {message}", path.display());
        Ok(ExitCode::from(1))
    };
    let set = match RuleSet::from_toml(&text) {
        Ok(set) => set,
        Err(error) => return problem(error.to_string()),
    };
    let limits = vigil_policy::PolicyLimits::default();
    for rule in set.iter() {
        if let Some(when) = &rule.when
            && let Err(error) = vigil_policy::Condition::compile(when, &limits)
        {
            return problem(format!("rule {}: condition: {error}", rule.name));
        }
        if let Err(error) = kinds::validate(&rule.action) {
            return problem(format!("rule {}: {error}", rule.name));
        }
        for enrichment in &rule.enrich {
            if let Enrichment::Http { url, .. } = enrichment
                && let Err(error) = kinds::validate_enrichment_url(url)
            {
                return problem(format!("rule {}: enrichment {}: {error}", rule.name, enrichment.name()));
            }
        }
    }
    for operation in set.operations() {
        if let Err(error) = kinds::validate(&operation.action) {
            return problem(format!("operation {}: {error}", operation.name));
        }
    }
    println!("{}: {} rule(s), {} operation(s), valid", path.display(), set.len(), set.operations().count());
    Ok(ExitCode::SUCCESS)
}
