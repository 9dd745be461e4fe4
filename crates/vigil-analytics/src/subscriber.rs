//! The analytics subscriber: the detectors fed from the store (a `ProjectionRunner`
//! subscription over the landscape's streams) and from the actions' attempts (a cursor over
//! `action_attempts`), appending an `AnomalyDetected` event for each anomaly.
//!
//! An anomaly's event has a deterministic id, UUIDv5 of its kind, key and trigger (the
//! position or attempt that raised it), in stream `analytics-<UUIDv5 of kind and key>`, so
//! appending it again is the store's idempotent re-append: a batch repeated after a crash
//! emits nothing twice. The trackers live in memory; at start they are warmed up by running
//! the last `WARMUP_EVENTS` events (and attempts) before the checkpoint through them with
//! their anomalies dropped, so a restart judges the next events as the running process would
//! have.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;
use vigil_kernel::envelope::{NewEvent, RecordedEvent};
use vigil_kernel::projection::{Projection, ProjectionError};
use vigil_kernel::store::{EventStore, ExpectedVersion};
use vigil_reactions::store::{RecordedAttempt, attempts_after, last_attempt};
use vigil_store::sqlite::checkpoints::{load_checkpoint, save_checkpoint};
use vigil_store::sqlite::{Commit, Db};

use crate::detect::{Anomaly, Detectors};

/// The subscription's name, also of its checkpoint.
pub const NAME: &str = "analytics";

/// The checkpoint of the cursor over `action_attempts` (its rowid).
pub const ATTEMPTS_CHECKPOINT: &str = "analytics-attempts";

/// The type of the events the analytics append.
pub const ANOMALY_DETECTED: &str = "AnomalyDetected";

/// The CloudEvents `source` of those events.
pub const SOURCE: &str = "/vigil/analytics";

/// The namespace of the anomalies' UUIDv5 ids and streams. Changing it would make a
/// repeated anomaly a new one.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x6d1c_52a0_4f7e_4a53_9a43_1e55_a11c_0b5e);

/// Events (and attempts) before the checkpoint replayed at start to warm the trackers up.
pub const WARMUP_EVENTS: u64 = 100_000;

/// The stream categories the detectors read.
pub const CATEGORIES: &[&str] = &["host", "cluster", "database", "sap_system"];

/// The stream, id and event of an anomaly.
pub fn anomaly_event(anomaly: &Anomaly, time: chrono::DateTime<chrono::Utc>) -> (String, NewEvent) {
    let kind = anomaly.kind.as_str();
    let stream = format!("analytics-{}", Uuid::new_v5(&NAMESPACE, format!("{kind}/{}", anomaly.key).as_bytes()));
    let id = Uuid::new_v5(&NAMESPACE, format!("{kind}/{}/{}", anomaly.key, anomaly.trigger).as_bytes());
    let data = json!({
        "kind": kind,
        "scope": anomaly.scope,
        "key": anomaly.key,
        "trigger": anomaly.trigger,
        "window_seconds": anomaly.evidence.window_seconds,
        "observed": anomaly.evidence.observed,
        "threshold": anomaly.evidence.threshold,
        "baseline": {
            "mean": anomaly.evidence.baseline.mean,
            "deviation": anomaly.evidence.baseline.deviation,
            "windows": anomaly.evidence.baseline.windows,
        },
        "attempts": anomaly.evidence.attempts,
        "window_start": micros_to_rfc3339(anomaly.evidence.from_us),
        "window_end": micros_to_rfc3339(anomaly.evidence.to_us),
    });
    let event = NewEvent {
        id,
        event_type: ANOMALY_DETECTED.to_owned(),
        schema_version: 1,
        source: SOURCE.to_owned(),
        subject: anomaly.key.clone(),
        time,
        data: data.to_string(),
        correlation_id: None,
        causation_id: None,
    };
    (stream, event)
}

