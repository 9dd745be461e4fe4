//! The audit log against a real SQLite file: tampering of each kind is caught at the right
//! index, proofs check with an RFC 6962 verifier written here from the RFC (not the
//! library's), heads are signed as documented, and the log survives reopening and
//! concurrent appends.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use vigil_audit::{
    AuditError, AuditLog, HeadPolicy, PublicKey, SignedHead, VerifyProgress, VerifyReport, verify, verify_consistency,
    verify_head_signature, verify_inclusion, verify_with_progress,
};
use vigil_store::sqlite::{Db, DbOptions};

type H = [u8; 32];

// ---------------------------------------------------------------------------------------
// An independent RFC 6962 verifier: the tree and proofs rebuilt recursively from the RFC's
// definitions, over leaf hashes this file computes itself from the stored bytes.

fn sha256(parts: &[&[u8]]) -> H {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn rfc_leaf(bytes: &[u8]) -> H {
    sha256(&[&[0], bytes])
}

fn rfc_node(left: &H, right: &H) -> H {
    sha256(&[&[1], left, right])
}

/// The largest power of two strictly below `n`, found by counting up.
fn rfc_split(n: u64) -> u64 {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) of RFC 6962 section 2.1.
fn rfc_root(leaves: &[H]) -> H {
    match leaves.len() {
        0 => sha256(&[]),
        1 => leaves[0],
        n => {
            let k = rfc_split(n as u64) as usize;
            rfc_node(&rfc_root(&leaves[..k]), &rfc_root(&leaves[k..]))
        }
    }
}

/// The root an audit path leads to, following PATH(m, D[n]) of section 2.1.1 backwards:
/// the path's last node is the sibling at the top split.
fn root_from_path(index: u64, size: u64, leaf: &H, proof: &[H]) -> Option<H> {
    if size == 1 {
        return proof.is_empty().then_some(*leaf);
    }
    let (sibling, rest) = proof.split_last()?;
    let k = rfc_split(size);
    if index < k {
        Some(rfc_node(&root_from_path(index, k, leaf, rest)?, sibling))
    } else {
        Some(rfc_node(sibling, &root_from_path(index - k, size - k, leaf, rest)?))
    }
}

fn independent_inclusion(leaf: &H, index: u64, size: u64, proof: &[H], root: &H) -> bool {
    index < size && root_from_path(index, size, leaf, proof) == Some(*root)
}

/// The (old root, new root) a consistency proof leads to, following SUBPROOF(m, D[n], b) of
/// section 2.1.2 backwards. `known` is b: whether the old subtree is the old tree itself,
/// whose root the verifier already has.
fn roots_from_consistency(m: u64, n: u64, known: bool, old_root: &H, proof: &[H]) -> Option<(H, H)> {
    if m == n {
        return match (known, proof) {
            (true, []) => Some((*old_root, *old_root)),
            (false, [node]) => Some((*node, *node)),
            _ => None,
        };
    }
    let (sibling, rest) = proof.split_last()?;
    let k = rfc_split(n);
    if m <= k {
        let (old, new) = roots_from_consistency(m, k, known, old_root, rest)?;
        Some((old, rfc_node(&new, sibling)))
    } else {
        let (old, new) = roots_from_consistency(m - k, n - k, false, old_root, rest)?;
        Some((rfc_node(sibling, &old), rfc_node(sibling, &new)))
    }
}

fn independent_consistency(m: u64, n: u64, old_root: &H, new_root: &H, proof: &[H]) -> bool {
    if m == n {
        return proof.is_empty() && old_root == new_root;
    }
    0 < m && m < n && roots_from_consistency(m, n, true, old_root, proof) == Some((*old_root, *new_root))
}

// ---------------------------------------------------------------------------------------
// Fixtures.

struct Fixture {
    dir: tempfile::TempDir,
    db: Db,
    log: AuditLog,
}

impl Fixture {
    async fn new(policy: HeadPolicy) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let (db, log) = open(dir.path(), policy).await.expect("open the log");
        Fixture { dir, db, log }
    }

    fn db_path(&self) -> PathBuf {
        self.dir.path().join("vigil.db")
    }

    /// A plain connection to the file, as an attacker with file access has.
    fn sqlite(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open sqlite");
        conn.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
        conn
    }

    async fn append_records(&self, n: u64) {
        for _ in 0..n {
            let i = self.log.tree_size();
            let index = self.log.append("command", time(i), &body(i)).await.expect("append");
            assert_eq!(index, i);
        }
    }

    async fn verify(&self, saved_head: Option<&SignedHead>) -> VerifyReport {
        verify(&self.db, &self.log.public_key(), saved_head).await.expect("verification runs")
    }

    /// Leaf hashes computed here from the stored bytes.
    fn stored_leaves(&self) -> Vec<H> {
        let conn = self.sqlite();
        let mut statement = conn.prepare("SELECT record FROM audit_records ORDER BY idx").expect("prepare");
        let rows = statement.query_map([], |row| row.get::<_, Vec<u8>>(0)).expect("query");
        rows.map(|bytes| rfc_leaf(&bytes.expect("row"))).collect()
    }

    fn record_bytes(&self, index: u64) -> Vec<u8> {
        self.sqlite()
            .query_row("SELECT record FROM audit_records WHERE idx = ?1", [index as i64], |row| row.get(0))
            .expect("record")
    }
}

