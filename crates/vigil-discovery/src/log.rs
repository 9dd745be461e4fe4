//! The discovery log: raw payloads as agents sent them, with what became of them.
//!
//! Plain CRUD, not events: it is evidence for debugging agents, pruned after a retention
//! period. A payload is logged when it differs from the last one logged for the same agent
//! and type, so agents resending unchanged snapshots every tick cost no disk. Discoveries
//! refused by business rules are logged as `discarded` with the reason (Trento once lost
//! these silently).

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;
use uuid::Uuid;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS discovery_log (
    id             INTEGER PRIMARY KEY,
    agent_id       TEXT    NOT NULL,
    discovery_type TEXT    NOT NULL,
    payload        TEXT    NOT NULL,
    payload_hash   TEXT    NOT NULL,
    received_at    TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    reason         TEXT
);
CREATE INDEX IF NOT EXISTS discovery_log_by_agent ON discovery_log (agent_id, discovery_type, id);
CREATE INDEX IF NOT EXISTS discovery_log_by_time ON discovery_log (received_at);
CREATE INDEX IF NOT EXISTS discovery_log_by_status ON discovery_log (status, id);
";

/// What became of a discovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryStatus {
    /// Its commands were handled (possibly deciding nothing).
    Applied,
    /// A business rule refused it.
    Discarded,
    /// It waits for something it needs (its host, its database, its primary); see
    /// `parking.rs`. It becomes `applied` once that appears, or `discarded` when it expires.
    Parked,
    /// Its type is accepted but not turned into commands by this build.
    NotInterpreted,
}

impl DiscoveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DiscoveryStatus::Applied => "applied",
            DiscoveryStatus::Discarded => "discarded",
            DiscoveryStatus::Parked => "parked",
            DiscoveryStatus::NotInterpreted => "not_interpreted",
        }
    }
}

/// One logged discovery.
#[derive(Clone, Debug, Serialize)]
pub struct DiscoveryEntry {
    /// Log id (increasing).
    pub id: i64,
    /// The agent.
    pub agent_id: String,
    /// The discovery type.
    pub discovery_type: String,
    /// SHA-256 of the payload, hex.
    pub payload_hash: String,
    /// RFC 3339.
    pub received_at: String,
    /// What became of it.
    pub status: String,
    /// Why it was discarded.
    pub reason: Option<String>,
    /// The payload, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Box<serde_json::value::RawValue>>,
    /// Why the stored payload could not be served (it is not JSON any more): the entry is
    /// still listed, with this marker instead of the payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_error: Option<String>,
}

/// A new entry.
#[derive(Clone, Debug)]
pub struct NewDiscoveryEntry {
    /// The agent.
    pub agent_id: Uuid,
    /// The discovery type.
    pub discovery_type: &'static str,
    /// The payload, as received.
    pub payload: String,
    /// Its hash, hex.
    pub payload_hash: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// What became of it.
    pub status: DiscoveryStatus,
    /// Why, when discarded.
    pub reason: Option<String>,
}

/// Filters for browsing the log.
#[derive(Clone, Debug, Default)]
pub struct DiscoveryQuery {
    /// Only this agent.
    pub agent_id: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only entries with an id below this (paging backwards, newest first).
    pub before_id: Option<i64>,
    /// At most this many.
    pub limit: usize,
    /// Include the payloads.
    pub with_payload: bool,
}

/// The log's table in the shared database.
#[derive(Clone)]
pub struct DiscoveryLog {
    db: Db,
}

impl DiscoveryLog {
    /// Creates the table if needed.
    pub async fn open(db: Db) -> Result<DiscoveryLog, DbError> {
        db.write(|conn| conn.execute_batch(SCHEMA)).await??;
        Ok(DiscoveryLog { db })
    }

