//! Liveness, readiness and metrics.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::error::ApiError;
use crate::app::App;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "The process is alive", body = Object, example = json!({"status": "ok"}))))]
pub(super) async fn alive() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready when the store answers and every subscription task is running.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, description = "Ready, with each projection's position", body = Object)))]
pub(super) async fn ready(State(app): State<Arc<App>>) -> Result<Json<serde_json::Value>, ApiError> {
    app.store_answers().await.map_err(|e| ApiError::Unavailable(format!("store is not answering: {e}")))?;
    let stopped = app.stopped_tasks();
    if !stopped.is_empty() {
        return Err(ApiError::Unavailable(format!("not running: {}", stopped.join(", "))));
    }
    Ok(Json(json!({ "status": "ready", "projections": app.projection_positions() })))
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "health", security(()),
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub(super) async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.render_metrics())
}
