//! What checks events mean elsewhere, as a durable subscription (like the landscape's
//! process manager, with a checkpoint of its own):
//!
//! * `ChecksExecutionCompleted` → the execution's health becomes the cluster's or host's
//!   checks health (`CompleteChecksExecution` on the cluster, `UpdateChecksHealth` on the
//!   host), which folds into its health by Trento's worst-of rule. The commands decide
//!   nothing the second time, so a repeat after a crash is harmless.
//! * A cluster's or host's discovered data changing → the target is due for the schedule
//!   (only targets with a selection run).
//!
//! Its first start begins at the store's head; every command goes through the gate as the
//! system principal `checks`.

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;
use vigil_checks::TargetType;
use vigil_checks::execution::ChecksEvent;
use vigil_gate::gate::{CommandGate, GateCommand};
use vigil_gate::principal::{self, Principal};
use vigil_kernel::envelope::{EventMetadata, RecordedEvent};
use vigil_kernel::projection::{Projection, ProjectionError};
use vigil_kernel::store::EventStore;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::ClusterCommand;
use vigil_landscape::host::HostCommand;
use vigil_readmodel::{load_checkpoint, save_checkpoint};
use vigil_store::Db;
use vigil_store::sqlite::Commit;

use super::runner::{ChecksRunner, ChecksTarget};

/// The subscription's name, also of its checkpoint.
pub const NAME: &str = "checks_reactions";

/// The stream categories it reads.
const CATEGORIES: &[&str] = &["checks", "cluster", "host"];

/// Cluster events after which its checks may answer differently.
const CLUSTER_CHANGES: &[&str] =
    &["ClusterRegistered", "ClusterDetailsUpdated", "HostAddedToCluster", "HostRemovedFromCluster", "ClusterRestored"];

/// Host events after which its checks may answer differently.
const HOST_CHANGES: &[&str] = &[
    "HostRegistered",
    "HostDetailsUpdated",
    "ProviderUpdated",
    "SlesSubscriptionsUpdated",
    "SaptuneStatusUpdated",
    "HostRestored",
];

/// The subscription.
pub struct ChecksReactions {
    db: Db,
    gate: Arc<CommandGate>,
    runner: Arc<ChecksRunner>,
    principal: Principal,
}

impl ChecksReactions {
    /// The subscription, starting at the store's head on its first start.
    pub async fn open(
        db: Db,
        store: &Arc<dyn EventStore>,
        gate: Arc<CommandGate>,
        runner: Arc<ChecksRunner>,
    ) -> Result<Self, vigil_store::sqlite::DbError> {
        let head = *store.head().borrow();
        db.write(move |conn| vigil_store::sqlite::checkpoints::start_checkpoint(conn, NAME, head)).await??;
        Ok(ChecksReactions { db, gate, runner, principal: principal::system("checks") })
    }

    fn error(&self, e: impl std::fmt::Display) -> ProjectionError {
        ProjectionError { name: NAME.to_owned(), message: e.to_string() }
    }

    async fn save(&self, position: u64, commit: Commit) -> Result<(), ProjectionError> {
        self.db
            .write_as(commit, move |conn| save_checkpoint(conn, NAME, position))
            .await
            .map_err(|e| self.error(e))?
            .map_err(|e| self.error(e))
    }

    /// The landscape command that carries a completed execution's health.
    fn health_command(event: &RecordedEvent) -> Result<Option<LandscapeCommand>, ProjectionError> {
        let decoded = event.decode::<ChecksEvent>().map_err(|e| ProjectionError {
            name: NAME.to_owned(),
            message: format!("event {} does not decode: {e}", event.event.id),
        })?;
        let ChecksEvent::ChecksExecutionCompleted(completed) = decoded else { return Ok(None) };
        let health = completed.health;
        Ok(Some(match completed.target_type {
            TargetType::Cluster => LandscapeCommand::Cluster {
                cluster_id: completed.target_id,
                command: ClusterCommand::CompleteChecksExecution { cluster_id: completed.target_id, health },
            },
            TargetType::Host => LandscapeCommand::Host {
                host_id: completed.target_id,
                command: HostCommand::UpdateChecksHealth { host_id: completed.target_id, health },
            },
        }))
    }
}

/// The aggregate id of a `<category>-<uuid>` stream.
fn stream_uuid(stream_id: &str) -> Option<Uuid> {
    stream_id.split_once('-').and_then(|(_, id)| id.parse().ok())
}

#[async_trait]
impl Projection for ChecksReactions {
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
        let mut reacted_through = 0;
        for recorded in &events {
            let kind = recorded.event.event_type.as_str();
            let target_type = if CLUSTER_CHANGES.contains(&kind) {
                Some(TargetType::Cluster)
            } else if HOST_CHANGES.contains(&kind) {
                Some(TargetType::Host)
            } else {
                None
            };
            if let (Some(target_type), Some(id)) = (target_type, stream_uuid(&recorded.stream_id)) {
                self.runner.mark_due(ChecksTarget { target_type, id });
                continue;
            }
            if kind != "ChecksExecutionCompleted" {
                continue;
            }
            let Some(command) = Self::health_command(recorded)? else { continue };
            let meta = EventMetadata {
                time: chrono::Utc::now(),
                source: "/vigil/checks".into(),
                correlation_id: recorded.event.correlation_id,
                causation_id: Some(recorded.event.id),
            };
            self.gate
                .submit_reaction(&self.principal, GateCommand::Landscape(command), &meta)
                .await
                .map_err(|e| self.error(e))?;
            self.save(recorded.position, Commit::Durable).await?;
            reacted_through = recorded.position;
        }
        if last > reacted_through {
            self.save(last, Commit::Deferred).await?;
        }
        Ok(())
    }

    async fn skip(&self, position: u64) -> Result<(), ProjectionError> {
        self.save(position, Commit::Deferred).await
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        Err(self.error("checks reactions are not rebuilt: replaying them would repeat their commands"))
    }
}
