//! The live log: appends through one appender task, heads signed by policy, proofs served
//! from memory.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::SigningKey;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use vigil_store::Db;
use vigil_store::sqlite::{DbError, PendingWrite};

use crate::AuditError;
use crate::head::{PublicKey, SignedHead, load_or_create_key, verify_head_signature};
use crate::merkle::{self, ChunkedTree, Hash, MerkleTree, MissingChunk, leaf_hash};
use crate::record::{AuditRecord, PreparedRecord, format_time};

/// When the log signs a new head on its own.
///
/// A head is signed after an append brings the log `every_records` past the last head, and
/// by [`AuditLog::maybe_sign_head`] when `every` has passed since the last head and there is
/// something new (the first head as soon as there is a record). The library keeps no timer:
/// the caller calls `maybe_sign_head` from its own, so tests and replays control time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadPolicy {
    /// Sign after this many new records; 0 turns the count rule off.
    pub every_records: u64,
    /// Sign when a head is older than this and records were added since.
    pub every: Duration,
}

impl Default for HeadPolicy {
    fn default() -> Self {
        HeadPolicy { every_records: 1000, every: Duration::from_secs(60) }
    }
}

/// A tamper-evident audit log stored in a [`Db`].
///
/// Cheap to clone; all clones share one log. Only one `AuditLog` may be open on a database
/// at a time: it alone numbers the records.
///
/// Appends go through one appender task, which takes every append waiting for it, numbers
/// them in order and writes them in one [`Db::write`], so concurrent appends share a commit
/// and get gap-free indices.
///
/// The Merkle tree is cut into chunks of [`CHUNK_SIZE`] records. The root of every complete
/// chunk is stored (`audit_chunks`, in the transaction that completes it), and memory holds
/// only the tree over those roots and the leaves after the last complete chunk: about 64
/// bytes per chunk, so opening a log of any length reads one row per chunk and less than a
/// chunk of leaf hashes. Heads need nothing else; a proof or root reaching inside older
/// chunks reads their leaf hashes (at most two chunks) from the database.
#[derive(Clone)]
pub struct AuditLog {
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
}

/// The table of records. `record` holds the exact bytes that were hashed; `kind` and `time`
/// repeat fields of those bytes for queries, and `leaf_hash` is a cache for rebuilding the
/// tree at open. [`verify`](crate::verify) trusts neither: it re-hashes `record`.
pub const RECORDS_TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS audit_records (
    idx INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    time TEXT NOT NULL,
    record BLOB NOT NULL,
    leaf_hash BLOB NOT NULL
)";

/// The roots of the complete chunks of [`CHUNK_SIZE`] records: chunk `c` covers records
/// `c * CHUNK_SIZE ..`. A cache of the tree, like `leaf_hash`, which spares reading every
/// leaf hash at open; [`verify`](crate::verify) recomputes and checks them.
pub const CHUNKS_TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS audit_chunks (
    chunk INTEGER PRIMARY KEY,
    root  BLOB NOT NULL
)";

/// Records per chunk of the tree (see [`AuditLog`]).
pub const CHUNK_SIZE: u64 = 1 << CHUNK_BITS;
const CHUNK_BITS: u32 = 10;

/// The table of signed heads, numbered 0, 1, 2… in signing order; every column is stored
/// as signed.
pub const HEADS_TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS audit_heads (
    seq INTEGER PRIMARY KEY,
    tree_size INTEGER NOT NULL,
    root_hash TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    signature TEXT NOT NULL
)";

/// The signed heads stored in `db`, oldest first, read without opening the log (for tools
/// that must not become a second writer, such as `vigil audit head`).
pub async fn stored_heads(db: &Db) -> Result<Vec<SignedHead>, AuditError> {
    let heads = db.read(|conn| Ok(read_heads(conn)?)).await?;
    Ok(heads.into_iter().map(|(_, head)| head).collect())
}

/// Appends the appender takes into one write at most.
const MAX_BATCH: usize = 1024;

struct Shared {
    db: Db,
    public_key: PublicKey,
    tree: RwLock<ChunkedTree>,
    latest: RwLock<Option<LatestHead>>,
}

