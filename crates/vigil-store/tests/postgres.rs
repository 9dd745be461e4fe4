//! What the PostgreSQL adapter promises beyond the shared contract: several nodes (stores
//! with their own connections) on one schema, migrations run by nodes starting at once,
//! the head following other nodes' commits, one bad append failing alone.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use uuid::Uuid;
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::{AppendError, EventStore, ExpectedVersion, Snapshot, SnapshotStore};
use vigil_store::postgres::{MIGRATIONS, load_checkpoint, save_checkpoint, start_checkpoint};
use vigil_store::{PgEventStore, PgOptions, contract};

#[path = "support/postgres.rs"]
mod support;

use support::FreshSchema;

fn event(n: u64) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: "Ticked".into(),
        schema_version: 1,
        source: "/test".into(),
        subject: "s".into(),
        time: Utc.timestamp_micros(1_700_000_000_000_000 + n as i64).single().unwrap(),
        data: format!("{{\"n\":{n}}}"),
        correlation_id: None,
        causation_id: None,
    }
}

async fn wait_for_head(store: &PgEventStore, position: u64) {
    let mut head = store.head();
    tokio::time::timeout(Duration::from_secs(10), head.wait_for(|h| *h >= position))
        .await
        .unwrap_or_else(|_| panic!("the head must reach {position}, is at {}", *store.head().borrow()))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_at_once_migrate_once_and_see_each_others_commits() {
    let Some(schema) = FreshSchema::new().await else { return };
    let (a, b) = tokio::join!(schema.connect(), schema.connect());
    let client = schema.client().await;
    let applied: Vec<i32> = client
        .query("SELECT version FROM schema_migrations ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(applied, MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>());

    // A commit on one node moves the other's head (its notice) and reads back there.
    let appended = a.append("t-1", ExpectedVersion::Exactly(0), vec![event(1), event(2)]).await.unwrap();
    wait_for_head(&b, appended.last_position.unwrap()).await;
    assert_eq!(b.read_stream("t-1", 0).await.unwrap().len(), 2);
    // The other node's writer sees the stream's version too.
    let err = b.append("t-1", ExpectedVersion::Exactly(0), vec![event(3)]).await.unwrap_err();
    assert!(matches!(err, AppendError::Conflict { actual: 2, .. }), "{err}");

    // A third node started later applies nothing again.
    let c = schema.connect().await;
    assert_eq!(*c.head().borrow(), appended.last_position.unwrap());
    let count: i64 = client.query_one("SELECT count(*) FROM schema_migrations", &[]).await.unwrap().get(0);
    assert_eq!(count, MIGRATIONS.len() as i64);
}

#[tokio::test]
async fn a_schema_migrated_by_a_newer_vigil_is_refused() {
    let Some(schema) = FreshSchema::new().await else { return };
    drop(schema.connect().await);
    schema
        .client()
        .await
        .execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')", &[])
        .await
        .unwrap();
    let err = PgEventStore::connect(&schema.url, schema.options()).await.err().expect("refused");
    assert!(err.0.contains("9999"), "{err}");
}

#[tokio::test]
async fn bad_connection_settings_are_clear_errors() {
    let bad_schema = PgOptions { schema: "Robert'); DROP".into(), ..Default::default() };
    let err = PgEventStore::connect(&support::url(), bad_schema).await.err().expect("refused");
    assert!(err.0.contains("schema name"), "{err}");
    let err = PgEventStore::connect("not a url", PgOptions::default()).await.err().expect("refused");
    assert!(err.0.contains("invalid PostgreSQL URL"), "{err}");
}

/// The hard case, on separate connections: four nodes, each with its own writer, append
/// concurrently (some to a shared stream), so their transactions race for positions. A
/// subscriber on a fifth node, following only its head (the other nodes' notices), must see
/// every event once, in gap-free position order, each stream in version order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_on_another_node_sees_no_gaps_while_nodes_race() {
    const NODES: usize = 4;
    const TASKS: u64 = 8;
    const APPENDS: u64 = 30;
    let Some(schema) = FreshSchema::new().await else { return };
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        nodes.push(Arc::new(schema.connect().await));
    }
    let follower: Arc<dyn EventStore> = Arc::new(schema.connect().await);
    let (total_tx, total_rx) = tokio::sync::watch::channel(None::<u64>);
    let subscriber = contract::follow_head(follower.clone(), 0, total_rx, Duration::from_secs(120));
    let mut writers = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for t in 0..TASKS {
            let node = node.clone();
            writers.push(tokio::spawn(async move {
                let mut written = 0;
                for a in 0..APPENDS {
                    let stream = if t % 4 == 0 { "t-shared".to_owned() } else { format!("t-{n}-{t}") };
                    let batch: Vec<_> = (0..1 + (t + a) % 3).map(|k| event(t * 1000 + a * 10 + k)).collect();
                    written += batch.len() as u64;
                    node.append(&stream, ExpectedVersion::Any, batch).await.unwrap();
                }
                written
            }));
        }
    }
    let mut total = 0;
    for w in writers {
        total += w.await.unwrap();
    }
    total_tx.send_replace(Some(total));
    let seen = subscriber.await.unwrap();
    contract::assert_gap_free(&seen, 0, total);
}

