//! The best-practice checks API: the catalog, each cluster's and host's selection and
//! executions, and a request to execute now. What runs an execution is `crate::checks`.
//!
//! * `GET /api/v1/checks/catalog`
//! * `GET /api/v1/{clusters,hosts}/{id}/checks`: the selection, the checks that apply, the
//!   last completed execution and the checks health.
//! * `PUT /api/v1/{clusters,hosts}/{id}/checks/selection`: `SelectChecks` through the gate.
//! * `POST /api/v1/{clusters,hosts}/{id}/checks/request_execution`: 202 with the execution id;
//!   `GET /api/v1/checks/executions/{id}` tells where it stands and, once completed, its results.
//! * `GET /api/v1/{clusters,hosts}/{id}/checks/executions`: the last executions, newest first.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use vigil_checks::{Metadata, Rejection, TargetType};
use vigil_readmodel::checks::{ExecutionView, SelectionView};

use super::error::{ApiError, ErrorBody};
use super::extract::{Caller, JsonBody, parse_id};
use super::{DECISION_HEADER, authorize_read};
use crate::app::App;
use crate::checks::{ChecksTarget, RunError};

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::NotFound(m) => ApiError::NotFound(m),
            RunError::Unprocessable(m) => ApiError::Unprocessable(m),
            RunError::Gate(e) => e.into(),
            RunError::Unavailable(m) => ApiError::Unavailable(format!("storage is unavailable: {m}")),
        }
    }
}

/// The catalog: every check loaded, and the files refused with why.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CatalogView {
    /// Each check's metadata, by id.
    #[schema(value_type = Vec<Object>)]
    items: Vec<Metadata>,
    /// Files of the checks directory that did not load.
    #[schema(value_type = Vec<Object>)]
    rejected: Vec<Rejection>,
}

#[utoipa::path(get, path = "/api/v1/checks/catalog", tag = "checks",
    responses((status = 200, description = "The checks in force", body = CatalogView)))]
pub(super) async fn catalog(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<([(HeaderName, String); 1], Json<CatalogView>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadChecks").await?;
    let items = app.checks.checks().map(|check| check.metadata().clone()).collect();
    Ok((decision, Json(CatalogView { items, rejected: app.checks.rejected().to_vec() })))
}

/// A target's checks.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct TargetChecksView {
    /// `cluster` or `host`.
    target_type: &'static str,
    /// The cluster's or host's id.
    target_id: String,
    /// The selection in force; without one a requested execution runs every applicable check
    /// and the schedule runs none.
    #[schema(value_type = Option<Object>)]
    selection: Option<SelectionView>,
    /// The ids of the checks that apply to the target as discovered now (empty while it has
    /// no discovery to check).
    applicable: Vec<String>,
    /// The last completed execution's health (`passing`, `warning`, `critical`), or `unknown`.
    checks_health: String,
    /// The last completed execution, with its results.
    #[schema(value_type = Option<Object>)]
    last_execution: Option<ExecutionView>,
}

/// A selection as sent.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SelectionRequest {
    /// Check ids from the catalog that apply to the target; `[]` selects none.
    checks: Vec<String>,
    /// Customised values: check id → value name → value (over the check's defaults).
    #[serde(default)]
    #[schema(value_type = Object)]
    values: BTreeMap<String, BTreeMap<String, Value>>,
}

type Answer<T> = ([(HeaderName, String); 1], Json<T>);

#[utoipa::path(get, path = "/api/v1/clusters/{id}/checks", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The cluster id")),
    responses((status = 200, description = "The cluster's selection, applicable checks, last results and checks health", body = TargetChecksView),
        (status = 404, description = "No such cluster", body = ErrorBody)))]
pub(super) async fn of_cluster(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Answer<TargetChecksView>, ApiError> {
    of_target(&app, &caller, TargetType::Cluster, &id).await
}

#[utoipa::path(get, path = "/api/v1/hosts/{id}/checks", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    responses((status = 200, description = "The host's selection, applicable checks, last results and checks health", body = TargetChecksView),
        (status = 404, description = "No such host", body = ErrorBody)))]
pub(super) async fn of_host(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Answer<TargetChecksView>, ApiError> {
    of_target(&app, &caller, TargetType::Host, &id).await
}

#[utoipa::path(put, path = "/api/v1/clusters/{id}/checks/selection", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The cluster id")),
    request_body = SelectionRequest,
    responses((status = 200, description = "The selection in force", body = Object),
        (status = 422, description = "A check that does not exist or does not apply, or an undeclared value", body = ErrorBody)))]
pub(super) async fn select_on_cluster(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SelectionRequest>,
) -> Result<Answer<Value>, ApiError> {
    select(&app, &caller, TargetType::Cluster, &id, body).await
}

#[utoipa::path(put, path = "/api/v1/hosts/{id}/checks/selection", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    request_body = SelectionRequest,
    responses((status = 200, description = "The selection in force", body = Object),
        (status = 422, description = "A check that does not exist or does not apply, or an undeclared value", body = ErrorBody)))]
pub(super) async fn select_on_host(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SelectionRequest>,
) -> Result<Answer<Value>, ApiError> {
    select(&app, &caller, TargetType::Host, &id, body).await
}

type Accepted = (StatusCode, [(HeaderName, String); 2], Json<Value>);

#[utoipa::path(post, path = "/api/v1/clusters/{id}/checks/request_execution", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The cluster id")),
    responses((status = 202, description = "The execution started; its results follow at the Location", body = Object),
        (status = 422, description = "Nothing to check: no discovery yet, or no selected check applies", body = ErrorBody)))]
