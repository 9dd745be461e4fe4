//! `GET /api/v1/events`: the stored events as CloudEvents, paged by position.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use vigil_kernel::envelope::CloudEvent;
use vigil_kernel::store::EventQuery;

use axum::response::{IntoResponse, Response};

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, QueryParams};
use crate::app::App;

/// A page of events.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct EventPage<'a> {
    /// CloudEvents 1.0 in JSON.
    #[schema(value_type = Vec<Object>)]
    items: Vec<CloudEvent<'a>>,
    next_after: Option<u64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Only events after this position.
    #[serde(default)]
    #[param(maximum = 9007199254740991.0)]
    after: u64,
    subject: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// At most this many events (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(ListParams),
    responses((status = 200, description = "One page of events in store order", body = EventPage)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadEvents").await?;
    if params.after > super::MAX_POSITION {
        return Err(ApiError::BadRequest(format!(
            "after must be at most {}, not {}",
            super::MAX_POSITION,
            params.after
        )));
    }
    let limit = super::page_limit(params.limit);
    let events = app
        .store
        .query(EventQuery {
            after_position: params.after,
            subject: params.subject,
            event_type: params.event_type,
            limit,
        })
        .await?;
    let next = (events.len() == limit).then(|| events.last().map(|e| e.position)).flatten();
    let items: Vec<_> = events.iter().map(|e| e.to_cloud_event()).collect();
    // Serialised as it is, not through a `Value`, so no stored event data can fail the answer.
    Ok((decision, Json(EventPage { items, next_after: next })).into_response())
}
