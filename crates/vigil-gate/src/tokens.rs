//! API tokens for people and automation: `vgt_<id>_<secret>`, stored as the SHA-256 of the
//! secret, compared in constant time, with a role, an optional expiry and revocation.
//!
//! Plain CRUD, not events. Every change is written to the audit inbox in the same
//! transaction, so the audit log records it even when the change comes from the CLI while
//! no server runs.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use crate::principal::{Principal, PrincipalKind};
use vigil_audit::inbox;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    role        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    revoked_at  TEXT
);";

/// The roles a token can carry.
pub const ROLES: &[&str] = &["admin", "operator", "viewer"];

/// A token as listed (never with its secret).
#[derive(Clone, Debug, Serialize)]
pub struct TokenInfo {
    /// Public id, the middle part of the token.
    pub id: String,
    /// A label for people.
    pub name: String,
    /// `user` or `service`.
    pub kind: String,
    /// The role.
    pub role: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, if it expires.
    pub expires_at: Option<String>,
    /// RFC 3339, if revoked.
    pub revoked_at: Option<String>,
}

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Bad arguments.
    #[error("{0}")]
    Invalid(String),
    /// No such token.
    #[error("no token {0}")]
    NotFound(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for TokenError {
    fn from(e: rusqlite::Error) -> Self {
        TokenError::Db(e.into())
    }
}

/// Creates the tokens table if needed.
pub async fn ensure_schema(db: &Db) -> Result<(), DbError> {
    db.write(|conn| conn.execute_batch(SCHEMA)).await??;
    inbox::ensure_schema(db).await
}

/// Creates a token and returns it in full: the only time its secret is visible.
pub async fn create(
    db: &Db,
    name: &str,
    kind: PrincipalKind,
    role: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(String, TokenInfo), TokenError> {
    if !ROLES.contains(&role) {
        return Err(TokenError::Invalid(format!("role must be one of {}, not `{role}`", ROLES.join(", "))));
    }
    let kind = match kind {
        PrincipalKind::User => "user",
        PrincipalKind::Service => "service",
        other => {
            return Err(TokenError::Invalid(format!("tokens are for users and services, not {other:?}")));
        }
    };
    if expires_at.is_some_and(|e| e <= now) {
        return Err(TokenError::Invalid("the expiry is in the past".into()));
    }
    ensure_schema(db).await?;
    // The whole UUIDv7: its random bits keep ids unique even within one millisecond.
    let id = Uuid::now_v7().simple().to_string();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| DbError(format!("no randomness for a token: {e}")))?;
    let secret = hex::encode(secret);
    let info = TokenInfo {
        id: id.clone(),
        name: name.to_owned(),
        kind: kind.to_owned(),
        role: role.to_owned(),
        created_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        expires_at: expires_at.map(|e| e.to_rfc3339_opts(SecondsFormat::Micros, true)),
        revoked_at: None,
    };
    let row = info.clone();
    let hash = hash_of(&secret);
    db.write(move |conn| {
        conn.execute(
            "INSERT INTO tokens (id, name, kind, role, secret_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![row.id, row.name, row.kind, row.role, hash, row.created_at, row.expires_at],
        )?;
        inbox::push(conn, "token_changed", &serde_json::json!({"change": "created", "token": row}))
    })
    .await??;
    Ok((format!("vgt_{id}_{secret}"), info))
}

/// Revokes token `id`; it stops working at once.
pub async fn revoke(db: &Db, id: &str, now: DateTime<Utc>) -> Result<(), TokenError> {
    ensure_schema(db).await?;
    let id = id.to_owned();
    let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let changed = db
        .write(move |conn| {
            let n = conn
                .execute("UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![id, at])?;
            if n > 0 {
                inbox::push(conn, "token_changed", &serde_json::json!({"change": "revoked", "id": id, "at": at}))?;
            }
            Ok::<_, rusqlite::Error>((n, id))
        })
        .await??;
    match changed {
        (0, id) => Err(TokenError::NotFound(id)),
        _ => Ok(()),
    }
}

/// Every token.
pub async fn list(db: &Db) -> Result<Vec<TokenInfo>, TokenError> {
    ensure_schema(db).await?;
    Ok(db
        .read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, kind, role, created_at, expires_at, revoked_at FROM tokens ORDER BY created_at",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(TokenInfo {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    kind: r.get(2)?,
                    role: r.get(3)?,
                    created_at: r.get(4)?,
                    expires_at: r.get(5)?,
                    revoked_at: r.get(6)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?)
}

/// The principal a presented token stands for, if it is valid at `now`.
pub async fn authenticate(db: &Db, presented: &str, now: DateTime<Utc>) -> Result<Option<Principal>, DbError> {
    let Some((id, secret)) = presented.strip_prefix("vgt_").and_then(|rest| rest.split_once('_')) else {
        return Ok(None);
    };
    let (id, hash) = (id.to_owned(), hash_of(secret));
    type Row = (String, String, String, Option<String>, Option<String>);
    let lookup = id.clone();
    let row: Option<Row> = db
        .read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT kind, role, secret_hash, expires_at, revoked_at FROM tokens WHERE id = ?1")?
                .query_row([&lookup], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .optional()?)
        })
        .await?;
    let Some((kind, role, stored, expires_at, revoked_at)) = row else {
        return Ok(None);
    };
    let matches =
        stored.len() == hash.len() && stored.bytes().zip(hash.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
    let expired = expires_at.and_then(|e| DateTime::parse_from_rfc3339(&e).ok()).is_some_and(|e| e.to_utc() <= now);
    if !matches || expired || revoked_at.is_some() {
        return Ok(None);
    }
    let kind = if kind == "service" { PrincipalKind::Service } else { PrincipalKind::User };
    Ok(Some(Principal { kind, id, roles: vec![role] }))
}

fn hash_of(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
