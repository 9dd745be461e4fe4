//! HTTP: routes, extractors and the one mapping of errors to statuses.

pub mod error;
pub mod extract;

mod discoveries;
mod events;
mod health;
mod hosts;
mod ingest;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::app::App;
use error::ApiError;

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
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}
