//! This node's writer: one task that takes every append waiting, runs them in one
//! transaction under the head row's lock and commits once (group commit).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Object, Pool};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_postgres::types::ToSql;
use uuid::Uuid;
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::{AppendError, Appended, ExpectedVersion, StoreError};

use super::plan::{BatchState, Outcome, Placed};
use super::{PgOptions, describe, pg_error, pool_error};

/// One append waiting for the writer.
pub(super) struct Job {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    pub reply: oneshot::Sender<Result<Appended, AppendError>>,
}

const LOCK_HEAD: &str = "SELECT head FROM event_head FOR UPDATE";
const STORED_IDS: &str = "SELECT event_id, stream_id, stream_version, position FROM events WHERE event_id = ANY($1)";
const STREAM_VERSIONS: &str = "SELECT s, (SELECT max(stream_version) FROM events e WHERE e.stream_id = s) \
                               FROM unnest($1::text[]) AS s";
const INSERT: &str = "INSERT INTO events (position, event_id, stream_id, stream_version, event_type, schema_version, \
                      source, subject, time, data, correlation_id, causation_id) \
                      SELECT p, i, s, v, t, sv, src, sub, tm, d::json, c, ca FROM unnest($1::bigint[], $2::uuid[], \
                      $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::timestamptz[], \
                      $10::text[], $11::uuid[], $12::uuid[]) AS u(p, i, s, v, t, sv, src, sub, tm, d, c, ca)";
/// The new head and the notice to the other nodes, delivered when the batch commits.
const MOVE_HEAD: &str = "WITH moved AS (UPDATE event_head SET head = $1 RETURNING head) \
                         SELECT pg_notify($2, head::text) FROM moved";

