//! The conformance suite of the [`EventStore`] port.
//!
//! Every adapter runs it through [`event_store_contract_tests!`](crate::event_store_contract_tests)
//! with a factory that returns a fresh, empty store. The checks only rely on what the port
//! promises, never on an adapter's internals.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use uuid::Uuid;
use vigil_kernel::envelope::{NewEvent, RecordedEvent};
use vigil_kernel::store::{AppendError, EventQuery, EventStore, ExpectedVersion};

/// A store under test, plus whatever must live as long as it (a temporary directory, a
/// database schema).
pub struct Subject {
    /// The store.
    pub store: Arc<dyn EventStore>,
    /// Dropped after the test.
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

/// Generates one `#[tokio::test]` per contract check, each on a fresh store from `$make`
/// (an `async fn() -> Subject`). With `optional`, `$make` is an `async fn() ->
/// Option<Subject>` for a store on a server that may be missing: `None` (after saying on
/// stderr why the test is skipped) ends the test.
#[macro_export]
macro_rules! event_store_contract_tests {
    ($make:path) => {
        $crate::event_store_contract_tests!(@checks $make, @tests);
    };
    (optional $make:path) => {
        $crate::event_store_contract_tests!(@checks $make, @optional_tests);
    };
    (@checks $make:path, @$kind:ident) => {
        $crate::event_store_contract_tests!(@$kind $make,
            appends_and_reads_a_stream_in_order,
            a_stale_expected_version_is_a_conflict,
            re_appending_the_same_event_ids_writes_nothing,
            an_event_id_reused_for_other_events_is_refused,
            global_positions_increase_across_streams,
            reading_by_category_leaves_the_others_out_and_moves_past_them,
            query_filters_by_subject_and_type,
            an_event_is_found_by_its_id,
            head_moves_when_a_commit_lands,
            one_conflicting_append_fails_alone_among_concurrent_appends,
            a_subscriber_sees_no_gaps_while_many_tasks_append,
            an_empty_append_writes_nothing
        );
    };
    (@tests $make:path, $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let subject = $make().await;
                $crate::contract::$check(&subject).await;
            }
        )*
    };
    (@optional_tests $make:path, $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let Some(subject) = $make().await else { return };
                $crate::contract::$check(&subject).await;
            }
        )*
    };
}

fn event(subject: &str, event_type: &str, n: u64) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        schema_version: 1,
        source: "/contract".to_owned(),
        subject: subject.to_owned(),
        time: Utc.timestamp_micros(1_700_000_000_000_000 + n as i64).single().expect("valid time"),
        data: format!("{{\"n\":{n}}}"),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
    }
}

async fn head(s: &Subject) -> u64 {
    *s.store.head().borrow()
}

/// Events come back from their stream in order, with versions 1..n and what was written.
pub async fn appends_and_reads_a_stream_in_order(s: &Subject) {
    let written: Vec<_> = (0..5).map(|n| event("a", "Ticked", n)).collect();
    let appended = s.store.append("t-a", ExpectedVersion::Exactly(0), written.clone()).await.unwrap();
    assert_eq!(appended.stream_version, 5);
    let more = vec![event("a", "Ticked", 5)];
    s.store.append("t-a", ExpectedVersion::Exactly(5), more.clone()).await.unwrap();

    let read = s.store.read_stream("t-a", 0).await.unwrap();
    let versions: Vec<u64> = read.iter().map(|r| r.stream_version).collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5, 6]);
    let events: Vec<NewEvent> = read.into_iter().map(|r| r.event).collect();
    assert_eq!(events, [written, more].concat(), "an event must read back exactly as written");
    assert_eq!(s.store.read_stream("t-a", 4).await.unwrap().len(), 2);
    assert!(s.store.read_stream("t-none", 0).await.unwrap().is_empty());
}

