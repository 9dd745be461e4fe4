//! `POST /api/v1/collect` and `POST /api/v1/hosts/{id}/heartbeat`: the Trento agent's paths.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::discovery::DiscoveryType;
use vigil_landscape::host::HostCommand;

use super::error::{ApiError, retry_later};
use super::extract::{AgentAuth, JsonBody, parse_id};
use crate::app::App;
use vigil_discovery::ingest::IngestError;
use vigil_gate::commands::DispatchError;
use vigil_gate::gate::{GateCommand, Via};

/// The Trento agent's discovery envelope.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CollectRequest {
    agent_id: String,
    discovery_type: String,
    /// The discovery as the agent gathered it; its shape depends on `discovery_type`.
    #[schema(value_type = Object)]
    payload: Box<RawValue>,
}

/// Seconds a discovery refused for overload is told to wait.
const RETRY_AFTER_SECONDS: u64 = 1;

/// Lets at most `max_inflight_discoveries` discoveries in at once; past it a discovery is
/// answered 503 with `Retry-After` before its body is read, so that an overload costs no
/// memory for bodies and the agents come back later (Trento's agent retries at its next tick).
/// A layer on the whole router (routes come from one documented list), acting on this path only.
pub(super) async fn admit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::POST || request.uri().path() != "/api/v1/collect" {
        return next.run(request).await;
    }
    let Ok(_slot) = app.discovery_slots.try_acquire() else {
        metrics::counter!("vigil_ingest_overload_refusals_total").increment(1);
        return retry_later(
            format!(
                "the server is handling its limit of {} discoveries; retry later",
                app.config.max_inflight_discoveries
            ),
            RETRY_AFTER_SECONDS,
        );
    };
    next.run(request).await
}

/// Accepts a discovery from a Trento agent. 202 means its events are committed; the
/// answer's `last_position` can be passed as `min_position` to a read.
#[utoipa::path(post, path = "/api/v1/collect", tag = "agents", security(("agent_api_key" = [])),
    request_body = CollectRequest,
    responses((status = 202, description = "Stored (applied, parked or discarded)", body = Object)))]
pub(super) async fn collect(
    State(app): State<Arc<App>>,
    _: AgentAuth,
    JsonBody(request): JsonBody<CollectRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let agent_id: Uuid = request
        .agent_id
        .parse()
        .map_err(|_| ApiError::Unprocessable(format!("agent_id: `{}` is not a UUID", request.agent_id)))?;
    let discovery_type: DiscoveryType = request
        .discovery_type
        .parse()
        .map_err(|e: vigil_landscape::discovery::InvalidDiscovery| ApiError::Unprocessable(e.to_string()))?;
    let started = std::time::Instant::now();
    let outcome =
        app.ingest.collect(agent_id, discovery_type, request.payload.get(), Utc::now()).await.map_err(|e| match e {
            IngestError::Invalid(invalid) => ApiError::Unprocessable(invalid.to_string()),
            denied @ IngestError::Denied { .. } => ApiError::Forbidden(denied.to_string()),
            IngestError::Failed(cause) => ApiError::Unavailable(format!("the discovery was not stored: {cause}")),
        })?;
    metrics::histogram!("vigil_ingest_duration_seconds").record(started.elapsed().as_secs_f64());
    Ok((StatusCode::ACCEPTED, Json(outcome)))
}

/// A heartbeat of a registered host.
#[utoipa::path(post, path = "/api/v1/hosts/{id}/heartbeat", tag = "agents", security(("agent_api_key" = [])),
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    responses((status = 204, description = "Recorded")))]
pub(super) async fn heartbeat(
    State(app): State<Arc<App>>,
    _: AgentAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let host_id = parse_id("host id", &id)?;
    let host = app.commands.host(host_id).await.map_err(dispatch_error)?;
    // A deregistered host is unknown until a host discovery restores it.
    if !host.is_registered() {
        return Err(ApiError::NotFound(format!("host {host_id} is not registered")));
    }
    let now = Utc::now();
    // The timestamp is stored before the event, so that every host whose heartbeat is
    // passing has a timestamp the checker can watch, even after a crash in between.
    app.heartbeats.record(host_id, now).await?;
    // A heartbeat of a passing host changes nothing but the timestamp: no command.
    if host.heartbeat == vigil_landscape::host::Heartbeat::Passing {
        return Ok(StatusCode::NO_CONTENT);
    }
    let meta = EventMetadata {
        time: now,
        source: format!("/vigil/agents/{host_id}"),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
    };
    let command = LandscapeCommand::Host { host_id, command: HostCommand::RecordHeartbeat { host_id } };
    let agent = vigil_gate::principal::agent(&host_id.to_string());
    app.gate.submit(&agent, GateCommand::Landscape(command), Via::Direct, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) fn dispatch_error(e: DispatchError) -> ApiError {
    match e {
        DispatchError::NotFound(refusal) => ApiError::NotFound(refusal.message),
        DispatchError::Rejected(refusal) => ApiError::Unprocessable(refusal.message),
        DispatchError::Failed(m) => ApiError::Unavailable(m),
    }
}

/// `GET /api/v1/collect/parked`: the discoveries still waiting for a prerequisite (agent,
/// type, reason, what they wait for), for whoever holds the agent key, so `vigil replay` can
/// say what did not apply. With `min_position` it answers once the wake-ups of everything up
/// to that position have run.
#[utoipa::path(get, path = "/api/v1/collect/parked", tag = "agents", security(("agent_api_key" = [])),
    responses((status = 200, description = "The parked discoveries", body = Object)))]
pub(super) async fn parked(State(app): State<Arc<App>>, _: AgentAuth) -> Result<impl IntoResponse, ApiError> {
    let parked = app.ingest.parking().all().await?;
    let items: Vec<serde_json::Value> = parked
        .into_iter()
        .map(|p| {
            serde_json::json!({
                "agent_id": p.agent_id,
                "discovery_type": p.discovery_type.as_str(),
                "reason": p.reason,
                "parked_at": p.parked_at,
                "waits": p.waits.iter().map(|w| w.encode()).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}