    /// Appends an entry, durably.
    pub async fn record(&self, entry: NewDiscoveryEntry) -> Result<(), DbError> {
        self.db
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO discovery_log (agent_id, discovery_type, payload, payload_hash, received_at, status, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    entry.agent_id.to_string(),
                    entry.discovery_type,
                    entry.payload,
                    entry.payload_hash,
                    entry.received_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    entry.status.as_str(),
                    entry.reason,
                ])
            })
            .await??;
        Ok(())
    }

    /// The hash of the last accepted payload per (agent, type): the ingest's memory of what
    /// it has already seen, restored after a restart.
    pub async fn last_applied_hashes(&self) -> Result<Vec<(String, String, String)>, DbError> {
        self.db
            .read(|conn| {
                let mut stmt = conn.prepare(
                    "SELECT agent_id, discovery_type, payload_hash FROM discovery_log
                     WHERE id IN (SELECT MAX(id) FROM discovery_log GROUP BY agent_id, discovery_type)
                       AND status NOT IN ('discarded', 'parked')",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// Entries matching `query`, newest first.
    pub async fn list(&self, query: DiscoveryQuery) -> Result<Vec<DiscoveryEntry>, DbError> {
        self.db
            .read(move |conn| {
                let mut sql = format!(
                    "SELECT id, agent_id, discovery_type, payload_hash, received_at, status, reason, {} FROM discovery_log WHERE 1 = 1",
                    if query.with_payload { "payload" } else { "NULL" }
                );
                let mut args: Vec<rusqlite::types::Value> = Vec::new();
                if let Some(agent_id) = query.agent_id {
                    args.push(agent_id.into());
                    sql.push_str(&format!(" AND agent_id = ?{}", args.len()));
                }
                if let Some(status) = query.status {
                    args.push(status.into());
                    sql.push_str(&format!(" AND status = ?{}", args.len()));
                }
                if let Some(before) = query.before_id {
                    args.push(before.into());
                    sql.push_str(&format!(" AND id < ?{}", args.len()));
                }
                args.push((query.limit as i64).into());
                sql.push_str(&format!(" ORDER BY id DESC LIMIT ?{}", args.len()));
                let mut stmt = conn.prepare_cached(&sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
                let mut entries = Vec::new();
                // One row that does not decode is logged and skipped (or, for its payload,
                // marked): it never fails the listing.
                while let Some(r) = rows.next()? {
                    match decode_entry(r) {
                        Ok(entry) => entries.push(entry),
                        Err(error) => tracing::warn!(%error, "discovery log row does not decode; skipped"),
                    }
                }
                Ok(entries)
            })
            .await
    }

    /// Deletes entries received before `cutoff`, `batch` rows per transaction so the writer
    /// is never held for long. Returns how many were deleted.
    pub async fn prune(&self, cutoff: DateTime<Utc>, batch: usize) -> Result<usize, DbError> {
        let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut total = 0;
        loop {
            let cutoff = cutoff.clone();
            let deleted = self
                .db
                .write(move |conn| {
                    conn.execute(
                        "DELETE FROM discovery_log WHERE id IN
                         (SELECT id FROM discovery_log WHERE received_at < ?1 ORDER BY id LIMIT ?2)",
                        params![cutoff, batch as i64],
                    )
                })
                .await??;
            total += deleted;
            if deleted < batch {
                return Ok(total);
            }
        }
    }
}

fn decode_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<DiscoveryEntry> {
    let id: i64 = r.get(0)?;
    let (payload, payload_error) = match r.get::<_, Option<String>>(7) {
        Ok(None) => (None, None),
        Ok(Some(text)) => match serde_json::value::RawValue::from_string(text) {
            Ok(raw) => (Some(raw), None),
            Err(error) => {
                tracing::warn!(id, %error, "stored discovery payload is not JSON; listed without it");
                (None, Some(format!("stored payload does not decode: {error}")))
            }
        },
        Err(error) => {
            tracing::warn!(id, %error, "stored discovery payload is not text; listed without it");
            (None, Some(format!("stored payload does not decode: {error}")))
        }
    };
    Ok(DiscoveryEntry {
        id,
        agent_id: r.get(1)?,
        discovery_type: r.get(2)?,
        payload_hash: r.get(3)?,
        received_at: r.get(4)?,
        status: r.get(5)?,
        reason: r.get(6)?,
        payload,
        payload_error,
    })
}
