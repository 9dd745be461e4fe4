//! Dispatch of landscape commands to their aggregates.

use std::sync::Arc;

use uuid::Uuid;
use vigil_kernel::command::{CommandError, CommandHandler, CommandHandlerConfig};
use vigil_kernel::envelope::EventMetadata;
use vigil_kernel::store::EventStore;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::host::{Host, HostRejection, HostState};

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
    Rejected(String),
    /// Refused because the target does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The store or a stored event failed; not the caller's fault.
    #[error("{0}")]
    Failed(String),
}

impl From<CommandError<HostRejection>> for DispatchError {
    fn from(e: CommandError<HostRejection>) -> Self {
        match e {
            CommandError::Rejected(r @ HostRejection::NotRegistered(_)) => DispatchError::NotFound(r.to_string()),
            CommandError::Rejected(r) => DispatchError::Rejected(r.to_string()),
            other => DispatchError::Failed(other.to_string()),
        }
    }
}

/// The aggregates' command handlers, behind one `dispatch`.
pub struct Commands {
    hosts: CommandHandler<Host>,
}

impl Commands {
    /// Handlers over `store`.
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Commands {
            hosts: CommandHandler::new(store, CommandHandlerConfig::default()),
        }
    }

    /// Runs `command` against its aggregate.
    pub async fn dispatch(&self, command: LandscapeCommand, meta: &EventMetadata) -> Result<Dispatched, DispatchError> {
        match command {
            LandscapeCommand::Host { host_id, command } => {
                let handled = self.hosts.handle(&host_id.to_string(), command, meta).await?;
                Ok(Dispatched {
                    n_events: handled.events.len(),
                    last_position: handled.last_position,
                })
            }
            other @ (LandscapeCommand::Cluster { .. }
            | LandscapeCommand::Database { .. }
            | LandscapeCommand::SapSystem { .. }
            | LandscapeCommand::ResolveApplicationInstance(_)) => Err(DispatchError::Failed(format!(
                "{} has no aggregate in this build",
                other.name()
            ))),
        }
    }

    /// The current state of host `id` (from memory when warm).
    pub async fn host(&self, id: Uuid) -> Result<HostState, DispatchError> {
        Ok(self.hosts.state(&id.to_string()).await?.0)
    }
}
