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
#[derive(Serialize)]
pub(super) struct Listing<'a> {
    items: Vec<CloudEvent<'a>>,
    next_after: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct ListParams {
    /// Only events after this position.
    #[serde(default)]
    after: u64,
    subject: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    limit: Option<usize>,
}

pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadEvents").await?;
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
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
    Ok((decision, Json(Listing { items, next_after: next })).into_response())
}
