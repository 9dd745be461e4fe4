//! `/api/v1/audit/...`: the latest signed tree head, records, and the RFC 6962 proofs that
//! let anyone check the log was only ever appended to.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderName;
use serde::Deserialize;
use serde_json::{Value, json};

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, QueryParams};
use crate::app::App;

type Reply = Result<([(HeaderName, String); 1], Json<Value>), ApiError>;

pub(super) async fn head(State(app): State<Arc<App>>, caller: Caller) -> Reply {
    let decision = authorize_read(&app, &caller, "ReadAudit").await?;
    let head = app.audit.latest_head();
    Ok((
        decision,
        Json(json!({
            "signed_head": head,
            "tree_size": app.audit.tree_size(),
            "public_key": app.audit.public_key().to_hex(),
        })),
    ))
}

pub(super) async fn record(State(app): State<Arc<App>>, caller: Caller, Path(index): Path<u64>) -> Reply {
    let decision = authorize_read(&app, &caller, "ReadAudit").await?;
    let record = app.audit.record(index).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let record = record.ok_or_else(|| ApiError::NotFound(format!("no audit record {index}")))?;
    let body = record.body().unwrap_or(Value::Null);
    Ok((
        decision,
        Json(json!({
            "index": record.index,
            "kind": record.kind,
            "time": record.time,
            "leaf_hash": hex::encode(record.leaf_hash()),
            "record": String::from_utf8_lossy(&record.bytes),
            "body": body,
        })),
    ))
}

#[derive(Deserialize)]
pub(super) struct InclusionParams {
    index: u64,
    tree_size: u64,
}

pub(super) async fn inclusion(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(p): QueryParams<InclusionParams>,
) -> Reply {
    let decision = authorize_read(&app, &caller, "ReadAudit").await?;
    let proof = app.audit.inclusion_proof(p.index, p.tree_size).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let root = app.audit.root_hash(p.tree_size).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((
        decision,
        Json(json!({
            "index": p.index,
            "tree_size": p.tree_size,
            "root_hash": hex::encode(root),
            "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        })),
    ))
}

#[derive(Deserialize)]
pub(super) struct ConsistencyParams {
    first: u64,
    second: u64,
}

pub(super) async fn consistency(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(p): QueryParams<ConsistencyParams>,
) -> Reply {
    let decision = authorize_read(&app, &caller, "ReadAudit").await?;
    let proof = app.audit.consistency_proof(p.first, p.second).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let first_root = app.audit.root_hash(p.first).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let second_root = app.audit.root_hash(p.second).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((
        decision,
        Json(json!({
            "first": p.first,
            "second": p.second,
            "first_root_hash": hex::encode(first_root),
            "second_root_hash": hex::encode(second_root),
            "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        })),
    ))
}
