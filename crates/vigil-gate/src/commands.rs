//! Dispatch of landscape commands to their aggregates.
//!
//! Each aggregate has a kernel `CommandHandler` (load, decide, append with the expected
//! version, retry on conflict). `ResolveApplicationInstance` has no aggregate of its own: it
//! is resolved to its SAP system with the domain's `sap_system::resolve`, against a
//! database directory read from the read models, and then dispatched to that system.

use std::sync::Arc;

use uuid::Uuid;
use vigil_checks::execution::{ChecksCommand, ChecksRejection, ChecksState, TargetChecks};
use vigil_kernel::command::{CommandError, CommandHandler, CommandHandlerConfig, Handled};
use vigil_kernel::envelope::EventMetadata;
use vigil_kernel::store::{EventStore, SnapshotStore};
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::{Cluster, ClusterRejection, ClusterState};
use vigil_landscape::database::{Database, DatabaseRejection, DatabaseState};
use vigil_landscape::host::{Host, HostRejection, HostState};
use vigil_landscape::prerequisite::Prerequisite;
use vigil_landscape::sap_system::{SapSystem, SapSystemRejection, SapSystemState, resolve};
use vigil_reactions::operation::{Operation, OperationCommand, OperationRejection};

use vigil_readmodel::landscape::LandscapeViews;

/// What a dispatched command did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dispatched {
    /// How many events it appended.
    pub n_events: usize,
    /// Position of the last of them.
    pub last_position: Option<u64>,
}

/// Why a dispatched command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// A business rule refused it; the reason is for the caller.
    #[error("{0}")]
    Rejected(Refusal),
    /// Refused because the target does not exist.
    #[error("{0}")]
    NotFound(Refusal),
    /// The store or a stored event failed; not the caller's fault.
    #[error("{0}")]
    Failed(String),
}

impl DispatchError {
    /// What the command waits for, when it was refused for "not yet".
    pub fn waits_for(&self) -> Option<Prerequisite> {
        match self {
            DispatchError::Rejected(refusal) | DispatchError::NotFound(refusal) => refusal.waits_for,
            DispatchError::Failed(_) => None,
        }
    }
}

/// A refusal as the caller sees it: what it says, and (from the domain, typed until here)
/// what it waits for when it means "not yet", so the ingest knows whether to park.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The rejection's message.
    pub message: String,
    /// What would let the command through, if anything.
    pub waits_for: Option<Prerequisite>,
}

impl Refusal {
    /// A final refusal (nothing to wait for).
    pub fn final_(message: impl Into<String>) -> Self {
        Refusal { message: message.into(), waits_for: None }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Maps a handler's error: `not_found` rejections become 404s, the others 422s, and
/// failures of the store 503s; `waits_for` is the domain's reading of a rejection.
fn dispatch_error<R: std::error::Error + 'static>(
    e: CommandError<R>,
    not_found: impl Fn(&R) -> bool,
    waits_for: impl Fn(&R) -> Option<Prerequisite>,
) -> DispatchError {
    match e {
        CommandError::Rejected(r) => {
            let refusal = Refusal { message: r.to_string(), waits_for: waits_for(&r) };
            if not_found(&r) { DispatchError::NotFound(refusal) } else { DispatchError::Rejected(refusal) }
        }
        other => DispatchError::Failed(other.to_string()),
    }
}

impl From<CommandError<HostRejection>> for DispatchError {
    fn from(e: CommandError<HostRejection>) -> Self {
        dispatch_error(e, |r| matches!(r, HostRejection::NotRegistered(_)), HostRejection::prerequisite)
    }
}

impl From<CommandError<OperationRejection>> for DispatchError {
    fn from(e: CommandError<OperationRejection>) -> Self {
        dispatch_error(e, |r| matches!(r, OperationRejection::NotRequested), |_| None)
    }
}

impl From<CommandError<ChecksRejection>> for DispatchError {
    fn from(e: CommandError<ChecksRejection>) -> Self {
        dispatch_error(e, |_| false, |_| None)
    }
}

impl From<CommandError<ClusterRejection>> for DispatchError {
    fn from(e: CommandError<ClusterRejection>) -> Self {
        dispatch_error(e, |r| matches!(r, ClusterRejection::NotRegistered(_)), |_| None)
    }
}

impl From<CommandError<DatabaseRejection>> for DispatchError {
    fn from(e: CommandError<DatabaseRejection>) -> Self {
        dispatch_error(
            e,
            |r| matches!(r, DatabaseRejection::NotRegistered | DatabaseRejection::InstanceNotRegistered { .. }),
            DatabaseRejection::prerequisite,
        )
    }
}

impl From<CommandError<SapSystemRejection>> for DispatchError {
    fn from(e: CommandError<SapSystemRejection>) -> Self {
        dispatch_error(
            e,
            |r| matches!(r, SapSystemRejection::NotRegistered | SapSystemRejection::InstanceNotRegistered { .. }),
            |_| None,
        )
    }
}

fn dispatched<E>(handled: Handled<E>) -> Dispatched {
    Dispatched { n_events: handled.events.len(), last_position: handled.last_position }
}

/// The aggregates' command handlers, behind one `dispatch`.
pub struct Commands {
    hosts: CommandHandler<Host>,
    clusters: CommandHandler<Cluster>,
    databases: CommandHandler<Database>,
    sap_systems: CommandHandler<SapSystem>,
    operations: CommandHandler<Operation>,
    checks: CommandHandler<TargetChecks>,
    landscape: LandscapeViews,
}

impl Commands {
    /// Handlers over `store`, with snapshots in `snapshots` so that a long history loads as
    /// fast as a short one; application instances are resolved against `landscape`.
    pub fn new(store: Arc<dyn EventStore>, snapshots: Arc<dyn SnapshotStore>, landscape: LandscapeViews) -> Self {
        let config = CommandHandlerConfig::default;
        Commands {
            hosts: CommandHandler::with_snapshots(store.clone(), snapshots.clone(), config()),
            clusters: CommandHandler::with_snapshots(store.clone(), snapshots.clone(), config()),
            databases: CommandHandler::with_snapshots(store.clone(), snapshots.clone(), config()),
            sap_systems: CommandHandler::with_snapshots(store.clone(), snapshots, config()),
            operations: CommandHandler::new(store.clone(), config()),
            checks: CommandHandler::new(store, config()),
            landscape,
        }
    }

