//! The lake read back with DuckDB (PyPI `duckdb`, in a virtual environment the test makes):
//! its rows are the store's, partitions are pruned by topic and date, and a crash between the
//! renames and the checkpoint neither loses nor repeats a row.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_kernel::envelope::{NewEvent, RecordedEvent};
use vigil_kernel::projection::{Projection, ProjectionRunner};
use vigil_kernel::store::{EventStore, ExpectedVersion};
use vigil_lake::export::{ExportRequest, export};
use vigil_lake::{LakeConfig, LakeSink, layout};
use vigil_reactions::topic::topic_of;
use vigil_store::SqliteEventStore;
use vigil_store::sqlite::{Db, DbOptions};

#[allow(dead_code)]
#[path = "../../vigil-reactions/tests/support/python.rs"]
mod python;

const DUCKDB: &str = "duckdb==2.0.1";

/// Reads the lake at argv[1] and prints, as JSON, every row in position order and the rows
/// per (topic, date).
const READ_LAKE: &str = r#"
import json, sys, duckdb
lake = sys.argv[1]
con = duckdb.connect()
scan = f"read_parquet('{lake}/events/*/*/*.parquet', hive_partitioning = true)"
rows = con.sql(f"""
    SELECT position, id, source, specversion, type, subject, epoch_us(time), datacontenttype,
           schemaversion, correlationid, stream, version, data, topic, CAST(date AS VARCHAR)
    FROM {scan} ORDER BY position""").fetchall()
counts = con.sql(f"SELECT topic, CAST(date AS VARCHAR), count(*) FROM {scan} GROUP BY ALL ORDER BY ALL").fetchall()
print(json.dumps({"rows": rows, "counts": counts}))
"#;

/// Counts the rows of one (topic, date) of the lake at argv[1] (argv[2], argv[3]); with
/// argv[4] = "all", counts every row instead.
const COUNT_PARTITION: &str = r#"
import json, sys, duckdb
lake, topic, date, which = sys.argv[1:5]
scan = f"read_parquet('{lake}/events/*/*/*.parquet', hive_partitioning = true)"
where = "" if which == "all" else f"WHERE topic = '{topic}' AND date = DATE '{date}'"
print(json.dumps(duckdb.connect().sql(f"SELECT count(*) FROM {scan} {where}").fetchall()[0][0]))
"#;

fn run_python(python: &Path, script: &str, args: &[&str]) -> Result<Value, String> {
    let dir = python::scratch_dir("duckdb-script");
    let file = dir.join("script.py");
    std::fs::write(&file, script).unwrap();
    let out = Command::new(python).arg(&file).args(args).output().unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap())
}

async fn store_at(dir: &Path) -> Arc<SqliteEventStore> {
    let db = Db::open(&dir.join("vigil.db"), DbOptions::default()).unwrap();
    Arc::new(SqliteEventStore::open(db).await.unwrap())
}

/// `n` events over hosts, heartbeats, clusters, an outside source and analytics, spread
/// over three days.
async fn append_events(store: &SqliteEventStore, n: usize, offset: usize) {
    let start: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 3, 1, 22, 0, 0).unwrap();
    for i in offset..offset + n {
        let (stream, event_type, source) = match i % 5 {
            0 => (format!("host-{}", Uuid::from_u128(i as u128 % 7)), "HostDetailsUpdated", "/vigil/agents/x"),
            1 => (format!("host-{}", Uuid::from_u128(i as u128 % 7)), "HeartbeatFailed", "/vigil/heartbeats"),
            2 => (format!("cluster-{}", Uuid::from_u128(i as u128 % 3)), "ClusterHealthChanged", "/vigil/agents/y"),
            3 => (format!("external-{}", Uuid::from_u128(1)), "build.failed", "https://ci.example.com/x"),
            _ => (format!("analytics-{}", Uuid::from_u128(2)), "AnomalyDetected", "/vigil/analytics"),
        };
        let event = NewEvent {
            id: Uuid::from_u128(1_000_000 + i as u128),
            event_type: event_type.to_owned(),
            schema_version: 1,
            source: source.to_owned(),
            subject: stream.split_once('-').unwrap().1.to_owned(),
            time: start + chrono::Duration::minutes(i as i64),
            data: json!({"n": i, "text": "ünïcödé \"quoted\""}).to_string(),
            correlation_id: (i % 2 == 0).then(|| Uuid::from_u128(i as u128)),
            causation_id: None,
        };
        store.append(&stream, ExpectedVersion::Any, vec![event]).await.unwrap();
    }
}

