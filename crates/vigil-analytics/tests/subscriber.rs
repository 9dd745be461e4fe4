//! The analytics subscriber on a real SQLite store: a flapping host raises one
//! `AnomalyDetected`, a batch repeated after a crash raises nothing twice, and a rule whose
//! actions start failing (rows of the real `action_attempts` table) is found.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use uuid::Uuid;
use vigil_analytics::subscriber::{ANOMALY_DETECTED, ATTEMPTS_CHECKPOINT, NAME};
use vigil_analytics::{Analytics, AnalyticsSettings, Detectors};
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::projection::{Projection, ProjectionRunner};
use vigil_kernel::store::{EventQuery, EventStore, ExpectedVersion};
use vigil_store::SqliteEventStore;
use vigil_store::sqlite::checkpoints::save_checkpoint;
use vigil_store::sqlite::{Db, DbOptions};

async fn heartbeat(store: &SqliteEventStore, host: u128, kind: &str, second: i64) {
    let host = Uuid::from_u128(host);
    let event = NewEvent {
        id: Uuid::now_v7(),
        event_type: kind.to_owned(),
        schema_version: 1,
        source: "/vigil/heartbeats".to_owned(),
        subject: host.to_string(),
        time: Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(second),
        data: format!(r#"{{"host_id":"{host}"}}"#),
        correlation_id: None,
        causation_id: None,
    };
    store.append(&format!("host-{host}"), ExpectedVersion::Any, vec![event]).await.unwrap();
}

async fn anomalies(store: &SqliteEventStore) -> Vec<vigil_kernel::envelope::RecordedEvent> {
    let query = EventQuery { event_type: Some(ANOMALY_DETECTED.to_owned()), limit: 100, ..Default::default() };
    store.query(query).await.unwrap()
}

async fn catch_up(store: &Arc<SqliteEventStore>, analytics: &Arc<Analytics>) {
    let projection: Arc<dyn Projection> = analytics.clone();
    let store: Arc<dyn EventStore> = store.clone();
    ProjectionRunner::new(store, projection, 3).catch_up(None, |_| ()).await.unwrap();
}

#[tokio::test]
async fn a_flapping_host_raises_one_anomaly_and_a_repeated_batch_raises_it_no_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions::default()).unwrap();
    let store = Arc::new(SqliteEventStore::open(db.clone()).await.unwrap());
    let detectors = || Detectors::new(&AnalyticsSettings::default()).unwrap();
    let analytics = Arc::new(Analytics::open(db.clone(), store.clone(), detectors()).await.unwrap());
    // A quiet host: one failure and recovery. A flapping one: eight flips in four minutes.
    heartbeat(&store, 1, "HeartbeatFailed", 0).await;
    heartbeat(&store, 1, "HeartbeatSucceeded", 60).await;
    for i in 0..8 {
        let kind = if i % 2 == 0 { "HeartbeatFailed" } else { "HeartbeatSucceeded" };
        heartbeat(&store, 2, kind, 100 + i * 30).await;
    }
    catch_up(&store, &analytics).await;
    let found = anomalies(&store).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let anomaly = &found[0];
    assert!(anomaly.stream_id.starts_with("analytics-"), "{}", anomaly.stream_id);
    assert_eq!(anomaly.event.subject, Uuid::from_u128(2).to_string());
    assert_eq!(anomaly.event.source, "/vigil/analytics");
    let data: serde_json::Value = serde_json::from_str(&anomaly.event.data).unwrap();
    assert_eq!(data["kind"], "heartbeat_flapping");
    assert_eq!(data["observed"], 6.0);
    assert_eq!(data["window_seconds"], 600.0);
    // The time of the event that raised it (the sixth flip), not a clock's.
    assert_eq!(anomaly.event.time, Utc.with_ymd_and_hms(2026, 5, 1, 0, 4, 10).unwrap());

    // The process dies after appending, before its checkpoint: the next one reads the same
    // events again and appends the same id, which the store keeps once.
    drop(analytics);
    db.write(|conn| save_checkpoint(conn, NAME, 0)).await.unwrap().unwrap();
    let analytics = Arc::new(Analytics::open(db.clone(), store.clone(), detectors()).await.unwrap());
    catch_up(&store, &analytics).await;
    assert_eq!(anomalies(&store).await, found, "the anomaly is stored once");
}

#[tokio::test]
async fn a_rule_whose_attempts_start_failing_is_found_from_the_attempts_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions::default()).unwrap();
    let store = Arc::new(SqliteEventStore::open(db.clone()).await.unwrap());
    vigil_reactions::store::ExecutionStore::open(db.clone()).await.unwrap();
    let analytics = Arc::new(
        Analytics::open(db.clone(), store.clone(), Detectors::new(&AnalyticsSettings::default()).unwrap())
            .await
            .unwrap(),
    );
    // Rule `mail`: an hour of successes, one attempt a minute, then failures every 10 s.
    // Rule `page`: one attempt in four fails, all along.
    let minute = 60_000_000i64;
    db.write(move |conn| {
        let execution = |id: u128, rule: &str| {
            conn.execute(
                "INSERT INTO action_executions (id, event_id, rule, position, event_type, topic, event, status,
                 max_attempts, due_at, created_at, updated_at) VALUES (?1, ?1, ?2, 1, 'X', 'hosts', '{}', 'pending', 5, 0, 0, 0)",
                rusqlite::params![Uuid::from_u128(id).as_bytes(), rule],
            )
        };
        let attempt = |id: u128, n: i64, at: i64, status: &str| {
            conn.execute(
                "INSERT INTO action_attempts (execution_id, attempt, step, started_at, finished_at, status)
                 VALUES (?1, ?2, 0, ?3, ?3, ?4)",
                rusqlite::params![Uuid::from_u128(id).as_bytes(), n, at, status],
            )
        };
        let start = 1_777_000_000_000_000i64;
        for i in 0..60i64 {
            execution(i as u128, "mail")?;
            attempt(i as u128, 1, start + i * minute, "succeeded")?;
            execution(1000 + i as u128, "page")?;
            attempt(1000 + i as u128, 1, start + i * minute, if i % 4 == 0 { "failed" } else { "succeeded" })?;
        }
        for i in 0..20i64 {
            execution(2000 + i as u128, "mail")?;
            attempt(2000 + i as u128, 1, start + 60 * minute + i * 10_000_000, "failed_permanently")?;
        }
        Ok::<_, rusqlite::Error>(())
    })
    .await
    .unwrap()
    .unwrap();
    analytics.attempts_round().await.unwrap();
    let found = anomalies(&store).await;
    assert_eq!(found.len(), 1, "{found:?}");
    let data: serde_json::Value = serde_json::from_str(&found[0].event.data).unwrap();
    assert_eq!((data["kind"].as_str(), data["key"].as_str()), (Some("action_failure_rise"), Some("mail")));
    assert!(data["observed"].as_f64().unwrap() >= 0.5 && data["attempts"].as_u64().unwrap() >= 5, "{data}");
    assert!(data["trigger"].as_str().unwrap().starts_with("attempt:"), "{data}");
    // The cursor moved past every attempt: a second round finds nothing new.
    let cursor = vigil_store::sqlite::checkpoints::load_checkpoint(&db, ATTEMPTS_CHECKPOINT).await.unwrap();
    assert_eq!(cursor, 140);
    analytics.attempts_round().await.unwrap();
    assert_eq!(anomalies(&store).await.len(), 1);
}
