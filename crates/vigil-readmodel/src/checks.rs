//! The checks read model: each target's selection and its executions with their results,
//! from the `checks-<target>` streams (ChecksSelected, ChecksExecutionStarted,
//! ChecksExecutionCompleted).
//!
//! An execution is `running` from its start until its results, or `superseded` when a newer
//! one started first (an agent that never answered must not hold the target). Each target
//! keeps its last [`EXECUTIONS_KEPT`] executions: the schedule starts one every few minutes,
//! and what is older is in the event store.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use vigil_checks::execution::ChecksEvent;
use vigil_kernel::envelope::RecordedEvent;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use super::{TableProjection, decodable, decode, stamp, to_json};

/// How many executions of one target the read model keeps.
pub const EXECUTIONS_KEPT: i64 = 100;

/// Keeps `checks_selections` and `checks_executions`.
pub struct ChecksProjection;

impl TableProjection for ChecksProjection {
    const NAME: &'static str = "checks";
    const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS checks_selections (
            target_id TEXT PRIMARY KEY,
            target_type TEXT NOT NULL,
            checks TEXT NOT NULL,
            check_values TEXT NOT NULL,
            selected_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS checks_executions (
            execution_id TEXT PRIMARY KEY,
            target_id TEXT NOT NULL,
            target_type TEXT NOT NULL,
            status TEXT NOT NULL,
            checks TEXT NOT NULL,
            agents TEXT NOT NULL,
            started_at TEXT NOT NULL,
            completed_at TEXT,
            health TEXT,
            results TEXT,
            facts TEXT,
            position INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS checks_executions_by_target ON checks_executions (target_id, position);";
    const RESET: &'static str = "DELETE FROM checks_selections; DELETE FROM checks_executions;";
    const DROP: &'static str = "DROP TABLE IF EXISTS checks_selections; DROP TABLE IF EXISTS checks_executions;";
    const CATEGORIES: Option<&'static [&'static str]> = Some(&["checks"]);

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        let at = stamp(recorded.event.time);
        match decode::<ChecksEvent>(recorded)? {
            ChecksEvent::ChecksSelected(e) => {
                conn.prepare_cached(
                    "INSERT INTO checks_selections (target_id, target_type, checks, check_values, selected_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (target_id) DO UPDATE SET target_type = excluded.target_type,
                        checks = excluded.checks, check_values = excluded.check_values,
                        selected_at = excluded.selected_at",
                )?
                .execute(params![
                    e.target_id.to_string(),
                    e.target_type.as_str(),
                    to_json(&e.checks)?,
                    to_json(&e.values)?,
                    at
                ])?;
            }
            ChecksEvent::ChecksExecutionStarted(e) => {
                let target_id = e.target_id.to_string();
                conn.prepare_cached(
                    "UPDATE checks_executions SET status = 'superseded' WHERE target_id = ?1 AND status = 'running'",
                )?
                .execute([&target_id])?;
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO checks_executions
                        (execution_id, target_id, target_type, status, checks, agents, started_at, position)
                     VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    e.execution_id.to_string(),
                    target_id,
                    e.target_type.as_str(),
                    to_json(&e.checks)?,
                    to_json(&e.agents)?,
                    at,
                    recorded.position as i64
                ])?;
                conn.prepare_cached(
                    "DELETE FROM checks_executions WHERE target_id = ?1 AND position <
                        (SELECT MIN(position) FROM (SELECT position FROM checks_executions WHERE target_id = ?1
                                                    ORDER BY position DESC LIMIT ?2))",
                )?
                .execute(params![target_id, EXECUTIONS_KEPT])?;
            }
            ChecksEvent::ChecksExecutionCompleted(e) => {
                conn.prepare_cached(
                    "UPDATE checks_executions SET status = 'completed', completed_at = ?2, health = ?3, results = ?4,
                        facts = ?5
                     WHERE execution_id = ?1",
                )?
                .execute(params![
                    e.execution_id.to_string(),
                    at,
                    e.health.as_str(),
                    to_json(&e.results)?,
                    to_json(&e.agents)?
                ])?;
            }
        }
        Ok(())
    }
}

/// A target's selection as served.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectionView {
    /// `cluster` or `host`.
    pub target_type: String,
    /// The cluster or host.
    pub target_id: String,
    /// The selected check ids.
    pub checks: Value,
    /// Customised values: check id → value name → value.
    pub values: Value,
    /// When it was last changed (RFC 3339).
    pub selected_at: String,
}