async fn all_events(store: &SqliteEventStore) -> Vec<RecordedEvent> {
    let mut events = Vec::new();
    loop {
        let batch = store.read_all(events.last().map_or(0, |e: &RecordedEvent| e.position), 1000).await.unwrap();
        if batch.is_empty() {
            return events;
        }
        events.extend(batch);
    }
}

fn small_lake(dir: PathBuf) -> LakeConfig {
    LakeConfig {
        roll_bytes: 16 * 1024,
        roll_age: Duration::from_secs(3600),
        row_group_rows: 100,
        ..LakeConfig::at(dir)
    }
}

async fn run_sink(store: &Arc<SqliteEventStore>, sink: &Arc<LakeSink>) -> u64 {
    let projection: Arc<dyn Projection> = sink.clone();
    let store: Arc<dyn EventStore> = store.clone();
    ProjectionRunner::new(store, projection, 250).catch_up(None, |_| ()).await.unwrap()
}

/// The lake as DuckDB reads it equals the store, row for row and per partition.
fn assert_lake_is_the_store(python: &Path, lake: &Path, events: &[RecordedEvent]) {
    let read = run_python(python, READ_LAKE, &[lake.to_str().unwrap()]).unwrap();
    let rows = read["rows"].as_array().unwrap();
    assert_eq!(rows.len(), events.len(), "rows in the lake vs events in the store");
    for (row, recorded) in rows.iter().zip(events) {
        let e = &recorded.event;
        let expected = json!([
            recorded.position,
            e.id.to_string(),
            e.source,
            "1.0",
            e.event_type,
            e.subject,
            e.time.timestamp_micros(),
            "application/json",
            e.schema_version,
            e.correlation_id.map(|c| c.to_string()),
            recorded.stream_id,
            recorded.stream_version,
            e.data,
            topic_of(&recorded.stream_id, &e.event_type, &e.source),
            e.time.date_naive().to_string(),
        ]);
        assert_eq!(row, &expected);
    }
    let mut counts: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for recorded in events {
        let e = &recorded.event;
        let topic = topic_of(&recorded.stream_id, &e.event_type, &e.source);
        *counts.entry((topic, e.time.date_naive().to_string())).or_default() += 1;
    }
    let expected: Vec<Value> = counts.into_iter().map(|((t, d), n)| json!([t, d, n])).collect();
    assert_eq!(read["counts"].as_array().unwrap(), &expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duckdb_reads_the_lake_as_the_store_holds_it_and_prunes_by_topic_and_date() {
    let Some(python) = python::venv(&[DUCKDB], "the DuckDB read of the lake") else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path()).await;
    append_events(&store, 3000, 0).await;
    let lake = dir.path().join("lake");
    let sink = Arc::new(LakeSink::open(small_lake(lake.clone()), store.head()).unwrap());
    assert_eq!(run_sink(&store, &sink).await, 3000);
    sink.roll().await.unwrap();
    assert_eq!(sink.durable_position(), 3000);
    let events = all_events(&store).await;
    assert_lake_is_the_store(&python, &lake, &events);
    // Rolled by size: several files per busy partition, each named after its first row.
    let parts = layout::scan(&layout::events_dir(&lake)).unwrap();
    assert!(parts.len() > 15, "{} part files", parts.len());
    assert!(parts.iter().all(|p| matches!(p, layout::Found::Part(..))), "no temp file is left: {parts:?}");
    assert!(lake.join("events/topic=external.https%3A%2F%2Fci.example.com%2Fx").is_dir());

    // Pruning: a file that is not Parquet at all in another partition is never opened by a
    // query that filters on topic and date, and is by one that does not.
    let other = layout::partition_dir(
        &layout::events_dir(&lake),
        "topic",
        "clusters",
        chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
    );
    std::fs::write(other.join("part-999999999.parquet"), b"not parquet").unwrap();
    let hosts_on_day_two = events
        .iter()
        .filter(|e| {
            topic_of(&e.stream_id, &e.event.event_type, &e.event.source) == "hosts"
                && e.event.time.date_naive().to_string() == "2026-03-02"
        })
        .count();
    assert!(hosts_on_day_two > 0);
    let lake_arg = lake.to_str().unwrap();
    let pruned = run_python(&python, COUNT_PARTITION, &[lake_arg, "hosts", "2026-03-02", "one"]).unwrap();
    assert_eq!(pruned, json!(hosts_on_day_two));
    let unpruned = run_python(&python, COUNT_PARTITION, &[lake_arg, "hosts", "2026-03-02", "all"]);
    assert!(unpruned.is_err(), "a scan of every partition reads the planted file: {unpruned:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_renames_and_the_checkpoint_neither_loses_nor_repeats_a_row() {
    let Some(python) = python::venv(&[DUCKDB], "the DuckDB read of the lake") else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path()).await;
    let lake = dir.path().join("lake");
    append_events(&store, 1000, 0).await;
    {
        // Rolled by hand only, so the crash happens where the test says.
        let by_hand = LakeConfig { roll_bytes: u64::MAX, ..small_lake(lake.clone()) };
        let sink = Arc::new(LakeSink::open(by_hand, store.head()).unwrap());
        run_sink(&store, &sink).await;
        sink.roll().await.unwrap();
        append_events(&store, 700, 1000).await;
        run_sink(&store, &sink).await;
        // The renames happen, the checkpoint does not: the process dies here.
        let published = sink.publish_without_checkpoint().unwrap();
        assert!(!published.files.is_empty());
        append_events(&store, 300, 1700).await;
        run_sink(&store, &sink).await;
        // The files it had open are half-written `.tmp` files when it dies.
        assert_eq!(sink.durable_position(), 1000);
    }
    let before = layout::scan(&layout::events_dir(&lake)).unwrap();
    assert!(before.iter().any(|f| matches!(f, layout::Found::Temp(_))), "the crash leaves temp files");
    assert!(before.iter().any(|f| matches!(f, layout::Found::Part(_, first) if *first > 1000)));

    let sink = Arc::new(LakeSink::open(small_lake(lake.clone()), store.head()).unwrap());
    let after = layout::scan(&layout::events_dir(&lake)).unwrap();
    assert!(after.iter().all(|f| matches!(f, layout::Found::Part(_, first) if *first <= 1000)), "{after:?}");
    assert_eq!(run_sink(&store, &sink).await, 2000);
    sink.roll().await.unwrap();
    let events = all_events(&store).await;
    assert_lake_is_the_store(&python, &lake, &events);
    drop(sink);

    // A lost file is written again by an export from its first position, whole files
    // replaced.
    let parts = layout::scan(&layout::events_dir(&lake)).unwrap();
    let (lost, first) = parts
        .iter()
        .find_map(|f| match f {
            layout::Found::Part(path, first) if path.to_str().unwrap().contains("topic=hosts") => {
                Some((path.clone(), *first))
            }
            _ => None,
        })
        .unwrap();
    std::fs::remove_file(&lost).unwrap();
    let request = ExportRequest { from: first, to: Some(2000), topic: None, roll_bytes: 1 << 20, row_group_rows: 1000 };
    let report = export(store.as_ref(), &lake, request, |_, _| ()).await.unwrap();
    assert!(report.from <= first && report.to == 2000 && report.replaced >= 1, "{report:?}");
    assert_eq!(report.checkpoint, 2000);
    assert_lake_is_the_store(&python, &lake, &events);

    // With a topic, an export may not reach past the checkpoint; nor may one leave a gap.
    append_events(&store, 10, 2000).await;
    let past = ExportRequest {
        from: 1,
        to: None,
        topic: Some("hosts".to_owned().into()),
        roll_bytes: 1 << 20,
        row_group_rows: 1000,
    };
    let refused = export(store.as_ref(), &lake, past, |_, _| ()).await.unwrap_err();
    assert!(refused.to_string().contains("at most the lake's checkpoint 2000"), "{refused}");
    let gap = ExportRequest { from: 2005, to: None, topic: None, roll_bytes: 1 << 20, row_group_rows: 1000 };
    let refused = export(store.as_ref(), &lake, gap, |_, _| ()).await.unwrap_err();
    assert!(refused.to_string().contains("would leave positions 2001 to 2004 out"), "{refused}");
    // A backfill of everything after the checkpoint moves it.
    let rest = ExportRequest { from: 2001, to: None, topic: None, roll_bytes: 1 << 20, row_group_rows: 1000 };
    let report = export(store.as_ref(), &lake, rest, |_, _| ()).await.unwrap();
    assert_eq!((report.rows, report.checkpoint), (10, 2010));
    assert_lake_is_the_store(&python, &lake, &all_events(&store).await);
}

#[tokio::test]
async fn a_lake_ahead_of_its_store_or_already_open_is_refused_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path()).await;
    append_events(&store, 5, 0).await;
    let lake = dir.path().join("lake");
    let sink = LakeSink::open(small_lake(lake.clone()), store.head()).unwrap();
    let second = LakeSink::open(small_lake(lake.clone()), store.head()).err().unwrap();
    assert!(second.to_string().contains("is being written by another process"), "{second}");
    drop(sink);
    std::fs::create_dir_all(layout::events_dir(&lake)).unwrap();
    layout::write_atomically(&layout::checkpoint_file(&lake), br#"{"position": 99}"#).unwrap();
    let ahead = LakeSink::open(small_lake(lake), store.head()).err().unwrap();
    assert!(ahead.to_string().contains("up to position 99 but the store ends at 5"), "{ahead}");
}
