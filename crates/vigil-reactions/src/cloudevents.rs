//! CloudEvents 1.0 from outside providers: parsing and validation of the HTTP structured,
//! binary and batch modes, and how such an event is stored and given back.
//!
//! [`from_http`] reads one request the way the CloudEvents HTTP binding tells a receiver to:
//! the `Content-Type` chooses the mode (`application/cloudevents-batch+json` a batch,
//! `application/cloudevents+json` one structured event, anything else binary mode, where
//! `ce-*` headers carry the attributes and the body is the data). A plain `application/json`
//! body without `ce-*` headers is read as a structured event too, since that is what a
//! hand-written sender (`curl -d @event.json`) sends. Every event of a request is checked
//! against the spec and its JSON format before anything is stored, and a refusal names the
//! one place that is wrong (`[3].time: "yesterday" is not an RFC 3339 timestamp`): the
//! sender is a program, and its author reads the message once.
//!
//! ```
//! use vigil_reactions::cloudevents::from_http;
//!
//! let body = br#"{"specversion": "1.0", "id": "42", "source": "ci.example.com", "type": "build.failed"}"#;
//! let events = from_http([("content-type", &b"application/cloudevents+json"[..])], body).unwrap();
//! assert_eq!(events[0].event_type(), "build.failed");
//!
//! let refused = from_http([("content-type", &b"application/json"[..])], br#"{"specversion": "1.0"}"#);
//! assert_eq!(refused.unwrap_err().to_string(), "id: missing: a CloudEvent has specversion, id, source and type");
//! ```
//!
//! # How an event is stored
//!
//! An [`IncomingEvent`] becomes a [`NewEvent`] ([`IncomingEvent::into_new_event`]) whose
//! `data` is the whole validated event in the JSON format: every attribute and extension, and
//! `data` or `data_base64`, as sent (`data` byte for byte; an attribute sent as `null` is
//! absent, as the JSON format says, and is left out). The store's own columns copy what its
//! indexes and filters need: `event_type` is the CloudEvents `type`, `source` and `subject`
//! are copied (`""` for no subject: the spec forbids an empty one, so the two cannot be
//! confused), `time` is the event's or else the receive time, and `schema_version` is
//! [`SCHEMA_VERSION`], the version of this storage shape. [`original`] gives the event back
//! as it came, with Vigil's coordinates added ([`VIGIL_ATTRIBUTES`]); an outside event never
//! has to be read through an envelope of Vigil's.
//!
//! # Ids and streams
//!
//! The spec lets a consumer take two events with the same `source` and `id` for one. The
//! stream of a source is `external-<UUIDv5(NAMESPACE, source)>` and the event id is
//! UUIDv5(that uuid, `id`), so a re-sent event has the id of the stored one, and the store's
//! idempotent re-append (a stored id in the same stream: the original result, nothing
//! written) drops it, whatever its content. One stream per source keeps each provider's
//! events in the order it sent them. Both derivations are part of the stored contract:
//! [`NAMESPACE`] never changes.
//!
//! This module does no I/O, reads no clock and draws no randomness: the receive time and the
//! correlation id arrive as arguments.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;
use vigil_kernel::envelope::{CloudEvent, NewEvent, RecordedEvent};

use crate::topic::{EXTERNAL_CATEGORY, topic_of};

/// The namespace of the UUIDv5 of a source (and, through it, of every outside event id).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x5f04_5dff_312e_4ac3_9de4_0a97_a0ca_3e67);

/// The `schema_version` of a stored outside event: the layout of its `data` (the event in the
/// CloudEvents JSON format, nulls left out).
pub const SCHEMA_VERSION: u32 = 1;

/// The media type of one structured event.
pub const STRUCTURED: &str = "application/cloudevents+json";

/// The media type of a batch.
pub const BATCH: &str = "application/cloudevents-batch+json";

/// The extension attributes Vigil adds to every event it lists (`GET /api/v1/events`). An
/// outside event may not bring its own, or a consumer could not tell whose they are.
pub const VIGIL_ATTRIBUTES: [&str; 4] = ["position", "streamid", "streamversion", "topic"];