/// A transaction of another node holding the head row (mid-batch) makes this node's append
/// wait; when it commits, the append gets the next position: no position is given out past
/// an uncommitted one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_waits_for_a_batch_in_flight_on_another_node() {
    let Some(schema) = FreshSchema::new().await else { return };
    let store = Arc::new(schema.connect().await);
    store.append("t-a", ExpectedVersion::Any, vec![event(0)]).await.unwrap();
    let mut other = schema.client().await;
    let tx = other.transaction().await.unwrap();
    let head: i64 = tx.query_one("SELECT head FROM event_head FOR UPDATE", &[]).await.unwrap().get(0);
    assert_eq!(head, 1);
    let e = event(1);
    tx.execute(
        "INSERT INTO events (position, event_id, stream_id, stream_version, event_type, schema_version, source, subject, \
         time, data) VALUES (2, $1, 't-b', 1, 'Ticked', 1, '/other', 's', now(), '{}')",
        &[&e.id],
    )
    .await
    .unwrap();
    let appending = {
        let store = store.clone();
        tokio::spawn(async move { store.append("t-a", ExpectedVersion::Exactly(1), vec![event(2)]).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!appending.is_finished(), "the append must wait for the batch holding the head");
    tx.execute("UPDATE event_head SET head = 2", &[]).await.unwrap();
    tx.commit().await.unwrap();
    let appended = appending.await.unwrap().unwrap();
    assert_eq!(appended.last_position, Some(3));
    let all: Vec<u64> = store.read_all(0, 10).await.unwrap().iter().map(|e| e.position).collect();
    assert_eq!(all, vec![1, 2, 3]);
}

/// A commit that sends no notice (here: written by hand) still reaches the head, by the poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_head_is_polled_for_commits_without_a_notice() {
    let Some(schema) = FreshSchema::new().await else { return };
    let store =
        PgEventStore::connect(&schema.url, PgOptions { head_poll: Duration::from_millis(200), ..schema.options() })
            .await
            .unwrap();
    let client = schema.client().await;
    client
        .batch_execute(
            "BEGIN; SELECT head FROM event_head FOR UPDATE;
             INSERT INTO events (position, event_id, stream_id, stream_version, event_type, schema_version, source, \
             subject, time, data) VALUES (1, gen_random_uuid(), 't-q', 1, 'Ticked', 1, '/other', 's', now(), '{}');
             UPDATE event_head SET head = 1; COMMIT;",
        )
        .await
        .unwrap();
    wait_for_head(&store, 1).await;
}

/// An append whose data PostgreSQL refuses (not JSON) fails alone; the appends batched with
/// it commit, with gap-free positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_the_database_refuses_fails_alone_in_its_batch() {
    let Some(schema) = FreshSchema::new().await else { return };
    let store = Arc::new(schema.connect().await);
    let mut tasks = Vec::new();
    for i in 0..32u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut e = event(i);
            if i == 7 {
                e.data = "not json".into();
            }
            store.append(&format!("t-{i}"), ExpectedVersion::Exactly(0), vec![e, event(100 + i)]).await
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let outcome = task.await.unwrap();
        if i == 7 {
            let err = outcome.unwrap_err();
            assert!(matches!(&err, AppendError::Store(e) if e.0.contains("json")), "{err}");
        } else {
            assert_eq!(outcome.unwrap().stream_version, 2);
        }
    }
    let all = store.read_all(0, 1000).await.unwrap();
    assert_eq!(all.len(), 62);
    assert!(all.iter().enumerate().all(|(i, e)| e.position == 1 + i as u64), "gap-free positions");
    assert_eq!(*store.head().borrow(), 62);
    assert!(store.read_stream("t-7", 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn stored_events_cannot_be_changed() {
    let Some(schema) = FreshSchema::new().await else { return };
    let store = schema.connect().await;
    store.append("t-a", ExpectedVersion::Any, vec![event(0)]).await.unwrap();
    let client = schema.client().await;
    for sql in ["UPDATE events SET data = '{}'", "DELETE FROM events", "TRUNCATE events"] {
        let err = client.batch_execute(sql).await.unwrap_err();
        assert!(err.as_db_error().unwrap().message().contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn snapshots_are_replaced_only_by_later_versions() {
    let Some(schema) = FreshSchema::new().await else { return };
    let store = schema.connect().await;
    assert_eq!(store.load_snapshot("t-a").await.unwrap(), None);
    let snap = |version, state: &str| Snapshot { stream_id: "t-a".into(), version, state: state.into() };
    store.save_snapshot(snap(1000, "one")).await.unwrap();
    store.save_snapshot(snap(2000, "two")).await.unwrap();
    store.save_snapshot(snap(1500, "stale")).await.unwrap();
    assert_eq!(store.load_snapshot("t-a").await.unwrap(), Some(snap(2000, "two")));
}

#[tokio::test]
async fn checkpoints_are_saved_in_the_callers_transaction() {
    let Some(schema) = FreshSchema::new().await else { return };
    let store = schema.connect().await;
    assert_eq!(load_checkpoint(&store, "hosts").await.unwrap(), 0);
    let mut client = store.pool().get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    start_checkpoint(&tx, "hosts", 5).await.unwrap();
    start_checkpoint(&tx, "hosts", 9).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(load_checkpoint(&store, "hosts").await.unwrap(), 5);
    let tx = client.transaction().await.unwrap();
    save_checkpoint(&tx, "hosts", 42).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(load_checkpoint(&store, "hosts").await.unwrap(), 5, "rolled back with its transaction");
    save_checkpoint(&client, "hosts", 42).await.unwrap();
    assert_eq!(load_checkpoint(&store, "hosts").await.unwrap(), 42);
}
