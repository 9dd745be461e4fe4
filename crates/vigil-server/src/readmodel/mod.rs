//! Read models: SQLite tables kept current by projections, and the queries the API serves.
//!
//! A projection is a [`TableProjection`]: how to create and empty its tables and how to
//! apply one event. [`SqliteProjection`] turns it into a kernel
//! [`Projection`](vigil_kernel::projection::Projection) that applies a whole batch and moves
//! the checkpoint in one transaction of the shared writer.

pub mod hosts;

use std::marker::PhantomData;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::projection::{Projection, ProjectionError};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

const CHECKPOINTS: &str =
    "CREATE TABLE IF NOT EXISTS projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);";

/// Creates the checkpoint table if needed.
pub async fn ensure_checkpoints(db: &Db) -> Result<(), DbError> {
    Ok(db.write(|conn| conn.execute_batch(CHECKPOINTS)).await??)
}

/// The stored checkpoint of subscription `name` (0: none).
pub async fn load_checkpoint(db: &Db, name: &'static str) -> Result<u64, DbError> {
    db.read(move |conn| {
        let position: Option<i64> = conn
            .query_row(
                "SELECT position FROM projection_checkpoints WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
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

/// A read model made of SQLite tables.
pub trait TableProjection: Send + Sync + 'static {
    /// Stable name, also of the checkpoint.
    const NAME: &'static str;
    /// `CREATE TABLE IF NOT EXISTS ...` statements.
    const SCHEMA: &'static str;
    /// Statements that empty the tables.
    const RESET: &'static str;
    /// Applies one event. Events of types the projection does not know are skipped.
    fn apply(conn: &Connection, event: &RecordedEvent) -> rusqlite::Result<()>;
}

/// Runs a [`TableProjection`] on the shared database.
pub struct SqliteProjection<P> {
    db: Db,
    _projection: PhantomData<fn() -> P>,
}

impl<P: TableProjection> SqliteProjection<P> {
    /// Creates the projection's tables if needed.
    pub async fn open(db: Db) -> Result<Self, DbError> {
        db.write(|conn| conn.execute_batch(&format!("{CHECKPOINTS}{}", P::SCHEMA)))
            .await??;
        Ok(SqliteProjection {
            db,
            _projection: PhantomData,
        })
    }

    fn error(&self, e: impl std::fmt::Display) -> ProjectionError {
        ProjectionError {
            name: P::NAME.to_owned(),
            message: e.to_string(),
        }
    }
}

#[async_trait]
impl<P: TableProjection> Projection for SqliteProjection<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    async fn checkpoint(&self) -> Result<u64, ProjectionError> {
        self.db
            .read(|conn| {
                let position: Option<i64> = conn
                    .query_row(
                        "SELECT position FROM projection_checkpoints WHERE name = ?1",
                        [P::NAME],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(position.unwrap_or(0) as u64)
            })
            .await
            .map_err(|e| self.error(e))
    }

    async fn apply(&self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(());
        };
        let events = events.to_vec();
        self.db
            .write(move |conn| {
                for event in &events {
                    P::apply(conn, event)?;
                }
                save_checkpoint(conn, P::NAME, last)
            })
            .await
            .map_err(|e| self.error(e))?
            .map_err(|e| self.error(e))
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        self.db
            .write(|conn| {
                conn.execute_batch(P::RESET)?;
                conn.execute("DELETE FROM projection_checkpoints WHERE name = ?1", [P::NAME])?;
                Ok::<_, rusqlite::Error>(())
            })
            .await
            .map_err(|e| self.error(e))?
            .map_err(|e| self.error(e))
    }
}
