//! Operations on hosts and clusters: `POST /api/v1/{hosts,clusters}/{id}/operations/{name}`
//! records `OperationRequested` through the gate; the actions service runs the configured
//! action and records `OperationCompleted` or `OperationFailed`; `GET
//! /api/v1/operations/{id}` tells where a request stands.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_reactions::operation::{Operation, OperationCommand, OperationEvent};

use super::error::{ApiError, ErrorBody};
use super::extract::{Caller, RawBody, parse_id};
use super::{DECISION_HEADER, authorize_read};
use crate::app::App;
use vigil_gate::gate::{GateCommand, Via};

/// An operation as configured.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct OperationView {
    name: String,
    targets: Vec<String>,
    description: String,
    /// `program` or `service`.
    kind: &'static str,
}

#[utoipa::path(get, path = "/api/v1/operations", tag = "actions",
    responses((status = 200, description = "The operations that may be requested", body = Vec<OperationView>)))]
pub(super) async fn catalog(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<([(HeaderName, String); 1], Json<Vec<OperationView>>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadActions").await?;
    let armed = app.actions.book.current();
    let views = armed
        .operations()
        .map(|o| OperationView {
            name: o.name.clone(),
            targets: o.targets.clone(),
            description: o.description.clone(),
            kind: o.action.kind(),
        })
        .collect();
    Ok((decision, Json(views)))
}

type Requested = (StatusCode, [(HeaderName, String); 1], Json<Value>);

#[utoipa::path(post, path = "/api/v1/hosts/{id}/operations/{name}", tag = "actions",
    params(("id" = uuid::Uuid, Path, description = "The host id"), ("name" = String, Path, description = "The operation")),
    request_body(content = Object, description = "The operation's parameters (optional)"),
    responses((status = 202, description = "The request is recorded; the operation runs next", body = Object)))]
pub(super) async fn on_host(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Requested, ApiError> {
    let id = parse_id("host id", &id)?;
    if app.reads.host(id.to_string()).await?.is_none() {
        return Err(ApiError::NotFound(format!("host {id} is not registered")));
    }
    request(&app, &caller, "host", id, name, &body).await
}

#[utoipa::path(post, path = "/api/v1/clusters/{id}/operations/{name}", tag = "actions",
    params(("id" = uuid::Uuid, Path, description = "The cluster id"), ("name" = String, Path, description = "The operation")),
    request_body(content = Object, description = "The operation's parameters (optional)"),
    responses((status = 202, description = "The request is recorded; the operation runs next", body = Object)))]
pub(super) async fn on_cluster(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> Result<Requested, ApiError> {
    let id = parse_id("cluster id", &id)?;
    if app.reads.cluster(id.to_string()).await?.is_none() {
        return Err(ApiError::NotFound(format!("cluster {id} is not registered")));
    }
    request(&app, &caller, "cluster", id, name, &body).await
}

async fn request(
    app: &App,
    caller: &Caller,
    target_kind: &str,
    target_id: Uuid,
    name: String,
    body: &[u8],
) -> Result<Requested, ApiError> {
    let params: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?
    };
    if !params.is_object() {
        return Err(ApiError::Unprocessable("the parameters are a JSON object".into()));
    }
    let armed = app.actions.book.current();
    let Some(operation) = armed.operation(&name) else {
        return Err(ApiError::NotFound(format!("there is no operation {name}")));
    };
    if !operation.targets.iter().any(|t| t == target_kind) {
        return Err(ApiError::Unprocessable(format!(
            "operation {name} runs on {}, not on a {target_kind}",
            operation.targets.join(" or ")
        )));
    }
    let operation_id = Uuid::now_v7();
    let now = Utc::now();
    let command = OperationCommand::RequestOperation {
        operation_id,
        name,
        target_kind: target_kind.to_owned(),
        target_id,
        params,
        requested_by: caller.0.id.clone(),
        requested_at: now,
    };
    let meta = EventMetadata {
        time: now,
        source: "/vigil/api".into(),
        correlation_id: Some(operation_id),
        causation_id: None,
    };
    let admitted =
        app.gate.submit(&caller.0, GateCommand::Operation { operation_id, command }, Via::Direct, &meta).await?;
    Ok((
        StatusCode::ACCEPTED,
        [(DECISION_HEADER, admitted.decision_id.to_string())],
        Json(
            json!({ "operation_id": operation_id, "status": "requested", "last_position": admitted.dispatched.last_position }),
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/operations/{id}", tag = "actions",
    params(("id" = uuid::Uuid, Path, description = "The operation request's id")),
    responses(
        (status = 200, description = "Where the request stands, with its events", body = Object),
        (status = 404, description = "No such request", body = ErrorBody),
    ))]
pub(super) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<Value>), ApiError> {
    use vigil_kernel::decider::Decider;
    let decision = authorize_read(&app, &caller, "ReadActions").await?;
    let id = parse_id("operation id", &id)?;
    let recorded = app.store.read_stream(&Operation::stream_id(&id.to_string()), 0).await?;
    if recorded.is_empty() {
        return Err(ApiError::NotFound(format!("there is no operation request {id}")));
    }
    let mut view = json!({ "operation_id": id, "status": "requested", "events": [] });
    for event in &recorded {
        view["events"].as_array_mut().expect("an array").push(json!({
            "id": event.event.id, "type": event.event.event_type, "position": event.position, "time": event.event.time,
        }));
        match event.decode::<OperationEvent>() {
            Ok(OperationEvent::OperationRequested(e)) => {
                view["name"] = json!(e.name);
                view["target"] = json!({ "kind": e.target_kind, "id": e.target_id });
                view["params"] = e.params;
                view["requested_by"] = json!(e.requested_by);
                view["requested_at"] = json!(e.requested_at);
            }
            Ok(OperationEvent::OperationCompleted(e)) => {
                view["status"] = json!("completed");
                view["result"] = e.result;
            }
            Ok(OperationEvent::OperationFailed(e)) => {
                view["status"] = json!("failed");
                view["error"] = json!(e.error);
            }
            Err(error) => tracing::warn!(%error, operation = %id, "an operation event does not decode"),
        }
    }
    Ok((decision, Json(view)))
}
