//! The JetStream streams the relay writes, their settings, and where the relay resumes.
//!
//! `VIGIL_EVENTS` (subjects `vigil.>`) holds the events: file storage, limits retention
//! (`max_age`, zero = no age limit), discard old, one replica, the `duplicate_window`
//! configured. `VIGIL_EVENTS_RELAY` (subject `vigil-relay.VIGIL_EVENTS`, one message, no age
//! limit) holds the relay's last position, read only when the events stream has no message
//! left (all aged out or purged): without it a relay started on such a stream could not tell
//! what it had published.

use std::time::Duration;

use async_nats::jetstream::Context;
use async_nats::jetstream::stream::{
    Config, DiscardPolicy, LastRawMessageErrorKind, RetentionPolicy, StorageType, Stream,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::subject::{MSG_ID, POSITION};

/// The events stream's settings, as the relay creates or updates it at every start.
#[derive(Clone, Debug)]
pub struct StreamSettings {
    /// Its name (`VIGIL_EVENTS`).
    pub name: String,
    /// The first token of its subjects (`vigil`: it captures `vigil.>`).
    pub subject_prefix: String,
    /// Zero: no age limit.
    pub max_age: Duration,
    /// How long a `Nats-Msg-Id` is remembered.
    pub duplicate_window: Duration,
}

impl StreamSettings {
    /// The events stream's configuration.
    pub fn config(&self) -> Config {
        Config {
            name: self.name.clone(),
            description: Some("Vigil's stored events as CloudEvents, published by the relay".into()),
            subjects: vec![format!("{}.>", self.subject_prefix)],
            storage: StorageType::File,
            retention: RetentionPolicy::Limits,
            discard: DiscardPolicy::Old,
            max_age: self.max_age,
            duplicate_window: self.duplicate_window,
            num_replicas: 1,
            ..Default::default()
        }
    }

    /// The relay stream's name.
    pub fn marker_stream(&self) -> String {
        format!("{}_RELAY", self.name)
    }

    /// The subject of the relay's position.
    pub fn marker_subject(&self) -> String {
        format!("vigil-relay.{}", self.name)
    }

    fn marker_config(&self) -> Config {
        Config {
            name: self.marker_stream(),
            description: Some("The position Vigil's relay last published into the events stream".into()),
            subjects: vec![self.marker_subject()],
            storage: StorageType::File,
            retention: RetentionPolicy::Limits,
            discard: DiscardPolicy::Old,
            max_messages_per_subject: 1,
            num_replicas: 1,
            ..Default::default()
        }
    }
}

/// Why the relay could not set up or read the streams.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// NATS did not answer or refused; retry.
    #[error("{0}")]
    Nats(String),
    /// The stream holds what the relay cannot resume from; retrying does not help.
    #[error("{0}")]
    Unusable(String),
}

/// The last message of the events stream as the relay left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resume {
    /// The store position of the last event in the stream (0: none).
    pub position: u64,
    /// Its event id, to check it against the store.
    pub event_id: Option<Uuid>,
    /// The stream's last sequence: the next publish expects it.
    pub last_sequence: u64,
}

/// What the relay stream's one message says.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Marker {
    pub position: u64,
    pub sequence: u64,
}

/// Creates the two streams, or updates them to these settings.
pub async fn ensure(js: &Context, settings: &StreamSettings) -> Result<Stream, StreamError> {
    js.create_or_update_stream(settings.marker_config())
        .await
        .map_err(|e| StreamError::Nats(format!("stream {}: {e}", settings.marker_stream())))?;
    js.create_or_update_stream(settings.config())
        .await
        .map_err(|e| StreamError::Nats(format!("stream {}: {e}", settings.name)))?;
    js.get_stream(&settings.name).await.map_err(|e| StreamError::Nats(format!("stream {}: {e}", settings.name)))
}

/// How far back the relay looks for its last message past others' (a message published into
/// the stream by someone else, a deleted one).
const LOOK_BACK: u64 = 1000;

/// Where the stream ends: the last message that carries a position.
pub async fn resume(js: &Context, stream: &mut Stream, settings: &StreamSettings) -> Result<Resume, StreamError> {
    let state = stream.info().await.map_err(|e| StreamError::Nats(format!("stream info: {e}")))?.state.clone();
    let last_sequence = state.last_sequence;
    if state.messages == 0 {
        // Nothing left to read the position off: the marker says how far the relay went.
        let position = if last_sequence == 0 { 0 } else { marker(js, settings).await?.map_or(0, |m| m.position) };
        if last_sequence > 0 {
            tracing::warn!(
                stream = %settings.name,
                last_sequence,
                position,
                "the stream holds no message (aged out or purged): resuming after the relay's marker"
            );
        }
        return Ok(Resume { position, event_id: None, last_sequence });
    }
    let lowest = state.first_sequence.max(last_sequence.saturating_sub(LOOK_BACK));
    for sequence in (lowest..=last_sequence).rev() {
        let message = match stream.get_raw_message(sequence).await {
            Ok(message) => message,
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => continue,
            Err(e) => return Err(StreamError::Nats(format!("message {sequence}: {e}"))),
        };
        let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_owned());
        let Some(position) = header(POSITION) else { continue };
        let position = position
            .parse()
            .map_err(|_| StreamError::Unusable(format!("message {sequence} has position header `{position}`")))?;
        let event_id = header(MSG_ID).and_then(|id| id.parse().ok());
        return Ok(Resume { position, event_id, last_sequence });
    }
    Err(StreamError::Unusable(format!(
        "none of the stream's last {LOOK_BACK} messages carries a {POSITION} header: the stream {} is not the relay's",
        settings.name
    )))
}

async fn marker(js: &Context, settings: &StreamSettings) -> Result<Option<Marker>, StreamError> {
    let stream = js
        .get_stream(settings.marker_stream())
        .await
        .map_err(|e| StreamError::Nats(format!("stream {}: {e}", settings.marker_stream())))?;
    match stream.get_last_raw_message_by_subject(&settings.marker_subject()).await {
        Ok(message) => serde_json::from_slice(&message.payload)
            .map(Some)
            .map_err(|e| StreamError::Unusable(format!("the relay marker does not read: {e}"))),
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(StreamError::Nats(format!("relay marker: {e}"))),
    }
}

/// Records that the stream's message `sequence` holds the event at `position`.
pub(crate) async fn write_marker(js: &Context, settings: &StreamSettings, marker: Marker) -> Result<(), String> {
    let payload = serde_json::to_vec(&marker).map_err(|e| e.to_string())?;
    let ack = js.publish(settings.marker_subject(), payload.into()).await.map_err(|e| e.to_string())?;
    ack.await.map(|_| ()).map_err(|e| e.to_string())
}