/// Runs until every sender (every clone of the store) is gone.
pub(super) async fn run(
    pool: Pool,
    mut queue: mpsc::Receiver<Job>,
    head: Arc<watch::Sender<u64>>,
    channel: String,
    options: PgOptions,
) {
    let (max_batch, max_events) = (options.max_batch.max(1), options.max_batch_events.max(1));
    // A batch may wait for the head lock behind other nodes, then run its statements.
    let limit = options.statement_timeout * 2;
    while let Some(first) = queue.recv().await {
        let mut n_events = first.events.len();
        let mut batch = vec![first];
        while batch.len() < max_batch && n_events < max_events {
            match queue.try_recv() {
                Ok(job) => {
                    n_events += job.events.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        match commit_batch(&pool, &batch, &channel, limit).await {
            Ok((outcomes, new_head)) => {
                head.send_if_modified(|h| {
                    let moved = new_head > *h;
                    if moved {
                        *h = new_head;
                    }
                    moved
                });
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome.map(|o| match o {
                        Outcome::New { appended, .. } | Outcome::Retried(appended) => appended,
                    }));
                }
            }
            Err(error) => {
                tracing::warn!(%error, n_appends = batch.len(), "a PostgreSQL append batch failed");
                for job in batch {
                    let _ = job.reply.send(Err(AppendError::Store(StoreError(error.0.clone()))));
                }
            }
        }
    }
}

/// Why an attempt at a batch did not commit.
enum Failure {
    /// The one insert of the accepted events failed (bad data in one of them): the batch
    /// is tried again append by append, each in a savepoint, so that one fails alone.
    Insert(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Store(pg_error(e))
    }
}

type Committed = (Vec<Result<Outcome, AppendError>>, u64);

async fn commit_batch(
    pool: &Pool,
    jobs: &[Job],
    channel: &str,
    limit: std::time::Duration,
) -> Result<Committed, StoreError> {
    let mut client = pool.get().await.map_err(pool_error)?;
    let attempt = async {
        match attempt(&mut client, jobs, channel, true).await {
            Err(Failure::Insert(error)) => {
                tracing::debug!(error = describe(&error), "batch insert failed; appending one by one");
                attempt(&mut client, jobs, channel, false).await
            }
            other => other,
        }
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(Ok(committed)) => Ok(committed),
        Ok(Err(Failure::Store(e))) => Err(e),
        Ok(Err(Failure::Insert(e))) => Err(pg_error(e)),
        Err(_) => {
            // Mid-statement: the connection is in an unknown state, so it leaves the pool.
            drop(Object::take(client));
            Err(StoreError(format!(
                "the append batch did not finish within {limit:?}; whether it committed is unknown \
                 (an append retried with the same event ids is not written twice)"
            )))
        }
    }
}

/// One transaction for the whole batch. `together`: every accepted event in one insert;
/// otherwise one insert per append, each in its own savepoint.
///
/// Statements are pipelined (tokio-postgres sends each when its future is first polled,
/// and the server runs them in order): `BEGIN`, the head lock and both lookups go out
/// together, then the insert, the head and `COMMIT`: two round trips and one WAL flush per
/// batch. A failed insert aborts the transaction, so the `COMMIT` behind it rolls back.
async fn attempt(client: &mut Object, jobs: &[Job], channel: &str, together: bool) -> Result<Committed, Failure> {
    let (lock, stored_ids, stream_versions, insert, move_head) = tokio::try_join!(
        client.prepare_cached(LOCK_HEAD),
        client.prepare_cached(STORED_IDS),
        client.prepare_cached(STREAM_VERSIONS),
        client.prepare_cached(INSERT),
        client.prepare_cached(MOVE_HEAD),
    )?;
    let ids: Vec<Uuid> = jobs.iter().flat_map(|j| j.events.iter().map(|e| e.id)).collect();
    let mut streams: Vec<&str> = jobs.iter().map(|j| j.stream_id.as_str()).collect();
    streams.sort_unstable();
    streams.dedup();
    let (id_params, stream_params): ([&(dyn ToSql + Sync); 1], [&(dyn ToSql + Sync); 1]) = ([&ids], [&streams]);
    let (begun, head, stored, versions) = tokio::join!(
        client.batch_execute("BEGIN"),
        client.query_one(&lock, &[]),
        client.query(&stored_ids, &id_params),
        client.query(&stream_versions, &stream_params),
    );
    let opened = async {
        begun?;
        let start = head?.try_get::<_, i64>(0)? as u64;
        let stored = stored?
            .iter()
            .map(|r| {
                let placed = Placed {
                    stream_id: r.try_get(1)?,
                    stream_version: r.try_get::<_, i64>(2)? as u64,
                    position: r.try_get::<_, i64>(3)? as u64,
                };
                Ok((r.try_get::<_, Uuid>(0)?, placed))
            })
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()?;
        let versions = versions?
            .iter()
            .map(|r| Ok((r.try_get::<_, String>(0)?, r.try_get::<_, Option<i64>>(1)?.unwrap_or(0) as u64)))
            .collect::<Result<HashMap<_, _>, tokio_postgres::Error>>()?;
        Ok::<_, tokio_postgres::Error>(BatchState::new(start, versions, stored))
    };
    let mut state = match opened.await {
        Ok(state) => state,
        Err(error) => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(error.into());
        }
    };
    let start = state.head();

    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut rows = Rows::default();
    if together {
        for job in jobs {
            let outcome = state.plan(&job.stream_id, job.expected, &job.events);
            if let Ok(planned) = &outcome {
                state.accept(&job.stream_id, &job.events, planned);
                rows.push(job, planned);
            }
            outcomes.push(outcome);
        }
    } else {
        for job in jobs {
            let mut outcome = state.plan(&job.stream_id, job.expected, &job.events);
            if let Ok(planned) = &outcome {
                let mut one = Rows::default();
                one.push(job, planned);
                match insert_alone(client, &insert, &one).await {
                    Ok(()) => state.accept(&job.stream_id, &job.events, planned),
                    Err(Failure::Insert(error)) => outcome = Err(insert_error(&error, job)),
                    Err(other) => {
                        let _ = client.batch_execute("ROLLBACK").await;
                        return Err(other);
                    }
                }
            }
            outcomes.push(outcome);
        }
    }

    let head = state.head();
    let head_param = head as i64;
    let insert_params = rows.params();
    let inserting = async { if rows.is_empty() { Ok(0) } else { client.execute(&insert, &insert_params).await } };
    let moving = async {
        if head > start { client.query_one(&move_head, &[&head_param, &channel]).await.map(|_| ()) } else { Ok(()) }
    };
    let (inserted, moved, committed) = tokio::join!(inserting, moving, client.batch_execute("COMMIT"));
    // The insert failed, so the transaction was aborted and the COMMIT rolled it back.
    inserted.map_err(Failure::Insert)?;
    moved?;
    committed.map_err(|e| {
        Failure::Store(StoreError(format!(
            "{}; whether the batch committed is unknown (an append retried with the same event ids is not \
             written twice)",
            describe(&e)
        )))
    })?;
    Ok((outcomes, head))
}

