//! Projections: named, durable, at-least-once subscriptions that keep read models current.
//!
//! A projection stores its checkpoint in the same transaction as its read-model changes, so
//! a crash can neither apply an event twice nor skip one. The runner catches up from the
//! checkpoint, then waits on the store's head (no polling loop) for new commits.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::envelope::RecordedEvent;
use crate::store::{EventStore, StoreError};

/// Why a projection could not make progress.
#[derive(Debug, thiserror::Error)]
#[error("projection {name}: {message}")]
pub struct ProjectionError {
    /// The projection.
    pub name: String,
    /// What went wrong.
    pub message: String,
}

/// A read model fed by the event stream.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Stable name; also the name of its checkpoint.
    fn name(&self) -> &'static str;

    /// The position of the last event applied (0: none).
    async fn checkpoint(&self) -> Result<u64, ProjectionError>;

    /// Applies `events` (in order, all after the checkpoint) and moves the checkpoint to the
    /// last one's position, atomically.
    async fn apply(&self, events: Vec<RecordedEvent>) -> Result<(), ProjectionError>;

    /// Empties the read model and sets the checkpoint to 0, for a rebuild.
    async fn reset(&self) -> Result<(), ProjectionError>;

    /// The stream categories whose events `apply` reads (`"host"` for `host-…` streams), or
    /// `None` for all. The runner then reads and hands over only those, and moves the
    /// checkpoint over the others with [`Projection::skip`].
    fn categories(&self) -> Option<&'static [&'static str]> {
        None
    }

    /// Moves the checkpoint to `position`, over events of other categories than
    /// [`Projection::categories`]: everything up to it that the projection reads is applied.
    async fn skip(&self, position: u64) -> Result<(), ProjectionError> {
        let _ = position;
        Ok(())
    }
}

/// What one read brought: the events to apply and the position read through (past the
/// last event when events of other categories were left out).
struct Batch {
    events: Vec<RecordedEvent>,
    through: u64,
}

/// Drives one projection from its checkpoint to the head of the store, and then live.
pub struct ProjectionRunner {
    store: Arc<dyn EventStore>,
    projection: Arc<dyn Projection>,
    batch_size: usize,
    progress: watch::Sender<u64>,
}

impl ProjectionRunner {
    /// A runner applying at most `batch_size` events per transaction.
    pub fn new(store: Arc<dyn EventStore>, projection: Arc<dyn Projection>, batch_size: usize) -> Self {
        let (progress, _) = watch::channel(0);
        ProjectionRunner { store, projection, batch_size: batch_size.max(1), progress }
    }

    /// The last applied position, updated after every committed batch: for readiness checks
    /// and for waiting until a read model has seen a given event.
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }

    /// Applies everything up to `until` (or the head when `None`), calling `on_batch` with
    /// the position reached after every batch. Returns the final position.
    ///
    /// The next batch is read while the current one is applied, so that reading the store
    /// and writing the read model proceed side by side.
    pub async fn catch_up(&self, until: Option<u64>, on_batch: impl FnMut(u64) + Send) -> Result<u64, ProjectionError> {
        self.catch_up_while(until, on_batch, || true).await
    }

    /// [`ProjectionRunner::catch_up`], stopping after the batch during which `go_on` turned
    /// false (a shutdown does not wait for a long catch-up to finish).
    async fn catch_up_while(
        &self,
        until: Option<u64>,
        mut on_batch: impl FnMut(u64) + Send,
        go_on: impl Fn() -> bool + Send + Sync,
    ) -> Result<u64, ProjectionError> {
        let mut position = self.projection.checkpoint().await?;
        self.progress.send_replace(position);
        let until = until.unwrap_or_else(|| *self.store.head().borrow());
        if position >= until {
            return Ok(position);
        }
        let mut batch = self.read(position).await?;
        loop {
            if batch.through <= position {
                break;
            }
            let through = batch.through;
            let read_ahead = async { if through < until && go_on() { Some(self.read(through).await) } else { None } };
            let (applied, next) = tokio::join!(self.deliver(batch), read_ahead);
            applied?;
            position = through;
            self.progress.send_replace(position);
            on_batch(position);
            match next {
                Some(next) => batch = next?,
                None => break,
            }
        }
        Ok(position)
    }

    /// The next batch after `position`: every event, or only those of the projection's
    /// categories.
    async fn read(&self, position: u64) -> Result<Batch, ProjectionError> {
        match self.projection.categories() {
            None => {
                let events = self.store.read_all(position, self.batch_size).await.map_err(|e| self.error(e))?;
                let through = events.last().map_or(position, |e| e.position);
                Ok(Batch { events, through })
            }
            Some(categories) => {
                let (events, through) = self
                    .store
                    .read_categories(position, self.batch_size, categories)
                    .await
                    .map_err(|e| self.error(e))?;
                Ok(Batch { events, through })
            }
        }
    }

    /// Applies a batch, and moves the checkpoint over what it left out.
    async fn deliver(&self, batch: Batch) -> Result<(), ProjectionError> {
        if batch.events.last().is_some_and(|last| last.position == batch.through) {
            self.projection.apply(batch.events).await
        } else {
            if !batch.events.is_empty() {
                self.projection.apply(batch.events).await?;
            }
            self.projection.skip(batch.through).await
        }
    }

    /// Catches up, then follows the store until `shutdown` turns true. Errors are retried
    /// after a pause: a read model that cannot be written must not take the server down.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut head = self.store.head();
        loop {
            head.mark_unchanged();
            if let Err(error) = self.catch_up_while(None, |_| (), || !*shutdown.borrow()).await {
                // A projection interrupted by the shutdown it was told about has not failed.
                if *shutdown.borrow() {
                    return;
                }
                tracing::error!(projection = self.projection.name(), %error, "projection failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => return,
                }
            }
            if *shutdown.borrow() {
                return;
            }
            if *head.borrow() > *self.progress.borrow() {
                continue;
            }
            tokio::select! {
                changed = head.changed() => if changed.is_err() { return },
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    fn error(&self, e: StoreError) -> ProjectionError {
        ProjectionError { name: self.projection.name().to_owned(), message: e.to_string() }
    }
}