async fn open(dir: &Path, policy: HeadPolicy) -> Result<(Db, AuditLog), AuditError> {
    let db = Db::open(&dir.join("vigil.db"), DbOptions::default())?;
    let log = AuditLog::open(db.clone(), &dir.join("keys"), policy).await?;
    Ok((db, log))
}

fn time(i: u64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_740_000_000 + i as i64, 0).single().expect("valid time")
}

fn body(i: u64) -> serde_json::Value {
    json!({"n": i, "user": format!("user-{i}"), "detail": {"ok": i.is_multiple_of(3)}})
}

/// Heads every 8 records, none by time (the tests drive time).
fn every_8() -> HeadPolicy {
    HeadPolicy { every_records: 8, every: Duration::from_secs(3600) }
}

fn no_auto_heads() -> HeadPolicy {
    HeadPolicy { every_records: 0, every: Duration::from_secs(3600) }
}

fn assert_caught(report: &VerifyReport, first_bad_index: u64) {
    assert!(!report.ok, "tampering went unnoticed: {report:?}");
    assert_eq!(report.first_bad_index, Some(first_bad_index), "{:#?}", report.problems);
}

// ---------------------------------------------------------------------------------------
// Tampering.

#[tokio::test]
async fn an_untouched_log_verifies_against_all_its_heads() {
    let f = Fixture::new(every_8()).await;
    f.append_records(37).await;
    let saved = f.log.sign_head(time(100)).await.expect("sign");
    let report = f.verify(Some(&saved)).await;
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.tree_size, 37);
    assert_eq!(report.heads_checked, 5, "heads at 8, 16, 24, 32 and the one signed by hand");
    assert_eq!(report.root_hash, hex::encode(rfc_root(&f.stored_leaves())));
    assert_eq!(report.first_bad_index, None);
}

#[tokio::test]
async fn flipping_one_byte_of_any_record_is_caught_at_that_record() {
    let f = Fixture::new(every_8()).await;
    f.append_records(37).await;
    let saved = f.log.sign_head(time(100)).await.expect("sign");
    for index in [0, 1, 7, 8, 20, 36] {
        let original = f.record_bytes(index);
        // A different byte each time: in the body, the index, the kind or the time.
        let position = (index as usize * 13) % original.len();
        let mut flipped = original.clone();
        flipped[position] ^= 0x01;
        let conn = f.sqlite();
        conn.execute("UPDATE audit_records SET record = ?1 WHERE idx = ?2", rusqlite::params![flipped, index as i64])
            .expect("tamper");
        assert_caught(&f.verify(Some(&saved)).await, index);

        conn.execute("UPDATE audit_records SET record = ?1 WHERE idx = ?2", rusqlite::params![original, index as i64])
            .expect("restore");
        assert!(f.verify(Some(&saved)).await.ok, "restored record {index} should verify");
    }
}