#[derive(Clone)]
struct LatestHead {
    head: SignedHead,
    /// `head.timestamp` parsed, for the time rule; `None` if it does not parse, which makes
    /// the time rule due.
    signed_at: Option<DateTime<Utc>>,
    seq: u64,
}

type Reply<T> = oneshot::Sender<Result<T, AuditError>>;

/// A record handed to the appender; [`PendingAppend::committed`] resolves to its index once
/// it is durably committed.
pub struct PendingAppend(oneshot::Receiver<Result<u64, AuditError>>);

impl PendingAppend {
    /// Waits for the commit.
    pub async fn committed(self) -> Result<u64, AuditError> {
        self.0.await.map_err(|_| AuditError::Closed)?
    }
}

enum Command {
    Append { record: PreparedRecord, reply: Reply<u64> },
    SignHead { now: DateTime<Utc>, when: Signing, reply: Reply<Option<SignedHead>> },
}

/// Whether a head request is the policy's or the caller's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signing {
    IfDue,
    Always,
}

impl AuditLog {
    /// Opens the log in `db`, creating its tables, and the signing key in `key_dir`, creating
    /// it on first start. Must be called inside a Tokio runtime: it starts the appender task.
    ///
    /// The tree is rebuilt from the stored chunk roots and the leaf hashes after them, and
    /// checked against the newest signed head (its signature with this key, its root at its
    /// size). A mismatch is [`AuditError::Inconsistent`]: signing new heads over a tampered
    /// log would bury the evidence, so the log refuses to go on until someone looks. A log
    /// written before chunks were stored has its chunk roots computed once, here.
    pub async fn open(db: Db, key_dir: &Path, policy: HeadPolicy) -> Result<AuditLog, AuditError> {
        let dir = key_dir.to_owned();
        let key = tokio::task::spawn_blocking(move || load_or_create_key(&dir))
            .await
            .map_err(|e| AuditError::Key { path: key_dir.to_owned(), message: format!("loading failed: {e}") })??;
        let public_key = PublicKey::of(&key);
        db.write(|conn| conn.execute_batch(&format!("{RECORDS_TABLE_SQL};\n{HEADS_TABLE_SQL};\n{CHUNKS_TABLE_SQL};")))
            .await?
            .map_err(DbError::from)?;
        let loaded = db.read(|conn| Ok(load(conn))).await??;
        if !loaded.new_chunks.is_empty() {
            tracing::info!(n_chunks = loaded.new_chunks.len(), "stored the audit tree's chunk roots");
            let rows = loaded.new_chunks.clone();
            db.write(move |conn| insert_chunks(conn, &rows)).await??;
        }
        if let Some(latest) = &loaded.latest {
            check_newest_head(loaded.tree.size(), latest, loaded.latest_root, &public_key)?;
        }
        let tree = loaded.tree;
        tracing::info!(tree_size = tree.size(), public_key = %public_key, "opened the audit log");
        let next_head_seq = loaded.latest.as_ref().map_or(0, |latest| latest.seq + 1);
        let shared = Arc::new(Shared { db, public_key, tree: RwLock::new(tree), latest: RwLock::new(loaded.latest) });
        let (commands, receiver) = mpsc::channel(MAX_BATCH * 4);
        let head_size_ahead = read(&shared.latest).as_ref().map_or(0, |latest| latest.head.tree_size);
        let ahead = read(&shared.tree).clone();
        let appender = Appender {
            shared: shared.clone(),
            key,
            policy,
            next_head_seq,
            ahead,
            head_size_ahead,
            needs_resync: false,
        };
        tokio::spawn(appender.run(receiver));
        Ok(AuditLog { shared, commands })
    }

    /// Appends a record and returns its index once it is durably committed.
    ///
    /// `kind` says what happened (`command`, `auth_failure`, …), `time` when, `body` the
    /// details. They are stored as canonical JSON bytes, which are what the tree hashes. If
    /// the returned future is dropped after the record was handed to the appender, the
    /// record is still appended.
    pub async fn append(&self, kind: &str, time: DateTime<Utc>, body: &Value) -> Result<u64, AuditError> {
        self.enqueue(kind, time, body).await?.committed().await
    }

