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

/// The latest signed tree head, the tree size and the key that signs heads.
#[utoipa::path(get, path = "/api/v1/audit/head", tag = "audit",
    responses((status = 200, description = "The signed head", body = Object)))]
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

#[utoipa::path(get, path = "/api/v1/audit/records/{index}", tag = "audit",
    params(("index" = u64, Path, description = "The record's index, from 0")),
    responses((status = 200, description = "The record as stored, its leaf hash and its decoded body", body = Object)))]
pub(super) async fn record(State(app): State<Arc<App>>, caller: Caller, Path(index): Path<String>) -> Reply {
    let decision = authorize_read(&app, &caller, "ReadAudit").await?;
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("audit record index `{index}` is not a non-negative integer")))?;
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct InclusionParams {
    index: u64,
    tree_size: u64,
}

/// The RFC 6962 inclusion proof of record `index` in the tree of `tree_size` records.
#[utoipa::path(get, path = "/api/v1/audit/proofs/inclusion", tag = "audit", params(InclusionParams),
    responses((status = 200, description = "The proof and the root it leads to", body = Object)))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ConsistencyParams {
    first: u64,
    second: u64,
}

/// The RFC 6962 consistency proof between the trees of `first` and `second` records.
#[utoipa::path(get, path = "/api/v1/audit/proofs/consistency", tag = "audit", params(ConsistencyParams),
    responses((status = 200, description = "The proof and both roots", body = Object)))]
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
