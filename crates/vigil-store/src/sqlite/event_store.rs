//! [`EventStore`] on a SQLite [`Db`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::DateTime;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tokio::sync::watch;
use uuid::Uuid;
use vigil_kernel::envelope::{NewEvent, RecordedEvent};
use vigil_kernel::store::{
    AppendError, Appended, EventQuery, EventStore, ExpectedVersion, Snapshot, SnapshotStore, StoreError, in_categories,
};

use super::db::{Db, DbError};
use super::recent::RecentEvents;

/// The `events` table is append-only: triggers refuse updates and deletes, so not even a
/// bug in Vigil can rewrite history through this connection.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    event_id       BLOB    NOT NULL UNIQUE,
    stream_id      TEXT    NOT NULL,
    stream_version INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    source         TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    time_us        INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    correlation_id BLOB,
    causation_id   BLOB,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS events_by_subject ON events (subject, position);
CREATE INDEX IF NOT EXISTS events_by_type ON events (event_type, position);
CREATE TABLE IF NOT EXISTS snapshots (
    stream_id TEXT PRIMARY KEY,
    version   INTEGER NOT NULL,
    state     TEXT    NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_are_not_updated BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_are_not_deleted BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
";

const COLUMNS: &str = "position, stream_id, stream_version, event_id, event_type, schema_version, source, \
                       subject, time_us, data, correlation_id, causation_id";

/// The embedded event store: appends go through the [`Db`] writer (group commit), reads
/// through its reader pool, and every commit moves [`EventStore::head`]. The newest events
/// are also kept in memory, for the subscribers that follow the head.
#[derive(Clone)]
pub struct SqliteEventStore {
    db: Db,
    head: watch::Sender<u64>,
    recent: Arc<RecentEvents>,
}

impl SqliteEventStore {
    /// Creates the schema if needed and reads the current head.
    pub async fn open(db: Db) -> Result<Self, StoreError> {
        db.write(|conn| conn.execute_batch(SCHEMA)).await.map_err(store_error)?.map_err(store_error)?;
        let head = db
            .read(|conn| {
                Ok(conn.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| r.get::<_, i64>(0))? as u64)
            })
            .await
            .map_err(store_error)?;
        let (head, _) = watch::channel(head);
        Ok(SqliteEventStore { db, head, recent: Arc::default() })
    }

    /// The database underneath, shared with the server's own tables.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError> {
        let stream_id = stream_id.to_owned();
        let (head, recent) = (self.head.clone(), self.recent.clone());
        let appended = self
            .db
            .write_then(
                move |conn| append_in(conn, &stream_id, expected, events),
                move |result| {
                    if let Ok((Appended { last_position: Some(last), .. }, recorded)) = result {
                        // The events first: whoever sees the new head finds them.
                        recent.push(std::mem::take(recorded));
                        head.send_if_modified(|h| {
                            let moved = *last > *h;
                            if moved {
                                *h = *last;
                            }
                            moved
                        });
                    }
                },
            )
            .await
            .map_err(store_error)??;
        Ok(appended.0)
    }

    async fn read_stream(&self, stream_id: &str, after_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream_id = stream_id.to_owned();
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM events WHERE stream_id = ?1 AND stream_version > ?2 ORDER BY stream_version"
                ))?;
                let rows = stmt.query_map(params![stream_id, after_version as i64], row_to_event)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .map_err(store_error)
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        if let Some((events, _)) = self.recent.read(after_position, limit, |_| true) {
            return Ok(events);
        }
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
                ))?;
                let rows = stmt.query_map(params![after_position as i64, limit as i64], row_to_event)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .map_err(store_error)
    }

    async fn event_by_id(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM events WHERE event_id = ?1"))?;
                Ok(stmt.query_row([event_id.as_bytes()], row_to_event).optional()?)
            })
            .await
            .map_err(store_error)
    }

    async fn query(&self, query: EventQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        self.db
            .read(move |conn| {
                let mut sql = format!("SELECT {COLUMNS} FROM events WHERE position > ?1");
                let mut args: Vec<rusqlite::types::Value> = vec![(query.after_position as i64).into()];
                if let Some(subject) = query.subject {
                    args.push(subject.into());
                    sql.push_str(&format!(" AND subject = ?{}", args.len()));
                }
                if let Some(event_type) = query.event_type {
                    args.push(event_type.into());
                    sql.push_str(&format!(" AND event_type = ?{}", args.len()));
                }
                args.push((query.limit as i64).into());
                sql.push_str(&format!(" ORDER BY position LIMIT ?{}", args.len()));
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(args), row_to_event)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
            .map_err(store_error)
    }

    /// One read transaction: the head, then the events of the categories in the window up to
    /// `limit` positions past `after_position` (positions have no gaps, and a gap would only
    /// make the window hold fewer events). The other rows are passed over by SQLite without
    /// being decoded: the filter compares `stream_id` with each category's range (the `+`
    /// keeps SQLite on the position order instead of the stream index).
    async fn read_categories(
        &self,
        after_position: u64,
        limit: usize,
        categories: &[&str],
    ) -> Result<(Vec<RecordedEvent>, u64), StoreError> {
        if let Some(read) = self.recent.read(after_position, limit, |e| in_categories(&e.stream_id, categories)) {
            return Ok(read);
        }
        let ranges: Vec<String> = categories.iter().flat_map(|c| [format!("{c}-"), format!("{c}.")]).collect();
        self.db
            .read(move |conn| {
                let snapshot = conn.unchecked_transaction()?;
                let head: i64 = conn.query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| r.get(0))?;
                let through = (after_position.saturating_add(limit as u64)).min(head.max(0) as u64).max(after_position);
                let filter = (0..ranges.len() / 2)
                    .map(|i| format!("(+stream_id >= ?{} AND +stream_id < ?{})", 3 + 2 * i, 4 + 2 * i))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                let filter = if filter.is_empty() { "0".to_owned() } else { filter };
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM events WHERE position > ?1 AND position <= ?2 AND ({filter}) ORDER BY position"
                ))?;
                let mut args: Vec<rusqlite::types::Value> = vec![(after_position as i64).into(), (through as i64).into()];
                args.extend(ranges.iter().map(|r| rusqlite::types::Value::from(r.clone())));
                let events = stmt.query_map(rusqlite::params_from_iter(args), row_to_event)?.collect::<Result<Vec<_>, _>>()?;
                drop(stmt);
                snapshot.finish()?;
                Ok((events, through))
            })
            .await
            .map_err(store_error)
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }
}

