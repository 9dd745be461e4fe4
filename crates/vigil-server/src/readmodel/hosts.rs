//! The hosts read model: one row per registered host, with Trento's field names.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use vigil_kernel::envelope::RecordedEvent;
use vigil_landscape::host::{Heartbeat, HostDetails, HostEvent};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use super::TableProjection;

/// The projection feeding the `hosts` table.
pub struct HostsProjection;

impl TableProjection for HostsProjection {
    const NAME: &'static str = "hosts";
    const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS hosts (
            id            TEXT PRIMARY KEY,
            hostname      TEXT NOT NULL,
            details       TEXT NOT NULL,
            heartbeat     TEXT NOT NULL,
            registered_at TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS hosts_by_hostname ON hosts (hostname);";
    const RESET: &'static str = "DELETE FROM hosts;";

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        if !recorded.stream_id.starts_with("host-") {
            return Ok(());
        }
        let event: HostEvent = recorded
            .decode()
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let id = event.host_id().to_string();
        let at = recorded.event.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        match &event {
            HostEvent::HostRegistered(e) => {
                conn.prepare_cached(
                    "INSERT INTO hosts (id, hostname, details, heartbeat, registered_at, updated_at)
                     VALUES (?1, ?2, ?3, 'unknown', ?4, ?4)
                     ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, details = excluded.details,
                                                    updated_at = excluded.updated_at",
                )?
                .execute(params![id, e.details.hostname, details_json(&e.details)?, at])?;
            }
            HostEvent::HostDetailsUpdated(e) => {
                conn.prepare_cached("UPDATE hosts SET hostname = ?2, details = ?3, updated_at = ?4 WHERE id = ?1")?
                    .execute(params![id, e.details.hostname, details_json(&e.details)?, at])?;
            }
            HostEvent::HeartbeatSucceeded(_) => set_heartbeat(conn, &id, Heartbeat::Passing, &at)?,
            HostEvent::HeartbeatFailed(_) => set_heartbeat(conn, &id, Heartbeat::Critical, &at)?,
            // The landscape's other host events reach this read model with issue 3's wiring.
            _ => {}
        }
        Ok(())
    }
}

fn details_json(details: &HostDetails) -> rusqlite::Result<String> {
    serde_json::to_string(details).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn set_heartbeat(conn: &Connection, id: &str, heartbeat: Heartbeat, at: &str) -> rusqlite::Result<()> {
    let value = match heartbeat {
        Heartbeat::Unknown => "unknown",
        Heartbeat::Passing => "passing",
        Heartbeat::Critical => "critical",
    };
    conn.prepare_cached("UPDATE hosts SET heartbeat = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, value, at])?;
    Ok(())
}

/// A host as the read model holds it.
#[derive(Clone, Debug, Serialize)]
pub struct HostRow {
    /// The agent id.
    pub id: String,
    /// Everything discovered.
    #[serde(flatten)]
    pub details: HostDetails,
    /// `unknown`, `passing` or `critical`.
    pub heartbeat: String,
    /// RFC 3339.
    pub registered_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// Filters and paging for listing hosts.
#[derive(Clone, Debug, Default)]
pub struct HostQuery {
    /// Only hosts with this hostname.
    pub hostname: Option<String>,
    /// Only hosts with this heartbeat state.
    pub heartbeat: Option<String>,
    /// Skip this many.
    pub offset: usize,
    /// At most this many.
    pub limit: usize,
}

/// Queries on the hosts table.
#[derive(Clone)]
pub struct HostViews {
    db: Db,
}

impl HostViews {
    /// Queries on `db`'s hosts table.
    pub fn new(db: Db) -> Self {
        HostViews { db }
    }

    /// Hosts matching `query`, ordered by hostname, and how many match in all.
    pub async fn list(&self, query: HostQuery) -> Result<(Vec<HostRow>, u64), DbError> {
        self.db
            .read(move |conn| {
                let mut filter = String::from(" WHERE 1 = 1");
                let mut args: Vec<rusqlite::types::Value> = Vec::new();
                if let Some(hostname) = query.hostname {
                    args.push(hostname.into());
                    filter.push_str(&format!(" AND hostname = ?{}", args.len()));
                }
                if let Some(heartbeat) = query.heartbeat {
                    args.push(heartbeat.into());
                    filter.push_str(&format!(" AND heartbeat = ?{}", args.len()));
                }
                let total: i64 = conn.query_row(
                    &format!("SELECT COUNT(*) FROM hosts{filter}"),
                    rusqlite::params_from_iter(args.iter()),
                    |r| r.get(0),
                )?;
                args.push((query.limit as i64).into());
                args.push((query.offset as i64).into());
                let sql = format!(
                    "SELECT id, details, heartbeat, registered_at, updated_at FROM hosts{filter}
                     ORDER BY hostname, id LIMIT ?{} OFFSET ?{}",
                    args.len() - 1,
                    args.len()
                );
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(args), row_to_host)?;
                Ok((rows.collect::<Result<Vec<_>, _>>()?, total as u64))
            })
            .await
    }

    /// One host.
    pub async fn get(&self, id: String) -> Result<Option<HostRow>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT id, details, heartbeat, registered_at, updated_at FROM hosts WHERE id = ?1",
                    )?
                    .query_row([id], row_to_host)
                    .optional()?)
            })
            .await
    }
}

fn row_to_host(r: &rusqlite::Row<'_>) -> rusqlite::Result<HostRow> {
    let details: String = r.get(1)?;
    Ok(HostRow {
        id: r.get(0)?,
        details: serde_json::from_str(&details)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?,
        heartbeat: r.get(2)?,
        registered_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}
