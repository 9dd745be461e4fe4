//! The lake sink: a durable subscription that writes every stored event into Parquet.
//!
//! It runs under the kernel's `ProjectionRunner` like a read model, but its rows do not
//! reach a reader batch by batch: they go into open part files (one per topic and date), and
//! all of them are published together when the files are *rolled*, by size
//! ([`LakeConfig::roll_bytes`]) or age ([`LakeConfig::roll_age`]), and at a clean stop.
//! Rolling is: finish each file, fsync it, rename it from `*.tmp` to its name, fsync its
//! directory; then write the checkpoint (`events/_checkpoint`, atomically). So:
//!
//! - every published file holds rows after the previous checkpoint only, and its name is
//!   its first position;
//! - a crash before the renames leaves `*.tmp` files, and one between the renames and the
//!   checkpoint leaves parts whose first position is past the checkpoint. [`LakeSink::open`]
//!   deletes both, and the runner, starting from the checkpoint, writes those rows again:
//!   no row is lost and none is in the lake twice.
//!
//! The checkpoint lives in the lake, not in the store's database, so the lake describes
//! itself: a lake directory removed by hand is written again from the first event.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::watch;
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::projection::{Projection, ProjectionError};

use crate::parts::{PartWriter, Published};
use crate::{LakeConfig, LakeError, layout};

/// The subscription's name.
pub const NAME: &str = "lake";

struct State {
    writer: PartWriter,
    /// Rows through this position are in the open files or published.
    applied: u64,
    /// Rows through this position are published and the checkpoint says so.
    durable: u64,
    /// When the oldest row not yet published arrived.
    since: Option<Instant>,
}

/// The sink. Holds `<lake>/LOCK` while it lives, so a `vigil lake export` into the same
/// lake waits for it to stop rather than writing beside it.
pub struct LakeSink {
    config: LakeConfig,
    state: Arc<Mutex<State>>,
    head: watch::Receiver<u64>,
    _lock: File,
}

/// `<lake>/LOCK`, held: one writer of `events/` at a time.
pub fn lock_lake(lake: &Path) -> Result<File, LakeError> {
    layout::create_dir_durably(lake).map_err(|e| LakeError::io(lake, e))?;
    let path = lake.join("LOCK");
    let file =
        File::options().create(true).truncate(false).write(true).open(&path).map_err(|e| LakeError::io(&path, e))?;
    file.try_lock().map_err(|_| {
        LakeError::new(format!(
            "the lake {} is being written by another process (a running `vigil serve` with the lake on, or an export)",
            lake.display()
        ))
    })?;
    Ok(file)
}