/// One append's insert in its own savepoint: if the database refuses it, only it is undone.
async fn insert_alone(client: &Object, insert: &tokio_postgres::Statement, rows: &Rows<'_>) -> Result<(), Failure> {
    if rows.is_empty() {
        return Ok(());
    }
    client.batch_execute("SAVEPOINT append").await?;
    match client.execute(insert, &rows.params()).await {
        Ok(_) => Ok(client.batch_execute("RELEASE SAVEPOINT append").await?),
        Err(error) => {
            client.batch_execute("ROLLBACK TO SAVEPOINT append").await?;
            Err(Failure::Insert(error))
        }
    }
}

/// The insert of one append failed although the plan accepted it.
fn insert_error(error: &tokio_postgres::Error, job: &Job) -> AppendError {
    let unique = error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION);
    match job.events.first() {
        Some(first) if unique => AppendError::IdReused { event_id: first.id },
        _ => AppendError::Store(pg_error_ref(error)),
    }
}

fn pg_error_ref(error: &tokio_postgres::Error) -> StoreError {
    StoreError(describe(error))
}

/// The columns of the events to insert, as arrays for one `unnest`.
#[derive(Default)]
struct Rows<'a> {
    positions: Vec<i64>,
    ids: Vec<Uuid>,
    streams: Vec<&'a str>,
    versions: Vec<i64>,
    types: Vec<&'a str>,
    schema_versions: Vec<i64>,
    sources: Vec<&'a str>,
    subjects: Vec<&'a str>,
    times: Vec<DateTime<Utc>>,
    data: Vec<&'a str>,
    correlations: Vec<Option<Uuid>>,
    causations: Vec<Option<Uuid>>,
}

impl<'a> Rows<'a> {
    fn push(&mut self, job: &'a Job, outcome: &Outcome) {
        let Outcome::New { first_position, first_version, .. } = outcome else { return };
        for (i, e) in job.events.iter().enumerate() {
            self.positions.push((first_position + i as u64) as i64);
            self.ids.push(e.id);
            self.streams.push(&job.stream_id);
            self.versions.push((first_version + i as u64) as i64);
            self.types.push(&e.event_type);
            self.schema_versions.push(i64::from(e.schema_version));
            self.sources.push(&e.source);
            self.subjects.push(&e.subject);
            self.times.push(e.time);
            self.data.push(&e.data);
            self.correlations.push(e.correlation_id);
            self.causations.push(e.causation_id);
        }
    }

    fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 12] {
        [
            &self.positions,
            &self.ids,
            &self.streams,
            &self.versions,
            &self.types,
            &self.schema_versions,
            &self.sources,
            &self.subjects,
            &self.times,
            &self.data,
            &self.correlations,
            &self.causations,
        ]
    }
}