/// An event is found by its id alone, with its stream and position; an unknown id is none.
pub async fn an_event_is_found_by_its_id(s: &Subject) {
    let written = vec![event("i", "Ticked", 0), event("i", "Tocked", 1)];
    let appended = s.store.append("t-i", ExpectedVersion::Any, written.clone()).await.unwrap();
    let found = s.store.event_by_id(written[1].id).await.unwrap().expect("the second event is stored");
    assert_eq!(found.event, written[1]);
    assert_eq!(found.stream_id, "t-i");
    assert_eq!(found.stream_version, 2);
    assert_eq!(Some(found.position), appended.last_position);
    assert!(s.store.event_by_id(Uuid::now_v7()).await.unwrap().is_none());
}

/// Appending with an expected version that is not the stream's fails and writes nothing.
pub async fn a_stale_expected_version_is_a_conflict(s: &Subject) {
    s.store.append("t-b", ExpectedVersion::Exactly(0), vec![event("b", "Ticked", 0)]).await.unwrap();
    let err = s.store.append("t-b", ExpectedVersion::Exactly(0), vec![event("b", "Ticked", 1)]).await.unwrap_err();
    assert!(matches!(err, AppendError::Conflict { actual: 1, .. }), "{err}");
    let err = s.store.append("t-b", ExpectedVersion::Exactly(3), vec![event("b", "Ticked", 1)]).await.unwrap_err();
    assert!(matches!(err, AppendError::Conflict { actual: 1, .. }), "{err}");
    s.store.append("t-b", ExpectedVersion::Any, vec![event("b", "Ticked", 2)]).await.unwrap();
    assert_eq!(s.store.read_stream("t-b", 0).await.unwrap().len(), 2);
}

/// A client retry with the same event ids gets the first answer back and adds nothing.
pub async fn re_appending_the_same_event_ids_writes_nothing(s: &Subject) {
    let batch = vec![event("c", "Ticked", 0), event("c", "Ticked", 1)];
    let first = s.store.append("t-c", ExpectedVersion::Exactly(0), batch.clone()).await.unwrap();
    let again = s.store.append("t-c", ExpectedVersion::Exactly(0), batch).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(s.store.read_stream("t-c", 0).await.unwrap().len(), 2);
    assert_eq!(head(s).await, first.last_position.unwrap());
}

/// An id that belongs to another stream is refused, not silently skipped.
pub async fn an_event_id_reused_for_other_events_is_refused(s: &Subject) {
    let e = event("d", "Ticked", 0);
    s.store.append("t-d", ExpectedVersion::Any, vec![e.clone()]).await.unwrap();
    let err = s.store.append("t-other", ExpectedVersion::Any, vec![e]).await.unwrap_err();
    assert!(matches!(err, AppendError::IdReused { .. }), "{err}");
    assert!(s.store.read_stream("t-other", 0).await.unwrap().is_empty());
}

/// Reading all events pages through every stream in one strictly increasing order.
pub async fn global_positions_increase_across_streams(s: &Subject) {
    let start = head(s).await;
    for n in 0..30 {
        let stream = format!("t-g{}", n % 3);
        s.store.append(&stream, ExpectedVersion::Any, vec![event(&stream, "Ticked", n)]).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = start;
    loop {
        let page = s.store.read_all(after, 7).await.unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 7);
        after = last.position;
        seen.extend(page);
    }
    assert_eq!(seen.len(), 30);
    assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
    let ns: Vec<String> = seen.iter().map(|r| r.event.data.clone()).collect();
    let expected: Vec<String> = (0..30).map(|n| format!("{{\"n\":{n}}}")).collect();
    assert_eq!(ns, expected, "global order must be commit order");
}