    /// Hands a record to the appender without waiting for its commit. Records enqueued one
    /// after another get indices in that order and share commits, so a caller appending many
    /// (one per stored event) enqueues them all, then awaits the last.
    pub async fn enqueue(&self, kind: &str, time: DateTime<Utc>, body: &Value) -> Result<PendingAppend, AuditError> {
        let record = PreparedRecord::new(kind, time, body)?;
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Append { record, reply }).await.map_err(|_| AuditError::Closed)?;
        Ok(PendingAppend(answer))
    }

    /// Signs and stores a head if the [`HeadPolicy`] says one is due at `now`; the caller's
    /// timer calls this. Returns the new head, or `None` when none was due.
    pub async fn maybe_sign_head(&self, now: DateTime<Utc>) -> Result<Option<SignedHead>, AuditError> {
        self.request_head(now, Signing::IfDue).await
    }

    /// Signs and stores a head of the log as it is, stamped `now`, whether or not one is due
    /// (at shutdown, or before handing a head to an auditor). Appends made before the call
    /// are in it.
    pub async fn sign_head(&self, now: DateTime<Utc>) -> Result<SignedHead, AuditError> {
        match self.request_head(now, Signing::Always).await? {
            Some(head) => Ok(head),
            None => Err(AuditError::Closed),
        }
    }

    async fn request_head(&self, now: DateTime<Utc>, when: Signing) -> Result<Option<SignedHead>, AuditError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::SignHead { now, when, reply }).await.map_err(|_| AuditError::Closed)?;
        answer.await.map_err(|_| AuditError::Closed)?
    }

    /// The newest signed head, if any was signed.
    pub fn latest_head(&self) -> Option<SignedHead> {
        read(&self.shared.latest).as_ref().map(|latest| latest.head.clone())
    }

    /// Every stored head, oldest first.
    pub async fn heads(&self) -> Result<Vec<SignedHead>, AuditError> {
        let heads = self.shared.db.read(|conn| Ok(read_heads(conn)?)).await?;
        Ok(heads.into_iter().map(|(_, head)| head).collect())
    }

    /// The number of committed records.
    pub fn tree_size(&self) -> u64 {
        read(&self.shared.tree).size()
    }

    /// The root of the tree of the first `tree_size` records.
    ///
    /// This and the proofs below answer from memory for the records of the last chunk; for
    /// older ones they read the leaf hashes of at most two chunks of [`CHUNK_SIZE`] records
    /// from the database, on the calling thread.
    pub fn root_hash(&self, tree_size: u64) -> Result<Hash, AuditError> {
        self.with_nodes(|nodes, size| {
            if tree_size > size {
                return Err(AuditError::InvalidRange(format!("size {tree_size} is past the log's {size}")));
            }
            Ok(merkle::root(nodes, tree_size))
        })
    }

    /// The audit path showing record `index` in the tree of `tree_size` records (RFC 6962
    /// section 2.1.1); check it with [`verify_inclusion`](crate::verify_inclusion).
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, AuditError> {
        self.with_nodes(|nodes, size| {
            if index >= tree_size || tree_size > size {
                return Err(AuditError::InvalidRange(format!(
                    "no record {index} in a tree of {tree_size} (the log has {size})"
                )));
            }
            Ok(merkle::inclusion_proof(nodes, index, tree_size))
        })
    }

    /// The proof that the tree of `old_size` records is a prefix of the tree of `new_size`
    /// records (RFC 6962 section 2.1.2); check it with
    /// [`verify_consistency`](crate::verify_consistency). Needs `0 < old_size <= new_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, AuditError> {
        self.with_nodes(|nodes, size| {
            if old_size == 0 || old_size > new_size || new_size > size {
                return Err(AuditError::InvalidRange(format!(
                    "no consistency proof from {old_size} to {new_size} (the log has {size})"
                )));
            }
            Ok(merkle::consistency_proof(nodes, old_size, new_size))
        })
    }

    /// Runs `f` over the tree's nodes (and its size), loading the chunks it asks for from
    /// the database until it can answer. The lock is not held while loading.
    fn with_nodes<T>(
        &self,
        f: impl Fn(&merkle::ChunkNodes<'_>, u64) -> Result<Result<T, MissingChunk>, AuditError>,
    ) -> Result<T, AuditError> {
        let mut loaded = HashMap::new();
        loop {
            let MissingChunk(chunk) = {
                let tree = read(&self.shared.tree);
                match f(&tree.nodes(&loaded), tree.size())? {
                    Ok(answer) => return Ok(answer),
                    Err(missing) => missing,
                }
            };
            let leaves = self.shared.db.read_blocking(move |conn| Ok(chunk_leaves(conn, chunk)))??;
            loaded.insert(chunk, leaves);
        }
    }

    /// The key that checks this log's heads, to hand to auditors.
    pub fn public_key(&self) -> PublicKey {
        self.shared.public_key
    }

    /// Reads one stored record back, bytes as stored.
    pub async fn record(&self, index: u64) -> Result<Option<AuditRecord>, AuditError> {
        let Ok(idx) = i64::try_from(index) else {
            return Ok(None);
        };
        let record = self
            .shared
            .db
            .read(move |conn| {
                let row = conn
                    .prepare_cached("SELECT kind, time, record FROM audit_records WHERE idx = ?1")?
                    .query_row([idx], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()?;
                Ok(row.map(|(kind, time, bytes)| AuditRecord { index, kind, time, bytes }))
            })
            .await?;
        Ok(record)
    }
}

/// Writes the appender may have queued and not yet seen committed. More than one lets the
/// records that arrive while a write commits go into the next commit, beside the commands
/// they belong to, instead of waiting for the first to finish.
const MAX_IN_FLIGHT: usize = 8;

/// The single task that numbers and writes records and signs heads, so that indices and
/// heads follow commit order.
///
/// It numbers and hashes each batch after the writes it has queued, and queues the next
/// before those have committed (at most [`MAX_IN_FLIGHT`]); the writer runs them in order.
/// Each write first checks that the stored log ends where the write begins, so a write
/// that failed makes every write queued after it fail too, never leave a gap. Memory
/// (`shared.tree`, the latest head) follows commits in order.
struct Appender {
    shared: Arc<Shared>,
    key: SigningKey,
    policy: HeadPolicy,
    /// The sequence number of the next head to queue.
    next_head_seq: u64,
    /// The tree with the leaves of the queued writes as well: what the next batch is
    /// numbered and hashed after.
    ahead: ChunkedTree,
    /// The size of the newest head, committed or queued, for the count rule.
    head_size_ahead: u64,
    /// Set when a write failed: memory may then disagree with the database (should the
    /// commit have happened after all), so the next write, once nothing is in flight,
    /// reloads what memory lacks first.
    needs_resync: bool,
}

/// A queued batch of records, waiting for its commit.
struct InFlight {
    first: u64,
    leaves: Vec<Hash>,
    head: Option<(SignedHead, DateTime<Utc>, u64)>,
    replies: Vec<Reply<u64>>,
    written: PendingWrite<(), AuditError>,
}

impl Appender {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut in_flight = VecDeque::with_capacity(MAX_IN_FLIGHT);
        let mut open = true;
        while open || !in_flight.is_empty() {
            tokio::select! {
                biased;
                committed = oldest(&mut in_flight), if !in_flight.is_empty() => {
                    let flight = in_flight.pop_front().expect("a write in flight");
                    self.complete(flight, committed);
                }
                first = commands.recv(), if open && in_flight.len() < MAX_IN_FLIGHT => {
                    let Some(first) = first else {
                        open = false;
                        continue;
                    };
                    batch.push(first);
                    while batch.len() < MAX_BATCH {
                        match commands.try_recv() {
                            Ok(command) => batch.push(command),
                            Err(_) => break,
                        }
                    }
                    let mut appends = Vec::new();
                    for command in batch.drain(..) {
                        match command {
                            Command::Append { record, reply } => appends.push((record, reply)),
                            Command::SignHead { now, when, reply } => {
                                // A head covers every append requested before it.
                                self.queue(std::mem::take(&mut appends), &mut in_flight).await;
                                self.drain(&mut in_flight).await;
                                let _ = reply.send(self.sign(now, when).await);
                            }
                        }
                    }
                    self.queue(appends, &mut in_flight).await;
                }
            }
        }
    }

    /// Waits for every queued write, in order.
    async fn drain(&mut self, in_flight: &mut VecDeque<InFlight>) {
        while let Some(mut flight) = in_flight.pop_front() {
            let committed = (&mut flight.written).await;
            self.complete(flight, committed);
        }
    }

    /// Answers the callers of a batch whose commit is known, and moves memory on if it
    /// committed and memory can be trusted.
    fn complete(&mut self, flight: InFlight, committed: Result<Result<(), AuditError>, DbError>) {
        let InFlight { first, leaves, head, replies, .. } = flight;
        match flatten(committed) {
            Ok(()) => {
                // After a failure memory is reloaded from the database, which has this batch.
                if !self.needs_resync {
                    let mut tree = write(&self.shared.tree);
                    leaves.into_iter().for_each(|leaf| {
                        tree.push(leaf);
                    });
                    drop(tree);
                    if let Some((head, now, seq)) = head {
                        self.record_head(head, now, seq);
                    }
                }
                for (index, reply) in (first..).zip(replies) {
                    let _ = reply.send(Ok(index));
                }
            }
            Err(error) => {
                self.needs_resync = true;
                refuse(replies, &error);
            }
        }
    }

    /// Numbers, hashes and queues a batch of records, and the head the count rule calls
    /// for after them in the same write: no extra commit, and an append returns with its
    /// head in place.
    async fn queue(&mut self, appends: Vec<(PreparedRecord, Reply<u64>)>, in_flight: &mut VecDeque<InFlight>) {
        if appends.is_empty() {
            return;
        }
        if self.needs_resync {
            self.drain(in_flight).await;
        }
        let (records, replies): (Vec<_>, Vec<_>) = appends.into_iter().unzip();
        match self.prepare(records).await {
            Ok(mut flight) => {
                flight.replies = replies;
                in_flight.push_back(flight);
            }
            Err(error) => refuse(replies, &error),
        }
    }

    /// The write of `records`, queued; its replies are the caller's to fill in.
    async fn prepare(&mut self, records: Vec<PreparedRecord>) -> Result<InFlight, AuditError> {
        self.resync_if_needed().await?;
        let first = self.ahead.size();
        let mut frontier = self.ahead.frontier();
        let mut rows = Vec::with_capacity(records.len());
        let mut leaves = Vec::with_capacity(records.len());
        for (index, record) in (first..).zip(records) {
            let bytes = record.bytes(index)?;
            let leaf = leaf_hash(&bytes);
            frontier.push(leaf);
            leaves.push(leaf);
            rows.push((sql_index(index)?, record.kind, record.time, bytes, leaf));
        }
        let chunks = self.ahead.chunks_completed_by(&leaves);
        let size = frontier.size();
        let head = if self.due_by_count(size) {
            // The head's time is the clock's: the count rule has no caller-given `now`.
            let now = Utc::now();
            Some((SignedHead::sign(&self.key, size, &frontier.root(), format_time(now)), now, self.next_head_seq))
        } else {
            None
        };
        let head_row = head.as_ref().map(|(head, _, seq)| (head.clone(), *seq));
        let expected_end = sql_index(first)?;
        let written = self
            .shared
            .db
            .queue_write(move |conn| {
                let end: i64 = conn
                    .prepare_cached("SELECT coalesce(max(idx) + 1, 0) FROM audit_records")?
                    .query_row([], |row| row.get(0))?;
                if end != expected_end {
                    return Err(AuditError::Db(DbError(format!(
                        "the audit log ends at record {end}, not at {expected_end} as this write expected: \
                         an earlier write failed"
                    ))));
                }
                let mut insert = conn.prepare_cached(
                    "INSERT INTO audit_records (idx, kind, time, record, leaf_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for (idx, kind, time, bytes, leaf) in &rows {
                    insert.execute(params![idx, kind, time, bytes, &leaf[..]])?;
                }
                insert_chunks(conn, &chunks)?;
                if let Some((head, seq)) = &head_row {
                    insert_head(conn, *seq, head)?;
                }
                Ok::<(), AuditError>(())
            })
            .await;
        let written = match written {
            Ok(written) => written,
            Err(error) => {
                self.needs_resync = true;
                return Err(error.into());
            }
        };
        leaves.iter().for_each(|leaf| {
            self.ahead.push(*leaf);
        });
        if head.is_some() {
            self.next_head_seq += 1;
            self.head_size_ahead = size;
        }
        Ok(InFlight { first, leaves, head, replies: Vec::new(), written })
    }

    /// Signs a head now; only called with nothing in flight, so memory is the database's.
    async fn sign(&mut self, now: DateTime<Utc>, when: Signing) -> Result<Option<SignedHead>, AuditError> {
        self.resync_if_needed().await?;
        let (size, root) = {
            let tree = read(&self.shared.tree);
            (tree.size(), tree.frontier().root())
        };
        if when == Signing::IfDue && !self.due(size, now) {
            return Ok(None);
        }
        let head = SignedHead::sign(&self.key, size, &root, format_time(now));
        let seq = self.next_head_seq;
        let row = head.clone();
        let written = self.shared.db.write(move |conn| insert_head(conn, seq, &row)).await;
        if let Err(error) = flatten(written) {
            self.needs_resync = true;
            return Err(error);
        }
        self.next_head_seq = seq + 1;
        self.head_size_ahead = size;
        self.record_head(head.clone(), now, seq);
        Ok(Some(head))
    }

    /// Makes a committed head the latest.
    fn record_head(&mut self, head: SignedHead, now: DateTime<Utc>, seq: u64) {
        tracing::debug!(tree_size = head.tree_size, seq, "signed an audit tree head");
        *write(&self.shared.latest) = Some(LatestHead { head, signed_at: Some(now), seq });
    }

    /// Whether the policy calls for a head of `size` records at `now`: only when records were
    /// added since the last head, and enough of them or long enough ago.
    fn due(&self, size: u64, now: DateTime<Utc>) -> bool {
        let latest = read(&self.shared.latest);
        let Some(latest) = latest.as_ref() else {
            return size > 0;
        };
        if size <= latest.head.tree_size {
            return false;
        }
        let every = TimeDelta::from_std(self.policy.every).unwrap_or(TimeDelta::MAX);
        let old = latest.signed_at.is_none_or(|signed_at| now.signed_duration_since(signed_at) >= every);
        old || self.due_by_count(size)
    }

    fn due_by_count(&self, size: u64) -> bool {
        self.policy.every_records > 0 && size.saturating_sub(self.head_size_ahead) >= self.policy.every_records
    }

    /// Reloads the tree and the newest head from the database, which may have more than
    /// memory knows after a write reported as failed. Only called with nothing in flight.
    async fn resync_if_needed(&mut self) -> Result<(), AuditError> {
        if !self.needs_resync {
            return Ok(());
        }
        let loaded = self.shared.db.read(|conn| Ok(load(conn))).await??;
        if !loaded.new_chunks.is_empty() {
            let rows = loaded.new_chunks.clone();
            self.shared.db.write(move |conn| insert_chunks(conn, &rows)).await??;
        }
        let known = read(&self.shared.tree).size();
        if loaded.tree.size() != known {
            tracing::warn!(
                n_records = loaded.tree.size().saturating_sub(known),
                "audit records committed despite a reported failure were reloaded"
            );
        }
        self.ahead = loaded.tree.clone();
        *write(&self.shared.tree) = loaded.tree;
        // A head queued with a failed write took a number and a size that the database
        // does not have: both come from what it has.
        self.next_head_seq = loaded.latest.as_ref().map_or(0, |latest| latest.seq + 1);
        self.head_size_ahead = loaded.latest.as_ref().map_or(0, |latest| latest.head.tree_size);
        if let Some(latest) = loaded.latest {
            *write(&self.shared.latest) = Some(latest);
        }
        self.needs_resync = false;
        Ok(())
    }
}

