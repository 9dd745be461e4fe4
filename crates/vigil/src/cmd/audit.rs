//! `vigil audit verify|head`: read-only, so they can run beside a live server.

use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use vigil_audit::{PublicKey, SignedHead};
use vigil_server::config::ServerConfig;

use crate::args::AuditCommand;
use crate::settings::FileConfig;

pub async fn run(file: &FileConfig, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Head(data) => {
            let config = ServerConfig { data_dir: file.data_dir(&data), ..file.server.clone() };
            anyhow::ensure!(config.database_path().exists(), "no database in {}", config.data_dir.display());
            let db = vigil_server::app::open_db(&config)?;
            let heads = vigil_audit::stored_heads(&db).await?;
            let head = heads.last().context("no signed head yet: the server signs one every 1000 records or 60 s")?;
            println!("{}", serde_json::to_string_pretty(head)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { head, public_key, data } => {
            let config = ServerConfig { data_dir: file.data_dir(&data), ..file.server.clone() };
            anyhow::ensure!(config.database_path().exists(), "no database in {}", config.data_dir.display());
            let public_key = match public_key {
                Some(key) => {
                    let text = std::fs::read_to_string(&key).unwrap_or(key);
                    text.trim().parse::<PublicKey>().map_err(|e| anyhow::anyhow!("bad public key: {e}"))?
                }
                None => vigil_audit::read_public_key(&config.data_dir)?,
            };
            let saved: Option<SignedHead> = head
                .map(|path| -> anyhow::Result<SignedHead> {
                    let text =
                        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                    serde_json::from_str(&text).with_context(|| format!("{} is not a signed head", path.display()))
                })
                .transpose()?;
            let db = vigil_server::app::open_db(&config)?;
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} records")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let progress = bar.clone();
            let report = vigil_audit::verify_with_progress(&db, &public_key, saved.as_ref(), move |p| {
                progress.set_length(p.total);
                progress.set_position(p.checked);
            })
            .await?;
            bar.finish_and_clear();
            for problem in &report.problems {
                println!("problem: {problem}");
            }
            if report.ok {
                println!(
                    "ok: {} records, {} signed heads checked, root {}",
                    report.tree_size, report.heads_checked, report.root_hash
                );
                Ok(ExitCode::SUCCESS)
            } else {
                match report.first_bad_index {
                    Some(i) => println!("TAMPERED: first bad record index {i}"),
                    None => println!("TAMPERED: see the problems above"),
                }
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
