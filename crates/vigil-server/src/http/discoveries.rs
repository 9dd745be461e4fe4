//! `GET /api/v1/discoveries`: the discovery log, newest first (`status=discarded` lists
//! what business rules refused, with the reason; `status=parked` what waits for a
//! prerequisite).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use axum::http::HeaderName;

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, QueryParams};
use crate::app::App;
use crate::discovery_log::{DiscoveryEntry, DiscoveryQuery};

/// A page of the discovery log.
#[derive(Serialize)]
pub(super) struct Listing {
    items: Vec<DiscoveryEntry>,
    next_before: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct ListParams {
    agent_id: Option<String>,
    status: Option<String>,
    before: Option<i64>,
    limit: Option<usize>,
    #[serde(default)]
    with_payload: bool,
}

pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<([(HeaderName, String); 1], Json<Listing>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadDiscoveries").await?;
    if let Some(s) = params.status.as_deref()
        && !["applied", "discarded", "parked", "not_interpreted"].contains(&s)
    {
        return Err(ApiError::BadRequest(format!(
            "status must be applied, discarded, parked or not_interpreted, not `{s}`"
        )));
    }
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let entries = app
        .discovery_log
        .list(DiscoveryQuery {
            agent_id: params.agent_id,
            status: params.status,
            before_id: params.before,
            limit,
            with_payload: params.with_payload,
        })
        .await?;
    let next = (entries.len() == limit).then(|| entries.last().map(|e| e.id)).flatten();
    // Serialised as it is, not through a `Value`: the stored payloads are written out as
    // they were received, and nothing in them can fail the answer.
    Ok((decision, Json(Listing { items: entries, next_before: next })))
}