fn micros_to_rfc3339(us: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_micros(us).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// The subscriber.
pub struct Analytics {
    db: Db,
    store: Arc<dyn EventStore>,
    detectors: Mutex<Detectors>,
}

impl Analytics {
    /// Opens the subscriber: its checkpoints (starting at the store's head the first time:
    /// the analytics judge what happens from now on), the trackers warmed up.
    pub async fn open(db: Db, store: Arc<dyn EventStore>, detectors: Detectors) -> Result<Analytics, String> {
        let head = *store.head().borrow();
        let attempts_head = last_attempt(&db).await.map_err(|e| e.to_string())?;
        db.write(move |conn| {
            conn.execute_batch(vigil_store::sqlite::checkpoints::CHECKPOINTS)?;
            vigil_store::sqlite::checkpoints::start_checkpoint(conn, NAME, head)?;
            vigil_store::sqlite::checkpoints::start_checkpoint(conn, ATTEMPTS_CHECKPOINT, attempts_head)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        let analytics = Analytics { db, store, detectors: Mutex::new(detectors) };
        analytics.warm_up().await?;
        Ok(analytics)
    }

    async fn warm_up(&self) -> Result<(), String> {
        let checkpoint = load_checkpoint(&self.db, NAME).await.map_err(|e| e.to_string())?;
        let mut after = checkpoint.saturating_sub(WARMUP_EVENTS);
        while after < checkpoint {
            let (events, through) =
                self.store.read_categories(after, 10_000, CATEGORIES).await.map_err(|e| e.to_string())?;
            let mut detectors = self.lock();
            for e in events.iter().filter(|e| e.position <= checkpoint) {
                detectors.observe_event(e);
            }
            if through <= after {
                break;
            }
            after = through;
        }
        let cursor = load_checkpoint(&self.db, ATTEMPTS_CHECKPOINT).await.map_err(|e| e.to_string())?;
        let rows = attempts_after(&self.db, cursor.saturating_sub(WARMUP_EVENTS) as i64, WARMUP_EVENTS as usize)
            .await
            .map_err(|e| e.to_string())?;
        let mut detectors = self.lock();
        for a in rows.iter().filter(|a| a.seq as u64 <= cursor) {
            detectors.observe_attempt(a.seq, &a.rule, a.finished_at_us, a.failed);
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Detectors> {
        self.detectors.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn emit(&self, anomalies: Vec<(Anomaly, chrono::DateTime<chrono::Utc>)>) -> Result<(), String> {
        for (anomaly, time) in anomalies {
            let (stream, event) = anomaly_event(&anomaly, time);
            self.store.append(&stream, ExpectedVersion::Any, vec![event]).await.map_err(|e| e.to_string())?;
            metrics::counter!("vigil_anomalies_detected_total", "kind" => anomaly.kind.as_str()).increment(1);
            tracing::info!(kind = anomaly.kind.as_str(), key = %anomaly.key, observed = anomaly.evidence.observed,
                threshold = anomaly.evidence.threshold, "anomaly detected");
        }
        Ok(())
    }

    fn error(&self, message: impl std::fmt::Display) -> ProjectionError {
        ProjectionError { name: NAME.to_owned(), message: message.to_string() }
    }

    /// Follows `action_attempts` every `interval` until `shutdown`, feeding each finished
    /// attempt to the failure-share detector.
    pub async fn run_attempts(self: Arc<Self>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.attempts_round().await {
                tracing::warn!(%error, "analytics: reading the action attempts failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// One pass over the attempts after the cursor.
    pub async fn attempts_round(&self) -> Result<(), String> {
        loop {
            let cursor = load_checkpoint(&self.db, ATTEMPTS_CHECKPOINT).await.map_err(|e| e.to_string())?;
            let rows = attempts_after(&self.db, cursor as i64, 1000).await.map_err(|e| e.to_string())?;
            let Some(last) = rows.last().map(|a| a.seq) else { return Ok(()) };
            let anomalies: Vec<_> = {
                let mut detectors = self.lock();
                rows.iter()
                    .filter_map(|a: &RecordedAttempt| {
                        let anomaly = detectors.observe_attempt(a.seq, &a.rule, a.finished_at_us, a.failed)?;
                        Some((anomaly, chrono::DateTime::from_timestamp_micros(a.finished_at_us).unwrap_or_default()))
                    })
                    .collect()
            };
            self.emit(anomalies).await?;
            self.db
                .write_as(Commit::Deferred, move |conn| save_checkpoint(conn, ATTEMPTS_CHECKPOINT, last as u64))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        }
    }
}

#[async_trait]
impl Projection for Analytics {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn checkpoint(&self) -> Result<u64, ProjectionError> {
        load_checkpoint(&self.db, NAME).await.map_err(|e| self.error(e))
    }

    fn categories(&self) -> Option<&'static [&'static str]> {
        Some(CATEGORIES)
    }

    async fn apply(&self, events: Vec<RecordedEvent>) -> Result<(), ProjectionError> {
        let Some(last) = events.last().map(|e| e.position) else { return Ok(()) };
        let anomalies: Vec<_> = {
            let mut detectors = self.lock();
            events.iter().flat_map(|e| detectors.observe_event(e).into_iter().map(|a| (a, e.event.time))).collect()
        };
        self.emit(anomalies).await.map_err(|e| self.error(e))?;
        self.skip(last).await
    }

    async fn skip(&self, position: u64) -> Result<(), ProjectionError> {
        self.db
            .write_as(Commit::Deferred, move |conn| save_checkpoint(conn, NAME, position))
            .await
            .map_err(|e| self.error(e))?
            .map_err(|e| self.error(e))
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        Err(self
            .error("the analytics are not a read model and are never rebuilt: that would raise old anomalies again"))
    }
}