/// One validated CloudEvent from outside, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct IncomingEvent {
    id: String,
    source: String,
    event_type: String,
    subject: Option<String>,
    time: Option<DateTime<Utc>>,
    envelope: String,
}

/// What is wrong, and where: an attribute (`time`), an event of a batch and its attribute
/// (`[3].time`), a header (`ce-time`, `content-type`) or the `body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where.
    pub at: String,
    /// What.
    pub problem: String,
}

/// Why a request's events were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request is in no CloudEvents mode Vigil reads (HTTP 415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// An event is invalid, or the body is not what its mode requires (HTTP 400).
    #[error("{0}")]
    Invalid(Violation),
}

/// A stored outside event as the CloudEvent it came as, with Vigil's coordinates
/// ([`VIGIL_ATTRIBUTES`]) added. It serialises the stored JSON values as they are, without
/// decoding them.
#[derive(Debug)]
pub struct OriginalCloudEvent<'a> {
    members: Vec<(String, &'a RawValue)>,
    position: u64,
    stream_id: &'a str,
    stream_version: u64,
    topic: String,
}

/// Any stored event as a CloudEvent, the way Vigil shows events (`GET /api/v1/events`,
/// `vigil events list`): an outside one as it was sent, one of Vigil's in Vigil's envelope
/// (`RecordedEvent::to_cloud_event`); both with their coordinates and their topic as
/// extension attributes.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Listed<'a> {
    /// An outside event.
    External(OriginalCloudEvent<'a>),
    /// One of Vigil's, or an outside one whose stored data does not read back.
    Vigil {
        /// The envelope.
        #[serde(flatten)]
        event: CloudEvent<'a>,
        /// Its topic.
        topic: String,
    },
}

/// The events of one HTTP request: `headers` as (name, value) pairs in any letter case, and
/// the body. Refuses the whole request if any event is invalid.
pub fn from_http<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    body: &[u8],
) -> Result<Vec<IncomingEvent>, Refusal> {
    let mut content_types = Vec::new();
    let mut ce_headers = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if name == "content-type" {
            content_types.push(value);
        } else if name.starts_with("ce-") {
            ce_headers.push((name, value));
        }
    }
    let content_type = match content_types.as_slice() {
        [] => None,
        [value] => Some(
            std::str::from_utf8(value)
                .map_err(|_| invalid("content-type", "not ASCII".to_owned()))?
                .trim_matches([' ', '\t']),
        ),
        _ => return Err(invalid("content-type", "given more than once".to_owned())),
    };
    let lowercase = content_type.unwrap_or_default().to_ascii_lowercase();
    if lowercase.starts_with("application/cloudevents-batch") {
        json_format(content_type.unwrap_or_default(), BATCH)?;
        parse_batch(body_text(body).map_err(Refusal::Invalid)?).map_err(Refusal::Invalid)
    } else if lowercase.starts_with("application/cloudevents") {
        json_format(content_type.unwrap_or_default(), STRUCTURED)?;
        Ok(vec![parse_structured(body_text(body).map_err(Refusal::Invalid)?).map_err(Refusal::Invalid)?])
    } else if !ce_headers.is_empty() {
        Ok(vec![parse_binary(&ce_headers, content_type, body).map_err(Refusal::Invalid)?])
    } else if content_type.and_then(|c| media_type(c).ok()).is_some_and(|m| m.essence == "application/json") {
        json_format(content_type.unwrap_or_default(), "application/json")?;
        Ok(vec![parse_structured(body_text(body).map_err(Refusal::Invalid)?).map_err(Refusal::Invalid)?])
    } else {
        let sent = match content_type {
            Some(content_type) => format!("Content-Type {}", json_string(content_type)),
            None => "no Content-Type".to_owned(),
        };
        Err(Refusal::UnsupportedMediaType(format!(
            "{sent} and no ce- headers: send {STRUCTURED}, {BATCH}, or binary mode (the attributes \
             as ce- headers: ce-specversion, ce-id, ce-source, ce-type)"
        )))
    }
}