/// An execution as served.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExecutionView {
    /// The execution.
    pub execution_id: String,
    /// `cluster` or `host`.
    pub target_type: String,
    /// The cluster or host.
    pub target_id: String,
    /// `running`, `completed` or `superseded`.
    pub status: String,
    /// The checks it runs.
    pub checks: Value,
    /// The agents asked for facts.
    pub agents: Value,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339, once completed.
    pub completed_at: Option<String>,
    /// Worst of the results, once completed.
    pub health: Option<String>,
    /// One per check, once completed.
    pub results: Option<Value>,
    /// What each agent gave: its facts, or why it gave none.
    pub facts: Option<Value>,
}

/// Reads of the checks read model.
#[derive(Clone)]
pub struct ChecksViews {
    db: Db,
}

const EXECUTION_COLUMNS: &str =
    "execution_id, target_type, target_id, status, checks, agents, started_at, completed_at,
     health, results, facts";

/// A JSON column, or `{"unreadable": "…"}` for a damaged one: one bad row never breaks a page.
fn json_column(text: Option<String>) -> Option<Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or_else(|e| serde_json::json!({ "unreadable": e.to_string() })))
}

fn execution(row: &rusqlite::Row<'_>) -> rusqlite::Result<ExecutionView> {
    Ok(ExecutionView {
        execution_id: row.get(0)?,
        target_type: row.get(1)?,
        target_id: row.get(2)?,
        status: row.get(3)?,
        checks: json_column(row.get(4)?).unwrap_or(Value::Null),
        agents: json_column(row.get(5)?).unwrap_or(Value::Null),
        started_at: row.get(6)?,
        completed_at: row.get(7)?,
        health: row.get(8)?,
        results: json_column(row.get(9)?),
        facts: json_column(row.get(10)?),
    })
}

impl ChecksViews {
    /// Reads over `db`.
    pub fn new(db: Db) -> Self {
        ChecksViews { db }
    }

    /// The target's selection, if it has one.
    pub async fn selection(&self, target_id: String) -> Result<Option<SelectionView>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT target_type, target_id, checks, check_values, selected_at FROM checks_selections
                     WHERE target_id = ?1",
                    )?
                    .query_row([target_id], |row| {
                        Ok(SelectionView {
                            target_type: row.get(0)?,
                            target_id: row.get(1)?,
                            checks: json_column(row.get(2)?).unwrap_or(Value::Null),
                            values: json_column(row.get(3)?).unwrap_or(Value::Null),
                            selected_at: row.get(4)?,
                        })
                    })
                    .optional()?)
            })
            .await
    }

    /// Every target with a selection: what the schedule runs.
    pub async fn selected_targets(&self) -> Result<Vec<(String, String)>, DbError> {
        self.db
            .read(|conn| {
                let mut statement = conn.prepare_cached(
                    "SELECT target_type, target_id FROM checks_selections WHERE checks != '[]' ORDER BY target_id",
                )?;
                let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
                Ok(decodable(rows, "checks_selection")?)
            })
            .await
    }

    /// One execution.
    pub async fn execution(&self, execution_id: String) -> Result<Option<ExecutionView>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT {EXECUTION_COLUMNS} FROM checks_executions WHERE execution_id = ?1"
                    ))?
                    .query_row([execution_id], execution)
                    .optional()?)
            })
            .await
    }

    /// The target's executions, newest first.
    pub async fn executions(&self, target_id: String, limit: usize) -> Result<Vec<ExecutionView>, DbError> {
        self.db
            .read(move |conn| {
                let mut statement = conn.prepare_cached(&format!(
                    "SELECT {EXECUTION_COLUMNS} FROM checks_executions WHERE target_id = ?1
                     ORDER BY position DESC LIMIT ?2"
                ))?;
                let rows = statement.query_map(params![target_id, limit as i64], execution)?;
                Ok(decodable(rows, "checks_execution")?)
            })
            .await
    }

    /// The target's last completed execution.
    pub async fn last_completed(&self, target_id: String) -> Result<Option<ExecutionView>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!(
                    "SELECT {EXECUTION_COLUMNS} FROM checks_executions WHERE target_id = ?1 AND status = 'completed'
                     ORDER BY position DESC LIMIT 1"
                ))?
                    .query_row([target_id], execution)
                    .optional()?)
            })
            .await
    }
}