/// Reading by stream category returns just those events, in order, and a position to go
/// on from that passes over the others, up to the head and never beyond.
pub async fn reading_by_category_leaves_the_others_out_and_moves_past_them(s: &Subject) {
    let start = head(s).await;
    for n in 0..30 {
        let stream = match n % 5 {
            0 => format!("apple-{}", n % 2),
            1 => format!("applepie-{}", n % 2),
            2 => "pear-1".to_owned(),
            _ => format!("plum-{}", n % 3),
        };
        s.store.append(&stream, ExpectedVersion::Any, vec![event(&stream, "Ticked", n)]).await.unwrap();
    }
    for (categories, expected) in [(&["apple"][..], 6), (&["apple", "pear"][..], 12), (&["fig"][..], 0)] {
        let mut seen = Vec::new();
        let mut after = start;
        loop {
            let (page, through) = s.store.read_categories(after, 4, categories).await.unwrap();
            assert!(through >= after && through <= after + 4, "through {through} after {after}");
            assert!(page.iter().all(|e| e.position > after && e.position <= through));
            if through == after {
                break;
            }
            after = through;
            seen.extend(page);
        }
        assert_eq!(after, head(s).await, "{categories:?}: read through the head");
        assert_eq!(seen.len(), expected, "{categories:?}");
        assert!(seen.iter().all(|e| categories.contains(&e.stream_id.split_once('-').unwrap().0)), "{categories:?}");
        assert!(seen.windows(2).all(|w| w[0].position < w[1].position));
    }
}

/// Browsing by subject and type returns just those, in order.
pub async fn query_filters_by_subject_and_type(s: &Subject) {
    for n in 0..6 {
        let (subject, ty) = if n % 2 == 0 { ("q1", "Even") } else { ("q2", "Odd") };
        s.store.append(&format!("t-{subject}"), ExpectedVersion::Any, vec![event(subject, ty, n)]).await.unwrap();
    }
    let q1 = s.store.query(EventQuery { subject: Some("q1".into()), limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(q1.len(), 3);
    assert!(q1.iter().all(|r| r.event.subject == "q1"));
    let odd =
        s.store.query(EventQuery { event_type: Some("Odd".into()), limit: 2, ..Default::default() }).await.unwrap();
    assert_eq!(odd.len(), 2);
    assert!(odd.iter().all(|r| r.event.event_type == "Odd"));
    let rest = EventQuery {
        event_type: Some("Odd".into()),
        after_position: odd[1].position,
        limit: 100,
        ..Default::default()
    };
    assert_eq!(s.store.query(rest).await.unwrap().len(), 1);
}

/// The head watch wakes a waiter when a commit lands.
pub async fn head_moves_when_a_commit_lands(s: &Subject) {
    let mut watch = s.store.head();
    let before = *watch.borrow_and_update();
    let store = s.store.clone();
    let writer =
        tokio::spawn(
            async move { store.append("t-h", ExpectedVersion::Any, vec![event("h", "Ticked", 0)]).await.unwrap() },
        );
    tokio::time::timeout(Duration::from_secs(5), watch.changed()).await.expect("head must move").unwrap();
    let appended = writer.await.unwrap();
    assert!(*watch.borrow() > before);
    assert_eq!(*watch.borrow(), appended.last_position.unwrap());
}

/// Among many concurrent appends, the one with a stale expected version fails and all the
/// others commit.
pub async fn one_conflicting_append_fails_alone_among_concurrent_appends(s: &Subject) {
    s.store.append("t-x-0", ExpectedVersion::Any, vec![event("x", "Ticked", 0)]).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = s.store.clone();
        tasks.push(tokio::spawn(async move {
            // Stream t-x-0 already has one event, so expecting 0 there must fail.
            store.append(&format!("t-x-{i}"), ExpectedVersion::Exactly(0), vec![event("x", "Ticked", i)]).await
        }));
    }
    let mut failures = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        if let Err(e) = task.await.unwrap() {
            failures.push((i, e));
        }
    }
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, 0);
    assert!(matches!(failures[0].1, AppendError::Conflict { .. }));
    for i in 1..64 {
        assert_eq!(s.store.read_stream(&format!("t-x-{i}"), 0).await.unwrap().len(), 1);
    }
}

