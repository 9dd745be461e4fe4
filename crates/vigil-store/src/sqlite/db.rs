//! One SQLite file: a writer thread with group commit, and a pool of readers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, mpsc, oneshot};

/// How hard a commit tries to reach the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every acknowledged write is fsynced before it is acknowledged: it survives a crash of
    /// the process, of the OS and a power loss.
    #[default]
    Full,
    /// Writes reach the OS before they are acknowledged and are fsynced at WAL checkpoints:
    /// they survive a crash or `kill -9` of the process, but the last ones may be lost on
    /// power loss or an OS crash.
    Normal,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            other => Err(format!("durability must be `full` or `normal`, not `{other}`")),
        }
    }
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Durability::Full => "full",
            Durability::Normal => "normal",
        })
    }
}

/// Options for [`Db::open`].
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// See [`Durability`].
    pub durability: Durability,
    /// At most this many writes share one transaction.
    pub max_batch: usize,
    /// Writes waiting for the writer before callers are slowed down.
    pub queue_depth: usize,
    /// Reads running at once; more wait for a turn. Each reader connection keeps its own
    /// page cache (about 2 MiB), so this bounds memory as well as threads: unbounded, a
    /// burst of requests opened hundreds of connections (450 MiB of page cache at 2,000
    /// agents).
    pub max_readers: usize,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions { durability: Durability::Full, max_batch: 1024, queue_depth: 8192, max_readers: 8 }
    }
}

/// The database failed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("sqlite: {0}")]
pub struct DbError(pub String);

/// A queued write ([`Db::queue_write`]): a future of its commit, giving the write's own
/// result if it committed.
#[must_use = "a queued write's outcome is only known by awaiting it"]
pub struct PendingWrite<T, E>(oneshot::Receiver<Result<Result<T, E>, DbError>>);

impl<T, E> Future for PendingWrite<T, E> {
    type Output = Result<Result<T, E>, DbError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|answer| match answer {
            Ok(outcome) => outcome,
            Err(_) => Err(DbError("the write was not committed".into())),
        })
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        DbError(e.to_string())
    }
}

/// The writer calls this after the batch's commit, with the commit's outcome.
type Reply = Box<dyn FnOnce(Result<(), DbError>) + Send>;
/// A write: runs inside the batch's transaction, says whether it succeeded (a failed one is
/// rolled back to its savepoint alone) and how to answer its caller.
type Work = Box<dyn FnOnce(&Connection) -> (bool, Reply) + Send>;

/// A write and what its commit must wait for.
struct Job {
    work: Work,
    commit: Commit,
}

/// What a write's commit waits for before its caller is answered.
///
/// SQLite's WAL is one file written in order, so an fsync makes every commit before it
/// durable too: a `Deferred` write becomes durable with the next `Durable` commit or WAL
/// checkpoint, whichever comes first, and a power loss can only take the newest `Deferred`
/// commits, never one from before a durable commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commit {
    /// The commit is on disk (fsynced, under [`Durability::Full`]) before the caller hears
    /// of it.
    Durable,
    /// The commit reaches the OS, so it survives a crash or `kill -9` of the process, but it
    /// is not fsynced on its own account. For what a power loss may take without harm:
    /// read models, which re-apply the events past their checkpoint (stored in the same
    /// transaction), and heartbeat timestamps, stale by the time the power is back.
    Deferred,
}

/// A SQLite database with one writer thread and pooled readers.
///
/// Writes are closures sent to the writer thread. It takes every write waiting in its queue
/// (up to `max_batch`), runs each in its own savepoint inside one transaction, commits once
/// (one fsync, or none for a batch of [`Commit::Deferred`] writes alone) and only then
/// answers the callers: group commit. A write that fails is rolled back alone; the rest of
/// its batch commits.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    jobs: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    /// Turns to read: [`DbOptions::max_readers`] permits.
    reader_turns: Arc<Semaphore>,
    durability: Durability,
}

