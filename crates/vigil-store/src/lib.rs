//! Event-store adapters for Vigil.
//!
//! [`sqlite`] is the embedded default: one file in WAL mode, one writer thread doing group
//! commit, a small pool of reader connections. [`Db`](sqlite::Db) is also offered to the
//! server's own tables (read models, discovery log), so that every write of the embedded
//! shape goes through the one writer and shares its fsyncs.
//!
//! [`postgres`] is the shape for several nodes sharing one PostgreSQL database: the same
//! port, positions given out in commit order under one row lock per append batch, group
//! commit per node, and a head that follows other nodes' commits through `LISTEN`/`NOTIFY`.
//!
//! [`contract`] is the conformance suite that every adapter must pass; adapters run it
//! through [`event_store_contract_tests!`].
#![deny(missing_docs)]

pub mod contract;
pub mod postgres;
pub mod sqlite;

pub use postgres::{PgEventStore, PgOptions};
pub use sqlite::{Db, Durability, SqliteEventStore};
