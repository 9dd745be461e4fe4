//! A real HTTP receiver on loopback for tests: it records every request (method, path,
//! headers, body, when) and answers as scripted, to play a webhook receiver, an action
//! service or an enrichment source that succeeds, fails, or is slow.
//!
//! It serves from a thread and a runtime of its own, so it works the same under a sync
//! test driving the real binary and under a `#[tokio::test]` of either flavour. Needs
//! axum, tokio and serde_json.
//!
//! ```ignore
//! let receiver = Receiver::start();
//! receiver.push_answers([Answer::status(500), Answer::status(500)]); // then the default, 204
//! // … point a webhook at receiver.url("/hook") …
//! let requests = receiver.wait_for_requests(3, Duration::from_secs(10));
//! assert_eq!(requests[0].header("webhook-id"), requests[2].header("webhook-id"));
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// A running receiver; stopped when dropped.
pub struct Receiver {
    base: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `POST`, …
    pub method: String,
    /// The path and query.
    pub path: String,
    /// (lowercase name, value), in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body's bytes.
    pub body: Vec<u8>,
    /// When it arrived (before any scripted delay).
    pub received_at: SystemTime,
}

impl Recorded {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// How the receiver answers one request.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How long to wait before answering (a slow receiver).
    pub delay: Duration,
}

impl Answer {
    /// An empty answer with `status`.
    pub fn status(status: u16) -> Answer {
        Answer { status, headers: Vec::new(), body: Vec::new(), delay: Duration::ZERO }
    }

    /// A JSON answer.
    pub fn json(status: u16, value: serde_json::Value) -> Answer {
        Answer::status(status).with_header("content-type", "application/json").with_body(value.to_string())
    }

    /// With this body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Answer {
        self.body = body.into();
        self
    }

    /// With this header too.
    pub fn with_header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answered after `delay`.
    pub fn with_delay(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    scripted: Mutex<VecDeque<Answer>>,
    default: Mutex<Option<Answer>>,
}

impl Receiver {
    /// A receiver on a free port of 127.0.0.1, answering 204 until told otherwise.
    pub fn start() -> Receiver {
        let shared = Arc::new(Shared::default());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("test-receiver".into())
            .spawn(move || {
                let runtime =
                    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let router = axum::Router::new().fallback(answer).with_state(state);
                    // Not a graceful shutdown: that would wait out the slow answers.
                    tokio::select! {
                        served = axum::serve(listener, router) => served.unwrap(),
                        _ = stop => {}
                    }
                });
                // Connections and slow answers still sleeping are dropped with the runtime.
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .unwrap();
        Receiver { base, shared, shutdown: Some(shutdown), thread: Some(thread) }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// How every request is answered once the scripted answers are used up.
    pub fn set_default(&self, answer: Answer) {
        *self.shared.default.lock().unwrap() = Some(answer);
    }

    /// Answers for the next requests, in order.
    pub fn push_answers(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.scripted.lock().unwrap().extend(answers);
    }

    /// The requests so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived and returns them; panics after `timeout`.
    /// Blocks the calling thread: in a `#[tokio::test]`, call it once what sends the
    /// requests is done or runs elsewhere.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let started = Instant::now();
        loop {
            let requests = self.requests();
            if requests.len() >= n {
                return requests;
            }
            assert!(started.elapsed() < timeout, "{} requests arrived in {timeout:?}, not {n}", requests.len());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A URL at which nothing listens (a port just bound and released): a receiver that is down.
pub fn closed_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}{path}")
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
        headers: headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        body: body.to_vec(),
        received_at: SystemTime::now(),
    };
    shared.requests.lock().unwrap().push(recorded);
    let next = shared.scripted.lock().unwrap().pop_front();
    let answer = next.or_else(|| shared.default.lock().unwrap().clone()).unwrap_or_else(|| Answer::status(204));
    if !answer.delay.is_zero() {
        tokio::time::sleep(answer.delay).await;
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) =
            (axum::http::HeaderName::from_bytes(name.as_bytes()), axum::http::HeaderValue::from_str(value))
        {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
