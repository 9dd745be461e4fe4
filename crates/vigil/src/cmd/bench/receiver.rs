//! A webhook receiver on loopback for the benchmarks of the actions service: it answers 200
//! at once and records when each delivery arrived and its `webhook-id`, so a benchmark can
//! tell latency (arrival minus append, one clock, one process) and duplicates (an id seen
//! twice). With a `whsec_` secret it also checks each Standard Webhooks signature.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use uuid::Uuid;

/// The path deliveries are posted to.
pub const PATH: &str = "/hook";

/// When a delivery arrived: on the monotonic clock (for latencies against the benchmark's
/// own `Instant`s) and on the wall clock (against the times the server records).
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    pub at: Instant,
    pub utc: DateTime<Utc>,
}

/// What the receiver has counted so far.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Counts {
    /// Every delivery, repeats included.
    pub deliveries: u64,
    /// Distinct `webhook-id`s.
    pub distinct: u64,
    /// Deliveries whose `webhook-id` had been seen before.
    pub duplicates: u64,
    /// Deliveries without a `webhook-id` that is a UUID, or (with a secret) whose signature
    /// does not verify.
    pub rejected: u64,
}

#[derive(Default)]
struct Inner {
    key: Option<Vec<u8>>,
    first: Mutex<HashMap<Uuid, Arrival>>,
    deliveries: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
}

/// A running receiver.
pub struct Receiver {
    /// `http://<addr>/hook`.
    pub url: String,
    inner: Arc<Inner>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Receiver {
    /// Listens on `addr` (port 0: any free one). With `secret` (`whsec_<base64>`) it checks
    /// every delivery's signature.
    pub async fn start(addr: SocketAddr, secret: Option<&str>) -> anyhow::Result<Receiver> {
        let key = secret
            .map(|s| base64::engine::general_purpose::STANDARD.decode(s.trim_start_matches("whsec_")))
            .transpose()?;
        let inner = Arc::new(Inner { key, ..Inner::default() });
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}{PATH}", listener.local_addr()?);
        let router = axum::Router::new().route(PATH, axum::routing::post(deliver)).with_state(inner.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Receiver { url, inner, stop, task })
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        let distinct = self.inner.first.lock().expect("receiver").len() as u64;
        Counts {
            deliveries: self.inner.deliveries.load(Ordering::Relaxed),
            distinct,
            duplicates: self.inner.duplicates.load(Ordering::Relaxed),
            rejected: self.inner.rejected.load(Ordering::Relaxed),
        }
    }

    /// The first arrivals of every id.
    pub fn arrivals(&self) -> HashMap<Uuid, Arrival> {
        self.inner.first.lock().expect("receiver").clone()
    }

    /// Stops listening, after the deliveries in flight.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }
}

async fn deliver(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let arrival = Arrival { at: Instant::now(), utc: Utc::now() };
    inner.deliveries.fetch_add(1, Ordering::Relaxed);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(id) = header("webhook-id").and_then(|id| id.parse::<Uuid>().ok()) else {
        inner.rejected.fetch_add(1, Ordering::Relaxed);
        return StatusCode::OK;
    };
    if let Some(key) = &inner.key {
        let verified = match (header("webhook-timestamp"), header("webhook-signature")) {
            (Some(timestamp), Some(signatures)) => {
                let expected = sign(key, &id.to_string(), timestamp, &body);
                signatures.split(' ').any(|s| s == expected)
            }
            _ => false,
        };
        if !verified {
            inner.rejected.fetch_add(1, Ordering::Relaxed);
        }
    }
    match inner.first.lock().expect("receiver").entry(id) {
        Entry::Occupied(_) => {
            inner.duplicates.fetch_add(1, Ordering::Relaxed);
        }
        Entry::Vacant(entry) => {
            entry.insert(arrival);
        }
    }
    // 200 even for a rejected delivery: the benchmark reports it rather than making the
    // server retry it.
    StatusCode::OK
}

/// `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, as Standard Webhooks signs.
fn sign(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}