pub(super) async fn execute_on_cluster(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Accepted, ApiError> {
    execute(&app, &caller, TargetType::Cluster, &id).await
}

#[utoipa::path(post, path = "/api/v1/hosts/{id}/checks/request_execution", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    responses((status = 202, description = "The execution started; its results follow at the Location", body = Object),
        (status = 422, description = "Nothing to check: no discovery yet, or no selected check applies", body = ErrorBody)))]
pub(super) async fn execute_on_host(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Accepted, ApiError> {
    execute(&app, &caller, TargetType::Host, &id).await
}

#[utoipa::path(get, path = "/api/v1/checks/executions/{id}", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The execution id")),
    responses((status = 200, description = "Where the execution stands; once completed, its results and each agent's facts", body = Object),
        (status = 404, description = "No such execution", body = ErrorBody)))]
pub(super) async fn execution(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Answer<ExecutionView>, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadChecks").await?;
    let id = parse_id("execution id", &id)?;
    match app.checks_runner.views.execution(id.to_string()).await? {
        Some(execution) => Ok((decision, Json(execution))),
        None => Err(ApiError::NotFound(format!("there is no checks execution {id}"))),
    }
}

#[utoipa::path(get, path = "/api/v1/clusters/{id}/checks/executions", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The cluster id")),
    responses((status = 200, description = "The cluster's last executions, newest first", body = Object)))]
pub(super) async fn executions_of_cluster(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Answer<Value>, ApiError> {
    executions(&app, &caller, "cluster", &id).await
}

#[utoipa::path(get, path = "/api/v1/hosts/{id}/checks/executions", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    responses((status = 200, description = "The host's last executions, newest first", body = Object)))]
pub(super) async fn executions_of_host(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Answer<Value>, ApiError> {
    executions(&app, &caller, "host", &id).await
}

/// The target of a path, checked to be registered.
async fn target(app: &App, target_type: TargetType, id: &str) -> Result<ChecksTarget, ApiError> {
    let target = ChecksTarget { target_type, id: parse_id(&format!("{} id", target_type.as_str()), id)? };
    let registered = match target_type {
        TargetType::Cluster => app.reads.cluster(target.id.to_string()).await?.is_some(),
        TargetType::Host => app.reads.host(target.id.to_string()).await?.is_some(),
    };
    if !registered {
        return Err(ApiError::NotFound(format!("{} {} is not registered", target.target_type.as_str(), target.id)));
    }
    Ok(target)
}

async fn of_target(
    app: &Arc<App>,
    caller: &Caller,
    target_type: TargetType,
    id: &str,
) -> Result<Answer<TargetChecksView>, ApiError> {
    let decision = authorize_read(app, caller, "ReadChecks").await?;
    let target = target(app, target_type, id).await?;
    let runner = &app.checks_runner;
    let applicable = match runner.applicable(app, target).await {
        Ok(ids) => ids,
        Err(RunError::Unprocessable(_)) => Vec::new(),
        Err(other) => return Err(other.into()),
    };
    let selection = runner.views.selection(target.id.to_string()).await?;
    let last_execution = runner.views.last_completed(target.id.to_string()).await?;
    let checks_health = last_execution.as_ref().and_then(|e| e.health.clone()).unwrap_or_else(|| "unknown".into());
    Ok((
        decision,
        Json(TargetChecksView {
            target_type: target.target_type.as_str(),
            target_id: target.id.to_string(),
            selection,
            applicable,
            checks_health,
            last_execution,
        }),
    ))
}

async fn select(
    app: &Arc<App>,
    caller: &Caller,
    target_type: TargetType,
    id: &str,
    body: SelectionRequest,
) -> Result<Answer<Value>, ApiError> {
    let target = target(app, target_type, id).await?;
    let (decision_id, last_position) =
        app.checks_runner.select(app, &caller.0, target, body.checks.clone(), body.values.clone()).await?;
    let mut checks = body.checks;
    checks.sort();
    checks.dedup();
    Ok((
        [(DECISION_HEADER, decision_id.to_string())],
        Json(json!({
            "target_type": target.target_type.as_str(),
            "target_id": target.id,
            "checks": checks,
            "values": body.values,
            "last_position": last_position,
        })),
    ))
}

async fn execute(app: &Arc<App>, caller: &Caller, target_type: TargetType, id: &str) -> Result<Accepted, ApiError> {
    let target = target(app, target_type, id).await?;
    let started = app.checks_runner.start(app, &caller.0, target).await?;
    let location = format!("/api/v1/checks/executions/{}", started.execution_id);
    Ok((
        StatusCode::ACCEPTED,
        [(DECISION_HEADER, started.decision_id.to_string()), (header::LOCATION, location)],
        Json(json!({
            "execution_id": started.execution_id,
            "target_type": target.target_type.as_str(),
            "target_id": target.id,
            "status": "running",
        })),
    ))
}

/// How many executions a target's list shows.
const EXECUTIONS_LISTED: usize = 20;

async fn executions(app: &App, caller: &Caller, what: &str, id: &str) -> Result<Answer<Value>, ApiError> {
    let decision = authorize_read(app, caller, "ReadChecks").await?;
    let id = parse_id(&format!("{what} id"), id)?;
    let items = app.checks_runner.views.executions(id.to_string(), EXECUTIONS_LISTED).await?;
    Ok((decision, Json(json!({ "items": items }))))
}
