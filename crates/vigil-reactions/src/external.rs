//! Events from outside providers (`POST /api/v1/events`): appended to the streams of their
//! sources, each (`source`, `id`) once.
//!
//! Deduplication is the store's: an outside event's id follows from its source and id
//! ([`crate::cloudevents`]), and re-appending a stored id in its stream returns the
//! original result without writing. That result looks the same whether this append wrote
//! or not, so every event carries the request's id as its correlation id, and the event read
//! back at the returned position tells which happened, also when two requests race with the
//! same event.

use std::collections::HashMap;

use crate::cloudevents::IncomingEvent;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::{AppendError, EventStore, ExpectedVersion, StoreError};

/// Where one event of a request is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Vigil's id of the event.
    pub event_id: Uuid,
    /// Its global position (the original's, for a duplicate).
    pub position: u64,
    /// Stored before: by an earlier request, or earlier in this one.
    pub duplicate: bool,
}

/// Why the events were not all stored.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The store failed; nothing of the failing stream is stored, the streams before it are.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store answered something the derivation of ids rules out (a bug).
    #[error("{0}")]
    Inconsistent(String),
}

/// Appends `events` (validated, all of one request) in their order, one append per source's
/// stream, and says for each where it is stored. Durable when it returns.
pub async fn publish(
    store: &dyn EventStore,
    events: Vec<IncomingEvent>,
    received: DateTime<Utc>,
    correlation_id: Uuid,
) -> Result<Vec<Stored>, PublishError> {
    // The first of each id goes to its stream's group; a later copy in the same request
    // answers as its duplicate.
    let mut first_of: HashMap<Uuid, usize> = HashMap::with_capacity(events.len());
    let mut copies: Vec<(usize, usize)> = Vec::new();
    let mut groups: Vec<(String, Vec<(usize, NewEvent)>)> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let n_events = events.len();
    for (i, event) in events.into_iter().enumerate() {
        let event_id = event.event_id();
        if let Some(&first) = first_of.get(&event_id) {
            copies.push((i, first));
            continue;
        }
        first_of.insert(event_id, i);
        let stream_id = event.stream_id();
        let group = *group_of.entry(stream_id.clone()).or_insert_with(|| {
            groups.push((stream_id, Vec::new()));
            groups.len() - 1
        });
        groups[group].1.push((i, event.into_new_event(received, correlation_id)));
    }

    let mut stored: Vec<Option<Stored>> = vec![None; n_events];
    for (stream_id, group) in groups {
        let (indexes, events): (Vec<usize>, Vec<NewEvent>) = group.into_iter().unzip();
        let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
        let placed = append_group(store, &stream_id, events, correlation_id).await?;
        for ((i, event_id), (position, duplicate)) in indexes.into_iter().zip(ids).zip(placed) {
            stored[i] = Some(Stored { event_id, position, duplicate });
        }
    }
    for (copy, first) in copies {
        stored[copy] = stored[first].map(|s| Stored { duplicate: true, ..s });
    }
    stored
        .into_iter()
        .map(|s| s.ok_or_else(|| PublishError::Inconsistent("an event of the request was not placed".into())))
        .collect()
}

/// Appends the events of one stream at once; (position, duplicate) for each.
///
/// One append is atomic and refuses a mix of stored and new ids, so it either wrote them
/// all or found them all stored, or (a mix: some were sent before) is refused and the events
/// go one by one.
async fn append_group(
    store: &dyn EventStore,
    stream_id: &str,
    events: Vec<NewEvent>,
    correlation_id: Uuid,
) -> Result<Vec<(u64, bool)>, PublishError> {
    let n = events.len() as u64;
    let last = events.last().map(|e| e.id).unwrap_or_default();
    match store.append(stream_id, ExpectedVersion::Any, events.clone()).await {
        Ok(appended) => {
            let position = last_position(appended.last_position)?;
            if !written_by(store, position, last, correlation_id).await? {
                return if n == 1 {
                    Ok(vec![(position, true)])
                } else {
                    one_by_one(store, stream_id, events, correlation_id).await
                };
            }
            // Ours, in one piece: the stream's last n versions up to the append's.
            let first_version = appended.stream_version.checked_sub(n).ok_or_else(|| {
                PublishError::Inconsistent(format!(
                    "{stream_id} is at version {} after {n} events",
                    appended.stream_version
                ))
            })?;
            let recorded = store.read_stream(stream_id, first_version).await?;
            let placed: Vec<(u64, bool)> = recorded
                .iter()
                .zip(&events)
                .filter(|(recorded, event)| recorded.event.id == event.id)
                .map(|(recorded, _)| (recorded.position, false))
                .collect();
            if placed.len() != events.len() {
                return Err(PublishError::Inconsistent(format!("{stream_id} does not read back as appended")));
            }
            Ok(placed)
        }
        Err(AppendError::IdReused { .. }) if n > 1 => one_by_one(store, stream_id, events, correlation_id).await,
        Err(AppendError::Store(e)) => Err(e.into()),
        Err(other) => Err(PublishError::Inconsistent(other.to_string())),
    }
}

/// In order, one append each: slower (a commit each), taken only for a group that mixes new
/// events with ones sent before.
async fn one_by_one(
    store: &dyn EventStore,
    stream_id: &str,
    events: Vec<NewEvent>,
    correlation_id: Uuid,
) -> Result<Vec<(u64, bool)>, PublishError> {
    let mut placed = Vec::with_capacity(events.len());
    for event in events {
        let id = event.id;
        let appended = store.append(stream_id, ExpectedVersion::Any, vec![event]).await.map_err(|e| match e {
            AppendError::Store(e) => PublishError::Store(e),
            other => PublishError::Inconsistent(other.to_string()),
        })?;
        let position = last_position(appended.last_position)?;
        placed.push((position, !written_by(store, position, id, correlation_id).await?));
    }
    Ok(placed)
}

/// Whether the event `id` at `position` was appended by the request `correlation_id`.
async fn written_by(
    store: &dyn EventStore,
    position: u64,
    id: Uuid,
    correlation_id: Uuid,
) -> Result<bool, PublishError> {
    let read = store.read_all(position - 1, 1).await?;
    match read.first() {
        Some(recorded) if recorded.position == position && recorded.event.id == id => {
            Ok(recorded.event.correlation_id == Some(correlation_id))
        }
        _ => Err(PublishError::Inconsistent(format!("the event at position {position} is not {id}"))),
    }
}

fn last_position(position: Option<u64>) -> Result<u64, PublishError> {
    position.filter(|p| *p > 0).ok_or_else(|| PublishError::Inconsistent("an append of events placed none".into()))
}
