//! Vigil's read models: SQLite tables kept current by projections, the queries the API
//! serves, and the plain CRUD tables read with them ([`tags`], [`cib`]).
//!
//! A projection is a [`TableProjection`]: how to create and empty its tables and how to
//! apply one event. [`SqliteProjection`] turns it into a kernel
//! [`Projection`](vigil_kernel::projection::Projection) that applies a whole batch and moves
//! the checkpoint in one transaction of the shared writer. That commit is
//! [`Commit::Deferred`]: it waits for no fsync of its own, since what a power loss takes is
//! applied again from the checkpoint.
//!
//! Each projection owns its tables and nothing else, so each can be rebuilt alone
//! (`vigil projections rebuild NAME`); queries that need several (a host and its cluster, a
//! SAP system and its database's instances) join them at read time. A projection whose
//! `VERSION` changed drops its tables and starts again from position 0 when it is opened.
//!
//! * [`hosts`], [`clusters`], [`databases`], [`sap_systems`]: one projection each.
//! * [`checks`]: each target's check selection and executions with their results.
//! * [`host_addresses`]: the address index the database directory looks up.
//! * [`landscape`]: the cross-model queries the ingest and the process manager need (a
//!   host's discovery context, the database directory, a host's instances).

pub mod checks;
pub mod cib;
pub mod clusters;
pub mod contract;
pub mod databases;
pub mod host_addresses;
pub mod hosts;
pub mod landscape;
pub mod port;
pub mod sap_systems;
pub mod tags;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::projection::{Projection, ProjectionError};
use vigil_kernel::store::in_categories;
use vigil_store::Db;
use vigil_store::sqlite::Commit;
use vigil_store::sqlite::DbError;

/// An opened projection, on its way.
type Opening = Pin<Box<dyn Future<Output = Result<Arc<dyn Projection>, DbError>> + Send>>;
/// Opening a projection, as a plain function a `const` list can hold.
type Open = fn(Db) -> Opening;

/// One read model of the server: its name and how to open its projection.
pub struct ReadModel {
    /// The projection's name, also of its checkpoint (`TableProjection::NAME`).
    pub name: &'static str,
    /// The name of its task, as `/readyz` reports a stopped one.
    pub task: &'static str,
    /// Whether it is a model of the landscape (hosts, clusters, databases, SAP systems): the
    /// ingest and the process manager look discoveries up in those and wait for them only.
    pub landscape: bool,
    open: Open,
}

impl ReadModel {
    const fn of<P: TableProjection>(task: &'static str) -> ReadModel {
        ReadModel { name: P::NAME, task, landscape: true, open: open_table::<P> }
    }

    /// A read model outside the landscape, which the discovery path never reads.
    const fn beside<P: TableProjection>(task: &'static str) -> ReadModel {
        ReadModel { landscape: false, ..ReadModel::of::<P>(task) }
    }

    /// Opens the projection (creating its tables, or rebuilding them if its layout changed).
    pub async fn open(&self, db: Db) -> Result<Arc<dyn Projection>, DbError> {
        (self.open)(db).await
    }

    /// The read model called `name`.
    pub fn named(name: &str) -> Option<&'static ReadModel> {
        READ_MODELS.iter().find(|m| m.name == name)
    }
}

fn open_table<P: TableProjection>(db: Db) -> Opening {
    Box::pin(async move { Ok(Arc::new(SqliteProjection::<P>::open(db).await?) as Arc<dyn Projection>) })
}

/// Every read model the server keeps, in one list: what `App::start` runs, what `vigil
/// projections rebuild` rebuilds and what `min_position` waits for (the ingest and the
/// process manager wait for the landscape's, [`ReadModel::landscape`]).
pub const READ_MODELS: &[ReadModel] = &[
    ReadModel::of::<hosts::HostsProjection>("projection hosts"),
    ReadModel::of::<host_addresses::HostAddressesProjection>("projection host_addresses"),
    ReadModel::of::<clusters::ClustersProjection>("projection clusters"),
    ReadModel::of::<databases::DatabasesProjection>("projection databases"),
    ReadModel::of::<sap_systems::SapSystemsProjection>("projection sap_systems"),
    ReadModel::beside::<checks::ChecksProjection>("projection checks"),
];

pub use vigil_store::sqlite::checkpoints::{CHECKPOINTS, ensure_checkpoints, load_checkpoint, save_checkpoint};

