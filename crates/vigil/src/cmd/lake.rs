//! `vigil lake export|snapshot`: the Parquet lake from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use vigil_kernel::store::EventStore;
use vigil_lake::export::{ExportRequest, export};
use vigil_lake::snapshot::{Cell, Table, write_snapshot};
use vigil_server::config::ServerConfig;
use vigil_store::SqliteEventStore;

use crate::args::{DataDirArg, LakeCommand};
use crate::settings::FileConfig;

/// What a snapshot holds: (model, the read model whose checkpoint dates it, the query).
/// Each landscape read model with the tables of its members.
const SNAPSHOTS: &[(&str, &str, &str)] = &[
    ("hosts", "hosts", "SELECT * FROM hosts ORDER BY id"),
    ("clusters", "clusters", "SELECT * FROM clusters ORDER BY id"),
    ("cluster_hosts", "clusters", "SELECT * FROM cluster_hosts ORDER BY cluster_id, host_id"),
    ("databases", "databases", "SELECT * FROM databases ORDER BY id"),
    (
        "database_instances",
        "databases",
        "SELECT * FROM database_instances ORDER BY database_id, host_id, instance_number",
    ),
    ("sap_systems", "sap_systems", "SELECT * FROM sap_systems ORDER BY id"),
    (
        "application_instances",
        "sap_systems",
        "SELECT * FROM application_instances ORDER BY sap_system_id, host_id, instance_number",
    ),
];

pub async fn run(file: &FileConfig, command: LakeCommand) -> anyhow::Result<ExitCode> {
    match command {
        LakeCommand::Export(args) => {
            let (config, lake) = locate(file, &args.data, args.dir)?;
            let store = SqliteEventStore::open(vigil_server::app::open_db(&config)?).await?;
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} positions ({per_sec})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let defaults = &file.server.lake;
            let request = ExportRequest {
                from: args.from,
                to: args.to,
                topic: args.topic.map(Into::into),
                roll_bytes: defaults.roll_bytes,
                row_group_rows: defaults.row_group_rows,
            };
            let started = std::time::Instant::now();
            let report = export(&store as &dyn EventStore, &lake, request, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
            bar.finish();
            eprintln!(
                "exported positions {} to {} into {}: {} rows in {} files ({} bytes), {} files replaced, checkpoint {}, in {:.2?}",
                report.from,
                report.to,
                lake.display(),
                report.rows,
                report.files,
                report.bytes,
                report.replaced,
                report.checkpoint,
                started.elapsed()
            );
        }
        LakeCommand::Snapshot(args) => {
            let (config, lake) = locate(file, &args.data, args.dir)?;
            let db = vigil_server::app::open_db(&config)?;
            let tables = db
                .read(|conn| {
                    // One read transaction: every table as of the same commit.
                    let tx = conn.unchecked_transaction()?;
                    let mut tables = Vec::new();
                    for (model, checkpoint_of, query) in SNAPSHOTS {
                        let exists: bool =
                            tx.query_row("SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = ?1", [model], |r| {
                                r.get(0)
                            })?;
                        if !exists {
                            continue;
                        }
                        let position: i64 = tx
                            .query_row(
                                "SELECT position FROM projection_checkpoints WHERE name = ?1",
                                [checkpoint_of],
                                |r| r.get(0),
                            )
                            .unwrap_or(0);
                        tables.push((*model, position as u64, read_table(&tx, query)?));
                    }
                    Ok(tables)
                })
                .await?;
            anyhow::ensure!(!tables.is_empty(), "no read models in {}", config.data_dir.display());
            let today = chrono::Utc::now().date_naive();
            for (model, position, table) in tables {
                let path = write_snapshot(&lake, model, today, position, &table)?;
                println!("{model}\t{}\t{}", table.rows.len(), path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The server settings for `data` and the lake's directory.
fn locate(file: &FileConfig, data: &DataDirArg, dir: Option<PathBuf>) -> anyhow::Result<(ServerConfig, PathBuf)> {
    let config = ServerConfig { data_dir: file.data_dir(data), ..file.server.clone() };
    anyhow::ensure!(config.database_path().exists(), "no database in {}", config.data_dir.display());
    let lake = dir.unwrap_or_else(|| config.lake.config(&config.data_dir).dir);
    Ok((config, lake))
}

fn read_table(conn: &rusqlite::Connection, query: &str) -> rusqlite::Result<Table> {
    use rusqlite::types::ValueRef;
    let mut statement = conn.prepare(query)?;
    let columns: Vec<String> = statement.column_names().map(str::to_owned).collect();
    let n = columns.len();
    let rows = statement.query_map([], |row| {
        (0..n)
            .map(|i| {
                Ok(match row.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Integer(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Cell::Text(hex::encode(b)),
                })
            })
            .collect::<rusqlite::Result<Vec<Cell>>>()
    })?;
    Ok(Table { columns, rows: rows.collect::<rusqlite::Result<_>>()? })
}
