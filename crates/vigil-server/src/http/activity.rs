//! `GET /api/v1/activity`: who did what and when (commands, refusals, sign-ins, failed
//! authentications, token changes, action attempts), searched over the audit log, newest
//! first; and `GET /api/v1/audit/verification`, the log re-hashed and its signed heads
//! checked, for the audit page.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, QueryParams};
use crate::app::App;
use vigil_audit::activity::ActivityQuery;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ActivityParams {
    /// Only what this principal did (a token id, an agent id, `process-manager`, ...).
    principal: Option<String>,
    /// Only records of this kind (`command`, `command_refused`, `sign_in`, `auth_failure`,
    /// `token_changed`, `event`, ...). Without it, stored events (`event`) are left out:
    /// they are the landscape's activity, not a person's.
    kind: Option<String>,
    /// Only records at or after this time (RFC 3339).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Only records before this time (RFC 3339).
    #[param(format = DateTime)]
    until: Option<String>,
    /// Only records with an index below this one (the previous page's `next_before`).
    #[param(maximum = 9007199254740991.0)]
    before: Option<u64>,
    /// At most this many records (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
}

/// One page of activity, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ActivityPage {
    #[schema(value_type = Vec<Object>)]
    items: Vec<Value>,
    /// Where the next (older) page starts (`before`); `null` at the start of the log.
    next_before: Option<u64>,
}

fn time_param(name: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc).to_rfc3339())
                .map_err(|_| ApiError::BadRequest(format!("{name} must be an RFC 3339 time, not `{v}`")))
        })
        .transpose()
}

#[utoipa::path(get, path = "/api/v1/activity", tag = "audit", params(ActivityParams),
    responses((status = 200, description = "Audit records matching the filters, newest first", body = ActivityPage)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(p): QueryParams<ActivityParams>,
) -> Result<([(HeaderName, String); 1], Json<ActivityPage>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadAudit").await?;
    let since = time_param("since", p.since.as_deref())?;
    let until = time_param("until", p.until.as_deref())?;
    if p.before.is_some_and(|b| b > super::MAX_POSITION) {
        return Err(ApiError::BadRequest(format!("before must be at most {}", super::MAX_POSITION)));
    }
    let limit = super::page_limit(p.limit);
    let before = p.before.unwrap_or(super::MAX_POSITION).min(app.audit.tree_size());
    let query = ActivityQuery { principal: p.principal, kind: p.kind, since, until, before, limit };
    let (rows, next_before) = vigil_audit::activity::search(&app.db, query).await?;
    let items = rows
        .into_iter()
        .map(|(index, kind, time, body)| {
            // A body that does not decode is shown as null and logged: one bad record never
            // fails the page (`vigil audit verify` says whether the log was tampered with).
            let body: Value = match body.as_deref().map(serde_json::from_str) {
                Some(Ok(body)) => body,
                Some(Err(error)) => {
                    tracing::warn!(index, %error, "an audit record's body does not decode; shown as null");
                    Value::Null
                }
                None => Value::Null,
            };
            let principal = body.get("principal").cloned().unwrap_or(Value::Null);
            json!({ "index": index, "kind": kind, "time": time, "principal": principal, "body": body })
        })
        .collect();
    Ok((decision, Json(ActivityPage { items, next_before })))
}

/// Re-hashes every stored record and checks every signed head (with the key the server
/// holds, against its latest head): what `vigil audit verify` does, for the audit page.
#[utoipa::path(get, path = "/api/v1/audit/verification", tag = "audit",
    responses((status = 200, description = "Whether the log verifies, and the problems found", body = Object)))]
pub(super) async fn verification(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<([(HeaderName, String); 1], Json<Value>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadAudit").await?;
    let head = app.audit.latest_head();
    let report = vigil_audit::verify(&app.db, &app.audit.public_key(), head.as_ref())
        .await
        .map_err(|e| ApiError::Unavailable(format!("audit verification failed to run: {e}")))?;
    Ok((
        decision,
        Json(json!({
            "ok": report.ok,
            "tree_size": report.tree_size,
            "root_hash": report.root_hash,
            "heads_checked": report.heads_checked,
            "first_bad_index": report.first_bad_index,
            "first_bad_head": report.first_bad_head,
            "problems": report.problems,
            "verified_at": Utc::now().to_rfc3339(),
        })),
    ))
}
