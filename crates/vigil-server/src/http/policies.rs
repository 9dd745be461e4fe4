//! `/api/v1/policies` (publish, list, retire) and `/api/v1/decisions`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_policy::publication::PolicyCommand;

use super::error::ApiError;
use super::extract::{Caller, JsonBody, QueryParams};
use super::{DECISION_HEADER, authorize_read};
use crate::app::App;
use crate::decisions::DecisionQuery;
use crate::gate::{GateCommand, Via};

#[derive(Deserialize)]
pub(super) struct PublishRequest {
    path: String,
    source: String,
}

pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<([(HeaderName, String); 1], Json<Value>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadPolicies").await?;
    let revision = app.policies.repository().revision();
    Ok((decision, Json(json!({ "revision": revision, "items": app.policies.in_force().await }))))
}

pub(super) async fn publish(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(request): JsonBody<PublishRequest>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<Value>), ApiError> {
    let command = PolicyCommand::PublishPolicy {
        path: request.path.clone(),
        source: request.source,
        author: caller.0.id.clone(),
        at: chrono::Utc::now(),
    };
    submit(&app, &caller, command).await
}

pub(super) async fn retire(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(path): Path<String>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<Value>), ApiError> {
    let command = PolicyCommand::RetirePolicy { path, author: caller.0.id.clone(), at: chrono::Utc::now() };
    submit(&app, &caller, command).await
}

async fn submit(
    app: &App,
    caller: &Caller,
    command: PolicyCommand,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<Value>), ApiError> {
    let path = command.path().to_owned();
    let meta = EventMetadata {
        time: chrono::Utc::now(),
        source: "/vigil/api".into(),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
    };
    let admitted = app.gate.submit(&caller.0, GateCommand::Policy(command), Via::Direct, &meta).await?;
    let body = json!({
        "path": path,
        "revision": app.policies.repository().revision(),
        "events": admitted.dispatched.n_events,
        "decision_id": admitted.decision_id,
    });
    let status = if admitted.dispatched.n_events > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, [(DECISION_HEADER, admitted.decision_id.to_string())], Json(body)))
}

#[derive(Deserialize)]
pub(super) struct DecisionParams {
    principal: Option<String>,
    result: Option<String>,
    policy: Option<String>,
    limit: Option<usize>,
}

pub(super) async fn decisions(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<DecisionParams>,
) -> Result<([(HeaderName, String); 1], Json<Value>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadDecisions").await?;
    let allow = match params.result.as_deref() {
        None => None,
        Some("allow") => Some(true),
        Some("deny") => Some(false),
        Some(other) => {
            return Err(ApiError::BadRequest(format!("result must be allow or deny, not `{other}`")));
        }
    };
    let query = DecisionQuery {
        principal: params.principal,
        allow,
        policy: params.policy,
        limit: params.limit.unwrap_or(100).clamp(1, 1000),
    };
    Ok((decision, Json(json!({ "items": app.decisions.list(query).await? }))))
}
