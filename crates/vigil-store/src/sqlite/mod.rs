//! The SQLite event store.

pub mod checkpoints;
mod db;
mod event_store;
mod recent;

pub use db::{Commit, Db, DbError, DbOptions, Durability, PendingWrite};
pub use event_store::SqliteEventStore;
