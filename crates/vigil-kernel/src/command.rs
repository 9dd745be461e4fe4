//! Command handling: load state, decide, append with the expected version, retry on conflict.

use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use uuid::Uuid;

use crate::decider::Decider;
use crate::envelope::{EventMetadata, NewEvent};
use crate::store::{AppendError, Appended, EventStore, ExpectedVersion, Snapshot, SnapshotStore, StoreError};
use crate::upcast::DecodeError;

/// Settings of a [`CommandHandler`].
#[derive(Clone, Debug)]
pub struct CommandHandlerConfig {
    /// How many times a command is decided again after losing a version race.
    pub max_attempts: u32,
    /// How many aggregate states are kept in memory.
    pub cache_capacity: usize,
    /// With snapshots on, a snapshot is saved each time a stream passes a multiple of this
    /// many events, so a cold load replays at most this many.
    pub snapshot_every: u64,
}

impl Default for CommandHandlerConfig {
    fn default() -> Self {
        CommandHandlerConfig { max_attempts: 5, cache_capacity: 100_000, snapshot_every: 1000 }
    }
}

/// What a handled command did.
#[derive(Clone, Debug)]
pub struct Handled<E> {
    /// The events decided (empty when nothing changed).
    pub events: Vec<E>,
    /// The stream's version afterwards.
    pub stream_version: u64,
    /// Global position of the last appended event, if any.
    pub last_position: Option<u64>,
}

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<R: std::error::Error + 'static> {
    /// The business rules refused it.
    #[error(transparent)]
    Rejected(R),
    /// It lost the version race `max_attempts` times.
    #[error("gave up after {attempts} version conflicts on {stream_id}")]
    Contended {
        /// The stream.
        stream_id: String,
        /// How often it tried.
        attempts: u32,
    },
    /// A stored event no longer decodes.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A state as cached: shared, so that a lookup or an unchanged command copies nothing (a
/// host's state carries its whole discovery, and heartbeats look it up 2,000 times a second
/// at 10,000 agents).
struct Loaded<S> {
    state: Arc<S>,
    version: u64,
}

impl<S> Clone for Loaded<S> {
    fn clone(&self) -> Self {
        Loaded { state: self.state.clone(), version: self.version }
    }
}

/// Runs commands of one aggregate type against an [`EventStore`].
///
/// States are cached in memory after the first load, so a command on a warm aggregate costs
/// one `decide` and (when something changed) one append. A conflict drops the cached state,
/// reloads it from the store and decides again.
pub struct CommandHandler<D: Decider> {
    store: Arc<dyn EventStore>,
    cache: Mutex<LruCache<String, Loaded<D::State>>>,
    config: CommandHandlerConfig,
    snapshots: Option<Snapshots<D::State>>,
    _decider: PhantomData<fn() -> D>,
}

/// A snapshot store and how to turn the state into text and back (the `serde` bounds live
/// only here, so aggregates without snapshots need none).
struct Snapshots<S> {
    store: Arc<dyn SnapshotStore>,
    encode: fn(&S) -> Option<String>,
    decode: fn(&str) -> Option<S>,
}

impl<D: Decider> CommandHandler<D> {
    /// A handler over `store`.
    pub fn new(store: Arc<dyn EventStore>, config: CommandHandlerConfig) -> Self {
        let capacity = NonZeroUsize::new(config.cache_capacity.max(1)).expect("capacity is at least 1");
        CommandHandler {
            store,
            cache: Mutex::new(LruCache::new(capacity)),
            config,
            snapshots: None,
            _decider: PhantomData,
        }
    }

    /// A handler that keeps snapshots in `snapshots` every `config.snapshot_every` events, so
    /// that an aggregate with a long history loads about as fast as a new one. A snapshot
    /// that no longer decodes (the state's shape changed) is ignored and the state rebuilt
    /// from the events.
    pub fn with_snapshots(
        store: Arc<dyn EventStore>,
        snapshots: Arc<dyn SnapshotStore>,
        config: CommandHandlerConfig,
    ) -> Self
    where
        D::State: serde::Serialize + serde::de::DeserializeOwned,
    {
        let mut handler = Self::new(store, config);
        handler.snapshots = Some(Snapshots {
            store: snapshots,
            encode: |state| serde_json::to_string(state).ok(),
            decode: |text| serde_json::from_str(text).ok(),
        });
        handler
    }

