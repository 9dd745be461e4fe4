//! Part files being written, one per Hive partition, made visible all together.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use vigil_kernel::envelope::RecordedEvent;
use vigil_reactions::topic::topic_of;

use crate::LakeError;
use crate::layout;
use crate::schema::{event_batch, event_schema};

/// What [`PartWriter::publish`] made visible.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Published {
    /// The part files, in partition order.
    pub files: Vec<PathBuf>,
    /// Rows in them.
    pub rows: u64,
    /// Their size on disk.
    pub bytes: u64,
}

struct OpenPart {
    writer: ArrowWriter<BufWriter<File>>,
    temp: PathBuf,
    path: PathBuf,
    rows: u64,
}

/// Event rows going into part files under `<lake>/events`, at most one open file per
/// (topic, date). Nothing is visible to a reader before [`PartWriter::publish`].
pub struct PartWriter {
    base: PathBuf,
    properties: WriterProperties,
    open: BTreeMap<(String, NaiveDate), OpenPart>,
    rows: u64,
    row_group_rows: usize,
}

impl PartWriter {
    /// Writes under `events_dir` (`<lake>/events`), `row_group_rows` rows per row group at
    /// most (a row group is what a writer holds in memory before it reaches the file).
    pub fn new(events_dir: &Path, row_group_rows: usize) -> PartWriter {
        let row_group_rows = row_group_rows.max(1);
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(row_group_rows))
            .set_created_by(format!("vigil-lake {}", env!("CARGO_PKG_VERSION")))
            .build();
        PartWriter { base: events_dir.to_owned(), properties, open: BTreeMap::new(), rows: 0, row_group_rows }
    }

    /// Rows per row group at most.
    pub fn row_group_rows(&self) -> usize {
        self.row_group_rows
    }

    /// Rows written since the last publish.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes written since the last publish, including what the open row groups hold in
    /// memory (compressed estimate): what the roll size is compared with.
    pub fn bytes(&self) -> u64 {
        self.open.values().map(|p| (p.writer.bytes_written() + p.writer.in_progress_size()) as u64).sum()
    }

    /// Adds `events` (in position order) to the files of their partitions, opening a file
    /// named after the first position it receives.
    pub fn write(&mut self, events: &[RecordedEvent]) -> Result<(), LakeError> {
        let mut groups: BTreeMap<(String, NaiveDate), Vec<&RecordedEvent>> = BTreeMap::new();
        for recorded in events {
            let e = &recorded.event;
            let topic = topic_of(&recorded.stream_id, &e.event_type, &e.source);
            groups.entry((topic, e.time.date_naive())).or_default().push(recorded);
        }
        for (key, rows) in groups {
            let batch = event_batch(&rows)?;
            let part = match self.open.entry(key) {
                std::collections::btree_map::Entry::Occupied(open) => open.into_mut(),
                std::collections::btree_map::Entry::Vacant(vacant) => {
                    let (topic, date) = vacant.key();
                    let dir = layout::partition_dir(&self.base, "topic", topic, *date);
                    let part = open_part(&dir, rows[0].position, &self.properties)?;
                    vacant.insert(part)
                }
            };
            part.writer.write(&batch)?;
            part.rows += rows.len() as u64;
            self.rows += rows.len() as u64;
        }
        Ok(())
    }

    /// Closes every open file, fsyncs it and renames it to its name, then fsyncs its
    /// directory. When this returns the files are durable and visible.
    pub fn publish(&mut self) -> Result<Published, LakeError> {
        let finished = self.finish()?;
        publish_all(finished)
    }

    /// Closes every open file and fsyncs it, still under its temp name: for a writer that
    /// must do something between (an export deletes the files it replaces).
    pub fn finish(&mut self) -> Result<Vec<Finished>, LakeError> {
        let mut finished = Vec::with_capacity(self.open.len());
        for (_, part) in std::mem::take(&mut self.open) {
            let file = part.writer.into_inner()?.into_inner().map_err(|e| LakeError::io(&part.temp, e.into_error()))?;
            file.sync_all().map_err(|e| LakeError::io(&part.temp, e))?;
            let bytes = file.metadata().map_err(|e| LakeError::io(&part.temp, e))?.len();
            finished.push(Finished { temp: part.temp, path: part.path, rows: part.rows, bytes });
        }
        self.rows = 0;
        Ok(finished)
    }
}

/// A complete, fsynced part file under its temp name.
#[derive(Debug)]
pub struct Finished {
    /// Where it is.
    pub temp: PathBuf,
    /// Where it goes.
    pub path: PathBuf,
    /// Rows in it.
    pub rows: u64,
    /// Its size.
    pub bytes: u64,
}

/// Renames each finished file to its name and fsyncs its directory.
pub fn publish_all(finished: Vec<Finished>) -> Result<Published, LakeError> {
    let mut published = Published::default();
    for part in finished {
        layout::publish(&part.temp, &part.path).map_err(|e| LakeError::io(&part.path, e))?;
        published.rows += part.rows;
        published.bytes += part.bytes;
        published.files.push(part.path);
    }
    Ok(published)
}

fn open_part(dir: &Path, first: u64, properties: &WriterProperties) -> Result<OpenPart, LakeError> {
    layout::create_dir_durably(dir).map_err(|e| LakeError::io(dir, e))?;
    let path = dir.join(layout::part_name(first));
    let temp = layout::temp_of(&path);
    let file = File::create(&temp).map_err(|e| LakeError::io(&temp, e))?;
    let writer =
        ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), event_schema(), Some(properties.clone()))?;
    Ok(OpenPart { writer, temp, path, rows: 0 })
}
