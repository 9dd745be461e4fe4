//! The PostgreSQL adapter against the event-store contract, each test on a fresh schema.

use std::sync::Arc;

use vigil_store::contract::Subject;

#[path = "support/postgres.rs"]
mod support;

async fn make() -> Option<Subject> {
    let schema = support::FreshSchema::new().await?;
    let store = schema.connect().await;
    Some(Subject { store: Arc::new(store), guard: Box::new(schema) })
}

vigil_store::event_store_contract_tests!(optional make);
