//! Executions and their attempts, durably, in the shared SQLite database.
//!
//! Every write here is [`Commit::Durable`](vigil_store::sqlite::Commit): an execution that a
//! restart could forget, or a retry schedule it could lose, is exactly what the actions
//! service promises not to do. Group commit shares the fsyncs between concurrent workers.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;
use vigil_store::Db;
use vigil_store::sqlite::DbError;
use vigil_store::sqlite::checkpoints::{CHECKPOINTS, load_checkpoint, save_checkpoint, start_checkpoint};

use crate::execution::{AttemptEnd, Next, Status};

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS action_executions (
        id BLOB PRIMARY KEY,
        event_id BLOB NOT NULL,
        rule TEXT NOT NULL,
        position INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        topic TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL,
        condition TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        step INTEGER NOT NULL DEFAULT 0,
        due_at INTEGER NOT NULL,
        lease_until INTEGER,
        reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS action_executions_by_event ON action_executions (event_id);
    CREATE INDEX IF NOT EXISTS action_executions_due ON action_executions (due_at) WHERE status = 'pending';
    CREATE INDEX IF NOT EXISTS action_executions_leased ON action_executions (lease_until) WHERE status = 'running';
    CREATE INDEX IF NOT EXISTS action_executions_by_status ON action_executions (status, updated_at);
    CREATE TABLE IF NOT EXISTS action_attempts (
        execution_id BLOB NOT NULL,
        attempt INTEGER NOT NULL,
        step INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        detail TEXT,
        admission TEXT,
        enrichment TEXT,
        PRIMARY KEY (execution_id, attempt, step)
    );
    CREATE TABLE IF NOT EXISTS action_rules (
        name TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );";

/// The due executions, oldest first: read through the partial index of pending ones. Left
/// to itself the planner takes `action_executions_by_status` (`status = ?`) and sorts every
/// pending row by `due_at`, reading each row from the table: a claim then cost time in
/// proportion to the backlog (20,000 pending executions: most of the writer thread's time).
const CLAIM_DUE: &str = "SELECT id, event_id, rule, attempts, max_attempts, step, event, created_at
     FROM action_executions INDEXED BY action_executions_due
     WHERE status = 'pending' AND due_at <= ?1 ORDER BY due_at LIMIT ?2";

/// When the next pending execution is due: the first entry of the same partial index.
const NEXT_DUE: &str =
    "SELECT MIN(due_at) FROM action_executions INDEXED BY action_executions_due WHERE status = 'pending'";

/// The dispatcher's checkpoint name.
pub const CHECKPOINT: &str = "actions";
/// Where the dispatcher started (its first start begins at the store's head).
pub const START: &str = "actions.start";

fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

fn time(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// An execution as the dispatcher creates it.
#[derive(Clone, Debug)]
pub struct NewExecution {
    /// [`crate::execution::execution_id`] of event and rule.
    pub id: Uuid,
    /// The triggering event.
    pub event_id: Uuid,
    /// The rule's name.
    pub rule: String,
    /// The event's global position.
    pub position: u64,
    /// Its type.
    pub event_type: String,
    /// Its topic.
    pub topic: String,
    /// The event as CloudEvents JSON.
    pub event: String,
    /// `pending`, or `skipped` when the condition was false, or `dead` when it failed.
    pub status: Status,
    /// `{expression, holds}` or `{expression, error}`, when the rule has a condition.
    pub condition: Option<Value>,
    /// From the rule.
    pub max_attempts: u32,
    /// Why it was skipped or is dead.
    pub reason: Option<String>,
}

/// An execution claimed for an attempt.
#[derive(Clone, Debug)]
pub struct Claimed {
    /// The execution.
    pub id: Uuid,
    /// Its event.
    pub event_id: Uuid,
    /// Its rule.
    pub rule: String,
    /// The number of this attempt (from 1).
    pub attempt: u32,
    /// Attempts allowed in all.
    pub max_attempts: u32,
    /// Workflow steps already done.
    pub step: u32,
    /// The event as CloudEvents JSON.
    pub event: Value,
    /// When the execution was created (the event's dispatch).
    pub created_at: DateTime<Utc>,
}

/// One attempt (or one workflow step of one), as recorded.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptRecord {
    /// The attempt's number.
    pub attempt: u32,
    /// The workflow step (0 for other kinds).
    pub step: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// `succeeded`, `failed`, `failed_permanently`, `lease_expired`, `denied`.
    pub status: String,
    /// The error, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the action reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Value>,
    /// The admission decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission: Option<Value>,
    /// What enrichment found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrichment: Option<Value>,
}

/// An execution as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ExecutionView {
    /// Its id.
    pub id: Uuid,
    /// The triggering event.
    pub event_id: Uuid,
    /// The rule.
    pub rule: String,
    /// The event's position.
    pub position: u64,
    /// The event's type.
    pub event_type: String,
    /// The event's topic.
    pub topic: String,
    /// Where it stands.
    pub status: Status,
    /// The condition's result, when the rule has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// The next attempt, while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// Why it is where it is (skipped, dead, denied, cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Its attempts, oldest first (filled by [`ExecutionStore::for_event`] and
    /// [`ExecutionStore::get`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<AttemptRecord>,
}

