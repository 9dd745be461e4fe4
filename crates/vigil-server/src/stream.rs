//! The live event feed behind `GET /api/v1/stream` (WebSocket): every stored event, in store
//! order, to every subscribed client, without polling and without a client ever slowing the
//! writer or another client.
//!
//! One task ([`run_feed`]) follows the store's head watch, encodes each new event once (the
//! CloudEvent as `GET /api/v1/events` lists it, with its position and topic) and publishes it
//! on a `tokio::sync::broadcast` ring of `stream.queue` messages. Publishing never waits;
//! while no client is connected, nothing is read or encoded.
//! Each client ([`Session`]) first reads what it missed from the store (`from=<position>`),
//! then subscribes to the ring and reads the store once more up to the head, so that no
//! event falls between the two, then forwards the ring's messages that match its topics.
//! A client that falls behind the ring by more than its size (its socket too slow) is closed
//! with code [`CLOSE_TOO_SLOW`] and a reason naming the position to reconnect from.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, broadcast, watch};
use tokio::time::Instant;
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::store::EventStore;
use vigil_reactions::cloudevents;
use vigil_reactions::topic::{Pattern, topic_of};

/// Close code of a client whose socket could not keep up with the feed (private range).
pub const CLOSE_TOO_SLOW: u16 = 4008;
/// Close code of a client that sent nothing (not even a pong) within `stream.idle_timeout`.
pub const CLOSE_IDLE: u16 = 4000;
/// Close code when the server stops (RFC 6455 "going away").
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code when the store cannot be read for a catch-up (RFC 6455 "try again later").
pub const CLOSE_TRY_AGAIN: u16 = 1013;

/// Events read from the store per catch-up page.
const PAGE: usize = 500;

/// Messages written to a client's socket between two flushes at most.
const BURST: usize = 256;

type WriteFuture<'a> = std::pin::Pin<Box<dyn Future<Output = Result<(), axum::Error>> + Send + 'a>>;

/// The stream's limits (`[server.stream]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// WebSocket clients at once; past it an upgrade is answered 503.
    pub max_clients: usize,
    /// Messages the feed keeps for clients that are behind; a client further behind is
    /// closed as too slow (and reconnects from its position).
    pub queue: usize,
    /// Largest message a client may send (its subscriptions).
    pub max_message_bytes: usize,
    /// How often the server pings a client.
    #[serde(with = "humantime_serde")]
    pub ping_interval: Duration,
    /// How long a client may stay silent (no pong, no message) before it is closed.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// How long one message may take to reach the client's socket before it is dropped.
    #[serde(with = "humantime_serde")]
    pub send_timeout: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            max_clients: 4096,
            queue: 4096,
            max_message_bytes: 16 * 1024,
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// One stored event, encoded once for every client.
#[derive(Debug)]
pub struct FeedMessage {
    /// Its global position.
    pub position: u64,
    /// Its topic, for the clients' filters.
    pub topic: String,
    /// `{"type": "event", "position", "topic", "event"}` as sent.
    pub text: Utf8Bytes,
}

/// The feed clients subscribe to, and the cap on how many may.
pub struct EventFeed {
    sender: broadcast::Sender<Arc<FeedMessage>>,
    slots: Arc<Semaphore>,
    config: StreamConfig,
}

