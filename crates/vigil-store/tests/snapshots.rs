//! Snapshots: a long stream loads from its last snapshot, and a snapshot that no longer
//! decodes costs only a full replay.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vigil_kernel::command::{CommandHandler, CommandHandlerConfig};
use vigil_kernel::decider::{Decider, DomainEvent};
use vigil_kernel::envelope::EventMetadata;
use vigil_kernel::store::{EventStore, Snapshot, SnapshotStore};
use vigil_store::sqlite::{Db, DbOptions, Durability, SqliteEventStore};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum CounterEvent {
    Added { n: u64 },
}

impl DomainEvent for CounterEvent {
    fn event_type(&self) -> &'static str {
        match self {
            CounterEvent::Added { .. } => "Added",
        }
    }
    fn schema_version_of(event_type: &str) -> Option<u32> {
        (event_type == "Added").then_some(1)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Total {
    sum: u64,
    count: u64,
}

struct Counter;

impl Decider for Counter {
    type State = Total;
    type Command = u64;
    type Event = CounterEvent;
    type Rejection = std::convert::Infallible;
    const CATEGORY: &'static str = "counter";

    fn decide(_: &Total, n: u64) -> Result<Vec<CounterEvent>, std::convert::Infallible> {
        Ok(vec![CounterEvent::Added { n }])
    }

    fn evolve(state: Total, event: &CounterEvent) -> Total {
        match event {
            CounterEvent::Added { n } => Total { sum: state.sum + n, count: state.count + 1 },
        }
    }
}

fn meta() -> EventMetadata {
    EventMetadata { time: chrono::Utc::now(), source: "/test".into(), correlation_id: None, causation_id: None }
}

#[tokio::test]
async fn a_long_stream_loads_from_its_last_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions { durability: Durability::Normal, ..Default::default() })
        .unwrap();
    let store = Arc::new(SqliteEventStore::open(db).await.unwrap());
    let config = CommandHandlerConfig { snapshot_every: 100, ..Default::default() };
    let handler = CommandHandler::<Counter>::with_snapshots(store.clone(), store.clone(), config.clone());
    for n in 1..=350 {
        handler.handle("c1", n, &meta()).await.unwrap();
    }
    let expected = Total { sum: (1..=350).sum(), count: 350 };

    let snapshot = store.load_snapshot("counter-c1").await.unwrap().expect("a snapshot was saved");
    assert_eq!(snapshot.version, 300, "the last multiple of 100 the stream passed");
    let at_300: Total = serde_json::from_str(&snapshot.state).unwrap();
    assert_eq!(at_300, Total { sum: (1..=300).sum(), count: 300 });

    // A cold handler (empty cache) loads the snapshot and the 50 events after it.
    let cold = CommandHandler::<Counter>::with_snapshots(store.clone(), store.clone(), config.clone());
    assert_eq!(cold.state("c1").await.unwrap(), (Arc::new(expected.clone()), 350));
    // A handler without snapshots agrees, from all 350 events.
    let plain = CommandHandler::<Counter>::new(store.clone(), config.clone());
    assert_eq!(plain.state("c1").await.unwrap(), (Arc::new(expected.clone()), 350));

    // A snapshot that no longer decodes is ignored: the state is rebuilt from the events.
    let garbage = Snapshot { stream_id: "counter-c1".into(), version: 340, state: "{\"not\": \"a total\"}".into() };
    store.save_snapshot(garbage).await.unwrap();
    let after_garbage = CommandHandler::<Counter>::with_snapshots(store.clone(), store.clone(), config);
    assert_eq!(after_garbage.state("c1").await.unwrap(), (Arc::new(expected), 350));
    assert_eq!(store.read_stream("counter-c1", 0).await.unwrap().len(), 350, "snapshots never touch the events");
}
