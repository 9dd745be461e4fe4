//! The relay: every stored event, in the store's global order, into the JetStream stream.
//!
//! **Where it resumes.** At every (re)start it reads the stream, not a checkpoint of its own:
//! the last message's `Vigil-Position` header says which event it holds, so it goes on with
//! the next. When the stream holds no message at all (aged out by `max_age`, or purged), the
//! relay stream's marker says where it was.
//!
//! **Each event once, in order.** Every message carries `Nats-Msg-Id` (the event id:
//! JetStream drops a second copy of an id it has seen within the duplicate window) and an
//! expectation of what it must follow: the first message of a session
//! `Nats-Expected-Last-Sequence` (the stream's last sequence as just read), each later one
//! `Nats-Expected-Last-Msg-Id` (the previous event's id). JetStream stores a message only
//! right after its predecessor, so the stream holds the events in position order with no
//! gap, whatever crashed or reconnected: a message still in flight from a relay that died
//! either lands where it belongs, is dropped as a duplicate, or is refused; so is one of a
//! second relay running at the same time. (Sequences alone would not do: a message someone
//! else publishes into the stream shifts them, and the publish after a refused one could
//! then match.) The first message of a session does not chain on the id because
//! nats-server 2.9 forgets the last message id across its own restart once that message is
//! older than the duplicate window.
//!
//! **Pipelining.** Up to `max_in_flight` publishes wait for their acknowledgement at once;
//! acknowledgements are awaited in order and the relay moves its position only past
//! acknowledged events. A failure (NATS down, an ack timeout) ends the session: the relay
//! waits (backoff 100 ms doubling to 10 s), reads the stream again and goes on from what it
//! holds; a refused expectation reads it again at once.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::Context;
use async_nats::jetstream::context::{PublishAckFuture, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use tokio::sync::watch;
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::store::EventStore;
use vigil_reactions::cloudevents;
use vigil_reactions::topic::topic_of;

use crate::settings::BusSettings;
use crate::stream::{self, Marker, Resume, StreamError, StreamSettings};
use crate::subject::{CONTENT_TYPE, POSITION, subject_of};

/// Events read from the store at a time.
const BATCH: usize = 1000;
/// The first wait after a failure; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How often the marker is written while events flow (and always once the relay is idle).
const MARKER_EVERY: Duration = Duration::from_secs(1);

/// Publishes the store's events into the stream; see the module's documentation.
pub struct Relay {
    store: Arc<dyn EventStore>,
    js: Context,
    stream: StreamSettings,
    max_in_flight: usize,
    progress: watch::Sender<u64>,
}

/// Why a session ended.
#[derive(Debug)]
enum Failure {
    /// NATS or the store failed: wait, then start again.
    Retry(String),
    /// The stream is not where the relay thought (a refused expectation): read it again at
    /// once.
    Resync(String),
    /// The stream belongs to another store: stop.
    Fatal(String),
}

impl From<StreamError> for Failure {
    fn from(e: StreamError) -> Self {
        match e {
            StreamError::Nats(m) => Failure::Retry(m),
            StreamError::Unusable(m) => Failure::Fatal(m),
        }
    }
}

impl Relay {
    /// A relay from `store` into the stream `settings` describe, through `js` (whose timeout
    /// bounds every acknowledgement and API request).
    pub fn new(store: Arc<dyn EventStore>, js: Context, settings: &BusSettings) -> Self {
        Relay {
            store,
            js,
            stream: StreamSettings {
                name: settings.stream.clone(),
                subject_prefix: settings.subject_prefix.clone(),
                max_age: settings.max_age,
                duplicate_window: settings.duplicate_window,
            },
            max_in_flight: settings.max_in_flight.max(1),
            progress: watch::channel(0).0,
        }
    }

    /// The position of the last event JetStream acknowledged (0 until the relay has read
    /// the stream).
    pub fn progress(&self) -> watch::Receiver<u64> {
        self.progress.subscribe()
    }

    /// Relays until `shutdown` turns true, or until the stream turns out to be another
    /// store's (logged as an error).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut backoff = MIN_BACKOFF;
        while !*shutdown.borrow() {
            let mut healthy = false;
            let failure = match self.session(&mut shutdown, &mut healthy).await {
                Ok(()) => break,
                Err(failure) => failure,
            };
            metrics::gauge!("vigil_bus_connected").set(0.0);
            if healthy {
                backoff = MIN_BACKOFF;
            }
            match failure {
                Failure::Fatal(reason) => {
                    tracing::error!(%reason, stream = %self.stream.name, "the relay stops");
                    return;
                }
                Failure::Resync(reason) => {
                    metrics::counter!("vigil_bus_resyncs_total").increment(1);
                    tracing::info!(%reason, "the relay reads the stream again");
                }
                Failure::Retry(reason) => {
                    metrics::counter!("vigil_bus_publish_failures_total").increment(1);
                    tracing::warn!(%reason, retry_in = ?backoff, "the relay cannot publish; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// One connection's worth of relaying: read the stream, then publish from there.
    async fn session(&self, shutdown: &mut watch::Receiver<bool>, healthy: &mut bool) -> Result<(), Failure> {
        let mut stream = stream::ensure(&self.js, &self.stream).await?;
        let resume = stream::resume(&self.js, &mut stream, &self.stream).await?;
        self.check_against_store(&resume).await?;
        // Past what the stream shows only if messages were removed from it meanwhile: what
        // this process saw acknowledged was published, and is not published again.
        let mut at = Cursor {
            position: resume.position.max(*self.progress.borrow()),
            sequence: resume.last_sequence,
            sent: None,
        };
        self.progress.send_replace(at.position);
        *healthy = true;
        metrics::gauge!("vigil_bus_connected").set(1.0);
        tracing::info!(stream = %self.stream.name, position = at.position, sequence = at.sequence, "relay resumed");
        let mut head = self.store.head();
        let mut marked: Option<(Marker, Instant)> = None;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let events = self.store.read_all(at.position, BATCH).await.map_err(|e| Failure::Retry(e.to_string()))?;
            let lag = (*head.borrow()).saturating_sub(at.position);
            metrics::gauge!("vigil_bus_lag_events").set(lag as f64);
            if events.is_empty() {
                self.mark(&mut marked, &at, Duration::ZERO).await?;
                tokio::select! {
                    changed = head.wait_for(|h| *h > at.position) => {
                        if changed.is_err() {
                            return Ok(());
                        }
                    }
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            self.publish(&events, &mut at).await?;
            self.mark(&mut marked, &at, MARKER_EVERY).await?;
        }
    }

    /// Publishes `events` (pipelined) and awaits every acknowledgement, in order.
    async fn publish(&self, events: &[RecordedEvent], at: &mut Cursor) -> Result<(), Failure> {
        let mut pending: VecDeque<(u64, PublishAckFuture)> = VecDeque::with_capacity(self.max_in_flight);
        for event in events {
            let expect = match at.sent {
                None => Expect::Sequence(at.sequence),
                Some(previous) => Expect::MsgId(previous),
            };
            let ack = self
                .js
                .send_publish(subject(&self.stream.subject_prefix, event), message(event, expect))
                .await
                .map_err(|e| Failure::Retry(format!("publish of position {}: {e}", event.position)))?;
            at.sent = Some(event.event.id);
            pending.push_back((event.position, ack));
            if pending.len() >= self.max_in_flight {
                let (position, ack) = pending.pop_front().expect("a publish is pending");
                self.acknowledged(position, ack, at).await?;
            }
        }
        while let Some((position, ack)) = pending.pop_front() {
            self.acknowledged(position, ack, at).await?;
        }
        Ok(())
    }

    /// Moves past `position` once JetStream stored it (right after its predecessor) or had
    /// it already.
    async fn acknowledged(&self, position: u64, ack: PublishAckFuture, at: &mut Cursor) -> Result<(), Failure> {
        match ack.await {
            Ok(ack) => {
                if ack.duplicate {
                    // Stored before, by a relay that died with it in flight or one running
                    // beside this one; the next message chains on its id all the same.
                    metrics::counter!("vigil_bus_duplicates_total").increment(1);
                } else {
                    metrics::counter!("vigil_bus_published_total").increment(1);
                }
                at.position = position;
                at.sequence = at.sequence.max(ack.sequence);
                self.progress.send_replace(position);
                metrics::gauge!("vigil_bus_relayed_position").set(position as f64);
                Ok(())
            }
            Err(e)
                if matches!(e.kind(), PublishErrorKind::WrongLastSequence | PublishErrorKind::WrongLastMessageId) =>
            {
                Err(Failure::Resync(format!("position {position}: the stream is not where the relay left it ({e})")))
            }
            Err(e) => Err(Failure::Retry(format!("acknowledgement of position {position}: {e}"))),
        }
    }

    /// Writes the marker when it is older than `every` and behind.
    async fn mark(&self, marked: &mut Option<(Marker, Instant)>, at: &Cursor, every: Duration) -> Result<(), Failure> {
        if let Some((marker, when)) = marked
            && (marker.position == at.position || when.elapsed() < every)
        {
            return Ok(());
        }
        let marker = Marker { position: at.position, sequence: at.sequence };
        stream::write_marker(&self.js, &self.stream, marker)
            .await
            .map_err(|e| Failure::Retry(format!("relay marker: {e}")))?;
        *marked = Some((marker, Instant::now()));
        Ok(())
    }

    /// Refuses a stream whose last event is not the store's event at that position.
    async fn check_against_store(&self, resume: &Resume) -> Result<(), Failure> {
        if resume.position == 0 {
            return Ok(());
        }
        let stored = self.store.read_all(resume.position - 1, 1).await.map_err(|e| Failure::Retry(e.to_string()))?;
        match stored.first() {
            Some(event) if event.position == resume.position => match resume.event_id {
                Some(id) if id != event.event.id => Err(Failure::Fatal(format!(
                    "the stream's event at position {} is {id}, the store's is {}: the stream was filled from another store",
                    resume.position, event.event.id
                ))),
                _ => Ok(()),
            },
            _ => Err(Failure::Retry(format!(
                "the stream holds events up to position {} but the store ends before it (head {}): waiting for the store",
                resume.position,
                *self.store.head().borrow()
            ))),
        }
    }
}

/// Where the relay stands: the last acknowledged event, the stream's last sequence, and the
/// id of the last event sent in this session (which the next one must follow).
#[derive(Debug)]
struct Cursor {
    position: u64,
    sequence: u64,
    sent: Option<uuid::Uuid>,
}

/// What a message must follow.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The stream's last sequence.
    Sequence(u64),
    /// The last message's id.
    MsgId(uuid::Uuid),
}

/// The subject of `event`: `<prefix>.<topic>.<type>`.
pub fn subject(prefix: &str, event: &RecordedEvent) -> String {
    let e = &event.event;
    subject_of(prefix, &topic_of(&event.stream_id, &e.event_type, &e.source), &e.event_type)
}

/// The CloudEvent of `event` as a message that must follow `expect`.
fn message(event: &RecordedEvent, expect: Expect) -> PublishMessage {
    let message = PublishMessage::build()
        .payload(payload(event).into())
        .message_id(event.event.id.to_string())
        .header(POSITION, event.position.to_string().as_str())
        .header("Content-Type", CONTENT_TYPE);
    match expect {
        Expect::Sequence(sequence) => message.expected_last_sequence(sequence),
        Expect::MsgId(id) => message.expected_last_message_id(id.to_string()),
    }
}

/// The event as Vigil lists it: CloudEvents 1.0 JSON with `topic` and the store's
/// coordinates (an outside event as it came, plus those).
pub fn payload(event: &RecordedEvent) -> Vec<u8> {
    // Serialising borrowed strings and a RawValue into a Vec cannot fail.
    serde_json::to_vec(&cloudevents::listed(event)).unwrap_or_default()
}
