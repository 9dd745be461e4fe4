//! Full verification: the tree recomputed from the stored bytes against every signed head.

use rusqlite::{Connection, OptionalExtension};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use crate::AuditError;
use crate::head::{PublicKey, SignedHead, verify_head_signature};
use crate::log::{CHUNK_SIZE, read_heads};
use crate::merkle::{Frontier, Hash, empty_root, leaf_hash};
use crate::record::claimed_fields;

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// No problem was found.
    pub ok: bool,
    /// How many records are stored.
    pub tree_size: u64,
    /// The root recomputed from the stored records, lowercase hex.
    pub root_hash: String,
    /// How many stored signed heads were checked.
    pub heads_checked: u64,
    /// The first record index shown to be bad.
    ///
    /// Exact when a record shows it itself (its bytes no longer match its leaf hash, a row
    /// is missing, a record sits at another index than it was written for), or when the log
    /// is shorter than a head. When only a signed head's root disagrees (a record and its
    /// leaf hash were both rewritten to match), it is the size of the last head that still
    /// matched: the change lies between that head and the first one that fails.
    pub first_bad_index: Option<u64>,
    /// The sequence number of the first stored head that failed (bad signature, missing,
    /// root not matching, beyond the end of the log).
    pub first_bad_head: Option<u64>,
    /// Every problem, one sentence each, the first [`MAX_PROBLEMS`] of them.
    pub problems: Vec<String>,
}

/// How far [`verify_with_progress`] has got, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyProgress {
    /// Records checked so far.
    pub checked: u64,
    /// Records stored when verification started.
    pub total: u64,
}

/// Problems listed in a report at most; a damaged log could otherwise yield one per record.
pub const MAX_PROBLEMS: usize = 100;

/// Recomputes the tree from the stored record bytes and checks it against every stored
/// signed head and against `saved_head`, a head kept outside the database.
///
/// Nothing stored is trusted: leaf hashes are recomputed from the bytes, each head's
/// signature is checked with `public_key` (which must come from outside the database too),
/// and the log must still reach `saved_head`'s size with the same root, so truncating the
/// log together with its heads is caught. Records and heads are read in one snapshot.
pub async fn verify(
    db: &Db,
    public_key: &PublicKey,
    saved_head: Option<&SignedHead>,
) -> Result<VerifyReport, AuditError> {
    verify_with_progress(db, public_key, saved_head, |_| {}).await
}

/// [`verify`], calling `progress` every few thousand records and once at the end.
pub async fn verify_with_progress(
    db: &Db,
    public_key: &PublicKey,
    saved_head: Option<&SignedHead>,
    mut progress: impl FnMut(VerifyProgress) + Send + 'static,
) -> Result<VerifyReport, AuditError> {
    let public_key = *public_key;
    let saved_head = saved_head.cloned();
    let report = db.read(move |conn| verify_connection(conn, &public_key, saved_head.as_ref(), &mut progress)).await?;
    Ok(report)
}

/// Records between two progress calls.
const PROGRESS_EVERY: u64 = 4096;

/// Where a root to check against came from.
#[derive(Clone, Copy, Debug)]
enum Source {
    Stored { seq: u64 },
    Saved,
}

impl Source {
    fn describe(self) -> String {
        match self {
            Source::Stored { seq } => format!("signed head {seq}"),
            Source::Saved => "the saved head".to_owned(),
        }
    }
}

struct Checkpoint {
    source: Source,
    size: u64,
    root: Hash,
    /// `Some(true)` once its root matched the recomputed one, `Some(false)` if it did not,
    /// `None` if the log never reached its size.
    matched: Option<bool>,
}

#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    n_more: usize,
    first_bad_index: Option<u64>,
    first_bad_head: Option<u64>,
}

impl Findings {
    fn problem(&mut self, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(message);
        } else {
            self.n_more += 1;
        }
    }

    fn bad_index(&mut self, index: u64) {
        self.first_bad_index = Some(self.first_bad_index.map_or(index, |first| first.min(index)));
    }

    fn bad_head(&mut self, source: Source) {
        if let Source::Stored { seq } = source {
            self.first_bad_head = Some(self.first_bad_head.map_or(seq, |first| first.min(seq)));
        }
    }
}