impl Db {
    /// Opens (creating if needed) the database at `path` and starts its writer thread.
    pub fn open(path: &Path, options: DbOptions) -> Result<Db, DbError> {
        let conn = open_connection(path, options.durability)?;
        let (jobs, rx) = mpsc::channel(options.queue_depth.max(1));
        let max_batch = options.max_batch.max(1);
        let writer = Writer { conn, durability: options.durability, deferring: false };
        std::thread::Builder::new()
            .name("vigil-sqlite-writer".into())
            .spawn(move || writer.run(rx, max_batch))
            .map_err(|e| DbError(format!("cannot start writer thread: {e}")))?;
        Ok(Db {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                jobs,
                readers: Mutex::new(Vec::new()),
                reader_turns: Arc::new(Semaphore::new(options.max_readers.max(1))),
                durability: options.durability,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The durability it was opened with.
    pub fn durability(&self) -> Durability {
        self.inner.durability
    }

    /// Runs `f` in the writer's next transaction and returns its result once it is durably
    /// committed. An `Err` from `f` rolls back only `f`'s own changes.
    pub async fn write<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.write_then(f, |_| ()).await
    }

    /// Like [`Db::write`], and calls `after_commit` on the writer thread right after the
    /// commit, in commit order, before any caller of the batch is answered (used to publish
    /// the new events and head). It may take from the result what only it needs.
    pub async fn write_then<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        after_commit: impl FnOnce(&mut Result<T, E>) + Send + 'static,
    ) -> Result<Result<T, E>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.submit(Commit::Durable, f, after_commit).await
    }

    /// Like [`Db::write`], with the commit waiting for what `commit` says. Under
    /// [`Durability::Normal`] every commit is already [`Commit::Deferred`].
    pub async fn write_as<T, E>(
        &self,
        commit: Commit,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.submit(commit, f, |_| ()).await
    }

    /// Like [`Db::write`], but returns as soon as the write is queued, with its commit to
    /// await later. The writer runs writes in the order they were queued, so a caller that
    /// numbers its writes (the audit log) can queue the next before the last has committed,
    /// and both can share a commit.
    pub async fn queue_write<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<PendingWrite<T, E>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.queue(Commit::Durable, f, |_| ()).await
    }

    async fn submit<T, E>(
        &self,
        commit: Commit,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        after_commit: impl FnOnce(&mut Result<T, E>) + Send + 'static,
    ) -> Result<Result<T, E>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        self.queue(commit, f, after_commit).await?.await
    }

    async fn queue<T, E>(
        &self,
        commit: Commit,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        after_commit: impl FnOnce(&mut Result<T, E>) + Send + 'static,
    ) -> Result<PendingWrite<T, E>, DbError>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let work: Work = Box::new(move |conn| {
            let mut result = f(conn);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |commit| {
                if commit.is_ok() {
                    after_commit(&mut result);
                }
                let _ = tx.send(commit.map(|()| result));
            });
            (ok, reply)
        });
        self.inner.jobs.send(Job { work, commit }).await.map_err(|_| DbError("writer thread stopped".into()))?;
        Ok(PendingWrite(rx))
    }

    /// Runs `f` on a reader connection, off the async runtime.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let inner = self.inner.clone();
        let turn =
            inner.reader_turns.clone().acquire_owned().await.map_err(|_| DbError("the database is closed".into()))?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            inner.with_reader(f)
        })
        .await
        .map_err(|e| DbError(format!("reader task failed: {e}")))?
    }

    /// Whether the database answers a trivial read: the readiness probe's question.
    pub async fn answers(&self) -> Result<(), DbError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?)).await
    }

    /// Runs `f` on a reader connection on the calling thread (for blocking contexts).
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> Result<T, DbError>) -> Result<T, DbError> {
        self.inner.with_reader(f)
    }
}

impl Inner {
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, DbError>) -> Result<T, DbError> {
        let pooled = self.readers.lock().expect("reader pool lock").pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = open_connection(&self.path, self.durability)?;
                conn.pragma_update(None, "query_only", true)?;
                conn
            }
        };
        let result = f(&conn);
        let mut readers = self.readers.lock().expect("reader pool lock");
        if readers.len() < 16 {
            readers.push(conn);
        }
        result
    }
}

