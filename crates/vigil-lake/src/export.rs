//! `vigil lake export`: writes a range of positions from the store into the lake, as a
//! backfill (a lake started after the store) or a rewrite (files lost or damaged).
//!
//! The store is the source of truth, so a rewrite replaces whole files: the range grows to
//! cover every existing part file (of the chosen topics) that overlaps it, those positions
//! are read again from the store, and the old files are deleted just before the new ones are
//! renamed into place. A crash in that window leaves rows missing (never twice in the lake);
//! running the same export again restores them.
//!
//! Rows past the sink's checkpoint are the sink's to write, and it deletes any part file
//! beyond it when it starts. So an export of every topic that reaches past the checkpoint
//! moves the checkpoint (when it starts at or before the checkpoint's next position), and an
//! export of some topics must end at the checkpoint.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use vigil_kernel::store::EventStore;
use vigil_reactions::topic::{Pattern, topic_of};

use crate::parts::{PartWriter, publish_all};
use crate::sink::{lock_lake, read_checkpoint, recover, write_checkpoint};
use crate::{LakeError, layout};

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    /// The first position (1 or more).
    pub from: u64,
    /// The last position; none: the store's head.
    pub to: Option<u64>,
    /// Only events of matching topics (`hosts`, `external.*`).
    pub topic: Option<Pattern>,
    /// Roll a file at this many bytes.
    pub roll_bytes: u64,
    /// Rows per row group at most.
    pub row_group_rows: usize,
}

/// What an export did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// The first position written (the range widened to whole files).
    pub from: u64,
    /// The last position written.
    pub to: u64,
    /// Rows written.
    pub rows: u64,
    /// Part files written.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Existing part files replaced.
    pub replaced: usize,
    /// The sink's checkpoint afterwards.
    pub checkpoint: u64,
}

/// Events read from the store per request.
const READ_BATCH: usize = 10_000;

/// Exports `request` from `store` into the lake at `lake`, calling `progress(done, total)`
/// (positions) after every batch read.
pub async fn export(
    store: &dyn EventStore,
    lake: &Path,
    request: ExportRequest,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<ExportReport, LakeError> {
    let _lock = lock_lake(lake)?;
    let head = *store.head().borrow();
    let mut from = request.from.max(1);
    let mut to = request.to.unwrap_or(head);
    if to > head {
        return Err(LakeError::new(format!("--to {to} is past the store's last event (position {head})")));
    }
    if from > to {
        return Err(LakeError::new(format!("nothing to export: --from {from} is past --to {to}")));
    }
    let checkpoint = read_checkpoint(lake)?;
    recover(lake, checkpoint)?;
    if to > checkpoint {
        if request.topic.is_some() {
            return Err(LakeError::new(format!(
                "with --topic, --to must be at most the lake's checkpoint {checkpoint}: later positions are written \
                 for every topic at once (export them without --topic, or let `vigil serve` write them)"
            )));
        }
        if from > checkpoint + 1 {
            return Err(LakeError::new(format!(
                "--from {from} would leave positions {} to {} out of the lake: start at {} or earlier",
                checkpoint + 1,
                from - 1,
                checkpoint + 1
            )));
        }
    }
    let selected = |topic: &str| request.topic.as_ref().is_none_or(|p| p.matches(topic));

    // The existing files the range overlaps, the range grown to cover them whole.
    let events_dir = layout::events_dir(lake);
    let mut parts = Vec::new();
    for found in layout::scan(&events_dir).map_err(|e| LakeError::io(&events_dir, e))? {
        if let layout::Found::Part(path, first) = found
            && layout::partition_value_of(&path, "topic").is_some_and(|t| selected(&t))
        {
            parts.push((path, first, None::<u64>));
        }
    }
    let mut replaced: Vec<PathBuf> = Vec::new();
    loop {
        let mut grew = false;
        for (path, first, last) in parts.iter_mut() {
            if *first > to || replaced.contains(path) {
                continue;
            }
            let last = match last {
                Some(last) => *last,
                None => *last.insert(last_position(path)?),
            };
            if last >= from {
                replaced.push(path.clone());
                if *first < from || last > to {
                    from = from.min(*first);
                    to = to.max(last);
                    grew = true;
                }
            }
        }
        if !grew {
            break;
        }
    }

    let total = to - from + 1;
    let mut writer = PartWriter::new(&events_dir, request.row_group_rows);
    let mut finished = Vec::new();
    let mut after = from - 1;
    while after < to {
        let events = store.read_all(after, READ_BATCH).await?;
        let Some(last) = events.last().map(|e| e.position) else { break };
        let wanted: Vec<_> = events
            .into_iter()
            .filter(|e| e.position <= to && selected(&topic_of(&e.stream_id, &e.event.event_type, &e.event.source)))
            .collect();
        writer.write(&wanted)?;
        if writer.bytes() >= request.roll_bytes {
            finished.extend(writer.finish()?);
        }
        after = last;
        progress(after.min(to) - from + 1, total);
    }
    finished.extend(writer.finish()?);

    let new_paths: Vec<&PathBuf> = finished.iter().map(|f| &f.path).collect();
    for old in replaced.iter().filter(|old| !new_paths.contains(old)) {
        std::fs::remove_file(old).map_err(|e| LakeError::io(old, e))?;
        if let Some(dir) = old.parent() {
            layout::sync_dir(dir).map_err(|e| LakeError::io(dir, e))?;
        }
    }
    let published = publish_all(finished)?;
    let checkpoint = if to > checkpoint {
        write_checkpoint(lake, to)?;
        to
    } else {
        checkpoint
    };
    Ok(ExportReport {
        from,
        to,
        rows: published.rows,
        files: published.files.len(),
        bytes: published.bytes,
        replaced: replaced.len(),
        checkpoint,
    })
}

/// The largest `position` in a part file (its last row's).
pub fn last_position(path: &Path) -> Result<u64, LakeError> {
    let file = File::open(path).map_err(|e| LakeError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
    let column = builder.schema().index_of("position")?;
    let mask = ProjectionMask::roots(builder.parquet_schema(), [column]);
    let mut last = 0;
    for batch in builder.with_projection(mask).build()? {
        let batch = batch?;
        let positions = batch.column(0).as_primitive_opt::<UInt64Type>().ok_or_else(|| {
            LakeError::new(format!("{}: the position column is not an unsigned integer", path.display()))
        })?;
        last = last.max(positions.values().iter().copied().max().unwrap_or(0));
    }
    Ok(last)
}