/// One event in the JSON format (structured mode).
pub fn parse_structured(text: &str) -> Result<IncomingEvent, Violation> {
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| body(format!("not valid JSON: {e}")))?;
    let members = object_members(raw, "body")?;
    validate(&members, Place::Json(""))
}

/// A batch in the JSON batch format: an array of events in the JSON format (may be empty).
pub fn parse_batch(text: &str) -> Result<Vec<IncomingEvent>, Violation> {
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| body(format!("not valid JSON: {e}")))?;
    if !raw.get().starts_with('[') {
        return Err(body(format!("a batch is a JSON array of CloudEvents, not {}", describe(raw))));
    }
    let elements: Vec<&RawValue> =
        serde_json::from_str(raw.get()).map_err(|e| body(format!("not a JSON array of CloudEvents: {e}")))?;
    elements
        .iter()
        .enumerate()
        .map(|(i, element)| {
            let members = object_members(element, &format!("[{i}]"))?;
            validate(&members, Place::Json(&format!("[{i}].")))
        })
        .collect()
}

/// One event in binary mode: `ce_headers` (lowercase names starting with `ce-`) carry the
/// attributes, `content_type` is its `datacontenttype`, `body` its data.
pub fn parse_binary<V: AsRef<[u8]>>(
    ce_headers: &[(String, V)],
    content_type: Option<&str>,
    body: &[u8],
) -> Result<IncomingEvent, Violation> {
    let mut members: Vec<(String, Box<RawValue>)> = Vec::with_capacity(ce_headers.len() + 2);
    for (header, value) in ce_headers {
        let name = header.strip_prefix("ce-").unwrap_or(header);
        let at = |problem: &str| Violation { at: header.clone(), problem: problem.to_owned() };
        match name {
            "datacontenttype" => {
                return Err(at("not allowed in binary mode, where the Content-Type header is the datacontenttype"));
            }
            "data" | "data_base64" => return Err(at("the data is the body in binary mode, not a header")),
            _ => {}
        }
        if !is_attribute_name(name) {
            return Err(at(&format!("{} {NAME_RULE}", json_string(name))));
        }
        let text = header_text(value.as_ref()).map_err(|problem| at(&problem))?;
        members.push((name.to_owned(), raw_string(&text)));
    }
    let media = content_type.and_then(|c| media_type(c).ok());
    if let Some(content_type) = content_type {
        members.push(("datacontenttype".to_owned(), raw_string(content_type)));
    }
    if !body.is_empty() {
        let data = match (&media, std::str::from_utf8(body)) {
            (Some(media), text) if media.is_json() => {
                let text = text.map_err(|e| self::body(format!("not valid UTF-8: {e}")))?;
                let data: Box<RawValue> = serde_json::from_str(text).map_err(|e| {
                    self::body(format!(
                        "not valid JSON, as Content-Type {} says it is: {e}",
                        json_string(content_type.unwrap_or_default())
                    ))
                })?;
                ("data", data)
            }
            (Some(media), Ok(text)) if media.is_text() => ("data", raw_string(text)),
            // Bytes of an unknown or binary type are kept exactly, as the JSON format keeps
            // binary data.
            _ => ("data_base64", raw_string(&BASE64.encode(body))),
        };
        members.push((data.0.to_owned(), data.1));
    }
    validate(&members, Place::Binary)
}

/// The stream of the events of `source`.
pub fn stream_of(source: &str) -> String {
    format!("{EXTERNAL_CATEGORY}-{}", source_uuid(source))
}

/// The id Vigil stores the event (`source`, `id`) under: the same for a re-sent event.
pub fn event_id_of(source: &str, id: &str) -> Uuid {
    Uuid::new_v5(&source_uuid(source), id.as_bytes())
}

/// Whether `stream_id` holds events from outside.
pub fn is_external(stream_id: &str) -> bool {
    stream_id.strip_prefix(EXTERNAL_CATEGORY).is_some_and(|rest| rest.starts_with('-'))
}

