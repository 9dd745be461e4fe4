//! The audit inbox: audit records written by processes other than the server (the CLI
//! creating a token, rotating the agent key), in the same transaction as the change they
//! record. The server's audit task moves them into the audit log, which keeps one writer.

use rusqlite::{Connection, params};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_inbox (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL,
    time   TEXT NOT NULL,
    body   TEXT NOT NULL
);";

/// Creates the table if needed.
pub async fn ensure_schema(db: &Db) -> Result<(), DbError> {
    Ok(db.write(|conn| conn.execute_batch(SCHEMA)).await??)
}

/// Queues a record, inside the caller's transaction ([`ensure_schema`] must have run).
pub fn push(conn: &Connection, kind: &str, body: &serde_json::Value) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO audit_inbox (kind, time, body) VALUES (?1, ?2, ?3)",
        params![kind, chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true), body.to_string()],
    )
}

/// The oldest queued records, up to `limit`.
pub async fn peek(db: &Db, limit: usize) -> Result<Vec<(i64, String, String, String)>, DbError> {
    db.read(move |conn| {
        let mut stmt = conn.prepare("SELECT id, kind, time, body FROM audit_inbox ORDER BY id LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .await
}

/// Removes records up to and including `id`, once they are in the audit log.
pub async fn remove_through(db: &Db, id: i64) -> Result<(), DbError> {
    db.write(move |conn| conn.execute("DELETE FROM audit_inbox WHERE id <= ?1", params![id])).await??;
    Ok(())
}
