//! An HTTP client that talks to Vigil (or Trento) as a Trento agent does.

use std::time::Duration;

use reqwest::StatusCode;
use serde::Serialize;
use uuid::Uuid;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached (down, refused, timed out): worth retrying.
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error("server answered {status}: {message}")]
    Status {
        /// The status.
        status: StatusCode,
        /// The error message from the body.
        message: String,
    },
}

impl ClientError {
    /// Whether retrying later may help (the server is down or failing, not refusing).
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable(_) => true,
            ClientError::Status { status, .. } => status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// Whether the server answered that it does not know the host (404 on a heartbeat).
    pub fn is_unknown_host(&self) -> bool {
        matches!(self, ClientError::Status { status: StatusCode::NOT_FOUND, .. })
    }
}

/// The answer to a posted discovery.
#[derive(Clone, Debug)]
pub struct CollectReply {
    /// HTTP status (202 when accepted).
    pub status: StatusCode,
    /// The JSON body.
    pub body: serde_json::Value,
}

/// A client for one server and key.
#[derive(Clone)]
pub struct VigilClient {
    http: reqwest::Client,
    base: String,
    api_key: String,
}

#[derive(Serialize)]
struct Envelope<'a, P: Serialize> {
    agent_id: Uuid,
    discovery_type: &'a str,
    payload: &'a P,
}

impl VigilClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:4000`) with the agent key.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self, ClientError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("vigil-agent/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        Ok(VigilClient { http, base: base_url.trim_end_matches('/').to_owned(), api_key: api_key.to_owned() })
    }

    /// Posts a discovery given as a payload.
    pub async fn collect<P: Serialize>(
        &self,
        agent_id: Uuid,
        discovery_type: &str,
        payload: &P,
    ) -> Result<CollectReply, ClientError> {
        let body = serde_json::to_vec(&Envelope { agent_id, discovery_type, payload })
            .map_err(|e| ClientError::Status { status: StatusCode::BAD_REQUEST, message: e.to_string() })?;
        self.collect_raw(body).await
    }

    /// Posts a whole discovery envelope as recorded (`{"agent_id", "discovery_type", "payload"}`).
    /// Any answer, error statuses included, is returned; only an unreachable server is an error.
    pub async fn collect_raw(&self, envelope: Vec<u8>) -> Result<CollectReply, ClientError> {
        let response = self
            .http
            .post(format!("{}/api/v1/collect", self.base))
            .header("X-Trento-Apikey", &self.api_key)
            .header("Content-Type", "application/json")
            .body(envelope)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        Ok(CollectReply { status, body })
    }

    /// The discoveries still parked on the server (`GET /api/v1/collect/parked`), once the
    /// server has applied everything up to `min_position` and what it woke (read-your-writes).
    pub async fn parked(&self, min_position: u64) -> Result<serde_json::Value, ClientError> {
        let response = self
            .http
            .get(format!("{}/api/v1/collect/parked?min_position={min_position}", self.base))
            .header("X-Trento-Apikey", &self.api_key)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        CollectReply { status, body }.ok()
    }

    /// Sends a heartbeat.
    pub async fn heartbeat(&self, agent_id: Uuid) -> Result<(), ClientError> {
        let response = self
            .http
            .post(format!("{}/api/v1/hosts/{agent_id}/heartbeat", self.base))
            .header("X-Trento-Apikey", &self.api_key)
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let message = response.text().await.unwrap_or_default();
        Err(ClientError::Status { status, message })
    }
}

impl CollectReply {
    /// Turns an error status into a [`ClientError`].
    pub fn ok(self) -> Result<serde_json::Value, ClientError> {
        if self.status.is_success() { Ok(self.body) } else { Err(self.into_error()) }
    }

    /// The reply as an error, with the server's message.
    pub fn into_error(self) -> ClientError {
        let message = self.body.get("message").and_then(|m| m.as_str()).map(str::to_owned);
        ClientError::Status { status: self.status, message: message.unwrap_or_else(|| self.body.to_string()) }
    }
}

/// rustls needs one process-wide crypto provider; Vigil uses ring. Call before building any
/// HTTP client (the agent client does it itself).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