/// The CloudEvent that `recorded` was stored from; `None` for an event of Vigil's own, or for
/// a stored row whose data is not a JSON object (the caller shows it some other way rather
/// than fail).
pub fn original(recorded: &RecordedEvent) -> Option<OriginalCloudEvent<'_>> {
    if !is_external(&recorded.stream_id) {
        return None;
    }
    let Members(members) = serde_json::from_str(&recorded.event.data).ok()?;
    Some(OriginalCloudEvent {
        members,
        position: recorded.position,
        stream_id: &recorded.stream_id,
        stream_version: recorded.stream_version,
        topic: topic_of(&recorded.stream_id, &recorded.event.event_type, &recorded.event.source),
    })
}

/// `recorded` as Vigil lists it; never fails, whatever the stored data.
pub fn listed(recorded: &RecordedEvent) -> Listed<'_> {
    original(recorded).map(Listed::External).unwrap_or_else(|| Listed::Vigil {
        event: recorded.to_cloud_event(),
        topic: topic_of(&recorded.stream_id, &recorded.event.event_type, &recorded.event.source),
    })
}

impl IncomingEvent {
    /// The CloudEvents `id`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The CloudEvents `source`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The CloudEvents `type`.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The CloudEvents `subject`, if any.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The CloudEvents `time`, if any.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.time
    }

    /// The event in the JSON format, as it will be stored.
    pub fn envelope(&self) -> &str {
        &self.envelope
    }

    /// See [`event_id_of`].
    pub fn event_id(&self) -> Uuid {
        event_id_of(&self.source, &self.id)
    }

    /// See [`stream_of`].
    pub fn stream_id(&self) -> String {
        stream_of(&self.source)
    }

    /// The event to append to [`Self::stream_id`], received at `received` through the request
    /// `correlation_id` (which tells, read back, whether this request stored it).
    pub fn into_new_event(self, received: DateTime<Utc>, correlation_id: Uuid) -> NewEvent {
        NewEvent {
            id: self.event_id(),
            event_type: self.event_type,
            schema_version: SCHEMA_VERSION,
            source: self.source,
            subject: self.subject.unwrap_or_default(),
            time: self.time.unwrap_or(received),
            data: self.envelope,
            correlation_id: Some(correlation_id),
            causation_id: None,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}

impl Serialize for OriginalCloudEvent<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.members.len() + VIGIL_ATTRIBUTES.len()))?;
        // Intake refuses Vigil's names; a stored row that has them anyway must not make the
        // answer an object with two members of one name.
        for (name, value) in self.members.iter().filter(|(name, _)| !VIGIL_ATTRIBUTES.contains(&name.as_str())) {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("position", &self.position)?;
        map.serialize_entry("streamid", self.stream_id)?;
        map.serialize_entry("streamversion", &self.stream_version)?;
        map.serialize_entry("topic", &self.topic)?;
        map.end()
    }
}

const NAME_RULE: &str =
    "is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9";

const REQUIRED: &str = "missing: a CloudEvent has specversion, id, source and type";

/// Where the members of an event are, for messages.
#[derive(Clone, Copy)]
enum Place<'p> {
    /// In a JSON body, after this prefix (`""`, `"[3]."`).
    Json(&'p str),
    /// In binary mode's headers and body.
    Binary,
}

impl Place<'_> {
    fn of(self, member: &str) -> String {
        match self {
            Place::Json(prefix) if is_attribute_name(member) || member == "data_base64" => format!("{prefix}{member}"),
            Place::Json(prefix) => format!("{prefix}{}", json_string(member)),
            Place::Binary => match member {
                "datacontenttype" => "content-type".to_owned(),
                "data" | "data_base64" => "body".to_owned(),
                _ => format!("ce-{member}"),
            },
        }
    }
}

/// The members of a JSON object in their order, values undecoded; duplicates are kept, for
/// the validation to name them.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for Object<'a> {
            type Value = Members<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'a>, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, &'a RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(Object(std::marker::PhantomData))
    }
}

/// The members of `raw`, which must be an object; `at` names it in the refusal.
fn object_members<'a>(raw: &'a RawValue, at: &str) -> Result<Vec<(String, &'a RawValue)>, Violation> {
    if !raw.get().starts_with('{') {
        return Err(Violation {
            at: at.to_owned(),
            problem: format!("a CloudEvent is a JSON object, not {}", describe(raw)),
        });
    }
    let Members(members) = serde_json::from_str(raw.get())
        .map_err(|e| Violation { at: at.to_owned(), problem: format!("not a JSON object: {e}") })?;
    Ok(members)
}