    /// Runs `command` against its aggregate.
    pub async fn dispatch(&self, command: LandscapeCommand, meta: &EventMetadata) -> Result<Dispatched, DispatchError> {
        match command {
            LandscapeCommand::Host { host_id, command } => {
                Ok(dispatched(self.hosts.handle(&host_id.to_string(), command, meta).await?))
            }
            LandscapeCommand::Cluster { cluster_id, command } => {
                Ok(dispatched(self.clusters.handle(&cluster_id.to_string(), command, meta).await?))
            }
            LandscapeCommand::Database { database_id, command } => {
                Ok(dispatched(self.databases.handle(&database_id.to_string(), command, meta).await?))
            }
            LandscapeCommand::SapSystem { sap_system_id, command } => {
                Ok(dispatched(self.sap_systems.handle(&sap_system_id.to_string(), command, meta).await?))
            }
            LandscapeCommand::ResolveApplicationInstance(registration) => {
                let directory = self
                    .landscape
                    .database_directory_for(&registration.db_host)
                    .await
                    .map_err(|e| DispatchError::Failed(e.to_string()))?;
                match resolve(registration, &directory) {
                    Ok(resolved) => Box::pin(self.dispatch(resolved, meta)).await,
                    Err(unresolved) => Err(DispatchError::Rejected(Refusal::final_(unresolved.to_string()))),
                }
            }
        }
    }

    /// Runs an operation command (a request, or the outcome the actions service reports).
    pub async fn operation(
        &self,
        operation_id: Uuid,
        command: OperationCommand,
        meta: &EventMetadata,
    ) -> Result<Dispatched, DispatchError> {
        Ok(dispatched(self.operations.handle(&operation_id.to_string(), command, meta).await?))
    }

    /// Runs a command of a target's checks (selection, an execution's start or results).
    pub async fn checks(
        &self,
        target_id: Uuid,
        command: ChecksCommand,
        meta: &EventMetadata,
    ) -> Result<Dispatched, DispatchError> {
        Ok(dispatched(self.checks.handle(&target_id.to_string(), command, meta).await?))
    }

    /// The checks state of target `id`: its selection, the running and the last execution.
    pub async fn checks_state(&self, id: Uuid) -> Result<Arc<ChecksState>, DispatchError> {
        Ok(self.checks.state(&id.to_string()).await?.0)
    }

    /// The current state of host `id` (from memory when warm).
    pub async fn host(&self, id: Uuid) -> Result<Arc<HostState>, DispatchError> {
        Ok(self.hosts.state(&id.to_string()).await?.0)
    }

    /// The current state of cluster `id`.
    pub async fn cluster(&self, id: Uuid) -> Result<Arc<ClusterState>, DispatchError> {
        Ok(self.clusters.state(&id.to_string()).await?.0)
    }

    /// The current state of database `id`.
    pub async fn database(&self, id: Uuid) -> Result<Arc<DatabaseState>, DispatchError> {
        Ok(self.databases.state(&id.to_string()).await?.0)
    }

    /// The current state of SAP system `id`.
    pub async fn sap_system(&self, id: Uuid) -> Result<Arc<SapSystemState>, DispatchError> {
        Ok(self.sap_systems.state(&id.to_string()).await?.0)
    }
}
