//! The audit side of Vigil: every stored event is copied into the audit log, records queued
//! by other processes (the audit inbox) are moved in, and signed tree heads are made on time.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::projection::{Projection, ProjectionError};
use vigil_store::Db;

use vigil_store::sqlite::checkpoints::{load_checkpoint, save_checkpoint};

use crate::AuditLog;
use crate::inbox;

/// A subscription appending one `event` record per stored event, in store order.
///
/// At least once: a crash between the audit commit and the checkpoint commit records the
/// last batch again on restart (each record carries the event id and position, so a
/// reader can tell).
pub struct AuditedEvents {
    db: Db,
    audit: AuditLog,
}

impl AuditedEvents {
    /// The subscription over `db`'s checkpoints.
    pub fn new(db: Db, audit: AuditLog) -> Self {
        AuditedEvents { db, audit }
    }

    fn error(&self, e: impl std::fmt::Display) -> ProjectionError {
        ProjectionError { name: "audit".into(), message: e.to_string() }
    }
}

#[async_trait]
impl Projection for AuditedEvents {
    fn name(&self) -> &'static str {
        "audit"
    }

    async fn checkpoint(&self) -> Result<u64, ProjectionError> {
        load_checkpoint(&self.db, "audit").await.map_err(|e| self.error(e))
    }

    async fn apply(&self, events: Vec<RecordedEvent>) -> Result<(), ProjectionError> {
        let Some(last_position) = events.last().map(|e| e.position) else {
            return Ok(());
        };
        let mut last = None;
        for event in &events {
            let body = serde_json::to_value(event.to_cloud_event()).map_err(|e| self.error(e))?;
            last = Some(self.audit.enqueue("event", event.event.time, &body).await.map_err(|e| self.error(e))?);
        }
        if let Some(last) = last {
            last.committed().await.map_err(|e| self.error(e))?;
        }
        self.db
            .write(move |conn| save_checkpoint(conn, "audit", last_position))
            .await
            .map_err(|e| self.error(e))?
            .map_err(|e| self.error(e))
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        Err(self.error("the audit log is append-only and is never rebuilt"))
    }
}

/// Moves queued inbox records into the audit log and signs heads when due, every second,
/// until `shutdown`.
pub async fn run_audit_keeper(db: Db, audit: AuditLog, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(error) = drain_inbox(&db, &audit).await {
            tracing::warn!(%error, "could not move the audit inbox into the audit log; will retry");
        }
        if let Err(error) = audit.maybe_sign_head(chrono::Utc::now()).await {
            tracing::warn!(%error, "could not sign an audit tree head; will retry");
        }
    }
}

/// Moves every queued inbox record into the audit log.
pub async fn drain_inbox(db: &Db, audit: &AuditLog) -> Result<usize, String> {
    let mut moved = 0;
    loop {
        let queued = inbox::peek(db, 500).await.map_err(|e| e.to_string())?;
        let Some(last_id) = queued.last().map(|q| q.0) else {
            return Ok(moved);
        };
        for (_, kind, time, body) in &queued {
            let time =
                chrono::DateTime::parse_from_rfc3339(time).map(|t| t.to_utc()).unwrap_or_else(|_| chrono::Utc::now());
            let body: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::String(body.clone()));
            audit.append(kind, time, &body).await.map_err(|e| e.to_string())?;
        }
        inbox::remove_through(db, last_id).await.map_err(|e| e.to_string())?;
        moved += queued.len();
    }
}