/// The attributes an event is indexed and stored by, as validation finds them.
#[derive(Default)]
struct Found {
    id: Option<String>,
    source: Option<String>,
    event_type: Option<String>,
    subject: Option<String>,
    time: Option<DateTime<Utc>>,
    datacontenttype: Option<String>,
}

/// Checks one event's members and keeps them (nulls left out) as its stored envelope.
fn validate<V: Borrow<RawValue>>(members: &[(String, V)], place: Place<'_>) -> Result<IncomingEvent, Violation> {
    let violation = |member: &str, problem: String| Violation { at: place.of(member), problem };
    let mut names = HashSet::with_capacity(members.len());
    for (name, _) in members {
        if !names.insert(name.as_str()) {
            return Err(violation(name, "given more than once".to_owned()));
        }
    }
    // The version first: an event of another version is reported as such, not by whatever of
    // its attributes 1.0 happens to find wrong.
    let specversion = members.iter().find(|(name, _)| name == "specversion").map(|(_, value)| value.borrow());
    match specversion.filter(|value| !is_null(value)).map(string_value).transpose() {
        Err(problem) => return Err(violation("specversion", problem)),
        Ok(None) => return Err(violation("specversion", REQUIRED.to_owned())),
        Ok(Some(version)) if version.is_empty() => return Err(violation("specversion", "must not be empty".into())),
        Ok(Some(version)) if version != "1.0" => {
            return Err(violation(
                "specversion",
                format!("{} is not a version Vigil reads: only CloudEvents 1.0 (\"1.0\")", json_string(&version)),
            ));
        }
        Ok(Some(_)) => {}
    }

    let mut found = Found::default();
    let mut data: Option<&RawValue> = None;
    let mut data_base64 = false;
    let mut kept: Vec<(&str, &RawValue)> = Vec::with_capacity(members.len());
    for (name, value) in members {
        let value: &RawValue = value.borrow();
        let problem = |problem: String| violation(name, problem);
        match name.as_str() {
            "data" => data = Some(value),
            "data_base64" if is_null(value) => continue,
            "data_base64" => {
                let text = string_value(value)
                    .map_err(|_| problem(format!("must be a base64 string, not {}", describe(value))))?;
                BASE64.decode(&text).map_err(|e| problem(format!("not valid base64: {e}")))?;
                data_base64 = true;
            }
            _ if !is_attribute_name(name) => return Err(problem(format!("{} {NAME_RULE}", json_string(name)))),
            _ if is_null(value) => continue,
            _ if VIGIL_ATTRIBUTES.contains(&name.as_str()) => {
                return Err(problem(format!(
                    "{} is reserved: Vigil lists every event with its own {}",
                    json_string(name),
                    VIGIL_ATTRIBUTES.join(", ")
                )));
            }
            "specversion" => {}
            "id" | "type" | "subject" | "source" | "time" | "datacontenttype" | "dataschema" => {
                let text = string_value(value).map_err(problem)?;
                if text.is_empty() {
                    return Err(problem("must not be empty".to_owned()));
                }
                match name.as_str() {
                    "id" => found.id = Some(text),
                    "type" => found.event_type = Some(text),
                    "subject" => found.subject = Some(text),
                    "source" => {
                        if let Some(why) = uri_problem(&text, false) {
                            return Err(problem(format!(
                                "{} is not a URI-reference (RFC 3986): {why}",
                                json_string(&text)
                            )));
                        }
                        found.source = Some(text);
                    }
                    "time" => {
                        let time = rfc3339(&text)
                            .ok_or_else(|| problem(format!("{} is not an RFC 3339 timestamp", json_string(&text))))?;
                        found.time = Some(time);
                    }
                    "datacontenttype" => {
                        media_type(&text).map_err(problem)?;
                        found.datacontenttype = Some(text);
                    }
                    _ => {
                        if let Some(why) = uri_problem(&text, true) {
                            return Err(problem(format!(
                                "{} is not an absolute URI (RFC 3986): {why}",
                                json_string(&text)
                            )));
                        }
                    }
                }
            }
            _ => extension_value(value).map_err(problem)?,
        }
        kept.push((name, value));
    }

    let required = |value: Option<String>, name: &str| value.ok_or_else(|| violation(name, REQUIRED.to_owned()));
    let id = required(found.id, "id")?;
    let source = required(found.source, "source")?;
    let event_type = required(found.event_type, "type")?;
    if let Some(data) = data {
        if data_base64 {
            return Err(violation("data_base64", "given together with data: an event carries one or the other".into()));
        }
        let content_type = found.datacontenttype.as_deref();
        if let Some(content_type) = content_type.filter(|c| media_type(c).is_ok_and(|m| !m.is_json()))
            && !data.get().starts_with('"')
        {
            return Err(violation(
                "data",
                format!(
                    "must be a string, not {}: datacontenttype {} is not JSON",
                    describe(data),
                    json_string(content_type)
                ),
            ));
        }
    }
    Ok(IncomingEvent { id, source, event_type, subject: found.subject, time: found.time, envelope: encode(&kept) })
}

