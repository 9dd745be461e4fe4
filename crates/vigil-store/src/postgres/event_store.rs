//! [`EventStore`] and [`SnapshotStore`] on PostgreSQL: appends through the writer, reads
//! through the pool.

use async_trait::async_trait;
use tokio::sync::{oneshot, watch};
use tokio_postgres::Row;
use uuid::Uuid;
use vigil_kernel::envelope::{NewEvent, RecordedEvent};
use vigil_kernel::store::{
    AppendError, Appended, EventQuery, EventStore, ExpectedVersion, Snapshot, SnapshotStore, StoreError,
};

use super::writer::Job;
use super::{PgEventStore, pg_error, pool_error};

const COLUMNS: &str = "position, stream_id, stream_version, event_id, event_type, schema_version, source, subject, \
                       time, data::text, correlation_id, causation_id";

/// A `usize` limit or bound as PostgreSQL's `bigint`.
fn bigint(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgEventStore {
    async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.inner.readers.get().await.map_err(pool_error)?;
        let statement = client.prepare_cached(sql).await.map_err(pg_error)?;
        client.query(&statement, params).await.map_err(pg_error)
    }

    async fn events(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.rows(sql, params).await?.iter().map(|r| row_to_event(r, 0)).collect()
    }
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError> {
        let (reply, answer) = oneshot::channel();
        let job = Job { stream_id: stream_id.to_owned(), expected, events, reply };
        self.inner.jobs.send(job).await.map_err(|_| StoreError("the PostgreSQL writer stopped".into()))?;
        answer.await.map_err(|_| StoreError("the PostgreSQL writer dropped the append".into()))?
    }

    async fn read_stream(&self, stream_id: &str, after_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version"
        );
        self.events(&sql, &[&stream_id, &bigint(after_version)]).await
    }

    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2");
        self.events(&sql, &[&bigint(after_position), &bigint(limit as u64)]).await
    }

    async fn query(&self, query: EventQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        let after = bigint(query.after_position);
        let limit = bigint(query.limit as u64);
        let base = format!("SELECT {COLUMNS} FROM events WHERE position > $1");
        match (&query.subject, &query.event_type) {
            (None, None) => self.events(&format!("{base} ORDER BY position LIMIT $2"), &[&after, &limit]).await,
            (Some(subject), None) => {
                self.events(&format!("{base} AND subject = $3 ORDER BY position LIMIT $2"), &[&after, &limit, subject])
                    .await
            }
            (None, Some(ty)) => {
                self.events(&format!("{base} AND event_type = $3 ORDER BY position LIMIT $2"), &[&after, &limit, ty])
                    .await
            }
            (Some(subject), Some(ty)) => {
                let sql = format!("{base} AND subject = $3 AND event_type = $4 ORDER BY position LIMIT $2");
                self.events(&sql, &[&after, &limit, subject, ty]).await
            }
        }
    }

    async fn event_by_id(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE event_id = $1");
        Ok(self.events(&sql, &[&event_id]).await?.pop())
    }

    /// One statement, so one snapshot: the head, bounding the window, and the events of
    /// the categories in it (positions have no gaps, see the module's notes). The other
    /// rows are passed over by the server without being sent.
    async fn read_categories(
        &self,
        after_position: u64,
        limit: usize,
        categories: &[&str],
    ) -> Result<(Vec<RecordedEvent>, u64), StoreError> {
        let after = bigint(after_position);
        let bound = bigint(after_position.saturating_add(limit as u64));
        let categories: Vec<&str> = categories.to_vec();
        let sql = format!(
            "WITH bound AS (SELECT GREATEST(LEAST($2::bigint, head), $1::bigint) AS through FROM event_head) \
             SELECT b.through, {} FROM bound b LEFT JOIN events e ON e.position > $1 AND e.position <= b.through \
             AND strpos(e.stream_id, '-') > 0 AND split_part(e.stream_id, '-', 1) = ANY($3) ORDER BY e.position",
            COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ")
        );
        let rows = self.rows(&sql, &[&after, &bound, &categories]).await?;
        let through = match rows.first() {
            Some(row) => row.try_get::<_, i64>(0).map_err(pg_error)? as u64,
            None => after_position,
        };
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            if row.try_get::<_, Option<i64>>(1).map_err(pg_error)?.is_some() {
                events.push(row_to_event(row, 1)?);
            }
        }
        Ok((events, through))
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.inner.head.subscribe()
    }
}

/// Snapshots live beside the events they summarise; unlike events they are replaced, and
/// only by a later version.
#[async_trait]
impl SnapshotStore for PgEventStore {
    async fn load_snapshot(&self, stream_id: &str) -> Result<Option<Snapshot>, StoreError> {
        let rows = self.rows("SELECT version, state FROM snapshots WHERE stream_id = $1", &[&stream_id]).await?;
        rows.first()
            .map(|r| {
                Ok(Snapshot {
                    stream_id: stream_id.to_owned(),
                    version: r.try_get::<_, i64>(0).map_err(pg_error)? as u64,
                    state: r.try_get(1).map_err(pg_error)?,
                })
            })
            .transpose()
    }

    async fn save_snapshot(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.rows(
            "INSERT INTO snapshots (stream_id, version, state) VALUES ($1, $2, $3)
             ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, state = excluded.state
             WHERE excluded.version > snapshots.version",
            &[&snapshot.stream_id, &bigint(snapshot.version), &snapshot.state],
        )
        .await?;
        Ok(())
    }
}

/// The event in `row`, its columns (in [`COLUMNS`] order) from `at` on.
fn row_to_event(row: &Row, at: usize) -> Result<RecordedEvent, StoreError> {
    let get = |e: tokio_postgres::Error| pg_error(e);
    Ok(RecordedEvent {
        position: row.try_get::<_, i64>(at).map_err(get)? as u64,
        stream_id: row.try_get(at + 1).map_err(get)?,
        stream_version: row.try_get::<_, i64>(at + 2).map_err(get)? as u64,
        event: NewEvent {
            id: row.try_get(at + 3).map_err(get)?,
            event_type: row.try_get(at + 4).map_err(get)?,
            schema_version: u32::try_from(row.try_get::<_, i64>(at + 5).map_err(get)?)
                .map_err(|e| StoreError(format!("stored schema_version: {e}")))?,
            source: row.try_get(at + 6).map_err(get)?,
            subject: row.try_get(at + 7).map_err(get)?,
            time: row.try_get(at + 8).map_err(get)?,
            data: row.try_get(at + 9).map_err(get)?,
            correlation_id: row.try_get(at + 10).map_err(get)?,
            causation_id: row.try_get(at + 11).map_err(get)?,
        },
    })
}