#[tokio::test]
async fn a_record_rewritten_with_a_matching_leaf_hash_is_caught_by_the_signed_heads() {
    let f = Fixture::new(every_8()).await;
    f.append_records(20).await;
    // A careful attacker keeps the JSON valid, the index right and the leaf hash consistent.
    let forged = String::from_utf8(f.record_bytes(13)).expect("utf-8").replace("user-13", "user-99");
    let conn = f.sqlite();
    conn.execute(
        "UPDATE audit_records SET record = ?1, leaf_hash = ?2 WHERE idx = 13",
        rusqlite::params![forged.as_bytes(), &rfc_leaf(forged.as_bytes())[..]],
    )
    .expect("tamper");
    let report = f.verify(None).await;
    // Only the heads see it: the head at 8 still matches, the head at 16 (seq 1) does not.
    assert_caught(&report, 8);
    assert_eq!(report.first_bad_head, Some(1));
}

#[tokio::test]
async fn deleting_a_record_is_caught_at_its_index() {
    let f = Fixture::new(every_8()).await;
    f.append_records(30).await;
    f.sqlite().execute("DELETE FROM audit_records WHERE idx = 20", []).expect("tamper");
    let report = f.verify(None).await;
    assert_caught(&report, 20);
    assert!(report.problems.iter().any(|p| p.contains("record 20 is missing")), "{:#?}", report.problems);
}

