//! The PostgreSQL event store: the same port as [`crate::sqlite`], for Vigil nodes that
//! share one database.
//!
//! # How a subscriber never skips an event
//!
//! A reader follows the global position. With concurrent transactions, a position taken
//! from a sequence could become visible before a lower one whose transaction commits
//! later, and a subscriber that read past it would skip that event for good. Here every
//! append batch locks the one row of `event_head` (`SELECT head … FOR UPDATE`) before it
//! picks positions, gives out `head + 1 …` itself, and writes the new head before it
//! commits. The next batch, on this node or another, waits for that row, so positions are
//! given out in commit order and are gap-free: whoever sees position `n + 1` sees `n`.
//!
//! The cost is that appends are serialised across the cluster, one transaction holding
//! the row at a time, commit (WAL flush) included. Group commit pays it once per batch,
//! not per append: each node has one writer task that takes every append waiting (up to
//! [`PgOptions::max_batch`]), decides them all in memory under the lock (versions and ids
//! cannot change while it is held, see `plan.rs`), inserts the accepted events in one
//! statement and commits once. A conflicting append fails alone.
//!
//! # The head
//!
//! [`EventStore::head`](vigil_kernel::store::EventStore::head) moves after this node's
//! commits at once, and after other nodes' commits through `LISTEN`/`NOTIFY` (the batch
//! notifies in its transaction, so the notice arrives only once it is visible), with a
//! slow poll of `event_head` for a notice missed while the listening connection was down.

mod checkpoints;
mod event_store;
mod head;
mod migrations;
mod plan;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio::sync::{mpsc, watch};
use tokio_postgres::NoTls;
use vigil_kernel::store::StoreError;

pub use checkpoints::{load_checkpoint, save_checkpoint, start_checkpoint};
pub use migrations::{MIGRATIONS, Migration};

use crate::sqlite::Durability;

/// Options for [`PgEventStore::connect`].
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// The schema holding Vigil's tables, created if missing: several Vigil installations
    /// (or tests) can share a database, one schema each. Lowercase letters, digits and `_`,
    /// at most 48 characters.
    pub schema: String,
    /// [`Durability::Full`]: a commit waits for its WAL flush (`synchronous_commit` at least
    /// `on`; a stronger server setting such as `remote_apply` is kept). [`Durability::Normal`]:
    /// `synchronous_commit = off`, so a crash of the PostgreSQL server may lose the newest
    /// commits (never corrupts); a crash of Vigil loses nothing acknowledged.
    pub durability: Durability,
    /// At most this many appends share one transaction.
    pub max_batch: usize,
    /// Past this many events, a batch takes no more appends (the rest wait for the next).
    pub max_batch_events: usize,
    /// Appends waiting for the writer before callers are slowed down.
    pub queue_depth: usize,
    /// Connections for reads (the writer and the listener have one each).
    pub max_readers: usize,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long one statement may run on the server (`statement_timeout`), and about how
    /// long a caller waits for a free connection.
    pub statement_timeout: Duration,
    /// How often the head is polled, besides the notices of other nodes' commits.
    pub head_poll: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            schema: "vigil".into(),
            durability: Durability::Full,
            max_batch: 1024,
            max_batch_events: 20_000,
            queue_depth: 8192,
            max_readers: 8,
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            head_poll: Duration::from_secs(2),
        }
    }
}

/// The event store on PostgreSQL: appends go through this node's writer task (group
/// commit, one transaction per batch), reads through a connection pool, and
/// [`head`](vigil_kernel::store::EventStore::head) follows every node's commits.
#[derive(Clone)]
pub struct PgEventStore {
    inner: Arc<Inner>,
}

struct Inner {
    jobs: mpsc::Sender<writer::Job>,
    readers: Pool,
    head: Arc<watch::Sender<u64>>,
    schema: String,
    /// Dropped with the store, which stops the head follower.
    _alive: watch::Sender<()>,
}

