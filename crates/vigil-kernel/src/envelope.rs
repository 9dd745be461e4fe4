//! The event envelope: CloudEvents 1.0 attributes plus the store's own coordinates.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::decider::DomainEvent;
use crate::upcast::{self, DecodeError};

/// Who and what caused an event: the command's time and the ids that tie events to the
/// request or event that led to them.
#[derive(Clone, Debug)]
pub struct EventMetadata {
    /// When the command was issued; becomes every event's `time`.
    pub time: DateTime<Utc>,
    /// The CloudEvents `source` of the events.
    pub source: String,
    /// Ties together everything caused by one outside request.
    pub correlation_id: Option<Uuid>,
    /// The event or request that directly caused these events.
    pub causation_id: Option<Uuid>,
}

/// An event about to be appended.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// Unique id; re-appending the same id is a no-op (a client retry).
    pub id: Uuid,
    /// Stored type name, e.g. `HostRegistered`.
    pub event_type: String,
    /// Schema version of `data`.
    pub schema_version: u32,
    /// CloudEvents `source`.
    pub source: String,
    /// CloudEvents `subject`: the aggregate id.
    pub subject: String,
    /// When it happened (from the command, never from a clock inside the domain).
    pub time: DateTime<Utc>,
    /// The event's fields as a JSON object.
    pub data: String,
    /// See [`EventMetadata::correlation_id`].
    pub correlation_id: Option<Uuid>,
    /// See [`EventMetadata::causation_id`].
    pub causation_id: Option<Uuid>,
}

impl NewEvent {
    /// Encodes a domain event for the aggregate `subject` under the id `id`.
    ///
    /// The id is a parameter, as the time is (on `meta`), so that this half of the kernel
    /// reads no clock and draws no randomness: a UUIDv7 is both. The caller that appends is
    /// an adapter and mints it: the runtime's `command::CommandHandler` takes `Uuid::now_v7()`
    /// for each event, so ids stay time-ordered; a test passes a fixed one.
    pub fn encode<E: DomainEvent>(event: &E, subject: &str, meta: &EventMetadata, id: Uuid) -> Self {
        NewEvent {
            id,
            event_type: event.event_type().to_owned(),
            schema_version: event.schema_version(),
            source: meta.source.clone(),
            subject: subject.to_owned(),
            time: meta.time,
            data: encode_data(event),
            correlation_id: meta.correlation_id,
            causation_id: meta.causation_id,
        }
    }
}

/// An event as stored, with its place in its stream and in the global order.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedEvent {
    /// Global position: strictly increasing, gap-free in commit order.
    pub position: u64,
    /// The stream, `"{category}-{aggregate id}"`.
    pub stream_id: String,
    /// 1 for the first event of a stream.
    pub stream_version: u64,
    /// Everything given at append time.
    pub event: NewEvent,
}

impl RecordedEvent {
    /// Decodes the data into the domain's event enum, upcasting older schema versions.
    pub fn decode<E: DomainEvent>(&self) -> Result<E, DecodeError> {
        upcast::decode(&self.event.event_type, self.event.schema_version, &self.event.data)
    }

    /// The structured-mode CloudEvents 1.0 JSON form, used wherever events leave the process.
    pub fn to_cloud_event(&self) -> CloudEvent<'_> {
        let e = &self.event;
        CloudEvent {
            specversion: "1.0",
            id: e.id,
            source: &e.source,
            event_type: &e.event_type,
            subject: &e.subject,
            time: e.time.to_rfc3339_opts(SecondsFormat::Micros, true),
            datacontenttype: "application/json",
            data: RawValue::from_string(e.data.clone()).ok(),
            schemaversion: e.schema_version,
            streamid: &self.stream_id,
            streamversion: self.stream_version,
            position: self.position,
            correlationid: e.correlation_id,
            causationid: e.causation_id,
        }
    }
}

/// CloudEvents 1.0 JSON. The store's coordinates travel as extension attributes, whose
/// names the spec restricts to lowercase letters and digits.
#[derive(Debug, Serialize)]
pub struct CloudEvent<'a> {
    /// Always `1.0`.
    pub specversion: &'static str,
    /// The event id.
    pub id: Uuid,
    /// Who produced it.
    pub source: &'a str,
    /// The event type name.
    #[serde(rename = "type")]
    pub event_type: &'a str,
    /// The aggregate id.
    pub subject: &'a str,
    /// RFC 3339.
    pub time: String,
    /// Always `application/json`.
    pub datacontenttype: &'static str,
    /// The event's fields.
    pub data: Option<Box<RawValue>>,
    /// Extension: schema version of `data`.
    pub schemaversion: u32,
    /// Extension: stream id.
    pub streamid: &'a str,
    /// Extension: version within the stream.
    pub streamversion: u64,
    /// Extension: global position.
    pub position: u64,
    /// Extension: correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlationid: Option<Uuid>,
    /// Extension: causation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub causationid: Option<Uuid>,
}

/// Serialises an adjacently tagged event enum and keeps only its `data` part.
fn encode_data<E: DomainEvent>(event: &E) -> String {
    match serde_json::to_value(event) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.remove("data").map(|data| data.to_string()).unwrap_or_else(|| "{}".to_owned())
        }
        // A domain event enum that is not adjacently tagged is a programming error that the
        // golden tests of each domain catch; store something decodable rather than panic.
        _ => "{}".to_owned(),
    }
}
