//! `GET /api/v1/checks/catalog` and `POST /api/v1/{clusters,hosts}/{id}/checks/request_execution`:
//! the best-practice checks in force, and an evaluation of them with the data at hand.
//!
//! An execution here evaluates the last applied discovery payloads of the target's hosts
//! (from the discovery log) and answers the results; facts are not gathered yet, so checks
//! that need them answer `not_gathered`. Nothing is stored: the ChecksExecution events of
//! issue #15 section 3 are not built.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderName;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_checks::{Evaluation, HostDiscoveries, Metadata, Rejection, Selection};
use vigil_discovery::log::DiscoveryQuery;

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, parse_id};
use crate::app::App;

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

#[utoipa::path(post, path = "/api/v1/clusters/{id}/checks/request_execution", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The cluster id")),
    responses((status = 200, description = "The results of every applicable check, and the worst-of health", body = Object)))]
pub(super) async fn execute_on_cluster(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<Evaluation>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadChecks").await?;
    let cluster_id = parse_id("cluster id", &id)?;
    let cluster = app.reads.cluster(cluster_id.to_string()).await?;
    let cluster = cluster.ok_or_else(|| ApiError::NotFound(format!("cluster {cluster_id} is not registered")))?;
    let mut members = Vec::new();
    for member in &cluster.hosts {
        let host_id = parse_id("host id", &member.host_id)?;
        members.push(discoveries_of(&app, host_id).await?);
    }
    let input = vigil_checks::cluster_input(&members, json!({}))
        .map_err(|e| ApiError::Unprocessable(format!("cluster {cluster_id} cannot be checked: {e}")))?;
    Ok((decision, Json(evaluate(&app, input).await?)))
}

#[utoipa::path(post, path = "/api/v1/hosts/{id}/checks/request_execution", tag = "checks",
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    responses((status = 200, description = "The results of every applicable check, and the worst-of health", body = Object)))]
pub(super) async fn execute_on_host(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<Evaluation>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadChecks").await?;
    let host_id = parse_id("host id", &id)?;
    if app.reads.host(host_id.to_string()).await?.is_none() {
        return Err(ApiError::NotFound(format!("host {host_id} is not registered")));
    }
    let host = discoveries_of(&app, host_id).await?;
    let input = vigil_checks::host_input(&host, json!({}))
        .map_err(|e| ApiError::Unprocessable(format!("host {host_id} cannot be checked: {e}")))?;
    Ok((decision, Json(evaluate(&app, input).await?)))
}

/// How many applied log entries of one host are read to find its last payload of each
/// type: a host sends six types, and an entry is logged only when its payload changed.
const LOG_ENTRIES_PER_HOST: usize = 256;

/// The last applied payload of each discovery type of a host.
async fn discoveries_of(app: &App, host_id: Uuid) -> Result<HostDiscoveries, ApiError> {
    let entries = app
        .discovery_log
        .list(DiscoveryQuery {
            agent_id: Some(host_id.to_string()),
            status: Some("applied".to_owned()),
            before_id: None,
            limit: LOG_ENTRIES_PER_HOST,
            with_payload: true,
        })
        .await?;
    let mut payloads = BTreeMap::new();
    // Newest first: the first entry of a type is its last payload.
    for entry in entries {
        if payloads.contains_key(&entry.discovery_type) {
            continue;
        }
        let Some(raw) = entry.payload else { continue };
        let Ok(payload) = serde_json::from_str::<Value>(raw.get()) else { continue };
        payloads.insert(entry.discovery_type, payload);
    }
    Ok(HostDiscoveries { host_id, payloads })
}

/// The catalog evaluated off the async threads (Rego is CPU work).
async fn evaluate(app: &App, input: vigil_checks::CheckInput) -> Result<Evaluation, ApiError> {
    let catalog = app.checks.clone();
    tokio::task::spawn_blocking(move || catalog.evaluate(&input, &Selection::default(), &BTreeMap::new()))
        .await
        .map_err(|e| ApiError::Internal(format!("checks evaluation panicked: {e}")))
}
