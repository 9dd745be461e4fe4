//! HTTP: routes, extractors and the one mapping of errors to statuses.

pub mod error;
pub mod extract;

mod audit;
mod discoveries;
mod events;
mod health;
mod hosts;
mod ingest;
mod policies;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderName;
use axum::routing::{get, post};
use uuid::Uuid;

use crate::app::App;
use error::ApiError;
use extract::Caller;

/// Every route of the API.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route("/api/v1/collect", post(ingest::collect))
        .route("/api/v1/hosts/{id}/heartbeat", post(ingest::heartbeat))
        .route("/api/v1/hosts", get(hosts::list))
        .route("/api/v1/hosts/{id}", get(hosts::get))
        .route("/api/v1/events", get(events::list))
        .route("/api/v1/discoveries", get(discoveries::list))
        .route("/api/v1/decisions", get(policies::decisions))
        .route("/api/v1/policies", get(policies::list).post(policies::publish))
        .route("/api/v1/policies/{path}/retire", post(policies::retire))
        .route("/api/v1/audit/head", get(audit::head))
        .route("/api/v1/audit/records/{index}", get(audit::record))
        .route("/api/v1/audit/proofs/inclusion", get(audit::inclusion))
        .route("/api/v1/audit/proofs/consistency", get(audit::consistency))
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
