//! `GET /api/v1/agents/{agent_id}/facts`: the server's end of the facts channel
//! (docs/facts.md). The agent opens a WebSocket with its key in `X-Trento-Apikey`; the
//! server sends `FactsGatheringRequested` CloudEvents on it and takes `FactsGathered` ones
//! back, each matched to the execution that asked (`crate::checks::agents`).
//!
//! The key is checked before the upgrade, so a refusal is an ordinary 401 with the API's
//! error body. An answer counts only for the connection's own agent: a frame naming another
//! `agent_id` is dropped, so one host cannot answer for another.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use uuid::Uuid;
use vigil_checks::facts::{FactsGathered, FactsGatheringRequested};

use super::error::ApiError;
use super::extract::{AgentAuth, parse_id};
use crate::app::App;
use crate::checks::agents::Connected;

/// CloudEvent type of a request (server → agent).
pub const REQUESTED_TYPE: &str = "vigil.facts.v1.FactsGatheringRequested";
/// CloudEvent type of an answer (agent → server).
pub const GATHERED_TYPE: &str = "vigil.facts.v1.FactsGathered";
/// The largest frame taken from an agent.
const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// How often the server pings; the agent takes 90 s without a frame for a dead connection.
const PING_INTERVAL: Duration = Duration::from_secs(30);
/// An agent silent this long (no pong, no answer) is disconnected.
const SILENCE_LIMIT: Duration = Duration::from_secs(90);
/// Longest wait for one frame to go out.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A channel frame: a CloudEvent 1.0 in its JSON format.
#[derive(Serialize, Deserialize)]
struct Frame<T> {
    specversion: String,
    id: String,
    source: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    datacontenttype: Option<String>,
    data: T,
}

/// The facts channel of one agent (WebSocket).
///
/// Text frames, each a CloudEvent 1.0 in JSON: `vigil.facts.v1.FactsGatheringRequested`
/// from the server, `vigil.facts.v1.FactsGathered` from the agent (docs/facts.md). The
/// server pings every 30 s and closes a connection silent for 90 s; a newer connection of
/// the same agent replaces an older one.
#[utoipa::path(get, path = "/api/v1/agents/{agent_id}/facts", tag = "agents", security(("agent_api_key" = [])),
    params(("agent_id" = uuid::Uuid, Path, description = "The agent (host) id")),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket upgrade, or not a UUID", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong agent key", body = super::error::ErrorBody),
    ))]
pub(super) async fn channel(
    State(app): State<Arc<App>>,
    Path(agent_id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    AgentAuth::from_request_parts(&mut parts, &app).await?;
    let agent_id = parse_id("agent id", &agent_id)?;
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .map_err(|rejection| ApiError::BadRequest(format!("not a WebSocket upgrade: {}", rejection.body_text())))?;
    let connected = app.checks_runner.agents.connect(agent_id);
    let shutdown = app.stopping();
    let agents = app.checks_runner.agents.clone();
    tracing::info!(%agent_id, "facts channel opened");
    Ok(upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_failed_upgrade(|error| tracing::debug!(%error, "a facts channel upgrade failed"))
        .on_upgrade(move |socket| async move {
            let why = session(socket, agent_id, connected, &agents, shutdown).await;
            tracing::info!(%agent_id, why, "facts channel closed");
        })
        .into_response())
}

/// Serves one connection until it ends; says why it ended.
async fn session(
    mut socket: WebSocket,
    agent_id: Uuid,
    mut connected: Connected,
    agents: &crate::checks::agents::FactsAgents,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> &'static str {
    let mut ping = tokio::time::interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            request = connected.requests.recv() => {
                let Some(request) = request else { return "replaced by a newer connection" };
                let Ok(text) = serde_json::to_string(&request_frame(&request)) else { continue };
                if !send(&mut socket, Message::Text(text.into())).await {
                    return "the agent stopped reading";
                }
            }
            incoming = socket.recv() => {
                heard = Instant::now();
                match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return "the agent closed it",
                    Some(Ok(Message::Text(text))) => take_answer(agents, agent_id, text.as_str()),
                    Some(Ok(_)) => {}
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() > SILENCE_LIMIT {
                    return "the agent was silent for 90 s";
                }
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    return "the agent stopped reading";
                }
            }
            _ = async { shutdown.wait_for(|stop| *stop).await.is_ok() } => {
                let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(None))).await;
                return "the server is stopping";
            }
        }
    }
}

async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await, Ok(Ok(())))
}

fn request_frame(request: &FactsGatheringRequested) -> Frame<&FactsGatheringRequested> {
    Frame {
        specversion: "1.0".into(),
        id: Uuid::now_v7().to_string(),
        source: "/vigil/checks".into(),
        kind: REQUESTED_TYPE.into(),
        time: Some(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        datacontenttype: Some("application/json".into()),
        data: request,
    }
}

/// Hands an agent's frame to the execution awaiting it; anything else is logged and dropped.
fn take_answer(agents: &crate::checks::agents::FactsAgents, agent_id: Uuid, text: &str) {
    let frame: Frame<serde_json::Value> = match serde_json::from_str(text) {
        Ok(frame) => frame,
        Err(error) => return tracing::warn!(%agent_id, %error, "a facts frame that is not a CloudEvent; dropped"),
    };
    if frame.kind != GATHERED_TYPE {
        return tracing::warn!(%agent_id, event_type = %frame.kind, "a facts frame of another type; dropped");
    }
    let gathered: FactsGathered = match serde_json::from_value(frame.data) {
        Ok(gathered) => gathered,
        Err(error) => return tracing::warn!(%agent_id, %error, "a FactsGathered that does not decode; dropped"),
    };
    if gathered.agent_id != agent_id {
        return tracing::warn!(%agent_id, named = %gathered.agent_id, "an answer for another agent; dropped");
    }
    let execution_id = gathered.execution_id;
    if !agents.answer(agent_id, gathered) {
        tracing::info!(%agent_id, %execution_id, "facts that no execution awaits (late or unknown); dropped");
    }
}
