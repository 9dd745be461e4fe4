//! The relay against a real nats-server (its own, on a free port) and a real SQLite store:
//! every event once, in position order, as a CloudEvent; across an outage of NATS, a relay
//! dropped mid-stream, a purged stream, someone else's message in the stream, and a stream
//! filled from another store.

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, Context};
use serde_json::Value;
use support::NatsServer;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;
use vigil_bus::{BusSettings, Relay};
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::{EventStore, ExpectedVersion};
use vigil_store::sqlite::{Db, DbOptions, Durability, SqliteEventStore};

struct Store {
    store: Arc<dyn EventStore>,
    _dir: tempfile::TempDir,
}

async fn store() -> Store {
    let dir = tempfile::tempdir().unwrap();
    let options = DbOptions { durability: Durability::Normal, ..Default::default() };
    let db = Db::open(&dir.path().join("vigil.db"), options).unwrap();
    Store { store: Arc::new(SqliteEventStore::open(db).await.unwrap()), _dir: dir }
}

fn event(event_type: &str, source: &str, n: u64) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        source: source.to_owned(),
        subject: format!("s-{n}"),
        time: chrono::Utc::now(),
        // An outside event is stored as the CloudEvent it came as.
        data: if source.starts_with("https://") {
            serde_json::json!({ "specversion": "1.0", "id": format!("job-{n}"), "source": source, "type": event_type, "data": { "n": n } })
                .to_string()
        } else {
            format!("{{\"n\":{n}}}")
        },
        correlation_id: None,
        causation_id: None,
    }
}

/// Appends `n` events in batches of up to 10, over a host stream, a cluster stream and an
/// outside source's stream.
async fn append(store: &dyn EventStore, n: u64) {
    let mut left = n;
    let mut k = 0u64;
    while left > 0 {
        let batch = left.min(10);
        let (stream, event_type, source) = match k % 3 {
            0 => (format!("host-{}", Uuid::now_v7()), "HostRegistered", "/vigil/api"),
            1 => (format!("cluster-{}", Uuid::now_v7()), "ClusterHealthChanged", "/vigil/api"),
            _ => (format!("external-{}", Uuid::now_v7()), "build.failed", "https://ci.example.com/jobs"),
        };
        let events = (0..batch).map(|i| event(event_type, source, k * 10 + i)).collect();
        store.append(&stream, ExpectedVersion::Any, events).await.unwrap();
        left -= batch;
        k += 1;
    }
}

fn settings(server: &NatsServer) -> BusSettings {
    BusSettings {
        url: Some(server.url()),
        max_in_flight: 64,
        ack_timeout: Duration::from_secs(2),
        ..Default::default()
    }
}

struct Running {
    task: JoinHandle<()>,
    progress: watch::Receiver<u64>,
    stop: watch::Sender<bool>,
    client: async_nats::Client,
}

async fn relay(store: &Store, settings: &BusSettings) -> Running {
    let (client, js) = vigil_bus::connect(settings).await.unwrap();
    let relay = Relay::new(store.store.clone(), js, settings);
    let progress = relay.progress();
    let (stop, stopped) = watch::channel(false);
    Running { task: tokio::spawn(relay.run(stopped)), progress, stop, client }
}

async fn reaches(progress: &mut watch::Receiver<u64>, position: u64, within: Duration) {
    let reached = matches!(tokio::time::timeout(within, progress.wait_for(|p| *p >= position)).await, Ok(Ok(_)));
    assert!(reached, "the relay reached {} of {position} within {within:?}", *progress.borrow());
}

/// One message of the stream as the test reads it.
#[derive(Debug)]
struct Published {
    subject: String,
    msg_id: String,
    position: u64,
    body: Value,
}

async fn read_stream(url: &str) -> Vec<Published> {
    let client = async_nats::connect(url).await.unwrap();
    let js: Context = jetstream::new(client);
    let mut stream = js.get_stream("VIGIL_EVENTS").await.unwrap();
    let state = stream.info().await.unwrap().state.clone();
    let mut published = Vec::new();
    for sequence in state.first_sequence..=state.last_sequence {
        let Ok(message) = stream.get_raw_message(sequence).await else { continue };
        let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_owned());
        let Some(position) = header("Vigil-Position") else {
            published.push(Published {
                subject: message.subject.to_string(),
                msg_id: String::new(),
                position: 0,
                body: Value::Null,
            });
            continue;
        };
        published.push(Published {
            subject: message.subject.to_string(),
            msg_id: header("Nats-Msg-Id").unwrap_or_default(),
            position: position.parse().unwrap(),
            body: serde_json::from_slice(&message.payload).unwrap(),
        });
    }
    published
}

