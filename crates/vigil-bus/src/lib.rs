//! The NATS JetStream bus: the relay that publishes every stored event as a CloudEvent to
//! `vigil.<topic>.<type>` (stream `VIGIL_EVENTS`), and commands over request/reply.
//!
//! It works against the kernel's `EventStore` port only, so it relays from the SQLite store
//! and from any other adapter alike. It uses only what nats-server 2.9 offers (async-nats
//! without its `server_2_10`+ features): file-stored streams, `Nats-Msg-Id` deduplication,
//! `Nats-Expected-Last-Sequence`, message get.

pub mod commands;
pub mod relay;
pub mod settings;
pub mod stream;
pub mod subject;

use std::time::Duration;

pub use commands::{ApiAnswer, ApiCall, CommandApi};
pub use relay::Relay;
pub use settings::BusSettings;

/// Reconnect waits: 100 ms doubling to 2 s, so the relay catches up soon after NATS is back.
fn reconnect_delay(attempts: usize) -> Duration {
    let exponent = attempts.min(5) as u32;
    Duration::from_millis(100 * 2u64.pow(exponent)).min(Duration::from_secs(2))
}

/// A client of the server in `settings` and its JetStream context (requests and
/// acknowledgements bounded by `ack_timeout`). Returns at once: the client connects, and
/// reconnects forever, in the background, so a server started while NATS is down relays
/// once it is up.
pub async fn connect(settings: &BusSettings) -> Result<(async_nats::Client, async_nats::jetstream::Context), String> {
    let url = settings.url.as_deref().ok_or("no bus.url")?;
    let client = async_nats::ConnectOptions::new()
        .name("vigil")
        .connection_timeout(settings.connect_timeout)
        .request_timeout(Some(settings.ack_timeout))
        .reconnect_delay_callback(reconnect_delay)
        .retry_on_initial_connect()
        .event_callback(|event| async move { tracing::info!(%event, "nats") })
        .connect(url)
        .await
        .map_err(|e| format!("bus {url}: {e}"))?;
    let js = async_nats::jetstream::ContextBuilder::new()
        .timeout(settings.ack_timeout)
        .max_ack_inflight(settings.max_in_flight.max(1) * 2)
        .backpressure_on_inflight(true)
        .build(client.clone());
    Ok((client, js))
}
