//! The agent's end of the facts channel: the agent opens a WebSocket to the server (it never
//! listens on a port), authenticated with its agent key, receives `FactsGatheringRequested`
//! and answers `FactsGathered`, each a CloudEvent 1.0 in JSON in a text frame.
//!
//! [`FactsChannel`] is what the serving loop needs of a connection, so the loop is the same
//! whatever carries it; [`WebSocketChannel`] is the WebSocket one. [`run`] keeps a channel
//! open, reconnecting with backoff, and answers every request meant for this agent.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use super::sources::Sources;
use super::wire::{FactsGathered, FactsGatheringRequested};

/// CloudEvent type of a request (server → agent).
pub const REQUESTED_TYPE: &str = "vigil.facts.v1.FactsGatheringRequested";
/// CloudEvent type of an answer (agent → server).
pub const GATHERED_TYPE: &str = "vigil.facts.v1.FactsGathered";
/// The largest frame accepted from the server.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// With no frame at all (the server pings every 30 s) for this long, the connection is
/// taken for dead and opened again.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(90);
/// Longest wait for the TCP connection and the WebSocket handshake.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the channel failed.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The server refused the key (401 or 403 on the upgrade).
    #[error("the server refused the agent key ({0})")]
    Unauthorized(u16),
    /// The server could not be reached, refused the upgrade, or the connection broke.
    #[error("facts channel: {0}")]
    Broken(String),
    /// Nothing came for [`SILENCE_LIMIT`].
    #[error("the server has been silent for {0:?}")]
    Silent(Duration),
}

/// What the serving loop needs of a connection to the server.
pub trait FactsChannel: Send {
    /// The next request, or `None` when the server closed the channel. Frames that are not a
    /// request (other event types, malformed JSON) are skipped with a warning.
    fn next_request(&mut self) -> impl Future<Output = Result<Option<FactsGatheringRequested>, ChannelError>> + Send;
    /// Sends an answer.
    fn answer(&mut self, gathered: &FactsGathered) -> impl Future<Output = Result<(), ChannelError>> + Send;
}

/// A CloudEvent 1.0 in its JSON format, as the channel's frames carry it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChannelEvent<T> {
    /// Always `1.0`.
    pub specversion: String,
    /// Unique per event.
    pub id: String,
    /// `/vigil/agents/<agent_id>` from an agent; the server's choice otherwise.
    pub source: String,
    /// [`REQUESTED_TYPE`] or [`GATHERED_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// `application/json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacontenttype: Option<String>,
    /// The request or the answer.
    pub data: T,
}

/// The channel over a WebSocket.
pub struct WebSocketChannel {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    agent_id: Uuid,
}

/// The channel's URL for a server base URL: `ws(s)://…/api/v1/agents/{agent_id}/facts`.
pub fn channel_url(server_url: &str, agent_id: Uuid) -> Result<String, ChannelError> {
    let base = server_url.trim_end_matches('/');
    let rest = if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if base.starts_with("ws://") || base.starts_with("wss://") {
        base.to_owned()
    } else {
        return Err(ChannelError::Broken(format!("`{server_url}` is not an http(s) or ws(s) URL")));
    };
    Ok(format!("{rest}/api/v1/agents/{agent_id}/facts"))
}

impl WebSocketChannel {
    /// Opens the channel, sending the key as `X-Trento-Apikey` on the upgrade request.
    pub async fn connect(server_url: &str, api_key: &str, agent_id: Uuid) -> Result<Self, ChannelError> {
        let url = channel_url(server_url, agent_id)?;
        let mut request = url.as_str().into_client_request().map_err(|e| ChannelError::Broken(e.to_string()))?;
        let key =
            api_key.parse().map_err(|_| ChannelError::Broken("the agent key is not a valid header value".into()))?;
        request.headers_mut().insert("X-Trento-Apikey", key);
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let connecting = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
        let (socket, _) = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Err(_) => return Err(ChannelError::Broken(format!("no handshake with {url} within {CONNECT_TIMEOUT:?}"))),
            Ok(Err(tungstenite::Error::Http(response))) if matches!(response.status().as_u16(), 401 | 403) => {
                return Err(ChannelError::Unauthorized(response.status().as_u16()));
            }
            Ok(Err(tungstenite::Error::Http(response))) => {
                return Err(ChannelError::Broken(format!("{url} answered {} to the upgrade", response.status())));
            }
            Ok(Err(e)) => return Err(ChannelError::Broken(format!("{url}: {e}"))),
            Ok(Ok(connected)) => connected,
        };
        Ok(WebSocketChannel { socket, agent_id })
    }
}

