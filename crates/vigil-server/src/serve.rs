//! Vigil's accept loop: HTTP/1.1 connections served by hyper, each under deadlines, and a cap
//! on how many are open at once.
//!
//! `axum::serve` keeps a connection for as long as the client likes, so a client that sends
//! its headers one byte at a time, announces a body and stops, or just sits idle holds a task
//! and a socket forever, and enough of them exhaust the server. Here:
//!
//! * a request's **head** (request line and headers) must arrive within
//!   `header_read_timeout` of the connection's start, or of the first byte of a later request
//!   on a kept-alive connection; a trickle does not extend it. Past it the connection closes;
//! * a kept-alive connection may wait `idle_timeout` for its next request;
//! * a request's **body** must arrive in full within `body_read_timeout` of its head, or the
//!   handler reading it fails with [`BodyTimeout`], which the API answers with 408;
//! * past `max_connections` open connections, a new one is answered 503 with `Retry-After`
//!   at once and closed, rather than left in the backlog.
//!
//! hyper's own `header_read_timeout` is not used: its timer also runs while a kept-alive
//! connection waits between requests, so it cannot give a slow head 10 s and an idle
//! connection 60 s. `Deadlines` wraps the socket instead and fails a read that waits past
//! the deadline of the connection's phase, which the service moves on (`Phase`).
//!
//! A connection that ends normally closes with a *lingering close*: its write side is shut
//! and what the client still sends is read and discarded for up to [`LINGER`]. Closing a
//! socket with unread input makes the kernel answer with a reset, which can destroy the
//! response before the client has read it: a 413 answered to a 50 MB body, or a 408.
//!
//! On the shutdown signal the loop stops accepting, tells every connection to finish its
//! request in flight and close, and waits up to [`DRAIN`] for them.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// The limits a listener serves under; [`crate::config::ServerConfig`] documents each.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// How long a request's head may take to arrive.
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive, from its head.
    pub body_read_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// Connections open at once; more are answered 503.
    pub max_connections: usize,
}

/// What a handler reading a request body gets when the body did not arrive within
/// `body_read_timeout`; the API answers it with 408.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimeout(pub Duration);

/// How long a closing connection keeps reading (and discarding) what the client still sends,
/// so that the client reads the response rather than a reset.
pub const LINGER: Duration = Duration::from_secs(5);

/// How long connections may take to finish after the shutdown signal before they are cut.
pub const DRAIN: Duration = Duration::from_secs(10);

/// Seconds a client refused for too many connections is told to wait.
const RETRY_AFTER_SECONDS: u64 = 1;

/// Serves `router` on `listener` under `limits` until `signal` resolves, then lets the open
/// connections finish their requests (up to [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    signal: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop, stopping) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_error(error).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        // Finished connections leave the set here, so it holds only live ones.
        while connections.try_join_next().is_some() {}
        match slots.clone().try_acquire_owned() {
            Ok(slot) => connections.spawn(serve_connection(stream, router.clone(), limits, stopping.clone(), slot)),
            Err(_) => connections.spawn(refuse(stream, limits.max_connections)),
        };
    }
    drop(listener);
    stop.send_replace(true);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            n_connections = connections.len(),
            "connections still open after the shutdown grace period are cut"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Where a connection is in its request cycle, which decides its deadline.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Waiting for (the rest of) a request head since `since`: `header_read_timeout` runs.
    Head { since: Instant },
    /// Kept alive, waiting for the next request since `since`: `idle_timeout` runs.
    Idle { since: Instant },
    /// A request is being answered: its body has its own deadline, the handler none.
    Busy,
    /// Switched to another protocol (a WebSocket), which keeps its own deadlines (pings).
    Upgraded,
}

/// A connection's phase, shared by its socket (which enforces the deadline) and its service
/// (which moves it on).
#[derive(Clone)]
struct SharedPhase(Arc<Mutex<PhaseState>>);