/// While 32 tasks append concurrently (some contending on shared streams), a subscriber
/// that follows the head sees every event exactly once, in gap-free position order, and
/// every stream's versions in order.
pub async fn a_subscriber_sees_no_gaps_while_many_tasks_append(s: &Subject) {
    const TASKS: u64 = 32;
    const APPENDS: u64 = 40;
    let start = head(s).await;
    // The writers report their total when done; until then the subscriber just follows.
    let (total_tx, total_rx) = tokio::sync::watch::channel(None::<u64>);
    let subscriber = follow_head(s.store.clone(), start, total_rx, Duration::from_secs(60));
    let mut writers = Vec::new();
    for t in 0..TASKS {
        let store = s.store.clone();
        writers.push(tokio::spawn(async move {
            let mut written = 0u64;
            for a in 0..APPENDS {
                let n_events = 1 + (t + a) % 3;
                // Every fourth task shares a stream with the others, to force contention.
                let stream = if t % 4 == 0 { "t-shared".to_owned() } else { format!("t-s{t}") };
                let batch: Vec<_> = (0..n_events).map(|k| event(&stream, "Ticked", t * 1000 + a * 10 + k)).collect();
                store.append(&stream, ExpectedVersion::Any, batch).await.unwrap();
                written += n_events;
            }
            written
        }));
    }
    let mut total = 0;
    for w in writers {
        total += w.await.unwrap();
    }
    total_tx.send_replace(Some(total));
    let seen = subscriber.await.unwrap();
    assert_gap_free(&seen, start, total);
}

/// Follows `store`'s head from `after`, as a subscriber does, until it has seen the total
/// that `total` reports once the writers are done, or `within` has passed.
pub fn follow_head(
    store: Arc<dyn EventStore>,
    after: u64,
    total: tokio::sync::watch::Receiver<Option<u64>>,
    within: Duration,
) -> tokio::task::JoinHandle<Vec<RecordedEvent>> {
    tokio::spawn(async move {
        let mut watch = store.head();
        let mut seen: Vec<RecordedEvent> = Vec::new();
        let mut after = after;
        let deadline = tokio::time::Instant::now() + within;
        loop {
            watch.mark_unchanged();
            let page = store.read_all(after, 100).await.unwrap();
            if let Some(last) = page.last() {
                after = last.position;
                seen.extend(page);
                continue;
            }
            let done = total.borrow().is_some_and(|total| seen.len() as u64 >= total);
            if done || tokio::time::Instant::now() > deadline {
                return seen;
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), watch.changed()).await;
        }
    })
}

/// What a subscriber following from `start` must have seen of `total` appended events:
/// each once, at gap-free positions in order, each stream's versions in order.
pub fn assert_gap_free(seen: &[RecordedEvent], start: u64, total: u64) {
    assert_eq!(seen.len() as u64, total, "the subscriber must see every event once");
    for (i, r) in seen.iter().enumerate() {
        assert_eq!(r.position, start + 1 + i as u64, "positions must be gap-free and in order");
    }
    let mut versions: HashMap<&str, Vec<u64>> = HashMap::new();
    for r in seen {
        versions.entry(&r.stream_id).or_default().push(r.stream_version);
    }
    for (stream, v) in versions {
        let expected: Vec<u64> = (1..=v.len() as u64).collect();
        assert_eq!(v, expected, "stream {stream} must be seen in version order");
    }
    let ids: BTreeMap<Uuid, u64> = seen.iter().map(|r| (r.event.id, r.position)).collect();
    assert_eq!(ids.len(), seen.len(), "no event may be delivered twice");
}

/// Appending no events succeeds, reports the current version and writes nothing.
pub async fn an_empty_append_writes_nothing(s: &Subject) {
    s.store.append("t-e", ExpectedVersion::Any, vec![event("e", "Ticked", 0)]).await.unwrap();
    let before = head(s).await;
    let appended = s.store.append("t-e", ExpectedVersion::Exactly(1), vec![]).await.unwrap();
    assert_eq!(appended.stream_version, 1);
    assert_eq!(appended.last_position, None);
    assert_eq!(head(s).await, before);
}
