//! HTTP: routes, extractors and the one mapping of errors to statuses.

pub mod consistency;
pub mod error;
pub mod extract;

mod audit;
mod clusters;
mod databases;
mod discoveries;
mod events;
mod health;
mod hosts;
mod ingest;
mod policies;
mod sap_systems;
mod tags;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderName;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::App;
use crate::readmodel::ListQuery;
use crate::readmodel::hosts::is_health;
use error::ApiError;
use extract::Caller;

/// Every route of the API.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route(
            "/api/v1/collect",
            post(ingest::collect).route_layer(axum::middleware::from_fn_with_state(app.clone(), ingest::admit)),
        )
        .route("/api/v1/collect/parked", get(ingest::parked))
        .route("/api/v1/hosts/{id}/heartbeat", post(ingest::heartbeat))
        .route("/api/v1/hosts", get(hosts::list))
        .route("/api/v1/hosts/{id}", get(hosts::get).delete(hosts::deregister))
        .route("/api/v1/hosts/{id}/tags", post(tags::add_to_host))
        .route("/api/v1/hosts/{id}/tags/{value}", delete(tags::remove_from_host))
        .route("/api/v1/clusters", get(clusters::list))
        .route("/api/v1/clusters/{id}", get(clusters::get))
        .route("/api/v1/clusters/{id}/tags", post(tags::add_to_cluster))
        .route("/api/v1/clusters/{id}/tags/{value}", delete(tags::remove_from_cluster))
        .route("/api/v1/databases", get(databases::list))
        .route("/api/v1/databases/{id}", get(databases::get))
        .route("/api/v1/databases/{id}/tags", post(tags::add_to_database))
        .route("/api/v1/databases/{id}/tags/{value}", delete(tags::remove_from_database))
        .route(
            "/api/v1/databases/{id}/hosts/{host_id}/instances/{instance_number}",
            delete(databases::delete_absent_instance),
        )
        .route("/api/v1/sap_systems", get(sap_systems::list))
        .route("/api/v1/sap_systems/health", get(sap_systems::health))
        .route("/api/v1/sap_systems/{id}", get(sap_systems::get))
        .route("/api/v1/sap_systems/{id}/tags", post(tags::add_to_sap_system))
        .route("/api/v1/sap_systems/{id}/tags/{value}", delete(tags::remove_from_sap_system))
        .route(
            "/api/v1/sap_systems/{id}/hosts/{host_id}/instances/{instance_number}",
            delete(sap_systems::delete_absent_instance),
        )
        .route("/api/v1/events", get(events::list))
        .route("/api/v1/discoveries", get(discoveries::list))
        .route("/api/v1/decisions", get(policies::decisions))
        .route("/api/v1/policies", get(policies::list).post(policies::publish))
        .route("/api/v1/policies/{path}/retire", post(policies::retire))
        .route("/api/v1/audit/head", get(audit::head))
        .route("/api/v1/audit/records/{index}", get(audit::record))
        .route("/api/v1/audit/proofs/inclusion", get(audit::inclusion))
        .route("/api/v1/audit/proofs/consistency", get(audit::consistency))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), consistency::min_position))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

/// The header carrying the id of the decision that let a request through.
pub const DECISION_HEADER: HeaderName = HeaderName::from_static("vigil-decision-id");

/// Authorizes a read for the caller (`ReadHosts`, ...), recording the decision.
async fn authorize_read(app: &App, caller: &Caller, read: &str) -> Result<[(HeaderName, String); 1], ApiError> {
    let decision: Uuid = app.gate.authorize_read(&caller.0, read, None).await?;
    Ok([(DECISION_HEADER, decision.to_string())])
}

/// The query parameters of the landscape lists: filters and paging. One struct for all
/// (a list ignores the filters it has no use for), as the query string parser cannot
/// flatten typed fields.
#[derive(Deserialize)]
pub(super) struct LandscapeParams {
    hostname: Option<String>,
    heartbeat: Option<String>,
    cluster_id: Option<String>,
    health: Option<String>,
    tag: Option<String>,
    sid: Option<String>,
    #[serde(rename = "type")]
    cluster_type: Option<String>,
    #[serde(default)]
    include_deregistered: bool,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

impl LandscapeParams {
    /// The filters as a query, with a 400 for a health that does not exist.
    fn query(&self) -> Result<ListQuery, ApiError> {
        if let Some(health) = self.health.as_deref()
            && !is_health(health)
        {
            return Err(ApiError::BadRequest(format!(
                "health must be passing, warning, critical or unknown, not `{health}`"
            )));
        }
        Ok(ListQuery {
            health: self.health.clone(),
            tag: self.tag.as_deref().map(|t| t.trim().to_owned()),
            sid: self.sid.clone(),
            cluster_type: self.cluster_type.clone(),
            include_deregistered: self.include_deregistered,
            offset: self.offset,
            limit: self.limit.unwrap_or(100).clamp(1, 1000),
        })
    }
}

/// One page of a list.
#[derive(Serialize)]
pub(super) struct Page<T> {
    items: Vec<T>,
    total: u64,
    offset: usize,
    limit: usize,
}

/// A tag as Trento shows it on a resource.
#[derive(Serialize)]
pub(super) struct TagView {
    value: String,
    resource_id: String,
    resource_type: &'static str,
}

fn tag_views(resource_type: &'static str, resource_id: &str, values: Vec<String>) -> Vec<TagView> {
    values.into_iter().map(|value| TagView { value, resource_id: resource_id.to_owned(), resource_type }).collect()
}
