//! Checkpoints of durable subscriptions (read models, the process manager, the actions
//! dispatcher): one row per subscription, written in the same transaction as what the
//! subscription did with the events up to it, so a crash can neither repeat nor skip one.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Db, DbError};

/// The checkpoint tables, for a subscription that creates its own tables in one batch.
pub const CHECKPOINTS: &str = "
    CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS projection_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL);";

/// Creates the checkpoint table if needed.
pub async fn ensure_checkpoints(db: &Db) -> Result<(), DbError> {
    Ok(db.write(|conn| conn.execute_batch(CHECKPOINTS)).await??)
}

/// The stored checkpoint of subscription `name` (0: none).
pub async fn load_checkpoint(db: &Db, name: &'static str) -> Result<u64, DbError> {
    db.read(move |conn| {
        let position: Option<i64> = conn
            .query_row("SELECT position FROM projection_checkpoints WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        Ok(position.unwrap_or(0) as u64)
    })
    .await
}

/// Stores the checkpoint of subscription `name`, inside the caller's transaction.
pub fn save_checkpoint(conn: &Connection, name: &str, position: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO projection_checkpoints (name, position) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
    )?
    .execute(params![name, position as i64])?;
    Ok(())
}

/// Sets the checkpoint of subscription `name` to `position` unless it has one, inside the
/// caller's transaction: a subscription that reacts (rather than rebuilds) starts at the
/// store's head on its first start, and where it stands after that.
pub fn start_checkpoint(conn: &Connection, name: &str, position: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO projection_checkpoints (name, position) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, position as i64])?;
    Ok(())
}
