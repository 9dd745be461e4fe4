//! The SQLite read models against the read-model contract.

use std::sync::Arc;

use vigil_readmodel::READ_MODELS;
use vigil_readmodel::cib::CibWrites;
use vigil_readmodel::contract::Subject;
use vigil_readmodel::port::SqliteLandscapeReads;
use vigil_readmodel::tags::Tags;
use vigil_store::sqlite::{Db, DbOptions};

async fn make() -> Subject {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions::default()).unwrap();
    // The plain tables the queries join, opened by the server beside the projections.
    Tags::open(db.clone()).await.unwrap();
    CibWrites::open(db.clone()).await.unwrap();
    let mut projections = Vec::new();
    for model in READ_MODELS {
        projections.push(model.open(db.clone()).await.unwrap());
    }
    Subject { reads: Arc::new(SqliteLandscapeReads::new(db)), projections, guard: Box::new(dir) }
}

vigil_readmodel::landscape_reads_contract_tests!(make);