/// Answers the callers of records that were not written.
fn refuse(replies: Vec<Reply<u64>>, error: &AuditError) {
    tracing::error!(%error, n_records = replies.len(), "audit records were not written");
    for reply in replies {
        let _ = reply.send(Err(error.clone()));
    }
}

/// The commit of the oldest write in flight (the caller pops it).
async fn oldest(in_flight: &mut VecDeque<InFlight>) -> Result<Result<(), AuditError>, DbError> {
    match in_flight.front_mut() {
        Some(flight) => (&mut flight.written).await,
        None => std::future::pending().await,
    }
}

/// What [`load`] read.
struct Loaded {
    tree: ChunkedTree,
    /// Chunk roots that were not stored yet (a log from before chunks were kept), computed
    /// from the leaf hashes; the caller stores them.
    new_chunks: Vec<(u64, Hash)>,
    latest: Option<LatestHead>,
    /// The tree's root at the newest head's size, when that size is within the log.
    latest_root: Option<Hash>,
}

/// Reads the tree (chunk roots, then the leaf hashes after the last complete chunk) and the
/// newest head, and computes the root the newest head must have.
fn load(conn: &Connection) -> Result<Loaded, AuditError> {
    let size: i64 = conn.query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_records", [], |r| r.get(0))?;
    let size = u64::try_from(size).map_err(|_| AuditError::Inconsistent("a record has a negative index".into()))?;
    let complete = size / CHUNK_SIZE;
    let mut roots = Vec::new();
    let mut statement = conn.prepare("SELECT chunk, root FROM audit_chunks ORDER BY chunk")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let chunk: i64 = row.get(0)?;
        if u64::try_from(chunk).ok() != Some(roots.len() as u64) || roots.len() as u64 >= complete {
            return Err(AuditError::Inconsistent(format!(
                "the stored chunk {chunk} does not fit a log of {size} records with {} chunks before it",
                roots.len()
            )));
        }
        roots.push(hash_column(row, 1, || format!("chunk {chunk} has a malformed root"))?);
    }
    let mut new_chunks = Vec::new();
    for chunk in roots.len() as u64..complete {
        let root = chunk_leaves(conn, chunk)?.root(CHUNK_SIZE);
        new_chunks.push((chunk, root));
        roots.push(root);
    }
    let tail = leaves_between(conn, complete * CHUNK_SIZE, size)?;
    let tree = ChunkedTree::new(CHUNK_BITS, roots, tail);
    let latest = conn
        .query_row(
            "SELECT seq, tree_size, root_hash, timestamp, signature FROM audit_heads ORDER BY seq DESC LIMIT 1",
            [],
            head_from_row,
        )
        .optional()?
        .map(|(seq, head)| LatestHead {
            signed_at: DateTime::parse_from_rfc3339(&head.timestamp).ok().map(|t| t.with_timezone(&Utc)),
            head,
            seq,
        });
    let latest_root = match &latest {
        Some(latest) if latest.head.tree_size <= size => {
            let mut loaded = HashMap::new();
            Some(loop {
                match merkle::root(&tree.nodes(&loaded), latest.head.tree_size) {
                    Ok(root) => break root,
                    Err(MissingChunk(chunk)) => {
                        loaded.insert(chunk, chunk_leaves(conn, chunk)?);
                    }
                }
            })
        }
        _ => None,
    };
    Ok(Loaded { tree, new_chunks, latest, latest_root })
}