impl FactsChannel for WebSocketChannel {
    async fn next_request(&mut self) -> Result<Option<FactsGatheringRequested>, ChannelError> {
        loop {
            let frame = match tokio::time::timeout(SILENCE_LIMIT, self.socket.next()).await {
                Err(_) => return Err(ChannelError::Silent(SILENCE_LIMIT)),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => return Err(ChannelError::Broken(e.to_string())),
                Ok(Some(Ok(frame))) => frame,
            };
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(_) => return Ok(None),
                // Pings are answered by the library; binary frames are no part of the protocol.
                _ => continue,
            };
            match serde_json::from_str::<ChannelEvent<serde_json::Value>>(&text) {
                Ok(event) if event.kind == REQUESTED_TYPE => match serde_json::from_value(event.data) {
                    Ok(request) => return Ok(Some(request)),
                    Err(e) => {
                        tracing::warn!(error = %e, event_id = %event.id, "a facts request does not decode; skipped")
                    }
                },
                Ok(event) => tracing::warn!(event_type = %event.kind, "an event the agent does not handle; skipped"),
                Err(e) => tracing::warn!(error = %e, "a frame that is not a CloudEvent; skipped"),
            }
        }
    }

    async fn answer(&mut self, gathered: &FactsGathered) -> Result<(), ChannelError> {
        let event = ChannelEvent {
            specversion: "1.0".into(),
            id: Uuid::now_v7().to_string(),
            source: format!("/vigil/agents/{}", self.agent_id),
            kind: GATHERED_TYPE.into(),
            time: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            datacontenttype: Some("application/json".into()),
            data: gathered,
        };
        let text = serde_json::to_string(&event).map_err(|e| ChannelError::Broken(e.to_string()))?;
        self.socket.send(Message::text(text)).await.map_err(|e| ChannelError::Broken(e.to_string()))
    }
}

/// Answers every request of `channel` meant for `agent_id` until the server closes it or it
/// fails. Requests for other agents are ignored.
pub async fn serve<C: FactsChannel>(channel: &mut C, sources: &Sources, agent_id: Uuid) -> Result<(), ChannelError> {
    while let Some(request) = channel.next_request().await? {
        let Some(gathered) = super::answer(sources, &request, agent_id).await else {
            tracing::warn!(execution_id = %request.execution_id, "a facts request for other agents; ignored");
            continue;
        };
        tracing::info!(execution_id = %request.execution_id, facts = gathered.facts_gathered.len(), "facts gathered");
        channel.answer(&gathered).await?;
    }
    Ok(())
}

/// Keeps the WebSocket channel open until `shutdown` turns true: connects, serves, and after
/// a failure or a close waits (1 s doubling up to a minute) and connects again.
pub async fn run(
    server_url: String,
    api_key: String,
    agent_id: Uuid,
    sources: Sources,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::ZERO;
    loop {
        let mut connected = false;
        let session = async {
            let mut channel = WebSocketChannel::connect(&server_url, &api_key, agent_id).await?;
            connected = true;
            tracing::info!(%agent_id, "facts channel open");
            serve(&mut channel, &sources, agent_id).await
        };
        let outcome = tokio::select! {
            outcome = session => outcome,
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        // A channel that was open starts the waits over: one lost connection is not a trend.
        if connected {
            backoff = Duration::ZERO;
        }
        backoff = (backoff * 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
        match outcome {
            Ok(()) => tracing::info!(retry_in = ?backoff, "the server closed the facts channel"),
            Err(e) => tracing::warn!(error = %e, retry_in = ?backoff, "facts channel failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}
