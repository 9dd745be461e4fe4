//! Vigil's data lake: every stored event in Parquet, for analysis with other tools.
//!
//! - [`sink`]: the subscription `vigil serve` runs, writing every event into a Hive layout
//!   (`events/topic=<topic>/date=<YYYY-MM-DD>/part-<first position>.parquet`), files rolled by
//!   size and age and made visible only complete, so a crash neither loses nor repeats a row.
//! - [`export`]: `vigil lake export`, which writes (or rewrites) a range of positions.
//! - [`snapshot`]: read-model snapshots (hosts, clusters, SAP systems, databases) in the same
//!   layout (`snapshots/model=<name>/date=<YYYY-MM-DD>/part-<position>.parquet`).
//! - [`schema`]: the columns of an event row; [`layout`]: the paths and the durable file steps.
//!
//! The files are plain Parquet (Snappy), one column per CloudEvents attribute plus `stream`,
//! `version`, `position` and `data` (JSON text): DuckDB reads them with
//! `read_parquet('<lake>/events/*/*/*.parquet', hive_partitioning = true)`.

#![deny(missing_docs)]

pub mod export;
pub mod layout;
pub mod parts;
pub mod schema;
pub mod sink;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use sink::LakeSink;

/// Why the lake could not be written or read; the message names the file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LakeError(pub String);

impl LakeError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        LakeError(message.into())
    }

    /// An I/O error on `path`.
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        LakeError(format!("{}: {error}", path.display()))
    }
}

impl From<parquet::errors::ParquetError> for LakeError {
    fn from(e: parquet::errors::ParquetError) -> Self {
        LakeError(format!("parquet: {e}"))
    }
}

impl From<arrow_schema::ArrowError> for LakeError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        LakeError(format!("arrow: {e}"))
    }
}

impl From<vigil_kernel::store::StoreError> for LakeError {
    fn from(e: vigil_kernel::store::StoreError) -> Self {
        LakeError(format!("event store: {e}"))
    }
}

/// Where the lake is and when its files are rolled.
#[derive(Clone, Debug, PartialEq)]
pub struct LakeConfig {
    /// The lake's root (`events/`, `snapshots/` and the lock below it).
    pub dir: PathBuf,
    /// Roll when the open files hold this many bytes (compressed) together.
    pub roll_bytes: u64,
    /// Roll when the oldest row not yet published is this old: how far the lake may trail
    /// the store when events trickle in.
    pub roll_age: Duration,
    /// Rows per Parquet row group at most (what a writer holds in memory per open file).
    pub row_group_rows: usize,
}

impl LakeConfig {
    /// The defaults for a lake at `dir`: 128 MiB or one minute, 64 Ki rows per row group.
    pub fn at(dir: impl Into<PathBuf>) -> LakeConfig {
        LakeConfig {
            dir: dir.into(),
            roll_bytes: 128 * 1024 * 1024,
            roll_age: Duration::from_secs(60),
            row_group_rows: 64 * 1024,
        }
    }

    /// Refuses settings that would roll never or on every row.
    pub fn check(&self) -> Result<(), LakeError> {
        if self.roll_bytes == 0 {
            return Err(LakeError::new("lake.roll_bytes must be more than zero"));
        }
        if self.roll_age.is_zero() {
            return Err(LakeError::new("lake.roll_age must be longer than zero"));
        }
        if self.row_group_rows == 0 {
            return Err(LakeError::new("lake.row_group_rows must be more than zero"));
        }
        Ok(())
    }
}

/// `[server.lake]` of the configuration file, as `vigil serve` reads it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LakeSettings {
    /// Whether `vigil serve` writes the lake.
    pub enabled: bool,
    /// The lake's root; none: `<data dir>/lake`.
    pub dir: Option<PathBuf>,
    /// See [`LakeConfig::roll_bytes`].
    pub roll_bytes: u64,
    /// See [`LakeConfig::roll_age`].
    #[serde(with = "humantime_serde")]
    pub roll_age: Duration,
    /// See [`LakeConfig::row_group_rows`].
    pub row_group_rows: usize,
}

impl Default for LakeSettings {
    fn default() -> Self {
        let defaults = LakeConfig::at("");
        LakeSettings {
            enabled: false,
            dir: None,
            roll_bytes: defaults.roll_bytes,
            roll_age: defaults.roll_age,
            row_group_rows: defaults.row_group_rows,
        }
    }
}

impl LakeSettings {
    /// The lake these settings describe for the data directory `data_dir`.
    pub fn config(&self, data_dir: &Path) -> LakeConfig {
        LakeConfig {
            dir: self.dir.clone().unwrap_or_else(|| data_dir.join("lake")),
            roll_bytes: self.roll_bytes,
            roll_age: self.roll_age,
            row_group_rows: self.row_group_rows,
        }
    }
}
