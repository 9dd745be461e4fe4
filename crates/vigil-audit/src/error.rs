//! The one error type of the crate.

use std::path::PathBuf;

use vigil_store::sqlite::DbError;

/// Why an audit-log operation failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum AuditError {
    /// The database failed; the operation had no effect.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The signing key could not be read, made or stored.
    #[error("audit signing key {}: {message}", path.display())]
    Key {
        /// The file or directory concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The record cannot be appended as given.
    #[error("invalid audit record: {0}")]
    InvalidRecord(String),
    /// A proof or root was asked for sizes or indices the log does not have.
    #[error("invalid proof request: {0}")]
    InvalidRange(String),
    /// A public key could not be read.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),
    /// At open, the stored log does not match its own newest signed head: it was tampered
    /// with or damaged, and appending would hide that. Run a full verification.
    #[error("the stored audit log does not match its signed heads: {0}")]
    Inconsistent(String),
    /// The log's appender has stopped (the runtime is shutting down).
    #[error("the audit log is closed")]
    Closed,
}

impl From<rusqlite::Error> for AuditError {
    fn from(e: rusqlite::Error) -> Self {
        AuditError::Db(DbError::from(e))
    }
}