/// The value of a string attribute, or why it is not one.
fn string_value(value: &RawValue) -> Result<String, String> {
    if !value.get().starts_with('"') {
        return Err(format!("must be a string, not {}", describe(value)));
    }
    // The body parsed, so only an escape of half a UTF-16 surrogate pair can fail here.
    let text: String = serde_json::from_str(value.get())
        .map_err(|_| "not a valid string: it has an escaped UTF-16 surrogate (\\uD800 to \\uDFFF) without its pair")?;
    if let Some(c) = text.chars().find(|c| c.is_control() || is_noncharacter(*c)) {
        return Err(format!(
            "contains U+{:04X}, and CloudEvents strings contain no control characters or noncharacters",
            c as u32
        ));
    }
    Ok(text)
}

/// Why an extension's value is not of a CloudEvents type (in JSON: a string, an integer, a
/// boolean; binary, URI and timestamp values are strings).
fn extension_value(value: &RawValue) -> Result<(), String> {
    let text = value.get();
    match text.as_bytes().first() {
        Some(b'"') => string_value(value).map(|_| ()),
        Some(b't' | b'f') => Ok(()),
        Some(b'{' | b'[') => Err(format!("must be a string, an integer or a boolean, not {}", describe(value))),
        _ if text.contains(['.', 'e', 'E']) => {
            Err(format!("{text} is not an integer: CloudEvents integers have no fraction and no exponent"))
        }
        _ => text.parse::<i32>().map(|_| ()).map_err(|_| {
            format!("{text} is outside the range of CloudEvents integers (32-bit: -2147483648 to 2147483647)")
        }),
    }
}

fn is_null(value: &RawValue) -> bool {
    value.get() == "null"
}

/// A JSON value in words, for messages.
fn describe(value: &RawValue) -> String {
    let text = value.get();
    match text.as_bytes().first() {
        Some(b'{') => "an object".to_owned(),
        Some(b'[') => "an array".to_owned(),
        Some(b'"') => "a string".to_owned(),
        Some(b'n') => "null".to_owned(),
        Some(b't' | b'f') => format!("the boolean {text}"),
        _ => format!("the number {text}"),
    }
}

