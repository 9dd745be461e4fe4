//! The SQLite event store.

mod db;
mod event_store;

pub use db::{Db, DbError, DbOptions, Durability};
pub use event_store::SqliteEventStore;