struct PhaseState {
    phase: Phase,
    /// The task last waiting on a read. hyper does not read again by itself once a response
    /// is written, so turning idle wakes it, and its read arms the idle deadline.
    reader: Option<Waker>,
}

impl SharedPhase {
    fn new(phase: Phase) -> SharedPhase {
        SharedPhase(Arc::new(Mutex::new(PhaseState { phase, reader: None })))
    }

    fn get(&self) -> Phase {
        self.0.lock().expect("phase lock").phase
    }

    fn set(&self, phase: Phase) {
        let mut state = self.0.lock().expect("phase lock");
        state.phase = phase;
        if let (Phase::Idle { .. }, Some(reader)) = (phase, &state.reader) {
            reader.wake_by_ref();
        }
    }

    fn reading(&self, waker: &Waker) {
        let mut state = self.0.lock().expect("phase lock");
        if !state.reader.as_ref().is_some_and(|reader| reader.will_wake(waker)) {
            state.reader = Some(waker.clone());
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let _open = OpenConnection::count();
    let phase = SharedPhase::new(Phase::Head { since: Instant::now() });
    let io = TokioIo::new(Deadlines::new(stream, phase.clone(), limits));
    let service = Requests { router, phase, body_read_timeout: limits.body_read_timeout };
    // With upgrades, so that a WebSocket (`GET /api/v1/stream`) can take the socket over.
    let mut connection = http1::Builder::new().serve_connection(io, service).with_upgrades();
    let mut draining = false;
    let served = loop {
        tokio::select! {
            served = &mut connection => break served,
            _ = stopping.wait_for(|stop| *stop), if !draining => {
                // Finishes the request in flight, then ends; an idle connection ends at once.
                draining = true;
                Pin::new(&mut connection).graceful_shutdown();
            }
        }
    };
    if let Err(error) = served {
        tracing::debug!(%error, "connection closed");
    }
    // An upgraded connection's socket belongs to its WebSocket now.
    let Some(parts) = connection.into_parts() else { return };
    let socket = parts.io.into_inner();
    // A connection cut by its deadline has no response to protect; any other may have just
    // been answered (a 413, a 408, hyper's 400 for a malformed head). hyper has shut the
    // write side already when the connection ended normally.
    if !socket.expired {
        linger(socket.stream).await;
    }
}

/// Answers a connection over `max_connections` with a 503 and closes it.
async fn refuse(mut stream: TcpStream, max_connections: usize) {
    metrics::counter!("vigil_http_connections_refused_total").increment(1);
    let body = serde_json::json!({
        "code": "unavailable",
        "message": format!("the server has its limit of {max_connections} connections open; retry later"),
    })
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: {RETRY_AFTER_SECONDS}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Ok(Ok(())) = tokio::time::timeout(LINGER, stream.write_all(response.as_bytes())).await {
        linger(stream).await;
    }
}

/// Shuts the write side (the client sees the end of the response), then discards what the
/// client still sends until it closes its side or [`LINGER`] passes.
async fn linger(mut stream: TcpStream) {
    // A second shutdown of the write side (hyper's was the first) is harmless; one that
    // fails means the peer is gone and there is nothing to linger for.
    if stream.shutdown().await.is_ok() {
        let _ = tokio::time::timeout(LINGER, tokio::io::copy(&mut stream, &mut tokio::io::sink())).await;
    }
}

/// As hyper 0.14's server did: a connection that failed before it was accepted is the
/// client's business; anything else (out of file descriptors) is logged, and the loop pauses
/// so that it does not spin while open connections close.
async fn accept_error(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if !matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        tracing::error!(%error, "cannot accept a connection");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Counts a connection in `vigil_http_connections_open` while it lives.
struct OpenConnection;

impl OpenConnection {
    fn count() -> OpenConnection {
        metrics::gauge!("vigil_http_connections_open").increment(1.0);
        OpenConnection
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics::gauge!("vigil_http_connections_open").decrement(1.0);
    }
}

/// The router as one connection's hyper service: it marks the connection busy while a
/// request is answered and gives each request body its deadline.
struct Requests {
    router: Router,
    phase: SharedPhase,
    body_read_timeout: Duration,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Requests {
    type Response = hyper::Response<Answer>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: hyper::Request<Incoming>) -> Self::Future {
        self.phase.set(Phase::Busy);
        let answered = Answered(self.phase.clone());
        let timeout = self.body_read_timeout;
        let deadline = Instant::now() + timeout;
        let request = request.map(|body| Body::new(TimedBody { body, deadline, timeout, timer: None }));
        let router = self.router.clone();
        Box::pin(async move {
            let response = router.oneshot(request).await?;
            if response.status() == hyper::StatusCode::SWITCHING_PROTOCOLS {
                answered.0.set(Phase::Upgraded);
            }
            Ok(response.map(|body| Answer { body, _answered: answered }))
        })
    }
}

/// A response body; the connection turns idle when hyper is done with it.
struct Answer {
    body: Body,
    _answered: Answered,
}

impl hyper::body::Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Starts the idle deadline when dropped, that is once the response is written.
struct Answered(SharedPhase);

impl Drop for Answered {
    fn drop(&mut self) {
        if !matches!(self.0.get(), Phase::Upgraded) {
            self.0.set(Phase::Idle { since: Instant::now() });
        }
    }
}

/// A request body that fails with [`BodyTimeout`] once `deadline` passes.
struct TimedBody {
    body: Incoming,
    deadline: Instant,
    timeout: Duration,
    /// Armed at the first wait only: most bodies are empty or arrive with their head.
    timer: Option<Pin<Box<Sleep>>>,
}

impl hyper::body::Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let expired = this.timer.as_mut().is_some_and(|timer| timer.as_mut().poll(cx).is_ready());
        if !expired {
            if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
                return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
            }
            let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(this.deadline)));
            ready!(timer.as_mut().poll(cx));
        }
        metrics::counter!("vigil_http_timeouts_total", "phase" => "body").increment(1);
        Poll::Ready(Some(Err(Box::new(BodyTimeout(this.timeout)))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, failing a read that waits past the deadline of the connection's
/// phase: a head that takes too long, a kept-alive connection idle too long.
struct Deadlines {
    stream: TcpStream,
    phase: SharedPhase,
    limits: ConnectionLimits,
    timer: Pin<Box<Sleep>>,
    /// The deadline `timer` is set to.
    armed: Instant,
    /// Whether a deadline passed, which ends the connection.
    expired: bool,
}

impl Deadlines {
    fn new(stream: TcpStream, phase: SharedPhase, limits: ConnectionLimits) -> Deadlines {
        let armed = Instant::now() + limits.header_read_timeout;
        Deadlines { stream, phase, limits, timer: Box::pin(tokio::time::sleep_until(armed)), armed, expired: false }
    }
}

impl AsyncRead for Deadlines {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.phase.reading(cx.waker());
        let phase = this.phase.get();
        let deadline = match phase {
            Phase::Head { since } => Some((since + this.limits.header_read_timeout, "header")),
            Phase::Idle { since } => Some((since + this.limits.idle_timeout, "idle")),
            Phase::Busy | Phase::Upgraded => None,
        };
        if let Some((deadline, what)) = deadline {
            if this.armed != deadline {
                this.timer.as_mut().reset(deadline);
                this.armed = deadline;
            }
            if this.timer.as_mut().poll(cx).is_ready() {
                this.expired = true;
                metrics::counter!("vigil_http_timeouts_total", "phase" => what).increment(1);
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, format!("{what} timeout"))));
            }
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        if buf.filled().len() > before && matches!(phase, Phase::Idle { .. }) {
            // The first byte of the next request: its head has `header_read_timeout` from now.
            this.phase.set(Phase::Head { since: Instant::now() });
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Deadlines {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
