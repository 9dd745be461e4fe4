//! Vigil's tamper-evident audit log.
//!
//! Every command, event, action, policy change and authentication failure worth auditing
//! is appended as a record: a `kind`, a time and a JSON body, stored as canonical bytes.
//! The records are the leaves of an append-only Merkle tree hashed as in RFC 6962, and the
//! log regularly signs the tree's size and root with an Ed25519 key ([`SignedHead`]).
//!
//! That makes tampering evident rather than impossible: whoever can write the database can
//! still change it, but cannot make the change agree with heads signed before it without
//! the key. [`verify`] recomputes the tree from the stored bytes and checks every stored
//! head, plus a head saved elsewhere, which is what catches a log truncated together with
//! its heads. Inclusion and consistency proofs let a third party check one record, or that
//! the log only grew, from hashes alone ([`verify_inclusion`], [`verify_consistency`]).
//!
//! Design:
//! - [`AuditLog`] persists through [`vigil_store::Db`]: one appender task numbers records and
//!   writes every waiting append in one `Db::write`, so indices follow commit order without
//!   a commit per record.
//! - The tree is cut into chunks of [`CHUNK_SIZE`] records whose roots are stored; memory
//!   holds the tree over those roots and the last chunk's leaves, so opening a log reads one
//!   row per chunk, whatever its length. Heads never re-read the table; a proof reaching
//!   into older chunks reads their leaf hashes. [`verify`] trusts none of that.
//! - The hashing and proof functions are pure and need nothing but hashes.
//!
//! ```
//! use vigil_audit::{AuditLog, HeadPolicy, verify, verify_inclusion};
//! use vigil_store::sqlite::{Db, DbOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let data_dir = dir.path();
//! let runtime = tokio::runtime::Runtime::new()?;
//! runtime.block_on(async {
//!     let db = Db::open(&data_dir.join("vigil.db"), DbOptions::default())?;
//!     let log = AuditLog::open(db.clone(), data_dir, HeadPolicy::default()).await?;
//!     let now = chrono::Utc::now();
//!     let index = log.append("auth_failure", now, &serde_json::json!({"user": "mallory"})).await?;
//!     let head = log.sign_head(now).await?;
//!
//!     // Anyone holding the head and the public key can check the record is in the log.
//!     let record = log.record(index).await?.expect("just appended");
//!     let proof = log.inclusion_proof(index, head.tree_size)?;
//!     let root = head.root().expect("hex root");
//!     assert!(verify_inclusion(&record.leaf_hash(), index, head.tree_size, &proof, &root));
//!
//!     // And the whole log can be checked against the head kept elsewhere.
//!     let report = verify(&db, &log.public_key(), Some(&head)).await?;
//!     assert!(report.ok, "{:?}", report.problems);
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })
//! # }
//! ```
#![deny(missing_docs)]

pub mod activity;
mod error;
pub mod feed;
mod head;
pub mod inbox;
mod log;
mod merkle;
mod record;
mod verify;

pub use error::AuditError;
pub use head::{KEY_FILE_NAME, PublicKey, SIGNED_HEAD_DOMAIN, SignedHead, read_public_key, verify_head_signature};
pub use log::{
    AuditLog, CHUNK_SIZE, CHUNKS_TABLE_SQL, HEADS_TABLE_SQL, HeadPolicy, PendingAppend, RECORDS_TABLE_SQL, stored_heads,
};
pub use merkle::{Hash, empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion};
pub use record::AuditRecord;
pub use verify::{MAX_PROBLEMS, VerifyProgress, VerifyReport, verify, verify_with_progress};