fn open_connection(path: &Path, durability: Durability) -> Result<Connection, DbError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(
        None,
        "synchronous",
        match durability {
            Durability::Full => "full",
            Durability::Normal => "normal",
        },
    )?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Every write job runs in a savepoint, and a page it changes that the transaction had
    // already changed is first copied to the statement journal. SQLite keeps that journal
    // in memory only up to 64 KiB, then spills it to a temporary file for the rest of the
    // transaction: one big job (a projection's batch) made every later job's copies file
    // writes. In memory it costs at most the pages of one job.
    conn.pragma_update(None, "temp_store", "memory")?;
    // Without it, SQLite (built with STAT4) re-prepares a cached statement each time a text
    // parameter is bound to a column it filters on: the stream-version lookup of every
    // append spent more time being re-prepared than running. Vigil never runs ANALYZE, so
    // a plan chosen per value has nothing to choose from.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The writer thread's connection.
struct Writer {
    conn: Connection,
    durability: Durability,
    /// Whether the connection is set to commit without an fsync (`synchronous = NORMAL`).
    deferring: bool,
}

impl Writer {
    fn run(mut self, mut jobs: mpsc::Receiver<Job>, max_batch: usize) {
        let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
        while let Some(first) = jobs.blocking_recv() {
            batch.push(first);
            while batch.len() < max_batch {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.run_batch(&mut batch);
        }
    }

    /// Under [`Durability::Full`], a batch of only deferred writes commits without an
    /// fsync; one durable write in it makes the whole commit durable. Failing to defer only
    /// costs an fsync; failing to make a durable batch durable fails the batch.
    fn set_commit(&mut self, batch: &[Job]) -> Result<(), rusqlite::Error> {
        let defer = self.durability == Durability::Full && batch.iter().all(|job| job.commit == Commit::Deferred);
        if defer == self.deferring {
            return Ok(());
        }
        match self.conn.execute_batch(if defer { "PRAGMA synchronous = NORMAL" } else { "PRAGMA synchronous = FULL" }) {
            Ok(()) => {
                self.deferring = defer;
                Ok(())
            }
            Err(error) if defer => {
                tracing::warn!(%error, "cannot defer a commit's fsync; committing durably");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    fn run_batch(&mut self, batch: &mut Vec<Job>) {
        if let Err(error) = self.set_commit(batch) {
            // Dropping a job that never ran answers its caller with "not committed".
            tracing::error!(%error, n_writes = batch.len(), "cannot make a commit durable");
            batch.clear();
            return;
        }
        let conn = &self.conn;
        if let Err(error) = statement(conn, "BEGIN IMMEDIATE") {
            // Dropping a job that never ran answers its caller with "not committed".
            tracing::error!(%error, n_writes = batch.len(), "cannot begin a write transaction");
            batch.clear();
            return;
        }
        let mut replies = Vec::with_capacity(batch.len());
        for job in batch.drain(..) {
            // Prepared once per connection, so a job does not pay for parsing them.
            let savepoint = statement(conn, "SAVEPOINT job");
            let (ok, reply) = run_job(conn, job.work);
            if savepoint.is_ok() {
                let end = if ok {
                    statement(conn, "RELEASE job")
                } else {
                    conn.execute_batch("ROLLBACK TO job; RELEASE job")
                };
                if let Err(e) = end {
                    tracing::error!(error = %e, "savepoint could not be closed");
                }
            }
            replies.push(reply);
        }
        let commit = statement(conn, "COMMIT").map_err(DbError::from);
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for reply in replies {
            reply(commit.clone());
        }
    }
}

fn statement(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs one job, turning a panic into a failed job so the writer thread survives it.
fn run_job(conn: &Connection, job: Work) -> (bool, Reply) {
    match catch_unwind(AssertUnwindSafe(|| job(conn))) {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::error!("a database write panicked; its changes are rolled back");
            (false, Box::new(|_| ()))
        }
    }
}
