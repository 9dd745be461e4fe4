//! The SQLite adapter against the event-store contract, with both durability settings.

use std::sync::Arc;

use vigil_store::contract::Subject;
use vigil_store::sqlite::{Db, DbOptions, Durability, SqliteEventStore};

async fn open(durability: Durability) -> Subject {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions { durability, ..Default::default() }).unwrap();
    let store = SqliteEventStore::open(db).await.unwrap();
    Subject { store: Arc::new(store), guard: Box::new(dir) }
}

mod full {
    async fn make() -> super::Subject {
        super::open(super::Durability::Full).await
    }
    vigil_store::event_store_contract_tests!(make);
}

mod normal {
    async fn make() -> super::Subject {
        super::open(super::Durability::Normal).await
    }
    vigil_store::event_store_contract_tests!(make);
}