/// A read model made of SQLite tables.
pub trait TableProjection: Send + Sync + 'static {
    /// Stable name, also of the checkpoint.
    const NAME: &'static str;
    /// `CREATE TABLE IF NOT EXISTS ...` statements.
    const SCHEMA: &'static str;
    /// Statements that empty the tables.
    const RESET: &'static str;
    /// The tables' layout version: when the stored one differs, the tables are dropped
    /// (`DROP`) and rebuilt from the events.
    const VERSION: u32 = 1;
    /// Statements that drop the tables, for a layout change.
    const DROP: &'static str = "";
    /// The stream categories whose events it reads (`"host"` for `host-…` streams); `None`
    /// for every event. The others are left out when reading the store, not just ignored.
    const CATEGORIES: Option<&'static [&'static str]> = None;
    /// Applies one event (of its categories). Events of types it does not know are skipped.
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
        db.write(|conn| {
            conn.execute_batch(CHECKPOINTS)?;
            let stored: Option<i64> = conn
                .query_row("SELECT version FROM projection_versions WHERE name = ?1", [P::NAME], |r| r.get(0))
                .optional()?;
            if stored != Some(i64::from(P::VERSION)) {
                // A new layout (or a database from before versions were kept): start over.
                conn.execute_batch(P::DROP)?;
                conn.execute("DELETE FROM projection_checkpoints WHERE name = ?1", [P::NAME])?;
                conn.execute(
                    "INSERT INTO projection_versions (name, version) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                    params![P::NAME, i64::from(P::VERSION)],
                )?;
            }
            conn.execute_batch(P::SCHEMA)
        })
        .await??;
        Ok(SqliteProjection { db, _projection: PhantomData })
    }

    fn error(&self, e: impl std::fmt::Display) -> ProjectionError {
        ProjectionError { name: P::NAME.to_owned(), message: e.to_string() }
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
                    .query_row("SELECT position FROM projection_checkpoints WHERE name = ?1", [P::NAME], |r| r.get(0))
                    .optional()?;
                Ok(position.unwrap_or(0) as u64)
            })
            .await
            .map_err(|e| self.error(e))
    }

    async fn apply(&self, mut events: Vec<RecordedEvent>) -> Result<(), ProjectionError> {
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(());
        };
        if let Some(categories) = P::CATEGORIES {
            events.retain(|e| in_categories(&e.stream_id, categories));
        }
        // Deferred: a read model that a power loss sets back re-applies the events past its
        // checkpoint, which moves in the same transaction.
        self.db
            .write_as(Commit::Deferred, move |conn| {
                for event in &events {
                    P::apply(conn, event)?;
                }
                save_checkpoint(conn, P::NAME, last)
            })
            .await
            .map_err(|e| self.error(e))?
            .map_err(|e| self.error(e))
    }

    fn categories(&self) -> Option<&'static [&'static str]> {
        P::CATEGORIES
    }

    async fn skip(&self, position: u64) -> Result<(), ProjectionError> {
        self.db
            .write_as(Commit::Deferred, move |conn| save_checkpoint(conn, P::NAME, position))
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

/// A timestamp as the read models store it: RFC 3339 in UTC with microseconds, so that
/// text order is time order.
pub fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A value as a JSON column.
pub(crate) fn to_json(value: &impl serde::Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A JSON column read back.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(column: usize, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e)))
}

/// A stored event decoded as `E`, with a decoding failure as a SQLite error (the
/// projection's transaction rolls back and the runner retries).
pub(crate) fn decode<E: vigil_kernel::decider::DomainEvent>(recorded: &RecordedEvent) -> rusqlite::Result<E> {
    recorded.decode().map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Filters and paging shared by the landscape lists.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// Only items with this health (`passing`, `warning`, `critical`, `unknown`).
    pub health: Option<String>,
    /// Only items carrying this tag.
    pub tag: Option<String>,
    /// Only items with this SID (clusters: their HANA SID or one of their other SIDs).
    pub sid: Option<String>,
    /// Only clusters of this type.
    pub cluster_type: Option<String>,
    /// Include deregistered items.
    pub include_deregistered: bool,
    /// Skip this many.
    pub offset: usize,
    /// At most this many.
    pub limit: usize,
}