/// The leaf hashes of chunk `chunk`, as a tree.
fn chunk_leaves(conn: &Connection, chunk: u64) -> Result<MerkleTree, AuditError> {
    let leaves = leaves_between(conn, chunk * CHUNK_SIZE, (chunk + 1) * CHUNK_SIZE)?;
    Ok(MerkleTree::of(leaves))
}

/// The stored leaf hashes of records `from..to`, every one of which must be there.
fn leaves_between(conn: &Connection, from: u64, to: u64) -> Result<Vec<Hash>, AuditError> {
    let mut statement =
        conn.prepare_cached("SELECT idx, leaf_hash FROM audit_records WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?;
    let mut rows = statement.query([sql_index(from)?, sql_index(to)?])?;
    let mut leaves = Vec::with_capacity(to.saturating_sub(from) as usize);
    let mut expected = from;
    while let Some(row) = rows.next()? {
        let idx: i64 = row.get(0)?;
        if u64::try_from(idx).ok() != Some(expected) {
            return Err(AuditError::Inconsistent(format!(
                "record {expected} is missing (the next stored record is {idx})"
            )));
        }
        leaves.push(hash_column(row, 1, || format!("record {idx} has a malformed leaf hash"))?);
        expected += 1;
    }
    if expected != to {
        return Err(AuditError::Inconsistent(format!("record {expected} is missing")));
    }
    Ok(leaves)
}

fn hash_column(row: &rusqlite::Row<'_>, column: usize, what: impl Fn() -> String) -> Result<Hash, AuditError> {
    let stored: Vec<u8> = row.get(column)?;
    Hash::try_from(stored.as_slice()).map_err(|_| AuditError::Inconsistent(what()))
}

fn insert_chunks(conn: &Connection, chunks: &[(u64, Hash)]) -> Result<(), AuditError> {
    let mut insert = conn.prepare_cached("INSERT INTO audit_chunks (chunk, root) VALUES (?1, ?2)")?;
    for (chunk, root) in chunks {
        insert.execute(params![sql_index(*chunk)?, &root[..]])?;
    }
    Ok(())
}

/// Every stored head with its sequence number, oldest first.
pub(crate) fn read_heads(conn: &Connection) -> Result<Vec<(u64, SignedHead)>, rusqlite::Error> {
    let mut statement =
        conn.prepare("SELECT seq, tree_size, root_hash, timestamp, signature FROM audit_heads ORDER BY seq")?;
    statement.query_map([], head_from_row)?.collect()
}

fn head_from_row(row: &rusqlite::Row<'_>) -> Result<(u64, SignedHead), rusqlite::Error> {
    let seq: i64 = row.get(0)?;
    let tree_size: i64 = row.get(1)?;
    // A negative number cannot have been written by the log; it maps to a size no tree has,
    // so the head fails its checks instead of aborting the read.
    let head = SignedHead {
        tree_size: u64::try_from(tree_size).unwrap_or(u64::MAX),
        root_hash: row.get(2)?,
        timestamp: row.get(3)?,
        signature: row.get(4)?,
    };
    Ok((u64::try_from(seq).unwrap_or(u64::MAX), head))
}

fn check_newest_head(
    size: u64,
    latest: &LatestHead,
    root: Option<Hash>,
    public_key: &PublicKey,
) -> Result<(), AuditError> {
    let head = &latest.head;
    let seq = latest.seq;
    if !verify_head_signature(head, public_key) {
        return Err(AuditError::Inconsistent(format!(
            "signed head {seq} does not verify with this log's key {public_key}: is the key directory the right one?"
        )));
    }
    if head.tree_size > size {
        return Err(AuditError::Inconsistent(format!(
            "signed head {seq} covers {} records but only {size} are stored",
            head.tree_size
        )));
    }
    if head.root().is_none() || head.root() != root {
        return Err(AuditError::Inconsistent(format!(
            "the stored leaf hashes do not give signed head {seq}'s root at size {}",
            head.tree_size
        )));
    }
    Ok(())
}

fn sql_index(n: u64) -> Result<i64, AuditError> {
    i64::try_from(n).map_err(|_| AuditError::InvalidRange(format!("{n} does not fit in SQLite")))
}

fn insert_head(conn: &Connection, seq: u64, head: &SignedHead) -> Result<(), AuditError> {
    conn.prepare_cached(
        "INSERT INTO audit_heads (seq, tree_size, root_hash, timestamp, signature) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        sql_index(seq)?,
        sql_index(head.tree_size)?,
        head.root_hash,
        head.timestamp,
        head.signature
    ])?;
    Ok(())
}

fn flatten<T>(written: Result<Result<T, AuditError>, DbError>) -> Result<T, AuditError> {
    written?
}

/// Locks for reading. A panic while holding the lock leaves a tree that is still valid up to
/// its last whole push, so a poisoned lock is used as it is.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}