fn verify_connection(
    conn: &Connection,
    public_key: &PublicKey,
    saved_head: Option<&SignedHead>,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<VerifyReport, DbError> {
    // One read transaction: appends going on meanwhile are not half seen.
    let snapshot = conn.unchecked_transaction()?;
    let mut findings = Findings::default();

    let heads = if table_exists(conn, "audit_heads")? {
        read_heads(conn)?
    } else {
        findings.problem("the table audit_heads is missing".into());
        Vec::new()
    };
    let mut checkpoints = check_heads(&heads, public_key, &mut findings);
    if let Some(head) = saved_head {
        if !verify_head_signature(head, public_key) {
            findings.problem(format!("the saved head does not verify with public key {public_key}"));
        } else if let Some(root) = head.root() {
            checkpoints.push(Checkpoint { source: Source::Saved, size: head.tree_size, root, matched: None });
        }
    }
    checkpoints.sort_by_key(|checkpoint| checkpoint.size);

    let frontier = if table_exists(conn, "audit_records")? {
        check_records(conn, &mut checkpoints, &mut findings, progress)?
    } else {
        findings.problem("the table audit_records is missing".into());
        findings.bad_index(0);
        let frontier = Frontier::default();
        check_due_checkpoints(&frontier, &mut checkpoints);
        frontier
    };
    drop(snapshot);

    judge_checkpoints(&checkpoints, frontier.size(), &mut findings);
    if findings.n_more > 0 {
        findings.problems.push(format!("… and {} more problems", findings.n_more));
    }
    Ok(VerifyReport {
        ok: findings.problems.is_empty(),
        tree_size: frontier.size(),
        root_hash: hex::encode(frontier.root()),
        heads_checked: heads.len() as u64,
        first_bad_index: findings.first_bad_index,
        first_bad_head: findings.first_bad_head,
        problems: findings.problems,
    })
}

/// Checks the heads on their own (numbering, signatures, growth) and returns those whose
/// signature holds, to be compared with the recomputed tree.
fn check_heads(heads: &[(u64, SignedHead)], public_key: &PublicKey, findings: &mut Findings) -> Vec<Checkpoint> {
    let mut checkpoints = Vec::with_capacity(heads.len());
    let mut expected_seq = 0u64;
    let mut last_size: Option<u64> = None;
    for (seq, head) in heads {
        let source = Source::Stored { seq: *seq };
        if *seq != expected_seq {
            findings.problem(format!("signed head {expected_seq} is missing (the next stored head is {seq})"));
            findings.bad_head(Source::Stored { seq: expected_seq });
        }
        expected_seq = seq.saturating_add(1);
        if !verify_head_signature(head, public_key) {
            findings.problem(format!("signed head {seq}: the signature does not verify with public key {public_key}"));
            findings.bad_head(source);
            continue;
        }
        if let Some(last) = last_size
            && head.tree_size < last
        {
            findings.problem(format!(
                "signed head {seq} covers {} records, fewer than the {last} of the head before it",
                head.tree_size
            ));
            findings.bad_head(source);
        }
        last_size = Some(head.tree_size);
        if let Some(root) = head.root() {
            checkpoints.push(Checkpoint { source, size: head.tree_size, root, matched: None });
        }
    }
    checkpoints
}

/// Re-hashes every stored record in index order, checking each row on its own and every
/// checkpoint whose size is reached. Returns the recomputed tree's frontier.
fn check_records(
    conn: &Connection,
    checkpoints: &mut [Checkpoint],
    findings: &mut Findings,
    progress: &mut dyn FnMut(VerifyProgress),
) -> Result<Frontier, DbError> {
    let total: i64 = conn.query_row("SELECT count(*) FROM audit_records", [], |row| row.get(0))?;
    let total = u64::try_from(total).unwrap_or(0);
    progress(VerifyProgress { checked: 0, total });
    let mut frontier = Frontier::default();
    check_due_checkpoints(&frontier, checkpoints);

    let mut chunks = ChunkCheck::read(conn)?;

    let mut statement = conn.prepare("SELECT idx, kind, time, record, leaf_hash FROM audit_records ORDER BY idx")?;
    let mut rows = statement.query([])?;
    let mut expected = 0u64;
    while let Some(row) = rows.next()? {
        let idx: i64 = row.get(0)?;
        let Ok(index) = u64::try_from(idx) else {
            findings.problem(format!("a record has the negative index {idx}"));
            findings.bad_index(0);
            continue;
        };
        if index != expected {
            let missing = if index == expected + 1 {
                format!("record {expected} is missing")
            } else {
                format!("records {expected} to {} are missing", index - 1)
            };
            findings.problem(missing);
            findings.bad_index(expected);
        }
        expected = index.saturating_add(1);

        let bytes = blob(row, 3)?;
        let leaf = leaf_hash(&bytes);
        if blob(row, 4)? != leaf {
            findings.problem(format!(
                "record {index}: its bytes do not hash to its stored leaf hash (the record was changed)"
            ));
            findings.bad_index(index);
        }
        let kind: Option<String> = row.get(1).ok();
        let time: Option<String> = row.get(2).ok();
        match claimed_fields(&bytes) {
            Err(e) => {
                findings.problem(format!("record {index}: its bytes are not JSON ({e})"));
                findings.bad_index(index);
            }
            Ok(claimed) => {
                if claimed.index != Some(index) {
                    let claimed_index = claimed.index.map_or("no index".to_owned(), |i| format!("index {i}"));
                    findings.problem(format!("record {index}: its bytes say {claimed_index} (records were moved)"));
                    findings.bad_index(index);
                }
                if claimed.kind != kind || claimed.time != time {
                    findings.problem(format!("record {index}: its kind or time column differs from its bytes"));
                    findings.bad_index(index);
                }
            }
        }

        frontier.push(leaf);
        chunks.push(leaf, findings);
        check_due_checkpoints(&frontier, checkpoints);
        if frontier.size() % PROGRESS_EVERY == 0 {
            progress(VerifyProgress { checked: frontier.size(), total });
        }
    }
    chunks.finish(findings);
    progress(VerifyProgress { checked: frontier.size(), total: total.max(frontier.size()) });
    Ok(frontier)
}

/// The stored chunk roots (a cache the log opens and proves from) compared with the roots
/// of the recomputed chunks. A wrong one leaves the records intact but would make the log
/// refuse to open or serve wrong proofs, so it is a problem too.
struct ChunkCheck {
    stored: Vec<(i64, Vec<u8>)>,
    next: usize,
    current: Frontier,
    chunk: u64,
}

impl ChunkCheck {
    fn read(conn: &Connection) -> Result<ChunkCheck, DbError> {
        let stored = if table_exists(conn, "audit_chunks")? {
            let mut statement = conn.prepare("SELECT chunk, root FROM audit_chunks ORDER BY chunk")?;
            statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        Ok(ChunkCheck { stored, next: 0, current: Frontier::default(), chunk: 0 })
    }

    fn push(&mut self, leaf: Hash, findings: &mut Findings) {
        self.current.push(leaf);
        if self.current.size() < CHUNK_SIZE {
            return;
        }
        let root = std::mem::take(&mut self.current).root();
        if let Some((chunk, stored)) = self.stored.get(self.next)
            && u64::try_from(*chunk).ok() == Some(self.chunk)
        {
            if stored[..] != root[..] {
                findings.problem(format!("the stored root of chunk {chunk} does not match its records"));
            }
            self.next += 1;
        }
        self.chunk += 1;
    }

    fn finish(&self, findings: &mut Findings) {
        for (chunk, _) in &self.stored[self.next..] {
            findings.problem(format!("chunk {chunk} is stored but its records are not all there"));
        }
    }
}

/// Compares every checkpoint of exactly the frontier's size with its root. Checkpoints are
/// sorted by size and the frontier grows one leaf at a time, so each is met once.
fn check_due_checkpoints(frontier: &Frontier, checkpoints: &mut [Checkpoint]) {
    let size = frontier.size();
    let start = checkpoints.partition_point(|checkpoint| checkpoint.size < size);
    let mut root: Option<Hash> = None;
    for checkpoint in checkpoints[start..].iter_mut().take_while(|checkpoint| checkpoint.size == size) {
        let root = *root.get_or_insert_with(|| if size == 0 { empty_root() } else { frontier.root() });
        checkpoint.matched = Some(checkpoint.root == root);
    }
}

/// Turns the checkpoint outcomes into problems. A bad root is put down to the first record
/// already shown bad if there is one below its size; otherwise to the records after the
/// last checkpoint that still matched, the closest the heads can tell.
fn judge_checkpoints(checkpoints: &[Checkpoint], n_records: u64, findings: &mut Findings) {
    let first_bad_record = findings.first_bad_index;
    for checkpoint in checkpoints {
        let what = checkpoint.source.describe();
        match checkpoint.matched {
            Some(true) => {}
            Some(false) => {
                let last_good = checkpoints
                    .iter()
                    .filter(|other| other.matched == Some(true) && other.size < checkpoint.size)
                    .map(|other| other.size)
                    .max()
                    .unwrap_or(0);
                findings.problem(format!(
                    "{what} (size {}): its root does not match the stored records; \
                     records {last_good} to {} were changed, removed or reordered",
                    checkpoint.size,
                    checkpoint.size - 1
                ));
                match first_bad_record {
                    Some(index) if index < checkpoint.size => findings.bad_index(index),
                    _ => findings.bad_index(last_good),
                }
                findings.bad_head(checkpoint.source);
            }
            None => {
                findings.problem(format!(
                    "{what} covers {} records but only {n_records} are stored: the log was truncated",
                    checkpoint.size
                ));
                findings.bad_index(n_records);
                findings.bad_head(checkpoint.source);
            }
        }
    }
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, DbError> {
    let found = conn
        .query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", [name], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

/// A column read as bytes whatever its storage class, so a value rewritten as text or a
/// number is checked (and fails) instead of aborting the pass.
fn blob(row: &rusqlite::Row<'_>, column: usize) -> Result<Vec<u8>, DbError> {
    use rusqlite::types::ValueRef;
    Ok(match row.get_ref(column)? {
        ValueRef::Null => Vec::new(),
        ValueRef::Integer(n) => n.to_string().into_bytes(),
        ValueRef::Real(x) => x.to_string().into_bytes(),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes.to_vec(),
    })
}