#[tokio::test]
async fn swapping_two_records_is_caught_at_the_first_of_them() {
    let f = Fixture::new(every_8()).await;
    f.append_records(30).await;
    let conn = f.sqlite();
    let row = |idx: i64| -> (String, String, Vec<u8>, Vec<u8>) {
        conn.query_row("SELECT kind, time, record, leaf_hash FROM audit_records WHERE idx = ?1", [idx], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .expect("row")
    };
    let (a, b) = (row(11), row(23));
    let put = |idx: i64, (kind, time, record, leaf): &(String, String, Vec<u8>, Vec<u8>)| {
        conn.execute(
            "UPDATE audit_records SET kind = ?1, time = ?2, record = ?3, leaf_hash = ?4 WHERE idx = ?5",
            rusqlite::params![kind, time, record, leaf, idx],
        )
        .expect("tamper");
    };
    put(11, &b);
    put(23, &a);
    assert_caught(&f.verify(None).await, 11);
}

#[tokio::test]
async fn truncating_the_tail_with_its_heads_is_caught_only_by_a_saved_head() {
    let f = Fixture::new(every_8()).await;
    f.append_records(30).await;
    let saved = f.log.sign_head(time(100)).await.expect("sign");
    let conn = f.sqlite();
    conn.execute("DELETE FROM audit_records WHERE idx >= 21", []).expect("tamper");
    conn.execute("DELETE FROM audit_heads WHERE tree_size > 21", []).expect("tamper");

    // What is left is a consistent, shorter log: the database alone cannot tell.
    let without = f.verify(None).await;
    assert!(without.ok, "{:#?}", without.problems);
    assert_eq!(without.tree_size, 21);

    let with = f.verify(Some(&saved)).await;
    assert_caught(&with, 21);
    assert!(with.problems.iter().any(|p| p.contains("truncated")), "{:#?}", with.problems);
}

#[tokio::test]
async fn deleting_or_editing_a_signed_head_is_caught_at_that_head() {
    let f = Fixture::new(every_8()).await;
    f.append_records(40).await;
    let conn = f.sqlite();
    conn.execute("DELETE FROM audit_heads WHERE seq = 2", []).expect("tamper");
    conn.execute("UPDATE audit_heads SET tree_size = 9 WHERE seq = 3", []).expect("tamper");
    let report = f.verify(None).await;
    assert!(!report.ok);
    assert_eq!(report.first_bad_head, Some(2), "{:#?}", report.problems);
    assert_eq!(report.first_bad_index, None, "the records are intact");
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
}

/// Every kind of tampering (one bit flipped at every byte, a deleted record, two neighbours
/// swapped, the tail truncated with its heads) at every record of a log: all of them caught,
/// at the right record. RELIABILITY.md quotes the count.
#[tokio::test]
async fn every_tampering_of_every_record_is_caught_at_that_record() {
    let f = Fixture::new(every_8()).await;
    f.append_records(24).await;
    let saved = f.log.sign_head(time(100)).await.expect("sign");
    let conn = f.sqlite();
    conn.execute_batch(
        "CREATE TABLE kept_records AS SELECT * FROM audit_records;
         CREATE TABLE kept_heads AS SELECT * FROM audit_heads;",
    )
    .expect("keep a copy");
    let restore = || {
        conn.execute_batch(
            "DELETE FROM audit_records; INSERT INTO audit_records SELECT * FROM kept_records;
             DELETE FROM audit_heads; INSERT INTO audit_heads SELECT * FROM kept_heads;",
        )
        .expect("restore")
    };
    let (mut tampered, mut caught) = (0, 0);
    let mut check = |report: VerifyReport, index: u64, what: &str| {
        tampered += 1;
        assert!(!report.ok, "{what} at record {index} went unnoticed");
        assert_eq!(report.first_bad_index, Some(index), "{what}: {:#?}", report.problems);
        caught += 1;
    };
    for index in 0..24u64 {
        let original = f.record_bytes(index);
        for position in 0..original.len() {
            let mut flipped = original.clone();
            flipped[position] ^= 1 << (position % 8);
            conn.execute(
                "UPDATE audit_records SET record = ?1 WHERE idx = ?2",
                rusqlite::params![flipped, index as i64],
            )
            .expect("flip");
            check(f.verify(Some(&saved)).await, index, "a flipped bit");
        }
        restore();

        conn.execute("DELETE FROM audit_records WHERE idx = ?1", [index as i64]).expect("delete");
        check(f.verify(Some(&saved)).await, index, "a deleted record");
        restore();

        if index < 23 {
            conn.execute_batch(&format!(
                "UPDATE audit_records SET idx = -1 WHERE idx = {index};
                 UPDATE audit_records SET idx = {index} WHERE idx = {next};
                 UPDATE audit_records SET idx = {next} WHERE idx = -1;",
                next = index + 1
            ))
            .expect("swap");
            check(f.verify(Some(&saved)).await, index, "two records swapped");
            restore();
        }

        conn.execute("DELETE FROM audit_records WHERE idx >= ?1", [index as i64]).expect("truncate");
        conn.execute("DELETE FROM audit_heads WHERE tree_size > ?1", [index as i64]).expect("truncate heads");
        check(f.verify(Some(&saved)).await, index, "a truncated tail");
        restore();
    }
    assert!(f.verify(Some(&saved)).await.ok, "the restored log verifies");
    println!("{caught} of {tampered} tamperings caught at their record");
    assert_eq!(caught, tampered);
    assert!(tampered > 1_000, "only {tampered} tamperings tried");
}

#[tokio::test]
async fn reopening_a_truncated_log_is_refused() {
    let f = Fixture::new(every_8()).await;
    f.append_records(20).await;
    f.sqlite().execute("DELETE FROM audit_records WHERE idx >= 12", []).expect("tamper");
    let reopened = AuditLog::open(f.db.clone(), &f.dir.path().join("keys"), every_8()).await;
    assert!(matches!(reopened, Err(AuditError::Inconsistent(_))), "{:?}", reopened.err());
}

// ---------------------------------------------------------------------------------------
// Proofs.

#[tokio::test]
async fn proofs_check_with_an_independent_verifier_for_every_size() {
    let f = Fixture::new(no_auto_heads()).await;
    f.append_records(70).await;
    let leaves = f.stored_leaves();
    assert_eq!(leaves.len(), 70);
    let roots: Vec<H> = (0..=70).map(|n| rfc_root(&leaves[..n])).collect();
    for (n, root) in roots.iter().enumerate() {
        assert_eq!(f.log.root_hash(n as u64).expect("root"), *root, "root at {n}");
    }

    for size in 1..=70u64 {
        let root = roots[size as usize];
        for index in 0..size {
            let leaf = leaves[index as usize];
            let proof = f.log.inclusion_proof(index, size).expect("inclusion proof");
            assert!(independent_inclusion(&leaf, index, size, &proof, &root), "inclusion ({index}, {size})");
            assert!(verify_inclusion(&leaf, index, size, &proof, &root), "library, inclusion ({index}, {size})");
            if let Some(first) = proof.first() {
                let mut bad = proof.clone();
                bad[0] = rfc_node(first, first);
                assert!(!independent_inclusion(&leaf, index, size, &bad, &root));
                assert!(!verify_inclusion(&leaf, index, size, &bad, &root), "({index}, {size}) altered");
            }
        }
        for old in 1..=size {
            let proof = f.log.consistency_proof(old, size).expect("consistency proof");
            let (old_root, new_root) = (roots[old as usize], root);
            assert!(independent_consistency(old, size, &old_root, &new_root, &proof), "consistency ({old}, {size})");
            assert!(verify_consistency(old, size, &old_root, &new_root, &proof), "library, ({old}, {size})");
            if old < size {
                let wrong_old = roots[old as usize - 1];
                assert!(!independent_consistency(old, size, &wrong_old, &new_root, &proof));
                assert!(!verify_consistency(old, size, &wrong_old, &new_root, &proof), "({old}, {size}) wrong root");
            }
        }
    }
}

#[tokio::test]
async fn proofs_for_sizes_the_log_does_not_have_are_refused() {
    let f = Fixture::new(no_auto_heads()).await;
    f.append_records(5).await;
    assert!(f.log.inclusion_proof(5, 5).is_err());
    assert!(f.log.inclusion_proof(0, 6).is_err());
    assert!(f.log.consistency_proof(0, 5).is_err());
    assert!(f.log.consistency_proof(4, 3).is_err());
    assert!(f.log.consistency_proof(3, 6).is_err());
    assert!(f.log.root_hash(6).is_err());
}

/// More records than a chunk: roots and proofs reaching into complete chunks (read back
/// from the database) agree with an independent verifier, across a reopen, and a log whose
/// chunk roots were never stored (written before they were) gets them at open.
#[tokio::test]
async fn proofs_reach_into_stored_chunks_and_survive_a_reopen() {
    let chunk = vigil_audit::CHUNK_SIZE;
    let n = 2 * chunk + chunk / 2 + 3;
    let f = Fixture::new(HeadPolicy { every_records: 700, every: Duration::from_secs(3600) }).await;
    let mut last = None;
    for i in 0..n {
        last = Some(f.log.enqueue("command", time(i), &body(i)).await.expect("enqueue"));
    }
    assert_eq!(last.expect("appended").committed().await.expect("commit"), n - 1);
    let head = f.log.sign_head(time(n)).await.expect("sign");
    let leaves = f.stored_leaves();
    let stored_chunks: i64 =
        f.sqlite().query_row("SELECT COUNT(*) FROM audit_chunks", [], |r| r.get(0)).expect("chunks");
    assert_eq!(stored_chunks, 2);

    let sizes = [1, 5, chunk - 1, chunk, chunk + 1, 2 * chunk - 7, 2 * chunk, 2 * chunk + 1, n - 1, n];
    let check = |log: &AuditLog| {
        for &size in &sizes {
            let root = rfc_root(&leaves[..size as usize]);
            assert_eq!(log.root_hash(size).expect("root"), root, "root at {size}");
            for index in [0, 3, chunk - 1, chunk, chunk + 17, 2 * chunk + 1, n - 1].into_iter().filter(|i| *i < size) {
                let proof = log.inclusion_proof(index, size).expect("inclusion proof");
                assert!(
                    independent_inclusion(&leaves[index as usize], index, size, &proof, &root),
                    "({index}, {size})"
                );
            }
            for &old in sizes.iter().filter(|old| **old <= size) {
                let proof = log.consistency_proof(old, size).expect("consistency proof");
                let old_root = rfc_root(&leaves[..old as usize]);
                assert!(independent_consistency(old, size, &old_root, &root, &proof), "({old}, {size})");
            }
        }
    };
    check(&f.log);
    let report = f.verify(Some(&head)).await;
    assert!(report.ok, "{:#?}", report.problems);

    // Reopened, and reopened after losing the chunk roots (as a log from before they were
    // stored); each time a record is added and taken away again.
    let sqlite = f.sqlite();
    let Fixture { dir, db, log } = f;
    drop(log);
    for forget_chunks in [false, true] {
        if forget_chunks {
            sqlite.execute("DELETE FROM audit_chunks", []).expect("forget the chunks");
        }
        let log = AuditLog::open(db.clone(), &dir.path().join("keys"), no_auto_heads()).await.expect("reopen");
        assert_eq!(log.tree_size(), n);
        check(&log);
        assert_eq!(log.append("command", time(n), &body(n)).await.expect("append"), n);
        sqlite.execute("DELETE FROM audit_records WHERE idx = ?1", [n as i64]).expect("take it away");
    }
    let stored_chunks: i64 = sqlite.query_row("SELECT COUNT(*) FROM audit_chunks", [], |r| r.get(0)).expect("chunks");
    assert_eq!(stored_chunks, 2, "computed again at open");
}

#[tokio::test]
async fn a_rewritten_chunk_root_is_caught_at_open_and_by_verification() {
    let chunk = vigil_audit::CHUNK_SIZE;
    let f = Fixture::new(no_auto_heads()).await;
    let mut last = None;
    for i in 0..chunk + 10 {
        last = Some(f.log.enqueue("command", time(i), &body(i)).await.expect("enqueue"));
    }
    last.expect("appended").committed().await.expect("commit");
    f.log.sign_head(time(chunk + 10)).await.expect("sign");
    f.sqlite().execute("UPDATE audit_chunks SET root = zeroblob(32) WHERE chunk = 0", []).expect("tamper");
    let report = f.verify(None).await;
    assert!(!report.ok && report.problems[0].contains("chunk 0"), "{:#?}", report.problems);
    assert_eq!(report.first_bad_index, None, "the records are intact");
    let reopened = AuditLog::open(f.db.clone(), &f.dir.path().join("keys"), no_auto_heads()).await;
    assert!(matches!(reopened, Err(AuditError::Inconsistent(_))), "{:?}", reopened.err());
}

// ---------------------------------------------------------------------------------------
// Heads and keys.

#[tokio::test]
async fn a_head_verifies_as_documented_and_a_modified_one_does_not() {
    let f = Fixture::new(no_auto_heads()).await;
    f.append_records(11).await;
    let head = f.log.sign_head(time(50)).await.expect("sign");
    assert_eq!(head.tree_size, 11);
    assert_eq!(head.root_hash, hex::encode(rfc_root(&f.stored_leaves())));
    assert_eq!(f.log.latest_head(), Some(head.clone()));
    let public_key = f.log.public_key();
    assert!(verify_head_signature(&head, &public_key));

    // The documented message, checked with ed25519-dalek directly.
    let message = format!("vigil-audit-sth-v1\n{}\n{}\n{}", head.tree_size, head.root_hash, head.timestamp);
    let key = ed25519_dalek::VerifyingKey::from_bytes(&public_key.to_bytes()).expect("key");
    let signature: [u8; 64] = hex::decode(&head.signature).expect("hex").try_into().expect("64 bytes");
    key.verify_strict(message.as_bytes(), &ed25519_dalek::Signature::from_bytes(&signature))
        .expect("the documented message is what is signed");

    let modified = [
        SignedHead { tree_size: 10, ..head.clone() },
        SignedHead { root_hash: hex::encode(rfc_root(&f.stored_leaves()[..10])), ..head.clone() },
        SignedHead { timestamp: "2030-01-01T00:00:00Z".into(), ..head.clone() },
    ];
    for head in &modified {
        assert!(!verify_head_signature(head, &public_key), "{head:?}");
    }
    let report = f.verify(Some(&modified[0])).await;
    assert!(!report.ok && report.problems[0].contains("saved head"), "{:#?}", report.problems);

    let round_trip: SignedHead = serde_json::from_str(&serde_json::to_string(&head).expect("json")).expect("json");
    assert!(verify_head_signature(&round_trip, &public_key));
}

#[tokio::test]
async fn the_key_and_the_tree_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, log) = open(dir.path(), no_auto_heads()).await.expect("open");
    for i in 0..10 {
        log.append("event", time(i), &body(i)).await.expect("append");
    }
    let head = log.sign_head(time(10)).await.expect("sign");
    let public_key = log.public_key();
    drop((db, log));

    let key_file = dir.path().join("keys").join(vigil_audit::KEY_FILE_NAME);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).expect("key file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let (db, log) = open(dir.path(), no_auto_heads()).await.expect("reopen");
    assert_eq!(log.public_key(), public_key);
    assert_eq!(log.tree_size(), 10);
    assert_eq!(log.latest_head(), Some(head.clone()));
    for i in 10..15 {
        assert_eq!(log.append("event", time(i), &body(i)).await.expect("append"), i);
    }
    let new_head = log.sign_head(time(20)).await.expect("sign");
    let proof = log.consistency_proof(10, 15).expect("proof");
    let (old_root, new_root) = (head.root().expect("root"), new_head.root().expect("root"));
    assert!(independent_consistency(10, 15, &old_root, &new_root, &proof));
    assert_eq!(log.heads().await.expect("heads"), vec![head.clone(), new_head]);
    let report = verify(&db, &public_key, Some(&head)).await.expect("verify");
    assert!(report.ok, "{:#?}", report.problems);

    // The exported key reads back in both forms.
    assert_eq!(public_key.to_pem().parse::<PublicKey>().expect("pem"), public_key);
    assert_eq!(public_key.to_hex().parse::<PublicKey>().expect("hex"), public_key);
}