/// The sink's checkpoint in `lake` (0 when there is none).
pub fn read_checkpoint(lake: &Path) -> Result<u64, LakeError> {
    let path = layout::checkpoint_file(lake);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| LakeError::new(format!("{} is not the lake's checkpoint: {e}", path.display())))?;
            value["position"].as_u64().ok_or_else(|| LakeError::new(format!("{} has no `position`", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(LakeError::io(&path, e)),
    }
}

pub(crate) fn write_checkpoint(lake: &Path, position: u64) -> Result<(), LakeError> {
    let path = layout::checkpoint_file(lake);
    let body = serde_json::json!({ "position": position }).to_string();
    layout::write_atomically(&path, body.as_bytes()).map_err(|e| LakeError::io(&path, e))
}

/// Deletes what a crash left in `<lake>/events`: temp files, and parts whose first position
/// is past `checkpoint` (published by a roll whose checkpoint was not written). Returns the
/// paths deleted.
pub fn recover(lake: &Path, checkpoint: u64) -> Result<Vec<PathBuf>, LakeError> {
    let events = layout::events_dir(lake);
    let mut removed = Vec::new();
    for found in layout::scan(&events).map_err(|e| LakeError::io(&events, e))? {
        let path = match found {
            layout::Found::Temp(path) => path,
            layout::Found::Part(path, first) if first > checkpoint => path,
            layout::Found::Part(..) => continue,
        };
        std::fs::remove_file(&path).map_err(|e| LakeError::io(&path, e))?;
        if let Some(dir) = path.parent() {
            layout::sync_dir(dir).map_err(|e| LakeError::io(dir, e))?;
        }
        removed.push(path);
    }
    Ok(removed)
}

impl LakeSink {
    /// Opens the lake for writing: takes its lock, reads the checkpoint and deletes what a
    /// crash left (see the module's doc). `head` is the store's head; a lake that is ahead
    /// of it belongs to another store and is refused.
    pub fn open(config: LakeConfig, head: watch::Receiver<u64>) -> Result<LakeSink, LakeError> {
        config.check()?;
        let lock = lock_lake(&config.dir)?;
        let checkpoint = read_checkpoint(&config.dir)?;
        let store_head = *head.borrow();
        if checkpoint > store_head {
            return Err(LakeError::new(format!(
                "the lake {} holds events up to position {checkpoint} but the store ends at {store_head}: \
                 it was written from another data directory (move it away or point `lake.dir` elsewhere)",
                config.dir.display()
            )));
        }
        let removed = recover(&config.dir, checkpoint)?;
        if !removed.is_empty() {
            tracing::info!(files = removed.len(), checkpoint, "lake: removed files a crash left unfinished");
        }
        let writer = PartWriter::new(&layout::events_dir(&config.dir), config.row_group_rows);
        let state = State { writer, applied: checkpoint, durable: checkpoint, since: None };
        metrics::gauge!("vigil_lake_position").set(checkpoint as f64);
        Ok(LakeSink { config, state: Arc::new(Mutex::new(state)), head, _lock: lock })
    }

    /// The position through which the lake's published files hold every event.
    pub fn durable_position(&self) -> u64 {
        self.lock().durable
    }

    /// Publishes the open files and moves the checkpoint, whatever their size and age.
    pub async fn roll(&self) -> Result<Published, LakeError> {
        let state = self.state.clone();
        let lake = self.config.dir.clone();
        let head = *self.head.borrow();
        blocking(move || roll(&lake, &mut state.lock().unwrap_or_else(|e| e.into_inner()), head)).await
    }

    /// Publishes the open files *without* moving the checkpoint, as a crash between the
    /// renames and the checkpoint would leave them: for the tests of the recovery.
    #[doc(hidden)]
    pub fn publish_without_checkpoint(&self) -> Result<Published, LakeError> {
        self.lock().writer.publish()
    }

    /// Rolls the files when they are older than the roll age, every second (or the roll age,
    /// if shorter), until `shutdown`; then rolls what is left, so a clean stop leaves every
    /// event it saw in the lake.
    pub async fn run_roller(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let tick = self.config.roll_age.min(Duration::from_secs(1)).max(Duration::from_millis(10));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(tick) => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
            let due = self.lock().since.is_some_and(|since| since.elapsed() >= self.config.roll_age);
            if due && let Err(error) = self.roll().await {
                tracing::error!(%error, "lake: rolling the part files failed; retrying");
            }
        }
        if let Err(error) = self.roll().await {
            tracing::error!(%error, "lake: the last roll before stopping failed; the next start writes those events again");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self, e: LakeError) -> ProjectionError {
        ProjectionError { name: NAME.to_owned(), message: e.to_string() }
    }
}

fn roll(lake: &Path, state: &mut State, head: u64) -> Result<Published, LakeError> {
    let published = state.writer.publish()?;
    if state.applied > state.durable {
        write_checkpoint(lake, state.applied)?;
        state.durable = state.applied;
    }
    state.since = None;
    metrics::counter!("vigil_lake_files_written_total").increment(published.files.len() as u64);
    metrics::counter!("vigil_lake_rows_written_total").increment(published.rows);
    metrics::counter!("vigil_lake_bytes_written_total").increment(published.bytes);
    metrics::gauge!("vigil_lake_position").set(state.durable as f64);
    metrics::gauge!("vigil_lake_lag_events").set(head.saturating_sub(state.durable) as f64);
    Ok(published)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LakeError> + Send + 'static,
) -> Result<T, LakeError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| LakeError::new(format!("the lake's writer stopped: {e}")))?
}

#[async_trait]
impl Projection for LakeSink {
    fn name(&self) -> &'static str {
        NAME
    }

    /// The position written into the open files: the runner goes on from there. What is
    /// durable is [`LakeSink::durable_position`]; a restart goes on from that.
    async fn checkpoint(&self) -> Result<u64, ProjectionError> {
        Ok(self.lock().applied)
    }

    async fn apply(&self, events: Vec<RecordedEvent>) -> Result<(), ProjectionError> {
        let Some(last) = events.last().map(|e| e.position) else { return Ok(()) };
        let state = self.state.clone();
        let lake = self.config.dir.clone();
        let (roll_bytes, roll_age) = (self.config.roll_bytes, self.config.roll_age);
        let head = *self.head.borrow();
        blocking(move || {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            // After a failed write the open files may hold part of a batch: drop them (the
            // temp files are removed at the next start) and go on from the checkpoint.
            if let Err(error) = state.writer.write(&events) {
                state.writer = PartWriter::new(&layout::events_dir(&lake), state.writer.row_group_rows());
                state.applied = state.durable;
                return Err(error);
            }
            state.applied = last;
            let since = *state.since.get_or_insert_with(Instant::now);
            if state.writer.bytes() >= roll_bytes || since.elapsed() >= roll_age {
                roll(&lake, &mut state, head)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| self.error(e))
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        Err(self.error(LakeError::new(
            "the lake is not rebuilt through the projections: rewrite a range with `vigil lake export`",
        )))
    }
}