/// A `WHERE` clause being built, with its positional arguments.
#[derive(Default)]
/// What the landscape lists share, written once: the common filters (`health`, `sid`, `tag`,
/// `include_deregistered`), the count, the page, and rows that do not decode. Each read model
/// names its own tables and columns.
pub(crate) struct Listing {
    /// The resource type tags are stored under (`host`, `cluster`, ...).
    pub(crate) resource_type: &'static str,
    /// The tables the count reads, with the aliases the columns below use.
    pub(crate) from: &'static str,
    /// The column of the resource's id.
    pub(crate) id: &'static str,
    /// The column of its health.
    pub(crate) health: &'static str,
    /// The condition a `sid` filter adds (`?` for the SID), if the resource has one.
    pub(crate) sid: Option<&'static str>,
    /// The column of its deregistration time.
    pub(crate) deregistered_at: &'static str,
    /// The page's order: stable, ending in the id.
    pub(crate) order_by: &'static str,
}

impl Listing {
    /// The conditions of `query`'s common filters; a read model adds its own to it.
    pub(crate) fn filter(&self, query: &ListQuery) -> Filter {
        let mut filter = Filter::new();
        if let Some(health) = &query.health {
            filter.and(&format!("{} = ?", self.health), health.clone());
        }
        if let (Some(sid), Some(condition)) = (&query.sid, self.sid) {
            filter.and(condition, sid.clone());
        }
        if let Some(tag) = &query.tag {
            let condition = format!(
                "EXISTS (SELECT 1 FROM tags t WHERE t.resource_type = '{}' AND t.resource_id = {} AND t.value = ?)",
                self.resource_type, self.id
            );
            filter.and(&condition, tag.clone());
        }
        if !query.include_deregistered {
            filter.and_plain(&format!("{} IS NULL", self.deregistered_at));
        }
        filter
    }

    /// The page of `query` among the rows `select` (a `SELECT ... FROM` of the same tables)
    /// returns under `filter`, and how many match in all. A row whose stored JSON does not
    /// decode is left out and logged: one bad row never fails a listing.
    pub(crate) fn page<T>(
        &self,
        conn: &Connection,
        select: &str,
        filter: &Filter,
        query: &ListQuery,
        row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<(Vec<T>, u64)> {
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM {}{}", self.from, filter.sql),
            rusqlite::params_from_iter(filter.args.iter()),
            |r| r.get(0),
        )?;
        let (page, args) = filter.paged(query.limit, query.offset);
        let sql = format!("{select}{} ORDER BY {}{page}", filter.sql, self.order_by);
        let mut stmt = conn.prepare_cached(&sql)?;
        let items = decodable(stmt.query_map(rusqlite::params_from_iter(args), row)?, self.resource_type)?;
        Ok((items, total as u64))
    }
}

/// The rows of a listing that decode: one that does not (a damaged value, a column of the
/// wrong type) is logged and left out, so one bad stored row never breaks a page. Errors of
/// the database itself still fail the read.
pub(crate) fn decodable<T>(
    rows: impl Iterator<Item = rusqlite::Result<T>>,
    resource_type: &str,
) -> rusqlite::Result<Vec<T>> {
    let mut items = Vec::new();
    for decoded in rows {
        match decoded {
            Ok(item) => items.push(item),
            Err(error @ (rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..))) => {
                tracing::warn!(resource_type, %error, "a stored row does not decode; left out of the list");
            }
            Err(error) => return Err(error),
        }
    }
    Ok(items)
}

pub(crate) struct Filter {
    pub(crate) sql: String,
    pub(crate) args: Vec<rusqlite::types::Value>,
}

impl Filter {
    pub(crate) fn new() -> Self {
        Filter { sql: " WHERE 1 = 1".into(), args: Vec::new() }
    }

    /// Adds `condition`, in which `?` stands for `value`'s placeholder.
    pub(crate) fn and(&mut self, condition: &str, value: impl Into<rusqlite::types::Value>) {
        self.args.push(value.into());
        let placeholder = format!("?{}", self.args.len());
        self.sql.push_str(" AND ");
        self.sql.push_str(&condition.replace('?', &placeholder));
    }

    /// Adds a condition without a value.
    pub(crate) fn and_plain(&mut self, condition: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(condition);
    }

    /// The clause and arguments with `LIMIT` and `OFFSET` appended.
    pub(crate) fn paged(&self, limit: usize, offset: usize) -> (String, Vec<rusqlite::types::Value>) {
        let mut args = self.args.clone();
        args.push((limit as i64).into());
        args.push((offset as i64).into());
        let sql = format!(" LIMIT ?{} OFFSET ?{}", args.len() - 1, args.len());
        (sql, args)
    }
}