#[tokio::test]
async fn heads_follow_the_policy() {
    let f = Fixture::new(HeadPolicy { every_records: 5, every: Duration::from_secs(60) }).await;
    assert_eq!(f.log.maybe_sign_head(time(0)).await.expect("maybe"), None, "nothing to sign yet");
    f.append_records(4).await;
    assert_eq!(f.log.latest_head(), None);
    f.append_records(1).await;
    assert_eq!(f.log.latest_head().map(|head| head.tree_size), Some(5), "signed by count");

    f.append_records(1).await;
    let signed_at = chrono::DateTime::parse_from_rfc3339(&f.log.latest_head().expect("head").timestamp)
        .expect("rfc 3339")
        .with_timezone(&Utc);
    let soon = signed_at + chrono::TimeDelta::seconds(10);
    assert_eq!(f.log.maybe_sign_head(soon).await.expect("maybe"), None, "not old enough");
    let later = signed_at + chrono::TimeDelta::seconds(61);
    let head = f.log.maybe_sign_head(later).await.expect("maybe").expect("signed by time");
    assert_eq!(head.tree_size, 6);
    let much_later = later + chrono::TimeDelta::seconds(600);
    assert_eq!(f.log.maybe_sign_head(much_later).await.expect("maybe"), None, "no new records");
}