    /// Decides `command` against aggregate `id` and appends the resulting events.
    pub async fn handle(
        &self,
        id: &str,
        command: D::Command,
        meta: &EventMetadata,
    ) -> Result<Handled<D::Event>, CommandError<D::Rejection>> {
        let stream_id = D::stream_id(id);
        for _ in 0..self.config.max_attempts {
            let loaded = self.load(&stream_id).await?;
            let events = match D::decide(&loaded.state, command.clone()) {
                Ok(events) => events,
                Err(rejection) => {
                    // An acceptance decided on a stale state is caught by the expected version
                    // of its append; a rejection appends nothing, so it is checked here: the
                    // cached state may lag an append another task made and has not remembered
                    // yet (the store announces an event before its writer returns). A
                    // rejection is final only against the stream as stored.
                    let (newer, changed) = self.catch_up(&stream_id, loaded).await?;
                    if !changed {
                        return Err(CommandError::Rejected(rejection));
                    }
                    self.remember(&stream_id, newer);
                    continue;
                }
            };
            if events.is_empty() {
                return Ok(Handled { events, stream_version: loaded.version, last_position: None });
            }
            // Ids are minted here, in the runtime half, and not by the pure envelope: a
            // UUIDv7 reads the clock. One per event, in order, so they sort as they happened.
            let new_events: Vec<NewEvent> =
                events.iter().map(|e| NewEvent::encode(e, id, meta, Uuid::now_v7())).collect();
            match self.store.append(&stream_id, ExpectedVersion::Exactly(loaded.version), new_events).await {
                Ok(Appended { stream_version, last_position }) => {
                    let before = loaded.version;
                    // The cache's copy of the state we decided on is about to be replaced:
                    // letting go of it first leaves ours the only one, so evolving it moves
                    // the state instead of copying it (a host's carries its whole discovery).
                    self.release(&stream_id, &loaded.state);
                    let state = events.iter().fold(Arc::unwrap_or_clone(loaded.state), D::evolve);
                    let after = Loaded { state: Arc::new(state), version: stream_version };
                    self.snapshot_if_due(&stream_id, before, &after).await;
                    self.remember(&stream_id, after);
                    return Ok(Handled { events, stream_version, last_position });
                }
                Err(AppendError::Conflict { .. }) => {
                    self.forget(&stream_id);
                    continue;
                }
                Err(AppendError::IdReused { event_id }) => {
                    return Err(StoreError(format!("fresh event id {event_id} collided")).into());
                }
                Err(AppendError::Store(e)) => {
                    // The append may or may not have landed; the next load tells.
                    self.forget(&stream_id);
                    return Err(e.into());
                }
            }
        }
        Err(CommandError::Contended { stream_id, attempts: self.config.max_attempts })
    }

    /// The current state and version of aggregate `id` (shared with the cache: no copy).
    pub async fn state(&self, id: &str) -> Result<(Arc<D::State>, u64), CommandError<D::Rejection>> {
        let loaded = self.load(&D::stream_id(id)).await?;
        Ok((loaded.state, loaded.version))
    }

    async fn load(&self, stream_id: &str) -> Result<Loaded<D::State>, CommandError<D::Rejection>> {
        if let Some(hit) = self.cache.lock().expect("cache lock").get(stream_id).cloned() {
            return Ok(hit);
        }
        let (state, version) = self.load_snapshot(stream_id).await;
        let (loaded, _) = self.catch_up(stream_id, Loaded { state: Arc::new(state), version }).await?;
        self.remember(stream_id, loaded.clone());
        Ok(loaded)
    }

    /// `loaded` with the events stored after its version applied, and whether there were any.
    async fn catch_up(
        &self,
        stream_id: &str,
        loaded: Loaded<D::State>,
    ) -> Result<(Loaded<D::State>, bool), CommandError<D::Rejection>> {
        let recorded = self.store.read_stream(stream_id, loaded.version).await?;
        let Some(last) = recorded.last() else { return Ok((loaded, false)) };
        let version = last.stream_version;
        let mut state = Arc::unwrap_or_clone(loaded.state);
        for r in &recorded {
            state = D::evolve(state, &r.decode::<D::Event>()?);
        }
        Ok((Loaded { state: Arc::new(state), version }, true))
    }

    async fn load_snapshot(&self, stream_id: &str) -> (D::State, u64) {
        let empty = (D::State::default(), 0);
        let Some(snapshots) = &self.snapshots else { return empty };
        match snapshots.store.load_snapshot(stream_id).await {
            Ok(Some(snapshot)) => match (snapshots.decode)(&snapshot.state) {
                Some(state) => (state, snapshot.version),
                None => {
                    tracing::warn!(stream = stream_id, "a snapshot no longer decodes; rebuilding from events");
                    empty
                }
            },
            Ok(None) => empty,
            Err(error) => {
                tracing::warn!(stream = stream_id, %error, "cannot read a snapshot; rebuilding from events");
                empty
            }
        }
    }

    /// Saves a snapshot when the append carried the stream past a multiple of
    /// `snapshot_every`. A failure only costs a longer load later.
    async fn snapshot_if_due(&self, stream_id: &str, before: u64, after: &Loaded<D::State>) {
        let Some(snapshots) = &self.snapshots else { return };
        let every = self.config.snapshot_every.max(1);
        if after.version / every == before / every {
            return;
        }
        let Some(state) = (snapshots.encode)(&after.state) else { return };
        let snapshot = Snapshot { stream_id: stream_id.to_owned(), version: after.version, state };
        if let Err(error) = snapshots.store.save_snapshot(snapshot).await {
            tracing::warn!(stream = stream_id, %error, "cannot save a snapshot");
        }
    }

    fn remember(&self, stream_id: &str, loaded: Loaded<D::State>) {
        let mut cache = self.cache.lock().expect("cache lock");
        // Two commands on one aggregate may finish out of order; keep the newer state.
        if cache.peek(stream_id).is_none_or(|old| old.version <= loaded.version) {
            cache.put(stream_id.to_owned(), loaded);
        }
    }

    /// Drops the cached state of `stream_id` if it is `state` itself (not a newer one).
    fn release(&self, stream_id: &str, state: &Arc<D::State>) {
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.peek(stream_id).is_some_and(|cached| Arc::ptr_eq(&cached.state, state)) {
            cache.pop(stream_id);
        }
    }

    fn forget(&self, stream_id: &str) {
        self.cache.lock().expect("cache lock").pop(stream_id);
    }
}
