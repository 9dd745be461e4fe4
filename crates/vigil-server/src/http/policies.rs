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
use vigil_gate::decisions::DecisionQuery;
use vigil_gate::gate::{GateCommand, Via};

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct PublishRequest {
    /// Where the module lives in the set, e.g. `vigil/authz_extra.rego`.
    #[schema(pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*\.rego$", max_length = 255)]
    path: String,
    /// The Rego v1 source.
    source: String,
}

/// The policies in force and the revision of the set.
#[utoipa::path(get, path = "/api/v1/policies", tag = "policies",
    responses((status = 200, description = "The policies in force", body = Object)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<([(HeaderName, String); 1], Json<Value>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadPolicies").await?;
    let revision = app.policies.repository().revision();
    Ok((decision, Json(json!({ "revision": revision, "items": app.policies.in_force().await }))))
}

/// Publishes a Rego module (compiled and test-evaluated under limits first; 422 with the
/// reason if it does not compile). 201 when it changed the set, 200 when it was already in force.
#[utoipa::path(post, path = "/api/v1/policies", tag = "policies", request_body = PublishRequest,
    responses((status = 201, description = "Published", body = Object), (status = 200, description = "Already in force", body = Object)))]
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

#[utoipa::path(post, path = "/api/v1/policies/{path}/retire", tag = "policies",
    params(("path" = String, Path, pattern = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*\.rego$", max_length = 255, description = "The module path, URL-encoded")),
    responses((status = 201, description = "Retired", body = Object), (status = 200, description = "Was not in force", body = Object)))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DecisionParams {
    /// Only decisions about this principal.
    principal: Option<String>,
    /// Only allowed or only denied requests.
    #[param(schema_with = super::reference::decision_result)]
    result: Option<String>,
    /// Only decisions of this policy.
    policy: Option<String>,
    /// At most this many decisions (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
}

/// The recorded authorization decisions, newest first.
#[utoipa::path(get, path = "/api/v1/decisions", tag = "policies", params(DecisionParams),
    responses((status = 200, description = "The decisions", body = Object)))]
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
        limit: super::page_limit(params.limit),
    };
    Ok((decision, Json(json!({ "items": app.decisions.list(query).await? }))))
}