/// CloudEvents attribute names: lowercase ASCII letters and digits. The spec's 20 characters
/// are a SHOULD, so longer names pass.
fn is_attribute_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_noncharacter(c: char) -> bool {
    let code = c as u32;
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// A timestamp as RFC 3339's grammar writes it (`T` or `t`, seconds, optional fraction, `Z`,
/// `z` or `±hh:mm`): chrono alone also takes a space for the `T`.
fn rfc3339(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start + b[start..].iter().take_while(|d| d.is_ascii_digit()).count();
        if i == start {
            return None;
        }
    }
    let offset = match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    };
    if !offset {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// A media type as RFC 2046 (with RFC 7231's grammar) writes it: `type/subtype` and
/// `; name=value` parameters.
struct MediaType {
    /// `type/subtype`, lowercase.
    essence: String,
    /// Names lowercase, values as written (quotes taken off).
    parameters: Vec<(String, String)>,
}

impl MediaType {
    fn subtype(&self) -> &str {
        self.essence.split_once('/').map_or("", |(_, subtype)| subtype)
    }

    /// JSON as the JSON format defines it: `*/json` or `*/*+json`.
    fn is_json(&self) -> bool {
        self.subtype() == "json" || self.subtype().ends_with("+json")
    }

    /// Text a JSON string can hold as it is.
    fn is_text(&self) -> bool {
        self.essence.starts_with("text/")
            || self.subtype() == "xml"
            || self.subtype().ends_with("+xml")
            || self.parameters.iter().any(|(name, _)| name == "charset")
    }

    fn charset(&self) -> Option<&str> {
        self.parameters.iter().find(|(name, _)| name == "charset").map(|(_, value)| value.as_str())
    }
}

fn media_type(text: &str) -> Result<MediaType, String> {
    let refuse = |why: String| {
        format!("{} is not a media type (RFC 2046: type/subtype and ;name=value parameters): {why}", json_string(text))
    };
    let b = text.as_bytes();
    let mut i = 0;
    let kind = token(text, &mut i);
    if kind.is_empty() || b.get(i) != Some(&b'/') {
        return Err(refuse("no type/ at its start".to_owned()));
    }
    i += 1;
    let subtype = token(text, &mut i);
    if subtype.is_empty() {
        return Err(refuse("no subtype after the /".to_owned()));
    }
    let mut parameters = Vec::new();
    loop {
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let Some(&next) = b.get(i) else { break };
        if next != b';' {
            return Err(refuse(format!("{} at {i} where a ; or the end belongs", describe_char(text, i))));
        }
        i += 1;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let name = token(text, &mut i);
        if name.is_empty() {
            return Err(refuse(format!("a parameter without a name at {i}")));
        }
        if b.get(i) != Some(&b'=') {
            return Err(refuse(format!("the parameter {name} has no =value")));
        }
        i += 1;
        let value = if b.get(i) == Some(&b'"') {
            let mut value = Vec::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err(refuse(format!("the value of {name} has no closing quote"))),
                    Some(b'"') => break,
                    Some(b'\\') if i + 1 < b.len() => {
                        value.push(b[i + 1]);
                        i += 2;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
            i += 1;
            String::from_utf8_lossy(&value).into_owned()
        } else {
            let value = token(text, &mut i);
            if value.is_empty() {
                return Err(refuse(format!("the parameter {name} has an empty value")));
            }
            value.to_owned()
        };
        parameters.push((name.to_ascii_lowercase(), value));
    }
    let essence = format!("{kind}/{subtype}").to_ascii_lowercase();
    Ok(MediaType { essence, parameters })
}

/// The HTTP token (RFC 7230 `tchar`s) at `*i`, moving `*i` past it.
fn token<'t>(text: &'t str, i: &mut usize) -> &'t str {
    let start = *i;
    while text.as_bytes().get(*i).is_some_and(|&c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)) {
        *i += 1;
    }
    &text[start..*i]
}

/// Why `text` is not a URI-reference (RFC 3986), or not an absolute URI when `absolute`:
/// every character one that a URI may hold, `%` only as `%XX`, one `#` at most, and before
/// the first `:` (when no `/`, `?` or `#` comes first) a scheme.
fn uri_problem(text: &str, absolute: bool) -> Option<String> {
    let b = text.as_bytes();
    let mut fragment = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if b.get(i + 1..i + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) => i += 2,
            b'%' => return Some(format!("the % at {i} does not start a percent-encoding (%XX)")),
            b'#' if fragment => return Some(format!("a second # at {i}")),
            b'#' => fragment = true,
            c if c.is_ascii_alphanumeric() || b"-._~:/?[]@!$&'()*+,;=".contains(&c) => {}
            _ => return Some(format!("{} at {i} must be percent-encoded", describe_char(text, i))),
        }
        i += 1;
    }
    match text.find([':', '/', '?', '#']) {
        Some(end) if b[end] == b':' => {
            let scheme = &text[..end];
            let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
            (!valid).then(|| format!("{} before the first : is not a scheme", json_string(scheme)))
        }
        _ if absolute => Some("it has no scheme (such as https:)".to_owned()),
        _ => None,
    }
}