#[tokio::test]
async fn a_failed_append_takes_no_index() {
    let f = Fixture::new(no_auto_heads()).await;
    f.append_records(5).await;
    let conn = f.sqlite();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'refused'); END;",
    )
    .expect("trigger");
    let failed = f.log.append("command", time(5), &body(5)).await;
    assert!(matches!(failed, Err(AuditError::Db(_))), "{failed:?}");
    assert_eq!(f.log.tree_size(), 5);

    conn.execute_batch("DROP TRIGGER refuse").expect("drop trigger");
    assert_eq!(f.log.append("command", time(5), &body(5)).await.expect("append"), 5);
    let report = f.verify(None).await;
    assert!(report.ok && report.tree_size == 6, "{report:#?}");
}

// ---------------------------------------------------------------------------------------
// Concurrency and progress.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_from_16_tasks_get_every_index_once() {
    const PER_TASK: u64 = 50;
    let f = Fixture::new(every_8()).await;
    let tasks: Vec<_> = (0..16u64)
        .map(|task| {
            let log = f.log.clone();
            tokio::spawn(async move {
                let mut indices = Vec::new();
                for i in 0..PER_TASK {
                    let body = json!({"task": task, "i": i});
                    indices.push(log.append("action", time(i), &body).await.expect("append"));
                }
                indices
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        let indices = task.await.expect("task");
        assert!(indices.windows(2).all(|w| w[0] < w[1]), "one task's appends keep their order");
        all.extend(indices);
    }
    all.sort_unstable();
    assert_eq!(all, (0..16 * PER_TASK).collect::<Vec<_>>());
    assert_eq!(f.log.tree_size(), 16 * PER_TASK);
    let report = f.verify(None).await;
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.tree_size, 16 * PER_TASK);
    // A batch can carry the log past several multiples of 8 at once, and gets one head.
    assert!((1..=16 * PER_TASK / 8).contains(&report.heads_checked), "{}", report.heads_checked);
}

#[tokio::test]
async fn verification_reports_progress_up_to_the_total() {
    let f = Fixture::new(no_auto_heads()).await;
    f.append_records(9).await;
    let seen: Arc<Mutex<Vec<VerifyProgress>>> = Arc::default();
    let sink = seen.clone();
    let report = verify_with_progress(&f.db, &f.log.public_key(), None, move |p| {
        sink.lock().expect("lock").push(p);
    })
    .await
    .expect("verify");
    assert!(report.ok);
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.first(), Some(&VerifyProgress { checked: 0, total: 9 }));
    assert_eq!(seen.last(), Some(&VerifyProgress { checked: 9, total: 9 }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_fails_the_writes_queued_after_it_and_leaves_no_gap() {
    let f = Fixture::new(every_8()).await;
    f.sqlite()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit_records WHEN NEW.idx = 7
             BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .expect("trigger");
    // Handed over one by one, so the appender queues several writes before the first commits.
    let mut pending = Vec::new();
    for i in 0..200u64 {
        pending.push(f.log.enqueue("action", time(i), &body(i)).await.expect("enqueue"));
        tokio::task::yield_now().await;
    }
    let mut outcomes = Vec::new();
    for p in pending {
        outcomes.push(p.committed().await);
    }
    let committed: Vec<u64> = outcomes.iter().filter_map(|o| o.as_ref().ok().copied()).collect();
    assert_eq!(committed, (0..committed.len() as u64).collect::<Vec<_>>(), "committed indices have no gap");
    assert!(committed.len() < 8, "record 7 was refused, so nothing from it on was committed: {committed:?}");
    let first_failed = outcomes.iter().position(|o| o.is_err()).expect("a failure");
    assert!(outcomes[first_failed..].iter().all(|o| o.is_err()), "every record after a failed one failed too");

    f.sqlite().execute_batch("DROP TRIGGER refuse").expect("drop trigger");
    let next = f.log.append("command", time(300), &body(300)).await.expect("append after the failure");
    assert_eq!(next, committed.len() as u64);
    let report = f.verify(None).await;
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.tree_size, next + 1);
}

#[tokio::test]
async fn a_failed_first_head_is_signed_again_by_the_count_rule() {
    let f = Fixture::new(HeadPolicy { every_records: 5, every: Duration::from_secs(60) }).await;
    f.append_records(4).await;
    let conn = f.sqlite();
    conn.execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON audit_heads BEGIN SELECT RAISE(ABORT, 'refused'); END;")
        .expect("trigger");
    // The fifth record brings the count rule's head, in the same write: both fail.
    assert!(f.log.append("command", time(4), &body(4)).await.is_err());
    conn.execute_batch("DROP TRIGGER refuse").expect("drop trigger");

    f.append_records(5).await;
    let head = f.log.latest_head().expect("the count rule signs once five records are past the last head");
    assert_eq!(head.tree_size, 5);
    let report = f.verify(None).await;
    assert!(report.ok && report.heads_checked == 1, "{report:#?}");
}
