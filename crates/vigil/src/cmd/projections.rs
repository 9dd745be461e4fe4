//! `vigil projections list|rebuild`.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use vigil_server::app::{lock_data_dir, read_model_names, rebuild_projection};
use vigil_server::config::ServerConfig;

use crate::args::ProjectionsCommand;
use crate::settings::FileConfig;

pub async fn run(file: &FileConfig, command: ProjectionsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProjectionsCommand::List(data) => {
            let config = ServerConfig { data_dir: file.data_dir(&data), ..file.server.clone() };
            let db = vigil_server::app::open_db(&config)?;
            let positions: Vec<(String, i64)> = db
                .read(|conn| {
                    let exists: bool = conn.query_row(
                        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'projection_checkpoints'",
                        [],
                        |r| r.get(0),
                    )?;
                    if !exists {
                        return Ok(Vec::new());
                    }
                    let mut stmt = conn.prepare("SELECT name, position FROM projection_checkpoints")?;
                    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
                .await?;
            for name in read_model_names() {
                let position = positions.iter().find(|(n, _)| n == name).map(|(_, p)| *p).unwrap_or(0);
                println!("{name}\t{position}");
            }
        }
        ProjectionsCommand::Rebuild { name, data } => {
            let config = ServerConfig { data_dir: file.data_dir(&data), ..file.server.clone() };
            anyhow::ensure!(config.database_path().exists(), "no database in {}", config.data_dir.display());
            let _lock = lock_data_dir(&config.data_dir)?;
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} events ({per_sec})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let started = std::time::Instant::now();
            let position = rebuild_projection(&config, &name, |position, head| {
                bar.set_length(head);
                bar.set_position(position);
            })
            .await?;
            bar.finish();
            eprintln!("rebuilt `{name}` up to position {position} in {:.2?}", started.elapsed());
        }
    }
    Ok(ExitCode::SUCCESS)
}
