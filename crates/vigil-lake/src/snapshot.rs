//! Read-model snapshots: a read model's rows as they stand at one position, in the lake's
//! layout (`snapshots/model=<name>/date=<YYYY-MM-DD>/part-<position>.parquet`).
//!
//! The rows arrive as named columns of SQL-like cells (the read models are SQLite tables),
//! so this module knows no read model: the caller (`vigil lake snapshot`) reads them. A
//! column's type is that of its non-null cells: `BIGINT`, `DOUBLE` or `VARCHAR` (JSON kept as
//! text); a column whose cells mix types is written as text.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::{LakeError, layout};

/// One value of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// No value.
    Null,
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text (JSON documents included).
    Text(String),
}

impl Cell {
    fn text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Integer(i) => Some(i.to_string()),
            Cell::Real(r) => Some(r.to_string()),
            Cell::Text(t) => Some(t.clone()),
        }
    }
}

/// A read model's rows at one position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

/// Writes `table` as the snapshot of `model` at `position`, dated `date`, durably (temp
/// file, fsync, rename, fsync directory). Returns the file's path; a snapshot of the same
/// model, date and position is replaced.
pub fn write_snapshot(
    lake: &Path,
    model: &str,
    date: NaiveDate,
    position: u64,
    table: &Table,
) -> Result<PathBuf, LakeError> {
    if let Some(bad) = table.rows.iter().position(|row| row.len() != table.columns.len()) {
        return Err(LakeError::new(format!(
            "snapshot of {model}: row {bad} has {} cells for {} columns",
            table.rows[bad].len(),
            table.columns.len()
        )));
    }
    let batch = batch_of(table)?;
    let dir = layout::partition_dir(&layout::snapshots_dir(lake), "model", model, date);
    layout::create_dir_durably(&dir).map_err(|e| LakeError::io(&dir, e))?;
    let path = dir.join(layout::part_name(position));
    let temp = layout::temp_of(&path);
    let file = File::create(&temp).map_err(|e| LakeError::io(&temp, e))?;
    let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer = ArrowWriter::try_new(BufWriter::new(file), batch.schema(), Some(properties))?;
    writer.write(&batch)?;
    let file = writer.into_inner()?.into_inner().map_err(|e| LakeError::io(&temp, e.into_error()))?;
    file.sync_all().map_err(|e| LakeError::io(&temp, e))?;
    drop(file);
    layout::publish(&temp, &path).map_err(|e| LakeError::io(&path, e))?;
    Ok(path)
}

fn batch_of(table: &Table) -> Result<RecordBatch, LakeError> {
    let mut fields = Vec::with_capacity(table.columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.columns.len());
    for (i, name) in table.columns.iter().enumerate() {
        let cells = table.rows.iter().map(|row| &row[i]);
        let kinds: Vec<u8> = cells
            .clone()
            .filter_map(|c| match c {
                Cell::Null => None,
                Cell::Integer(_) => Some(0),
                Cell::Real(_) => Some(1),
                Cell::Text(_) => Some(2),
            })
            .collect();
        let kind = match (kinds.first(), kinds.iter().all(|k| Some(k) == kinds.first())) {
            (Some(k), true) => *k,
            _ => 2,
        };
        let (data_type, array): (DataType, ArrayRef) = match kind {
            0 => {
                let mut b = Int64Builder::with_capacity(table.rows.len());
                cells.for_each(|c| b.append_option(if let Cell::Integer(v) = c { Some(*v) } else { None }));
                (DataType::Int64, Arc::new(b.finish()))
            }
            1 => {
                let mut b = Float64Builder::with_capacity(table.rows.len());
                cells.for_each(|c| b.append_option(if let Cell::Real(v) = c { Some(*v) } else { None }));
                (DataType::Float64, Arc::new(b.finish()))
            }
            _ => {
                let mut b = StringBuilder::new();
                cells.for_each(|c| b.append_option(c.text()));
                (DataType::Utf8, Arc::new(b.finish()))
            }
        };
        fields.push(Field::new(name, data_type, true));
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}