/// Which executions a listing shows.
#[derive(Clone, Debug, Default)]
pub struct ExecutionFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this rule.
    pub rule: Option<String>,
    /// Page size.
    pub limit: usize,
    /// Rows to skip.
    pub offset: usize,
}

/// The executions table, on the shared database.
#[derive(Clone)]
pub struct ExecutionStore {
    db: Db,
}

impl ExecutionStore {
    /// Creates the tables if needed.
    pub async fn open(db: Db) -> Result<Self, DbError> {
        db.write(|conn| {
            conn.execute_batch(CHECKPOINTS)?;
            conn.execute_batch(SCHEMA)
        })
        .await??;
        Ok(ExecutionStore { db })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Sets the checkpoint to `head` unless there is one, so the first start reacts to what
    /// happens from then on, not to history. Returns the checkpoint.
    pub async fn start_at(&self, head: u64) -> Result<u64, DbError> {
        self.db
            .write(move |conn| {
                start_checkpoint(conn, CHECKPOINT, head)?;
                start_checkpoint(conn, START, head)
            })
            .await??;
        load_checkpoint(&self.db, CHECKPOINT).await
    }

    /// The dispatcher's checkpoint and where it started.
    pub async fn positions(&self) -> Result<(u64, u64), DbError> {
        Ok((load_checkpoint(&self.db, CHECKPOINT).await?, load_checkpoint(&self.db, START).await?))
    }

    /// Stores the executions of one dispatched batch and moves the checkpoint to `through`,
    /// in one durable transaction. An execution that exists already (a redelivery) is left
    /// as it is.
    pub async fn dispatch(
        &self,
        executions: Vec<NewExecution>,
        through: u64,
        now: DateTime<Utc>,
    ) -> Result<usize, DbError> {
        Ok(self
            .db
            .write(move |conn| {
                let mut created = 0;
                let mut insert = conn.prepare_cached(
                    "INSERT INTO action_executions
                        (id, event_id, rule, position, event_type, topic, event, status, condition, max_attempts,
                         due_at, reason, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11, ?11)
                     ON CONFLICT (id) DO NOTHING",
                )?;
                for e in &executions {
                    created += insert.execute(params![
                        e.id.as_bytes(),
                        e.event_id.as_bytes(),
                        e.rule,
                        e.position as i64,
                        e.event_type,
                        e.topic,
                        e.event,
                        e.status.as_str(),
                        e.condition.as_ref().map(Value::to_string),
                        e.max_attempts,
                        micros(now),
                        e.reason,
                    ])?;
                }
                save_checkpoint(conn, CHECKPOINT, through)?;
                Ok::<_, rusqlite::Error>(created)
            })
            .await??)
    }

    /// Takes up to `limit` pending executions due at `now` and leases them until
    /// `lease_until`, counting the attempt.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Claimed>, DbError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        Ok(self
            .db
            .write(move |conn| {
                let mut select = conn.prepare_cached(CLAIM_DUE)?;
                let rows = select
                    .query_map(params![micros(now), limit as i64], |row| {
                        Ok(Claimed {
                            id: uuid_at(row, 0)?,
                            event_id: uuid_at(row, 1)?,
                            rule: row.get(2)?,
                            attempt: row.get::<_, u32>(3)? + 1,
                            max_attempts: row.get(4)?,
                            step: row.get(5)?,
                            event: event_at(row, 6)?,
                            created_at: time(row.get(7)?),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut lease = conn.prepare_cached(
                    "UPDATE action_executions SET status = 'running', attempts = ?2, lease_until = ?3, updated_at = ?4
                     WHERE id = ?1",
                )?;
                for claimed in &rows {
                    lease.execute(params![claimed.id.as_bytes(), claimed.attempt, micros(lease_until), micros(now)])?;
                }
                Ok::<_, rusqlite::Error>(rows)
            })
            .await??)
    }

    /// Records a workflow step that succeeded, so a later attempt starts after it.
    pub async fn step_done(&self, id: Uuid, record: AttemptRecord) -> Result<(), DbError> {
        Ok(self
            .db
            .write(move |conn| {
                insert_attempt(conn, id, &record)?;
                conn.execute(
                    "UPDATE action_executions SET step = ?2, updated_at = ?3
                     WHERE id = ?1 AND status = 'running' AND attempts = ?4",
                    params![id.as_bytes(), record.step + 1, micros(record.finished_at), record.attempt],
                )
            })
            .await?
            .map(|_| ())?)
    }

    /// Ends an attempt: records it and moves the execution on as `outcome` says. Only the
    /// attempt that holds the execution does: one whose lease ran out (and was counted as
    /// failed, and perhaps claimed again) changes nothing, which it learns as `false`.
    pub async fn finish(&self, id: Uuid, record: AttemptRecord, outcome: Outcome) -> Result<bool, DbError> {
        Ok(self
            .db
            .write(move |conn| {
                let held = finish_in(conn, id, record.attempt, &outcome, record.finished_at)?;
                if held {
                    insert_attempt(conn, id, &record)?;
                }
                Ok::<_, rusqlite::Error>(held)
            })
            .await??)
    }

    /// Ends every attempt whose lease ran out before `now` (or every running one, with
    /// `all`, at a start: the file's lock says no other process works on it), as
    /// `lease_expired`, and moves each on as `decide` says.
    pub async fn expire_leases(
        &self,
        now: DateTime<Utc>,
        all: bool,
        decide: impl Fn(&ExpiredLease) -> Next + Send + 'static,
    ) -> Result<Vec<ExpiredLease>, DbError> {
        Ok(self
            .db
            .write(move |conn| {
                let mut select = conn.prepare_cached(
                    "SELECT id, rule, attempts, max_attempts, step, lease_until, updated_at FROM action_executions
                     WHERE status = 'running' AND (?1 OR lease_until < ?2)",
                )?;
                let expired = select
                    .query_map(params![all, micros(now)], |row| {
                        Ok(ExpiredLease {
                            id: uuid_at(row, 0)?,
                            rule: row.get(1)?,
                            attempt: row.get(2)?,
                            max_attempts: row.get(3)?,
                            step: row.get(4)?,
                            started_at: time(row.get(6)?),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                for lease in &expired {
                    let record = AttemptRecord {
                        attempt: lease.attempt,
                        step: lease.step,
                        started_at: lease.started_at,
                        finished_at: now,
                        status: AttemptEnd::LeaseExpired.as_str().to_owned(),
                        error: Some(if all {
                            "the server stopped during the attempt".to_owned()
                        } else {
                            "the attempt's lease ran out before it finished".to_owned()
                        }),
                        detail: None,
                        admission: None,
                        enrichment: None,
                    };
                    insert_attempt(conn, lease.id, &record)?;
                    finish_in(conn, lease.id, lease.attempt, &Outcome::Next(decide(lease)), now)?;
                }
                Ok::<_, rusqlite::Error>(expired)
            })
            .await??)
    }

    /// When the next pending execution is due, if any.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, DbError> {
        self.db
            .read(|conn| {
                let due: Option<i64> = conn.query_row(NEXT_DUE, [], |r| r.get(0))?;
                Ok(due.map(time))
            })
            .await
    }

    /// The executions of one event, with their attempts.
    pub async fn for_event(&self, event_id: Uuid) -> Result<Vec<ExecutionView>, DbError> {
        self.db
            .read(move |conn| {
                let mut select = conn.prepare_cached(&format!("{VIEW_COLUMNS} WHERE event_id = ?1 ORDER BY rule"))?;
                let mut views =
                    select.query_map([event_id.as_bytes()], view_of)?.collect::<rusqlite::Result<Vec<_>>>()?;
                for view in &mut views {
                    view.history = attempts_of(conn, view.id)?;
                }
                Ok(views)
            })
            .await
    }

    /// One execution with its attempts.
    pub async fn get(&self, id: Uuid) -> Result<Option<ExecutionView>, DbError> {
        self.db
            .read(move |conn| {
                let mut select = conn.prepare_cached(&format!("{VIEW_COLUMNS} WHERE id = ?1"))?;
                let view = select.query_row([id.as_bytes()], view_of).optional()?;
                match view {
                    Some(mut view) => {
                        view.history = attempts_of(conn, view.id)?;
                        Ok(Some(view))
                    }
                    None => Ok(None),
                }
            })
            .await
    }

    /// A page of executions, newest change first, and how many match.
    pub async fn list(&self, filter: ExecutionFilter) -> Result<(Vec<ExecutionView>, u64), DbError> {
        self.db
            .read(move |conn| {
                let status = filter.status.map(Status::as_str);
                let condition = "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR rule = ?2)";
                let total: i64 = conn.query_row(
                    &format!("SELECT COUNT(*) FROM action_executions {condition}"),
                    params![status, filter.rule],
                    |r| r.get(0),
                )?;
                let mut select = conn.prepare_cached(&format!(
                    "{VIEW_COLUMNS} {condition} ORDER BY updated_at DESC, id LIMIT ?3 OFFSET ?4"
                ))?;
                let views = select
                    .query_map(params![status, filter.rule, filter.limit as i64, filter.offset as i64], view_of)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((views, total as u64))
            })
            .await
    }

    /// Gives dead executions (all, or the one `id`) `extra_attempts` more attempts, due at
    /// `now`; returns how many were redriven.
    pub async fn redrive(&self, id: Option<Uuid>, extra_attempts: u32, now: DateTime<Utc>) -> Result<usize, DbError> {
        Ok(self.db.write(move |conn| redrive_in(conn, id, extra_attempts, now)).await??)
    }

    /// [`ExecutionStore::redrive`] with `record(conn, redriven)` run in the same transaction,
    /// for a caller that audits the redrive through a table of its own (the CLI's audit
    /// inbox): the redrive and its record commit together or not at all.
    pub async fn redrive_recorded(
        &self,
        id: Option<Uuid>,
        extra_attempts: u32,
        now: DateTime<Utc>,
        record: impl FnOnce(&Connection, usize) -> rusqlite::Result<()> + Send + 'static,
    ) -> Result<usize, DbError> {
        Ok(self
            .db
            .write(move |conn| {
                let n = redrive_in(conn, id, extra_attempts, now)?;
                record(conn, n)?;
                Ok::<_, rusqlite::Error>(n)
            })
            .await??)
    }

    /// The rules added through the API, as their stored TOML-equivalent JSON bodies.
    pub async fn stored_rules(&self) -> Result<Vec<(String, String)>, DbError> {
        self.db
            .read(|conn| {
                let mut select = conn.prepare_cached("SELECT name, body FROM action_rules ORDER BY name")?;
                let rows = select
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await
    }

    /// Stores a rule added through the API.
    pub async fn store_rule(&self, name: String, body: String, now: DateTime<Utc>) -> Result<(), DbError> {
        Ok(self
            .db
            .write(move |conn| {
                conn.execute(
                    "INSERT INTO action_rules (name, body, created_at) VALUES (?1, ?2, ?3)",
                    params![name, body, micros(now)],
                )
            })
            .await?
            .map(|_| ())?)
    }

    /// Removes a rule added through the API; whether there was one.
    pub async fn delete_rule(&self, name: String) -> Result<bool, DbError> {
        Ok(self.db.write(move |conn| conn.execute("DELETE FROM action_rules WHERE name = ?1", [name])).await?? > 0)
    }
}

/// An attempt as it was recorded, for readers that follow the attempts in their order
/// (the analytics' failure shares): `seq` orders them and serves as a cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedAttempt {
    /// The attempt's place in the order attempts were recorded.
    pub seq: i64,
    /// The rule of its execution.
    pub rule: String,
    /// When it finished, in microseconds since the epoch.
    pub finished_at_us: i64,
    /// Whether it failed.
    pub failed: bool,
}

/// The attempts recorded after `cursor` (a [`RecordedAttempt::seq`]), at most `limit`, in
/// order; none before the actions service first opened its tables.
pub async fn attempts_after(db: &Db, cursor: i64, limit: usize) -> Result<Vec<RecordedAttempt>, DbError> {
    db.read(move |conn| {
        if !attempts_table_exists(conn)? {
            return Ok(Vec::new());
        }
        let mut statement = conn.prepare_cached(
            "SELECT a.rowid, e.rule, a.finished_at, a.status FROM action_attempts a
             JOIN action_executions e ON e.id = a.execution_id
             WHERE a.rowid > ?1 ORDER BY a.rowid LIMIT ?2",
        )?;
        let rows = statement.query_map(params![cursor, limit as i64], |r| {
            let status: String = r.get(3)?;
            Ok(RecordedAttempt {
                seq: r.get(0)?,
                rule: r.get(1)?,
                finished_at_us: r.get(2)?,
                failed: status.starts_with("failed"),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .await
}

/// The `seq` of the newest recorded attempt (0: none yet).
pub async fn last_attempt(db: &Db) -> Result<u64, DbError> {
    db.read(|conn| {
        if !attempts_table_exists(conn)? {
            return Ok(0);
        }
        let last: Option<i64> = conn.query_row("SELECT MAX(rowid) FROM action_attempts", [], |r| r.get(0))?;
        Ok(last.unwrap_or(0) as u64)
    })
    .await
}

fn attempts_table_exists(conn: &Connection) -> Result<bool, DbError> {
    Ok(conn.query_row("SELECT COUNT(*) > 0 FROM sqlite_master WHERE name = 'action_attempts'", [], |r| r.get(0))?)
}

/// Redrives dead executions within the caller's transaction.
fn redrive_in(conn: &Connection, id: Option<Uuid>, extra_attempts: u32, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE action_executions
         SET status = 'pending', max_attempts = attempts + ?2, due_at = ?3, lease_until = NULL, updated_at = ?3,
             reason = 'redriven after: ' || COALESCE(reason, 'no reason recorded')
         WHERE status = 'dead' AND (?1 IS NULL OR id = ?1)",
        params![id.as_ref().map(|id| id.as_bytes().to_vec()), extra_attempts.max(1), micros(now)],
    )
}

/// An attempt whose lease ran out.
#[derive(Clone, Debug)]
pub struct ExpiredLease {
    /// The execution.
    pub id: Uuid,
    /// Its rule.
    pub rule: String,
    /// The attempt that did not finish.
    pub attempt: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// The workflow step it was at.
    pub step: u32,
    /// When it was claimed.
    pub started_at: DateTime<Utc>,
}

/// How an attempt moves its execution on.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// As the retry rules say.
    Next(Next),
    /// The admission policy refused it.
    Denied(String),
    /// Its rule is gone.
    Cancelled(String),
}

/// Moves a running execution on from attempt `attempt`; whether that attempt still held it.
fn finish_in(
    conn: &Connection,
    id: Uuid,
    attempt: u32,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let (status, due_at, reason) = match outcome {
        Outcome::Next(Next::Succeeded) => (Status::Succeeded, None, None),
        Outcome::Next(Next::RetryAt(at)) => (Status::Pending, Some(micros(*at)), None),
        Outcome::Next(Next::Dead(reason)) => (Status::Dead, None, Some(reason.as_str())),
        Outcome::Denied(reason) => (Status::Denied, None, Some(reason.as_str())),
        Outcome::Cancelled(reason) => (Status::Cancelled, None, Some(reason.as_str())),
    };
    let changed = conn.prepare_cached(
        "UPDATE action_executions
         SET status = ?2, due_at = COALESCE(?3, due_at), lease_until = NULL, reason = COALESCE(?4, reason), updated_at = ?5
         WHERE id = ?1 AND status = 'running' AND attempts = ?6",
    )?
    .execute(params![id.as_bytes(), status.as_str(), due_at, reason, micros(now), attempt])?;
    Ok(changed == 1)
}

fn insert_attempt(conn: &Connection, id: Uuid, record: &AttemptRecord) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO action_attempts
            (execution_id, attempt, step, started_at, finished_at, status, error, detail, admission, enrichment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        id.as_bytes(),
        record.attempt,
        record.step,
        micros(record.started_at),
        micros(record.finished_at),
        record.status,
        record.error,
        record.detail.as_ref().map(Value::to_string),
        record.admission.as_ref().map(Value::to_string),
        record.enrichment.as_ref().map(Value::to_string),
    ])
}

const VIEW_COLUMNS: &str = "SELECT id, event_id, rule, position, event_type, topic, status, condition, attempts,
    max_attempts, due_at, reason, created_at, updated_at FROM action_executions";

/// The stored CloudEvent of an execution; one that no longer parses is reported and handed
/// to the action as `null` rather than failing the claim of every other execution.
fn event_at(row: &Row<'_>, i: usize) -> rusqlite::Result<Value> {
    let text: String = row.get(i)?;
    Ok(serde_json::from_str(&text).unwrap_or_else(|error| {
        tracing::warn!(%error, "a stored execution's event does not parse; its action gets null");
        Value::Null
    }))
}

fn uuid_at(row: &Row<'_>, i: usize) -> rusqlite::Result<Uuid> {
    let bytes: Vec<u8> = row.get(i)?;
    Uuid::from_slice(&bytes)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Blob, Box::new(e)))
}

/// A JSON column; a value that does not parse is shown as its text rather than failing the
/// listing.
fn json_at(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = row.get(i)?;
    Ok(text.map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

fn view_of(row: &Row<'_>) -> rusqlite::Result<ExecutionView> {
    let status: String = row.get(6)?;
    let status = Status::parse(&status).unwrap_or_else(|| {
        tracing::warn!(%status, "an execution has a status this version does not know; it is shown as dead");
        Status::Dead
    });
    Ok(ExecutionView {
        id: uuid_at(row, 0)?,
        event_id: uuid_at(row, 1)?,
        rule: row.get(2)?,
        position: row.get::<_, i64>(3)? as u64,
        event_type: row.get(4)?,
        topic: row.get(5)?,
        status,
        condition: json_at(row, 7)?,
        attempts: row.get(8)?,
        max_attempts: row.get(9)?,
        due_at: (status == Status::Pending).then(|| row.get::<_, i64>(10).map(time)).transpose()?,
        reason: row.get(11)?,
        created_at: time(row.get(12)?),
        updated_at: time(row.get(13)?),
        history: Vec::new(),
    })
}

fn attempts_of(conn: &Connection, id: Uuid) -> Result<Vec<AttemptRecord>, DbError> {
    let mut select = conn.prepare_cached(
        "SELECT attempt, step, started_at, finished_at, status, error, detail, admission, enrichment
         FROM action_attempts WHERE execution_id = ?1 ORDER BY attempt, step",
    )?;
    let records = select
        .query_map([id.as_bytes()], |row| {
            Ok(AttemptRecord {
                attempt: row.get(0)?,
                step: row.get(1)?,
                started_at: time(row.get(2)?),
                finished_at: time(row.get(3)?),
                status: row.get(4)?,
                error: row.get(5)?,
                detail: json_at(row, 6)?,
                admission: json_at(row, 7)?,
                enrichment: json_at(row, 8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite plans for `sql`, one line per step.
    fn plan(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> String {
        let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = explain.query_map(params, |row| row.get::<_, String>(3)).unwrap();
        rows.collect::<rusqlite::Result<Vec<_>>>().unwrap().join("\n")
    }

    // Regression: the claim searched `action_executions_by_status` and sorted every pending
    // execution, so with a backlog of 20,000 each claim read them all.
    #[test]
    fn claiming_and_the_next_due_time_read_the_index_of_pending_executions_without_sorting() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        let claim = plan(&conn, CLAIM_DUE, params![0i64, 10i64]);
        assert!(claim.contains("USING INDEX action_executions_due"), "{claim}");
        assert!(!claim.contains("TEMP B-TREE"), "{claim}");
        let next = plan(&conn, NEXT_DUE, []);
        assert!(next.contains("action_executions_due"), "{next}");
    }
}