/// The stream holds the store's events `from..=to`, each once, in position order, each under
/// its id, with a CloudEvent of it as the body.
async fn assert_exactly_once(url: &str, store: &dyn EventStore, from: u64, to: u64) {
    let published: Vec<Published> = read_stream(url).await.into_iter().filter(|p| p.position > 0).collect();
    let positions: Vec<u64> = published.iter().map(|p| p.position).collect();
    let expected: Vec<u64> = (from..=to).collect();
    if positions != expected {
        let mut seen = HashSet::new();
        let duplicates: Vec<u64> = positions.iter().copied().filter(|p| !seen.insert(*p)).collect();
        let missing: Vec<u64> = expected.iter().copied().filter(|p| !seen.contains(p)).collect();
        panic!(
            "{} messages for {} events; duplicates {:?}; missing {:?}; in order: {}",
            positions.len(),
            expected.len(),
            &duplicates[..duplicates.len().min(10)],
            &missing[..missing.len().min(10)],
            positions.windows(2).all(|w| w[0] < w[1])
        );
    }
    let stored = store.read_all(from - 1, (to - from + 1) as usize).await.unwrap();
    for (message, event) in published.iter().zip(&stored) {
        assert_eq!(message.msg_id, event.event.id.to_string(), "Nats-Msg-Id of position {}", event.position);
        assert_eq!(message.body["specversion"], "1.0");
        assert_eq!(message.body["type"], event.event.event_type);
        assert_eq!(message.body["position"], event.position);
        let topic = message.body["topic"].as_str().unwrap();
        assert_eq!(message.subject, vigil_bus::subject::subject_of("vigil", topic, &event.event.event_type));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_is_published_once_in_order_as_a_cloudevent_under_its_topic() {
    let Some(server) = NatsServer::start("every_event_is_published_once_in_order") else { return };
    let s = store().await;
    append(s.store.as_ref(), 95).await;
    let settings = settings(&server);
    let mut running = relay(&s, &settings).await;
    reaches(&mut running.progress, 95, Duration::from_secs(20)).await;
    // Live: events appended while the relay waits on the head arrive too.
    append(s.store.as_ref(), 30).await;
    reaches(&mut running.progress, 125, Duration::from_secs(20)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 1, 125).await;

    let published = read_stream(&server.url()).await;
    let subjects: HashSet<&str> = published.iter().map(|p| p.subject.as_str()).collect();
    assert!(subjects.contains("vigil.hosts.HostRegistered"), "{subjects:?}");
    assert!(subjects.contains("vigil.clusters.ClusterHealthChanged"), "{subjects:?}");
    assert!(subjects.contains("vigil.external.https___ci.example.com_jobs.build.failed"), "{subjects:?}");
    let outside = published.iter().find(|p| p.subject.starts_with("vigil.external.")).unwrap();
    assert_eq!(outside.body["source"], "https://ci.example.com/jobs");
    assert_eq!(outside.body["topic"], "external.https://ci.example.com/jobs");

    // The stream as documented.
    let js = jetstream::new(running.client.clone());
    let mut stream = js.get_stream("VIGIL_EVENTS").await.unwrap();
    let config = stream.info().await.unwrap().config.clone();
    assert_eq!(config.subjects, vec!["vigil.>".to_owned()]);
    assert_eq!(config.storage, jetstream::stream::StorageType::File);
    assert_eq!(config.retention, jetstream::stream::RetentionPolicy::Limits);
    assert_eq!(config.duplicate_window, Duration::from_secs(120));
    assert_eq!(config.max_age, Duration::ZERO);

    running.stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(10), running.task).await.expect("the relay stops when told").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_appended_during_a_nats_outage_arrive_after_it_each_exactly_once() {
    let Some(mut server) = NatsServer::start("events_appended_during_a_nats_outage") else { return };
    let s = store().await;
    let settings = settings(&server);
    let mut running = relay(&s, &settings).await;
    append(s.store.as_ref(), 200).await;
    reaches(&mut running.progress, 200, Duration::from_secs(20)).await;

    // NATS dies while events keep being appended, some of them already in flight.
    let appending = {
        let store = s.store.clone();
        tokio::spawn(async move {
            for _ in 0..30 {
                append(store.as_ref(), 10).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.stop();
    let during = *running.progress.borrow();
    tokio::time::sleep(Duration::from_secs(3)).await;
    appending.await.unwrap();
    assert!(*running.progress.borrow() < 500, "nothing is acknowledged while NATS is down");
    assert!(during >= 200);

    server.restart();
    reaches(&mut running.progress, 500, Duration::from_secs(60)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 1, 500).await;

    // A second outage with the relay idle, then more events.
    server.restart();
    append(s.store.as_ref(), 20).await;
    reaches(&mut running.progress, 520, Duration::from_secs(60)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 1, 520).await;
    running.stop.send_replace(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_dropped_mid_stream_is_followed_by_one_that_resumes_where_the_stream_ends() {
    let Some(server) = NatsServer::start("a_relay_dropped_mid_stream") else { return };
    let s = store().await;
    append(s.store.as_ref(), 3000).await;
    let settings = settings(&server);
    for cut in [400, 1300, 2200] {
        let mut running = relay(&s, &settings).await;
        reaches(&mut running.progress, cut, Duration::from_secs(30)).await;
        // Dropped as a crash drops it: the task aborted with publishes in flight, its
        // connection gone.
        running.task.abort();
        let _ = running.task.await;
        drop(running.client);
    }
    let mut last = relay(&s, &settings).await;
    reaches(&mut last.progress, 3000, Duration::from_secs(60)).await;
    append(s.store.as_ref(), 10).await;
    reaches(&mut last.progress, 3010, Duration::from_secs(20)).await;
    // Give any message a dropped relay still had on the wire time to land (or be refused).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 1, 3010).await;
    last.stop.send_replace(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_that_forgot_the_last_message_id_costs_one_resync() {
    let Some(mut server) = NatsServer::start("a_nats_restart_that_forgot_the_last_message_id") else { return };
    let s = store().await;
    // nats-server 2.9 rebuilds the last message id after a restart only from the messages
    // within the duplicate window; with one of a second, an idle second is enough to lose it.
    let settings = BusSettings { duplicate_window: Duration::from_secs(1), ..settings(&server) };
    let mut running = relay(&s, &settings).await;
    append(s.store.as_ref(), 30).await;
    reaches(&mut running.progress, 30, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.restart();
    // Let the client reconnect with the relay idle: its session lives on.
    tokio::time::sleep(Duration::from_secs(3)).await;
    append(s.store.as_ref(), 30).await;
    reaches(&mut running.progress, 60, Duration::from_secs(30)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 1, 60).await;
    running.stop.send_replace(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_at_once_still_publish_each_event_once_in_order() {
    let Some(server) = NatsServer::start("two_relays_at_once") else { return };
    let s = store().await;
    append(s.store.as_ref(), 1500).await;
    let settings = settings(&server);
    let mut a = relay(&s, &settings).await;
    let mut b = relay(&s, &settings).await;
    reaches(&mut a.progress, 1500, Duration::from_secs(60)).await;
    reaches(&mut b.progress, 1500, Duration::from_secs(60)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 1, 1500).await;
    a.stop.send_replace(true);
    b.stop.send_replace(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_stream_goes_on_after_the_relays_marker_and_a_foreign_message_is_stepped_over() {
    let Some(server) = NatsServer::start("a_purged_stream") else { return };
    let s = store().await;
    append(s.store.as_ref(), 100).await;
    let settings = settings(&server);
    let mut running = relay(&s, &settings).await;
    reaches(&mut running.progress, 100, Duration::from_secs(20)).await;
    // Idle: the marker is written.
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.task.abort();
    let _ = running.task.await;

    let js = jetstream::new(running.client.clone());
    js.get_stream("VIGIL_EVENTS").await.unwrap().purge().await.unwrap();
    append(s.store.as_ref(), 50).await;
    let mut running = relay(&s, &settings).await;
    reaches(&mut running.progress, 150, Duration::from_secs(20)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 101, 150).await;

    // Someone else publishes into the stream: the relay steps over it.
    js.publish("vigil.other.Hello", "hi".into()).await.unwrap().await.unwrap();
    append(s.store.as_ref(), 20).await;
    reaches(&mut running.progress, 170, Duration::from_secs(20)).await;
    running.task.abort();
    let _ = running.task.await;
    let mut again = relay(&s, &settings).await;
    append(s.store.as_ref(), 5).await;
    reaches(&mut again.progress, 175, Duration::from_secs(20)).await;
    assert_exactly_once(&server.url(), s.store.as_ref(), 101, 175).await;
    let foreign = read_stream(&server.url()).await.into_iter().filter(|p| p.position == 0).count();
    assert_eq!(foreign, 1);
    again.stop.send_replace(true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_filled_from_another_store_is_refused() {
    let Some(server) = NatsServer::start("a_stream_filled_from_another_store") else { return };
    let settings = settings(&server);
    let first = store().await;
    append(first.store.as_ref(), 20).await;
    let mut running = relay(&first, &settings).await;
    reaches(&mut running.progress, 20, Duration::from_secs(20)).await;
    running.stop.send_replace(true);
    running.task.await.unwrap();

    let other = store().await;
    append(other.store.as_ref(), 40).await;
    let running = relay(&other, &settings).await;
    // The relay stops on its own rather than publish the other store's events after these.
    tokio::time::timeout(Duration::from_secs(20), running.task).await.expect("the relay stops").unwrap();
    assert_exactly_once(&server.url(), first.store.as_ref(), 1, 20).await;
}