/// Snapshots live beside the events they summarise; unlike events they are replaced.
#[async_trait]
impl SnapshotStore for SqliteEventStore {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let stream_id = stream_id.to_owned();
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached("SELECT version, state FROM snapshots WHERE stream_id = ?1")?
                    .query_row([&stream_id], |r| {
                        Ok(Snapshot {
                            stream_id: stream_id.clone(),
                            version: r.get::<_, i64>(0)? as u64,
                            state: r.get(1)?,
                        })
                    })
                    .optional()?)
            })
            .await
            .map_err(store_error)
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.db
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO snapshots (stream_id, version, state) VALUES (?1, ?2, ?3)
                     ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, state = excluded.state
                     WHERE excluded.version > snapshots.version",
                )?
                .execute(params![snapshot.stream_id, snapshot.version as i64, snapshot.state])
            })
            .await
            .map_err(store_error)?
            .map_err(store_error)?;
        Ok(())
    }
}

/// One append, inside the writer's transaction.
fn append_in(
    conn: &Connection,
    stream_id: &str,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Result<(Appended, Vec<RecordedEvent>), AppendError> {
    if let Some(previous) = already_appended(conn, stream_id, &events)? {
        return Ok((previous, Vec::new()));
    }
    let actual: u64 = conn
        .prepare_cached("SELECT stream_version FROM events WHERE stream_id = ?1 ORDER BY stream_version DESC LIMIT 1")
        .and_then(|mut s| s.query_row([stream_id], |r| r.get::<_, i64>(0)).optional())
        .map_err(sql_error)?
        .unwrap_or(0) as u64;
    if let ExpectedVersion::Exactly(v) = expected
        && v != actual
    {
        return Err(AppendError::Conflict { stream_id: stream_id.to_owned(), expected, actual });
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, source, subject, \
             time_us, data, correlation_id, causation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(sql_error)?;
    let mut recorded = Vec::with_capacity(events.len());
    for (i, e) in events.into_iter().enumerate() {
        let stream_version = actual + 1 + i as u64;
        insert
            .execute(params![
                stream_id,
                stream_version as i64,
                e.id.as_bytes(),
                e.event_type,
                e.schema_version,
                e.source,
                e.subject,
                e.time.timestamp_micros(),
                e.data,
                e.correlation_id.as_ref().map(|u| u.as_bytes().to_vec()),
                e.causation_id.as_ref().map(|u| u.as_bytes().to_vec()),
            ])
            .map_err(|err| match err.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => AppendError::IdReused { event_id: e.id },
                _ => sql_error(err),
            })?;
        let position = conn.last_insert_rowid() as u64;
        // As it reads back: the column keeps microseconds.
        let event =
            NewEvent { time: DateTime::from_timestamp_micros(e.time.timestamp_micros()).unwrap_or_default(), ..e };
        recorded.push(RecordedEvent { position, stream_id: stream_id.to_owned(), stream_version, event });
    }
    let appended =
        Appended { stream_version: actual + recorded.len() as u64, last_position: recorded.last().map(|e| e.position) };
    Ok((appended, recorded))
}

/// A retried append (same event ids) returns what the first one did, without writing. Ids
/// that exist but belong to other events are refused rather than silently dropped.
fn already_appended(conn: &Connection, stream_id: &str, events: &[NewEvent]) -> Result<Option<Appended>, AppendError> {
    let mut lookup = conn
        .prepare_cached("SELECT position, stream_id, stream_version FROM events WHERE event_id = ?1")
        .map_err(sql_error)?;
    let mut found = None;
    for (i, e) in events.iter().enumerate() {
        let row = lookup
            .query_row([e.id.as_bytes()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))
            .optional()
            .map_err(sql_error)?;
        match (row, i) {
            (None, 0) => return Ok(None),
            (Some((position, stream, version)), _) if stream == stream_id => {
                found = Some(Appended { stream_version: version as u64, last_position: Some(position as u64) })
            }
            _ => return Err(AppendError::IdReused { event_id: e.id }),
        }
    }
    Ok(found)
}

fn row_to_event(row: &Row<'_>) -> rusqlite::Result<RecordedEvent> {
    let uuid = |i: usize| -> rusqlite::Result<Option<Uuid>> {
        let bytes: Option<Vec<u8>> = row.get(i)?;
        bytes
            .map(|b| Uuid::from_slice(&b))
            .transpose()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, Box::new(e)))
    };
    let time_us: i64 = row.get(8)?;
    Ok(RecordedEvent {
        position: row.get::<_, i64>(0)? as u64,
        stream_id: row.get(1)?,
        stream_version: row.get::<_, i64>(2)? as u64,
        event: NewEvent {
            id: uuid(3)?.unwrap_or_default(),
            event_type: row.get(4)?,
            schema_version: row.get(5)?,
            source: row.get(6)?,
            subject: row.get(7)?,
            time: DateTime::from_timestamp_micros(time_us).unwrap_or_default(),
            data: row.get(9)?,
            correlation_id: uuid(10)?,
            causation_id: uuid(11)?,
        },
    })
}

fn sql_error(e: rusqlite::Error) -> AppendError {
    AppendError::Store(StoreError(e.to_string()))
}

fn store_error(e: impl Into<DbErrorLike>) -> StoreError {
    StoreError(e.into().0)
}

/// Lets `store_error` take both driver and pool errors.
struct DbErrorLike(String);

impl From<DbError> for DbErrorLike {
    fn from(e: DbError) -> Self {
        DbErrorLike(e.0)
    }
}

impl From<rusqlite::Error> for DbErrorLike {
    fn from(e: rusqlite::Error) -> Self {
        DbErrorLike(e.to_string())
    }
}
