//! `GET /api/v1/hosts[/{id}]`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use axum::http::HeaderName;

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, QueryParams, parse_id};
use crate::app::App;
use crate::readmodel::hosts::{HostQuery, HostRow};

#[derive(Deserialize)]
pub(super) struct ListParams {
    hostname: Option<String>,
    heartbeat: Option<String>,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// A host as the API shows it: the read model plus the heartbeat timestamp.
#[derive(Serialize)]
pub(super) struct HostView {
    #[serde(flatten)]
    host: HostRow,
    last_heartbeat_timestamp: Option<String>,
}

#[derive(Serialize)]
pub(super) struct HostPage {
    items: Vec<HostView>,
    total: u64,
    offset: usize,
    limit: usize,
}

pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<([(HeaderName, String); 1], Json<HostPage>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadHosts").await?;
    if let Some(h) = params.heartbeat.as_deref()
        && !["unknown", "passing", "critical"].contains(&h)
    {
        return Err(ApiError::BadRequest(format!(
            "heartbeat must be unknown, passing or critical, not `{h}`"
        )));
    }
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let query = HostQuery {
        hostname: params.hostname,
        heartbeat: params.heartbeat,
        offset: params.offset,
        limit,
    };
    let (rows, total) = app.host_views.list(query).await?;
    let items = rows.into_iter().map(|host| view(&app, host)).collect();
    Ok((
        decision,
        Json(HostPage {
            items,
            total,
            offset: params.offset,
            limit,
        }),
    ))
}

pub(super) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<HostView>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadHosts").await?;
    let host_id = parse_id("host id", &id)?;
    let host = app.host_views.get(host_id.to_string()).await?;
    let host = host.ok_or_else(|| ApiError::NotFound(format!("host {host_id} is not registered")))?;
    Ok((decision, Json(view(&app, host))))
}

fn view(app: &App, host: HostRow) -> HostView {
    let last = host.id.parse().ok().and_then(|id| app.heartbeats.last_heartbeat(id));
    HostView {
        host,
        last_heartbeat_timestamp: last.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
    }
}
