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
use vigil_discovery::log::{DiscoveryEntry, DiscoveryQuery};

/// A page of the discovery log.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct DiscoveryPage {
    #[schema(value_type = Vec<Object>)]
    items: Vec<DiscoveryEntry>,
    next_before: Option<i64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Only what this agent sent.
    agent_id: Option<String>,
    /// Only entries of this status.
    #[param(schema_with = super::reference::discovery_status)]
    status: Option<String>,
    /// Only entries older than this id (the previous page's `next_before`).
    before: Option<i64>,
    /// At most this many entries (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
    /// Include each discovery's payload as it was received.
    #[serde(default)]
    with_payload: bool,
}

#[utoipa::path(get, path = "/api/v1/discoveries", tag = "discoveries", params(ListParams),
    responses((status = 200, description = "One page of the discovery log, newest first", body = DiscoveryPage)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<([(HeaderName, String); 1], Json<DiscoveryPage>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadDiscoveries").await?;
    if let Some(s) = params.status.as_deref()
        && !super::values::DISCOVERY_STATUS.contains(&s)
    {
        return Err(ApiError::BadRequest(format!(
            "status must be applied, discarded, parked or not_interpreted, not `{s}`"
        )));
    }
    let limit = super::page_limit(params.limit);
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
    Ok((decision, Json(DiscoveryPage { items: entries, next_before: next })))
}