/// A client's place among `max_clients`, held while it is connected.
pub struct ClientSlot(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

impl EventFeed {
    /// A feed with `config`'s ring size and client cap.
    pub fn new(config: StreamConfig) -> EventFeed {
        let (sender, _) = broadcast::channel(config.queue.max(1));
        EventFeed { sender, slots: Arc::new(Semaphore::new(config.max_clients)), config }
    }

    /// The limits it runs under.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// A place for one more client, or `None` when `max_clients` are connected.
    pub fn admit(&self) -> Option<ClientSlot> {
        self.slots.clone().try_acquire_owned().ok().map(ClientSlot)
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.config.max_clients - self.slots.available_permits()
    }
}

/// Encodes `event` as the stream sends it.
pub fn encode(event: &RecordedEvent) -> FeedMessage {
    let topic = topic_of(&event.stream_id, &event.event.event_type, &event.event.source);
    let body = Outgoing::Event { position: event.position, topic: &topic, event: cloudevents::listed(event) };
    let text = serde_json::to_string(&body).unwrap_or_else(|error| {
        // A stored event's data is JSON already; this cannot fail, but a client must not
        // lose its position if it did.
        serde_json::json!({ "type": "event", "position": event.position, "topic": topic, "error": error.to_string() })
            .to_string()
    });
    FeedMessage { position: event.position, topic, text: text.into() }
}

/// Follows the store from its head and publishes every new event on the feed until
/// `shutdown`. Never waits for a client.
pub async fn run_feed(feed: Arc<EventFeed>, store: Arc<dyn EventStore>, mut shutdown: watch::Receiver<bool>) {
    let mut head = store.head();
    let mut after = *head.borrow_and_update();
    loop {
        while *head.borrow() > after {
            // The head before the count: a client that subscribes after the count reads the
            // store up to a head at least this one, and what comes later is sent to it.
            let reached = *head.borrow();
            if feed.sender.receiver_count() == 0 {
                // Nobody listens: nothing is read or encoded.
                after = reached;
                break;
            }
            match store.read_all(after, PAGE).await {
                Ok(events) if events.is_empty() => break,
                Ok(events) => {
                    for event in &events {
                        // The last client may just have gone: no receiver is no error.
                        let _ = feed.sender.send(Arc::new(encode(event)));
                        metrics::counter!("vigil_stream_events_total").increment(1);
                    }
                    after = events.last().map_or(after, |e| e.position);
                }
                Err(error) => {
                    tracing::warn!(%error, "the event feed cannot read the store; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        tokio::select! {
            changed = head.changed() => if changed.is_err() { return },
            _ = shutdown.changed() => return,
        }
    }
}

/// What the server sends. A value lives for one serialisation, so the size of its variants
/// does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Outgoing<'a> {
    /// First message: who is connected, and where the store's head is.
    Welcome { principal: &'a vigil_policy::Principal, head: u64, from: u64, topics: Vec<String> },
    /// An event.
    Event {
        position: u64,
        topic: &'a str,
        #[serde(rename = "event")]
        event: cloudevents::Listed<'a>,
    },
    /// Everything up to `position` was sent (or did not match the topics): the client is live.
    CaughtUp { position: u64 },
    /// The subscriptions now in force.
    Subscribed { topics: Vec<String> },
    /// A client message that was not understood; the connection stays open.
    Error { message: String },
}

/// What a client may send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Incoming {
    /// Replace the topic filter (empty: every topic).
    Subscribe { topics: Vec<String> },
}

/// Why a session ended, for the metrics.
#[derive(Clone, Copy, Debug)]
enum Ended {
    ClientClosed,
    TooSlow,
    Idle,
    Shutdown,
    Failed,
}

impl Ended {
    fn label(self) -> &'static str {
        match self {
            Ended::ClientClosed => "client",
            Ended::TooSlow => "too_slow",
            Ended::Idle => "idle",
            Ended::Shutdown => "shutdown",
            Ended::Failed => "failed",
        }
    }
}

/// One connected client.
pub struct Session {
    /// The socket.
    pub socket: WebSocket,
    /// Who it is.
    pub principal: vigil_policy::Principal,
    /// Send what follows this position first (`None`: only what is new).
    pub from: Option<u64>,
    /// Only these topics (empty: all).
    pub topics: Vec<Pattern>,
    /// Its place among `max_clients`.
    pub slot: ClientSlot,
}

struct Connected {
    socket: WebSocket,
    /// Every event up to here was sent or did not match.
    cursor: u64,
    topics: Vec<Pattern>,
    last_heard: Instant,
    send_timeout: Duration,
}

impl Session {
    /// Runs the session until the client leaves, falls behind, goes silent or the server
    /// stops.
    pub async fn run(self, feed: Arc<EventFeed>, store: Arc<dyn EventStore>, mut shutdown: watch::Receiver<bool>) {
        let _slot = self.slot;
        metrics::gauge!("vigil_stream_clients").increment(1.0);
        let head = *store.head().borrow();
        let cursor = self.from.map_or(head, |from| from.min(head));
        let mut c = Connected {
            socket: self.socket,
            cursor,
            topics: self.topics,
            last_heard: Instant::now(),
            send_timeout: feed.config.send_timeout,
        };
        let welcome = Outgoing::Welcome { principal: &self.principal, head, from: cursor, topics: c.topic_names() };
        let ended = match c.send_json(&welcome).await {
            Err(ended) => ended,
            Ok(()) => c.serve(&feed, store.as_ref(), &mut shutdown).await,
        };
        metrics::gauge!("vigil_stream_clients").decrement(1.0);
        metrics::counter!("vigil_stream_sessions_ended_total", "reason" => ended.label()).increment(1);
        tracing::debug!(principal = %self.principal.id, reason = ended.label(), position = c.cursor, "stream client left");
    }
}

impl Connected {
    async fn serve(&mut self, feed: &EventFeed, store: &dyn EventStore, shutdown: &mut watch::Receiver<bool>) -> Ended {
        let mut live = match self.catch_up(feed, store).await {
            Ok(live) => live,
            Err(ended) => return ended,
        };
        let config = &feed.config;
        let mut ping = tokio::time::interval_at(Instant::now() + config.ping_interval, config.ping_interval);
        loop {
            tokio::select! {
                message = live.recv() => match message {
                    Ok(message) => {
                        // This message and whatever else is already waiting, written out
                        // with one flush.
                        let mut next = Some(message);
                        let mut burst = 0;
                        while let Some(message) = next.take() {
                            if message.position > self.cursor + 1 {
                                // Cannot happen with a gap-free store; read what is missing
                                // rather than skip it.
                                match self.catch_up(feed, store).await {
                                    Ok(rx) => live = rx,
                                    Err(ended) => return ended,
                                }
                                break;
                            }
                            if message.position == self.cursor + 1
                                && let Err(ended) = self.forward(&message, false).await
                            {
                                return ended;
                            }
                            burst += 1;
                            if burst < BURST {
                                match live.try_recv() {
                                    Ok(message) => next = Some(message),
                                    Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                                        return self.too_slow(missed).await;
                                    }
                                    Err(_) => {}
                                }
                            }
                        }
                        if let Err(ended) = self.flush().await {
                            return ended;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => return self.too_slow(missed).await,
                    Err(broadcast::error::RecvError::Closed) => {
                        let reason = format!("server stopping; reconnect with from={}", self.cursor);
                        return self.close(CLOSE_GOING_AWAY, reason, Ended::Shutdown).await;
                    }
                },
                incoming = self.socket.recv() => match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ended::ClientClosed,
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        if let Err(ended) = self.heard(message).await {
                            return ended;
                        }
                    }
                },
                _ = ping.tick() => {
                    if self.last_heard.elapsed() > config.idle_timeout {
                        let reason = format!(
                            "idle: nothing heard for {}s; reconnect with from={}",
                            config.idle_timeout.as_secs(),
                            self.cursor
                        );
                        return self.close(CLOSE_IDLE, reason, Ended::Idle).await;
                    }
                    if let Err(ended) = self.send(Message::Ping(Default::default())).await {
                        return ended;
                    }
                }
                () = stopped(shutdown) => {
                    let reason = format!("server stopping; reconnect with from={}", self.cursor);
                    return self.close(CLOSE_GOING_AWAY, reason, Ended::Shutdown).await;
                }
            }
        }
    }

    /// Sends what the store holds after the cursor, then subscribes to the feed and reads
    /// the store once more, so that every event is either in that last read or in the
    /// subscription. Returns the subscription.
    async fn catch_up(
        &mut self,
        feed: &EventFeed,
        store: &dyn EventStore,
    ) -> Result<broadcast::Receiver<Arc<FeedMessage>>, Ended> {
        let mut subscription = None;
        loop {
            let events = match store.read_all(self.cursor, PAGE).await {
                Ok(events) => events,
                Err(error) => {
                    let reason = format!("reconnect with from={}: cannot read the store ({error})", self.cursor);
                    return Err(self.close(CLOSE_TRY_AGAIN, truncate(reason), Ended::Failed).await);
                }
            };
            let complete = events.len() < PAGE;
            for event in &events {
                self.forward(&encode(event), false).await?;
            }
            self.flush().await?;
            if complete {
                match subscription.take() {
                    // Subscribed before this read: nothing can have slipped between.
                    Some(live) => {
                        self.send_json(&Outgoing::CaughtUp { position: self.cursor }).await?;
                        return Ok(live);
                    }
                    None => subscription = Some(feed.sender.subscribe()),
                }
            }
        }
    }

    /// Sends `message` if it matches the topics (written out now, or with the next flush),
    /// and moves the cursor past it either way.
    async fn forward(&mut self, message: &FeedMessage, flush: bool) -> Result<(), Ended> {
        if self.topics.is_empty() || self.topics.iter().any(|t| t.matches(&message.topic)) {
            let text = Message::Text(message.text.clone());
            if flush {
                self.send(text).await?;
            } else {
                self.timed(|socket| Box::pin(socket.feed(text))).await?;
            }
            metrics::counter!("vigil_stream_messages_total").increment(1);
        }
        self.cursor = message.position;
        Ok(())
    }

    /// Writes out what was fed.
    async fn flush(&mut self) -> Result<(), Ended> {
        self.timed(|socket| Box::pin(socket.flush())).await
    }

    async fn too_slow(&mut self, missed: u64) -> Ended {
        let reason = format!("too slow: {missed} events behind the feed; reconnect with from={}", self.cursor);
        self.close(CLOSE_TOO_SLOW, reason, Ended::TooSlow).await
    }

    /// A message from the client.
    async fn heard(&mut self, message: Message) -> Result<(), Ended> {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                let message = "binary messages are not understood; send JSON text".to_owned();
                return self.send_json(&Outgoing::Error { message }).await;
            }
            _ => return Ok(()),
        };
        match serde_json::from_str::<Incoming>(text.as_str()) {
            Ok(Incoming::Subscribe { topics }) => {
                self.topics = topics.into_iter().map(Pattern::from).collect();
                let topics = self.topic_names();
                self.send_json(&Outgoing::Subscribed { topics }).await
            }
            Err(error) => {
                let message = format!(
                    "not a message this stream reads ({error}); expected {{\"type\": \"subscribe\", \"topics\": [...]}}"
                );
                self.send_json(&Outgoing::Error { message }).await
            }
        }
    }

    fn topic_names(&self) -> Vec<String> {
        self.topics.iter().cloned().map(String::from).collect()
    }

    async fn send_json(&mut self, body: &Outgoing<'_>) -> Result<(), Ended> {
        let text = serde_json::to_string(body).map_err(|_| Ended::Failed)?;
        self.send(Message::Text(text.into())).await
    }

    /// Sends one message within `send_timeout`; a socket that takes longer is dropped.
    async fn send(&mut self, message: Message) -> Result<(), Ended> {
        self.timed(|socket| Box::pin(socket.send(message))).await
    }

    /// Runs a write on the socket within `send_timeout`.
    async fn timed(&mut self, write: impl for<'a> FnOnce(&'a mut WebSocket) -> WriteFuture<'a>) -> Result<(), Ended> {
        match tokio::time::timeout(self.send_timeout, write(&mut self.socket)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Ended::ClientClosed),
            Err(_) => Err(Ended::TooSlow),
        }
    }

    /// Closes with `code` and `reason`, waiting at most `send_timeout` for the close frame to
    /// leave.
    async fn close(&mut self, code: u16, reason: String, ended: Ended) -> Ended {
        let frame = CloseFrame { code, reason: truncate(reason).into() };
        let _ = tokio::time::timeout(self.send_timeout, self.socket.send(Message::Close(Some(frame)))).await;
        ended
    }
}

/// Resolves once the server stops (or its signal is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// A close reason fits in 123 bytes (RFC 6455 §5.5).
fn truncate(mut reason: String) -> String {
    if reason.len() > 123 {
        let mut end = 123;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_reason_fits_in_a_control_frame() {
        let long = "é".repeat(100);
        let cut = truncate(long);
        assert!(cut.len() <= 123);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(truncate("short".into()), "short");
    }
}
