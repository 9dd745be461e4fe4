//! The columns of an event row: one per CloudEvents attribute, the store's coordinates, and
//! the data as JSON text.
//!
//! `topic` and `date` are not columns: they are the Hive partition (`topic=…/date=…`), which
//! a reader such as DuckDB adds back (`hive_partitioning = true`) and prunes files by.

use std::sync::Arc;

use arrow_array::builder::{StringBuilder, TimestampMicrosecondBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use vigil_kernel::envelope::RecordedEvent;

/// The CloudEvents spec version every row is written under.
pub const SPECVERSION: &str = "1.0";

/// The content type of every row's `data`.
pub const DATACONTENTTYPE: &str = "application/json";

/// The schema of an event file, in column order.
pub fn event_schema() -> SchemaRef {
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("id", false),
        text("source", false),
        text("specversion", false),
        text("type", false),
        text("subject", false),
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        text("datacontenttype", false),
        Field::new("schemaversion", DataType::UInt32, false),
        text("correlationid", true),
        text("causationid", true),
        text("stream", false),
        Field::new("version", DataType::UInt64, false),
        Field::new("position", DataType::UInt64, false),
        text("data", false),
    ]))
}

/// The rows of `events`, in their order, as one Arrow batch of [`event_schema`].
pub fn event_batch(events: &[&RecordedEvent]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let n = events.len();
    let bytes: usize = events.iter().map(|e| e.event.data.len()).sum();
    let strings = |per_row: usize| StringBuilder::with_capacity(n, n * per_row);
    let (mut id, mut source, mut specversion, mut kind, mut subject) =
        (strings(36), strings(24), strings(3), strings(24), strings(36));
    let mut time = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let (mut contenttype, mut schemaversion) = (strings(16), UInt32Builder::with_capacity(n));
    let (mut correlation, mut causation, mut stream) = (strings(36), strings(36), strings(44));
    let (mut version, mut position) = (UInt64Builder::with_capacity(n), UInt64Builder::with_capacity(n));
    let mut data = StringBuilder::with_capacity(n, bytes);
    let mut uuid = [0u8; 36];
    for recorded in events {
        let e = &recorded.event;
        id.append_value(e.id.hyphenated().encode_lower(&mut uuid));
        source.append_value(&e.source);
        specversion.append_value(SPECVERSION);
        kind.append_value(&e.event_type);
        subject.append_value(&e.subject);
        time.append_value(e.time.timestamp_micros());
        contenttype.append_value(DATACONTENTTYPE);
        schemaversion.append_value(e.schema_version);
        correlation.append_option(e.correlation_id.map(|u| u.hyphenated().to_string()));
        causation.append_option(e.causation_id.map(|u| u.hyphenated().to_string()));
        stream.append_value(&recorded.stream_id);
        version.append_value(recorded.stream_version);
        position.append_value(recorded.position);
        data.append_value(&e.data);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(source.finish()),
        Arc::new(specversion.finish()),
        Arc::new(kind.finish()),
        Arc::new(subject.finish()),
        Arc::new(time.finish()),
        Arc::new(contenttype.finish()),
        Arc::new(schemaversion.finish()),
        Arc::new(correlation.finish()),
        Arc::new(causation.finish()),
        Arc::new(stream.finish()),
        Arc::new(version.finish()),
        Arc::new(position.finish()),
        Arc::new(data.finish()),
    ];
    RecordBatch::try_new(event_schema(), columns)
}