impl PgEventStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`), brings the
    /// schema up to date (waiting for another node doing the same) and starts the writer
    /// and the head follower.
    pub async fn connect(url: &str, options: PgOptions) -> Result<PgEventStore, StoreError> {
        check_schema_name(&options.schema)?;
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError(format!("invalid PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("vigil");
        }
        let session = format!(
            "-c search_path={} -c statement_timeout={}",
            options.schema,
            options.statement_timeout.as_millis().max(1)
        );
        let existing = config.get_options().map(str::to_owned);
        config.options(match existing {
            Some(existing) => format!("{existing} {session}"),
            None => session,
        });
        let (mut client, connection) = connect_with(&config, &options).await?;
        let result = async {
            migrations::migrate(&mut client, &options.schema).await?;
            let commit: String = client
                .query_one("SHOW synchronous_commit", &[])
                .await
                .map_err(pg_error)?
                .try_get(0)
                .map_err(pg_error)?;
            Ok::<_, StoreError>(commit)
        }
        .await;
        drop(client);
        let _ = connection.await;
        let commit = match (options.durability, result?.as_str()) {
            (Durability::Normal, _) => Some("off"),
            (Durability::Full, "off" | "local") => Some("on"),
            (Durability::Full, _) => None,
        };
        if let Some(commit) = commit {
            let options = format!("{} -c synchronous_commit={commit}", config.get_options().unwrap_or_default());
            config.options(options);
        }

        let readers = pool(&config, options.max_readers, &options)?;
        let writes = pool(&config, 1, &options)?;
        let start: i64 = readers
            .get()
            .await
            .map_err(pool_error)?
            .query_one("SELECT head FROM event_head", &[])
            .await
            .map_err(pg_error)?
            .try_get(0)
            .map_err(pg_error)?;
        let head = Arc::new(watch::channel(start as u64).0);
        let channel = head::channel(&options.schema);
        let (jobs, queue) = mpsc::channel(options.queue_depth.max(1));
        tokio::spawn(writer::run(writes, queue, head.clone(), channel.clone(), options.clone()));
        let (alive, stopped) = watch::channel(());
        tokio::spawn(head::follow(config, readers.clone(), head.clone(), channel, options.head_poll, stopped));
        Ok(PgEventStore { inner: Arc::new(Inner { jobs, readers, head, schema: options.schema, _alive: alive }) })
    }

    /// The schema holding the tables.
    pub fn schema(&self) -> &str {
        &self.inner.schema
    }

    /// The read pool, for tables kept beside the events (checkpoints).
    pub fn pool(&self) -> &Pool {
        &self.inner.readers
    }
}

/// One connection outside the pools (the migrations, the listener), its driver returned.
async fn connect_with(
    config: &tokio_postgres::Config,
    options: &PgOptions,
) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), StoreError> {
    let connecting = config.connect(NoTls);
    let (client, connection) = tokio::time::timeout(options.connect_timeout, connecting)
        .await
        .map_err(|_| StoreError(format!("PostgreSQL did not answer within {:?}", options.connect_timeout)))?
        .map_err(pg_error)?;
    let driver = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a PostgreSQL connection ended");
        }
    });
    Ok((client, driver))
}

fn pool(config: &tokio_postgres::Config, size: usize, options: &PgOptions) -> Result<Pool, StoreError> {
    let manager =
        Manager::from_config(config.clone(), NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.statement_timeout))
        .create_timeout(Some(options.connect_timeout))
        .recycle_timeout(Some(options.connect_timeout))
        .build()
        .map_err(|e| StoreError(format!("cannot build the PostgreSQL pool: {e}")))
}

/// Schema names go into SQL and connection options unquoted-safe, so only plain ones.
fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let plain = schema.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let starts = schema.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    if plain && starts && schema.len() <= 48 && !schema.starts_with("pg_") {
        Ok(())
    } else {
        Err(StoreError(format!(
            "schema name `{schema}`: use lowercase letters, digits and `_` (at most 48, not starting with a digit or `pg_`)"
        )))
    }
}

/// A driver error with what the server said, if it said anything.
pub(crate) fn pg_error(e: tokio_postgres::Error) -> StoreError {
    StoreError(describe(&e))
}

fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("postgres: {} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("postgres: {e}: {source}"),
            None => format!("postgres: {e}"),
        },
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_error(e),
        other => StoreError(format!("postgres pool: {other}")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_schema_names_are_taken() {
        for good in ["vigil", "vigil_test_0a1b", "_x"] {
            assert!(super::check_schema_name(good).is_ok(), "{good}");
        }
        for bad in ["", "Vigil", "a-b", "a b", "1x", "pg_catalog", "x\"; DROP", &"a".repeat(49)] {
            assert!(super::check_schema_name(bad).is_err(), "{bad}");
        }
    }
}