/// The character at byte `i` of `text`, in words.
fn describe_char(text: &str, i: usize) -> String {
    match text[i..].chars().next() {
        Some(' ') => "a space".to_owned(),
        Some(c) if c.is_control() || !c.is_ascii() => format!("U+{:04X}", c as u32),
        Some(c) => format!("{c:?}"),
        None => "the end".to_owned(),
    }
}

/// A `ce-` header's value as the HTTP binding decodes it: printable ASCII, a double-quoted
/// string unescaped, then one round of percent-decoding into UTF-8.
fn header_text(value: &[u8]) -> Result<String, String> {
    let printable = |b: &u8| *b == b'\t' || (0x20..0x7f).contains(b);
    if !value.iter().all(printable) {
        return Err("not printable ASCII: the HTTP binding percent-encodes every other character".to_owned());
    }
    let text = std::str::from_utf8(value).unwrap_or_default().trim_matches([' ', '\t']);
    let unquoted;
    let text = if let Some(quoted) = text.strip_prefix('"') {
        let mut out = String::with_capacity(quoted.len());
        let mut chars = quoted.chars();
        loop {
            match chars.next() {
                None => return Err("a quoted value without its closing quote".to_owned()),
                Some('"') if chars.as_str().is_empty() => break,
                Some('"') => return Err("characters after the closing quote".to_owned()),
                Some('\\') => out.push(chars.next().ok_or("a quoted value without its closing quote")?),
                Some(c) => out.push(c),
            }
        }
        unquoted = out;
        unquoted.as_str()
    } else {
        text
    };
    let b = text.as_bytes();
    let mut decoded = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let byte = b
                .get(i + 1..i + 3)
                .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok())
                .ok_or_else(|| format!("the % at {i} does not start a percent-encoding (%XX)"))?;
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| "its percent-encoded bytes are not UTF-8".to_owned())
}

/// Refuses a structured or batch `content_type` whose format or charset Vigil does not read.
fn json_format(content_type: &str, expected: &str) -> Result<(), Refusal> {
    let media = media_type(content_type).map_err(Refusal::UnsupportedMediaType)?;
    if media.essence != expected {
        return Err(Refusal::UnsupportedMediaType(format!(
            "Content-Type {}: Vigil reads CloudEvents in the JSON format only ({STRUCTURED}, {BATCH})",
            json_string(content_type)
        )));
    }
    match media.charset() {
        Some(charset) if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") => {
            Err(Refusal::UnsupportedMediaType(format!("charset {charset}: CloudEvents JSON is UTF-8")))
        }
        _ => Ok(()),
    }
}

fn body_text(body: &[u8]) -> Result<&str, Violation> {
    std::str::from_utf8(body).map_err(|e| self::body(format!("not valid UTF-8: {e}")))
}

fn body(problem: String) -> Violation {
    Violation { at: "body".to_owned(), problem }
}

fn invalid(at: &str, problem: String) -> Refusal {
    Refusal::Invalid(Violation { at: at.to_owned(), problem })
}

fn source_uuid(source: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, source.as_bytes())
}

/// `text` as a JSON string.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn raw_string(text: &str) -> Box<RawValue> {
    RawValue::from_string(json_string(text)).unwrap_or_else(|_| unreachable!("a JSON string is JSON"))
}

/// The kept members as one JSON object; the values are written as they are.
fn encode(members: &[(&str, &RawValue)]) -> String {
    struct Object<'m>(&'m [(&'m str, &'m RawValue)]);

    impl Serialize for Object<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (name, value) in self.0 {
                map.serialize_entry(name, value)?;
            }
            map.end()
        }
    }

    // Writing strings and JSON values into a string cannot fail.
    serde_json::to_string(&Object(members)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
