//! The gate reads an aggregate's stream once per command: it summarises the state for the
//! policy (`Commands::host` and the like) before dispatching, and the dispatch finds that
//! state in the handler's cache instead of reading the stream again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::watch;
use uuid::Uuid;
use vigil_gate::commands::Commands;
use vigil_kernel::envelope::{EventMetadata, NewEvent, RecordedEvent};
use vigil_kernel::store::{AppendError, Appended, EventQuery, EventStore, ExpectedVersion, StoreError};
use vigil_landscape::LandscapeCommand;
use vigil_landscape::discovery::{Discovery, DiscoveryContext, DiscoveryType, ScenarioDetector};
use vigil_readmodel::landscape::LandscapeViews;
use vigil_store::sqlite::{Db, DbOptions, SqliteEventStore};

/// The SQLite store, counting the stream reads that reach it.
struct CountingReads {
    inner: SqliteEventStore,
    stream_reads: AtomicUsize,
}

#[async_trait]
impl EventStore for CountingReads {
    async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, AppendError> {
        self.inner.append(stream_id, expected, events).await
    }
    async fn read_stream(&self, stream_id: &str, after_version: u64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.stream_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read_stream(stream_id, after_version).await
    }
    async fn read_all(&self, after_position: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after_position, limit).await
    }
    async fn query(&self, query: EventQuery) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.query(query).await
    }
    async fn event_by_id(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, StoreError> {
        self.inner.event_by_id(event_id).await
    }
    fn head(&self) -> watch::Receiver<u64> {
        self.inner.head()
    }
}

fn host_discovery() -> (Uuid, LandscapeCommand) {
    let dir = std::env::var_os("VIGIL_FIXTURES").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento")
    });
    let text = std::fs::read_to_string(dir.join("discovery/host_discovery.json")).expect("host fixture");
    let sent: serde_json::Value = serde_json::from_str(&text).unwrap();
    let agent_id: Uuid = sent["agent_id"].as_str().unwrap().parse().unwrap();
    let payload = sent["payload"].to_string();
    let discovery = Discovery { agent_id, discovery_type: DiscoveryType::Host, payload: &payload };
    let mut commands = ScenarioDetector::detect(&discovery, &DiscoveryContext::default()).unwrap();
    (agent_id, commands.remove(0))
}

#[tokio::test]
async fn a_command_reads_its_stream_once_though_the_gate_looks_at_the_state_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions::default()).unwrap();
    let sqlite = SqliteEventStore::open(db.clone()).await.unwrap();
    let store = Arc::new(CountingReads { inner: sqlite.clone(), stream_reads: AtomicUsize::new(0) });
    let commands = Commands::new(store.clone(), Arc::new(sqlite), LandscapeViews::new(db));
    let (host_id, command) = host_discovery();
    let meta = EventMetadata { time: Utc::now(), source: "/test".into(), correlation_id: None, causation_id: None };

    // What the gate does for every landscape command: the state for the policy, then dispatch.
    let before = commands.host(host_id).await.unwrap();
    assert!(before.host_id.is_none(), "a new host");
    let dispatched = commands.dispatch(command.clone(), &meta).await.unwrap();
    assert!(dispatched.n_events > 0, "the host is registered");
    assert_eq!(store.stream_reads.load(Ordering::SeqCst), 1, "one read of the stream, by the state lookup");

    // Warm, neither reads it again.
    commands.host(host_id).await.unwrap();
    commands.dispatch(command, &meta).await.unwrap();
    assert_eq!(store.stream_reads.load(Ordering::SeqCst), 1);
}
