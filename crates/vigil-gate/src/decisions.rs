//! Decision records: every policy evaluation, with its masked input, result and reasons,
//! queryable by principal, result and policy.

use rusqlite::params;
use serde::Serialize;
use vigil_policy::Decision;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use crate::principal::Principal;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS decisions (
    decision_id    TEXT PRIMARY KEY,
    at             TEXT NOT NULL,
    principal_kind TEXT NOT NULL,
    principal_id   TEXT NOT NULL,
    policy         TEXT NOT NULL,
    revision       TEXT NOT NULL,
    allow          INTEGER,
    reasons        TEXT NOT NULL,
    input          TEXT NOT NULL,
    result         TEXT NOT NULL,
    latency_us     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_principal ON decisions (principal_id, at);
CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (at);";

/// A stored decision, as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionRow {
    /// The decision id (returned to callers as `Vigil-Decision-Id`).
    pub decision_id: String,
    /// RFC 3339.
    pub at: String,
    /// `agent`, `user`, `service`, `system`.
    pub principal_kind: String,
    /// Who.
    pub principal_id: String,
    /// e.g. `vigil.authz`.
    pub policy: String,
    /// The policy revision (SHA-256 over the policy set).
    pub revision: String,
    /// The verdict, when the policy gives one.
    pub allow: Option<bool>,
    /// Why.
    pub reasons: serde_json::Value,
    /// The input, with secrets masked.
    pub input: serde_json::Value,
    /// The policy's whole result.
    pub result: serde_json::Value,
    /// Evaluation time.
    pub latency_us: u64,
}

/// Filters for listing decisions.
#[derive(Clone, Debug, Default)]
pub struct DecisionQuery {
    /// Only this principal id.
    pub principal: Option<String>,
    /// Only allowed (`true`) or denied (`false`).
    pub allow: Option<bool>,
    /// Only this policy.
    pub policy: Option<String>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// The decisions table.
#[derive(Clone)]
pub struct DecisionLog {
    db: Db,
}

impl DecisionLog {
    /// Creates the table if needed.
    pub async fn open(db: Db) -> Result<DecisionLog, DbError> {
        db.write(|conn| conn.execute_batch(SCHEMA)).await??;
        Ok(DecisionLog { db })
    }

    /// Stores `decision`, made for `principal`, durably.
    pub async fn record(&self, principal: &Principal, decision: &Decision) -> Result<(), DbError> {
        let row = (
            decision.decision_id.to_string(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            serde_json::to_value(principal.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            principal.id.clone(),
            decision.policy.clone(),
            decision.revision.to_string(),
            decision.allow,
            serde_json::to_string(&decision.reasons).unwrap_or_default(),
            decision.input.to_string(),
            decision.result.to_string(),
            decision.latency_us as i64,
        );
        self.db
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO decisions (decision_id, at, principal_kind, principal_id, policy, revision, allow,
                     reasons, input, result, latency_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10])
            })
            .await??;
        Ok(())
    }

    /// Decisions matching `query`, newest first.
    pub async fn list(&self, query: DecisionQuery) -> Result<Vec<DecisionRow>, DbError> {
        self.db
            .read(move |conn| {
                let mut sql = String::from(
                    "SELECT decision_id, at, principal_kind, principal_id, policy, revision, allow, reasons, input,
                     result, latency_us FROM decisions WHERE 1 = 1",
                );
                let mut args: Vec<rusqlite::types::Value> = Vec::new();
                if let Some(p) = query.principal {
                    args.push(p.into());
                    sql.push_str(&format!(" AND principal_id = ?{}", args.len()));
                }
                if let Some(a) = query.allow {
                    args.push((a as i64).into());
                    sql.push_str(&format!(" AND allow = ?{}", args.len()));
                }
                if let Some(p) = query.policy {
                    args.push(p.into());
                    sql.push_str(&format!(" AND policy = ?{}", args.len()));
                }
                args.push((query.limit as i64).into());
                sql.push_str(&format!(" ORDER BY at DESC LIMIT ?{}", args.len()));
                let mut stmt = conn.prepare(&sql)?;
                let json = |s: String| serde_json::from_str(&s).unwrap_or(serde_json::Value::Null);
                let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
                    Ok(DecisionRow {
                        decision_id: r.get(0)?,
                        at: r.get(1)?,
                        principal_kind: r.get(2)?,
                        principal_id: r.get(3)?,
                        policy: r.get(4)?,
                        revision: r.get(5)?,
                        allow: r.get(6)?,
                        reasons: json(r.get(7)?),
                        input: json(r.get(8)?),
                        result: json(r.get(9)?),
                        latency_us: r.get::<_, i64>(10)? as u64,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}
