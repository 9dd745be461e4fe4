//! `GET /api/v1/activity`: who did what and when (commands, refusals, sign-ins, failed
//! authentications, token changes, action attempts), searched over the audit log, newest
//! first; and `GET /api/v1/audit/verification`, the log re-hashed and its signed heads
//! checked, for the audit page.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderName;
use chrono::{DateTime, Utc};
use rusqlite::types::Value as Sql;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, QueryParams};
use crate::app::App;

/// Records looked through per request at most, so a rare filter costs bounded work;
/// `next_before` carries the search on.
const SCAN: u64 = 20_000;

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
    let top = p.before.unwrap_or(super::MAX_POSITION).min(app.audit.tree_size());
    let floor = top.saturating_sub(SCAN);
    let mut sql = String::from(
        "SELECT idx, kind, time, json_extract(record, '$.body') FROM audit_records WHERE idx < ?1 AND idx >= ?2",
    );
    let mut args: Vec<Sql> = vec![Sql::Integer(top as i64), Sql::Integer(floor as i64)];
    // Each filter is a clause with one bound value (`{}` marks its place).
    let mut filter = |clause: &str, value: String| {
        args.push(Sql::Text(value));
        sql.push_str(" AND ");
        sql.push_str(&clause.replace("{}", &format!("?{}", args.len())));
    };
    match p.kind {
        Some(kind) => filter("kind = {}", kind),
        None => filter("kind <> {}", "event".to_owned()),
    }
    if let Some(principal) = p.principal {
        filter("coalesce(json_extract(record, '$.body.principal.id'), '') = {}", principal);
    }
    if let Some(since) = since {
        filter("julianday(time) >= julianday({})", since);
    }
    if let Some(until) = until {
        filter("julianday(time) < julianday({})", until);
    }
    sql.push_str(&format!(" ORDER BY idx DESC LIMIT {limit}"));
    let rows: Vec<(u64, String, String, Option<String>)> = app
        .db
        .read(move |conn| {
            let mut statement = conn.prepare(&sql)?;
            let rows = statement
                .query_map(rusqlite::params_from_iter(args), |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    let full = rows.len() == limit;
    let next_before = match rows.last() {
        Some((idx, ..)) if full => Some(*idx),
        // A short page: the scan window is exhausted; older records lie below it.
        _ if floor > 0 => Some(floor),
        _ => None,
    };
    let items = rows
        .into_iter()
        .map(|(index, kind, time, body)| {
            let body: Value = body.and_then(|b| serde_json::from_str(&b).ok()).unwrap_or(Value::Null);
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
