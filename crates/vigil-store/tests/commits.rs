//! What a commit waits for: durable writes are fsynced, deferred ones only when they share
//! a batch with a durable one; and the newest events read from memory are the ones SQLite
//! holds.

use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use rusqlite::Connection;
use uuid::Uuid;
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::{EventStore, ExpectedVersion};
use vigil_store::sqlite::{Commit, Db, DbError, DbOptions, Durability, SqliteEventStore};

fn open(dir: &tempfile::TempDir, durability: Durability) -> Db {
    Db::open(&dir.path().join("vigil.db"), DbOptions { durability, ..DbOptions::default() }).unwrap()
}

/// `PRAGMA synchronous` as the job's own commit will see it: 2 is FULL (fsync at commit),
/// 1 is NORMAL (none).
fn synchronous(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA synchronous", [], |r| r.get(0))
}

#[tokio::test]
async fn deferred_writes_alone_skip_the_fsync_and_durable_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Durability::Full);
    db.write(|conn| conn.execute_batch("CREATE TABLE t (v INTEGER)")).await.unwrap().unwrap();

    let deferred = db.write_as(Commit::Deferred, synchronous).await.unwrap().unwrap();
    let durable = db.write(synchronous).await.unwrap().unwrap();
    let deferred_again = db.write_as(Commit::Deferred, synchronous).await.unwrap().unwrap();
    assert_eq!((deferred, durable, deferred_again), (1, 2, 1));

    // A deferred write's data is committed: another connection reads it.
    db.write_as(Commit::Deferred, |conn| conn.execute("INSERT INTO t (v) VALUES (7)", [])).await.unwrap().unwrap();
    let seen: i64 = db.read(|conn| Ok(conn.query_row("SELECT v FROM t", [], |r| r.get(0))?)).await.unwrap();
    assert_eq!(seen, 7);
}

#[tokio::test]
async fn a_durable_write_makes_its_whole_batch_durable() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Durability::Full);
    // Hold the writer inside a first job until both others are queued behind it, so that
    // they share the next batch.
    let (release, held) = mpsc::channel::<()>();
    let blocker = tokio::spawn({
        let db = db.clone();
        async move {
            db.write(move |_| {
                held.recv_timeout(Duration::from_secs(10)).map_err(|e| DbError(e.to_string()))?;
                Ok::<_, DbError>(())
            })
            .await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let deferred = tokio::spawn({
        let db = db.clone();
        async move { db.write_as(Commit::Deferred, synchronous).await }
    });
    let durable = tokio::spawn({
        let db = db.clone();
        async move { db.write(synchronous).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    release.send(()).unwrap();
    blocker.await.unwrap().unwrap().unwrap();
    assert_eq!(deferred.await.unwrap().unwrap().unwrap(), 2, "deferred, but in a batch with a durable write");
    assert_eq!(durable.await.unwrap().unwrap().unwrap(), 2);
}

#[tokio::test]
async fn under_normal_durability_nothing_waits_for_an_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Durability::Normal);
    assert_eq!(db.write(synchronous).await.unwrap().unwrap(), 1);
    assert_eq!(db.write_as(Commit::Deferred, synchronous).await.unwrap().unwrap(), 1);
}

fn event(n: u64) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: "Happened".into(),
        schema_version: 1,
        source: "/test".into(),
        subject: n.to_string(),
        time: Utc::now(),
        data: format!("{{\"n\":{n}}}"),
        correlation_id: None,
        causation_id: None,
    }
}

#[tokio::test]
async fn the_newest_events_read_from_memory_are_those_sqlite_holds() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Durability::Full);
    let store = SqliteEventStore::open(db.clone()).await.unwrap();
    for n in 0..40u64 {
        let stream = if n % 3 == 0 { format!("cluster-{}", n % 4) } else { format!("host-{}", n % 5) };
        store.append(&stream, ExpectedVersion::Any, vec![event(n), event(n + 100)]).await.unwrap();
    }
    // A second store on the same file has seen no commit: it reads SQLite.
    let cold = SqliteEventStore::open(db).await.unwrap();
    for after in [0, 1, 17, 79, 80] {
        for limit in [1, 7, 1000] {
            let warm = store.read_categories(after, limit, &["host"]).await.unwrap();
            let from_disk = cold.read_categories(after, limit, &["host"]).await.unwrap();
            assert_eq!(warm, from_disk, "read_categories({after}, {limit})");
            assert_eq!(store.read_all(after, limit).await.unwrap(), cold.read_all(after, limit).await.unwrap());
        }
    }
    let (hosts, through) = store.read_categories(0, 1000, &["host"]).await.unwrap();
    assert_eq!(through, 80);
    assert!(!hosts.is_empty() && hosts.iter().all(|e| e.stream_id.starts_with("host-")));
}

/// The append's stream-version lookup binds a text stream id. SQLite built with STAT4 would
/// re-prepare such a statement on every bind (it did: a tenth of the writer's time under 64
/// callers); the writer's and readers' connections keep their plans instead.
#[tokio::test]
async fn a_cached_statement_is_not_re_prepared_for_each_text_value_bound() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(&dir, Durability::Full);
    let store = SqliteEventStore::open(db.clone()).await.unwrap();
    store.append("host-a", ExpectedVersion::Exactly(0), vec![event(1)]).await.unwrap();
    let lookup = "SELECT stream_version FROM events WHERE stream_id = ?1 ORDER BY stream_version DESC LIMIT 1";
    let count = |conn: &Connection| -> Result<i32, rusqlite::Error> {
        for i in 0..50 {
            let mut stmt = conn.prepare_cached(lookup)?;
            let _: Option<i64> = stmt.query_row([format!("host-{i}")], |r| r.get(0)).ok();
        }
        Ok(conn.prepare_cached(lookup)?.get_status(rusqlite::StatementStatus::RePrepare))
    };
    let on_writer = db.write(count).await.unwrap().unwrap();
    let on_reader = db.read(move |conn| Ok(count(conn)?)).await.unwrap();
    assert_eq!((on_writer, on_reader), (0, 0), "re-prepares of the lookup on the writer and on a reader");
}
