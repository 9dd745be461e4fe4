//! The event-store port. Adapters (SQLite, PostgreSQL) live in `vigil-store` and pass its
//! conformance suite.

use async_trait::async_trait;
use tokio::sync::watch;

use crate::envelope::{NewEvent, RecordedEvent};

/// What the writer expects the stream to look like, for optimistic concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version.
    Any,
    /// The stream must have exactly this many events (0: it must not exist yet).
    Exactly(u64),
}

/// Where an append landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The stream's version after the append.
    pub stream_version: u64,
    /// Global position of the last appended event; `None` when nothing was appended.
    pub last_position: Option<u64>,
}

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Someone else appended first.
    #[error("stream {stream_id} is at version {actual}, expected {expected:?}")]
    Conflict {
        /// The stream.
        stream_id: String,
        /// What the caller expected.
        expected: ExpectedVersion,
        /// What the stream is at.
        actual: u64,
    },
    /// Event ids were reused for different events.
    #[error("event {event_id} already exists with different content or in another stream")]
    IdReused {
        /// The id.
        event_id: uuid::Uuid,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The store failed for reasons outside the caller's control.
#[derive(Debug, thiserror::Error)]
#[error("event store: {0}")]
pub struct StoreError(pub String);

/// Filters for browsing the stored events.
#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    /// Only events after this global position.
    pub after_position: u64,
    /// Only events whose CloudEvents `subject` is this.
    pub subject: Option<String>,
    /// Only events of this type.
    pub event_type: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// An append-only event store with per-stream versions and one global order.
///
/// *Contract* (checked by `vigil_store::event_store_contract_tests!`): an append is durable
/// once it returns `Ok`; positions are strictly increasing in commit order and a reader never
/// sees position `n + 1` before `n`; re-appending events whose ids are stored already returns
/// the original result without writing.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` to one stream, atomically.
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError>;

    /// Events of one stream with a version above `after_version`, in order.
    async fn read_stream(&self, stream_id: &str, after_version: u64) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events after global position `after_position`, in order.
    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Events matching `query`, in global order.
    async fn query(&self, query: EventQuery) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The stored event whose id is `event_id`, if any: how an API finds one event it was
    /// asked about (its history, its actions) without knowing its stream.
    async fn event_by_id(&self, event_id: uuid::Uuid) -> Result<Option<RecordedEvent>, StoreError>;

    /// The events of streams of the given categories (`"host"` for `host-…` streams) among
    /// those after `after_position`, looking at most `limit` positions ahead, in order; and
    /// the position looked through. Every event up to that position that is not returned
    /// belongs to another category, so a reader that needs only these categories can move
    /// on to it even when nothing was returned.
    ///
    /// This default reads everything and filters; an adapter may leave the other events out
    /// without reading them.
    async fn read_categories(
        &self,
        after_position: u64,
        limit: usize,
        categories: &[&str],
    ) -> Result<(Vec<RecordedEvent>, u64), StoreError> {
        let events = self.read_all(after_position, limit).await?;
        let through = events.last().map_or(after_position, |e| e.position);
        let events = events.into_iter().filter(|e| in_categories(&e.stream_id, categories)).collect();
        Ok((events, through))
    }

    /// The last committed global position; changes whenever a commit lands, so that
    /// subscribers wake without polling.
    fn head(&self) -> watch::Receiver<u64>;
}

/// Whether stream `stream_id` is of one of `categories` (`"{category}-{id}"`).
pub fn in_categories(stream_id: &str, categories: &[&str]) -> bool {
    stream_id.split_once('-').is_some_and(|(category, _)| categories.contains(&category))
}

/// A saved state of one aggregate at a stream version: a cache that lets a long stream load
/// from its last snapshot instead of from its first event.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The stream.
    pub stream_id: String,
    /// The stream version the state includes.
    pub version: u64,
    /// The state, serialised by the aggregate's handler.
    pub state: String,
}

/// Where snapshots are kept. Losing one costs only time: the state is rebuilt from events.
#[async_trait]
pub trait SnapshotStore: Send + Sync + 'static {
    /// The latest snapshot of `stream_id`, if any.
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError>;

    /// Replaces the snapshot of its stream.
    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError>;
}
