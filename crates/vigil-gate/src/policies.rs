//! The policies in force: folded from the PolicyPublished / PolicyRetired events of the
//! store, compiled into the [`PolicyRepository`] the gate evaluates against.
//!
//! A publication is compiled together with the rest of the set *before* its event is
//! appended, so a policy that does not compile is refused with the engine's message and
//! never replaces the running one. On first start the default bundle is published, so the
//! whole history, defaults included, is in the event store.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Mutex;
use vigil_kernel::command::{CommandError, CommandHandler, CommandHandlerConfig};
use vigil_kernel::envelope::EventMetadata;
use vigil_kernel::store::{EventQuery, EventStore};
use vigil_policy::publication::{PolicyCommand, PolicyEvent, PolicyModule, PolicyRejection};
use vigil_policy::sla::{SlaCommand, SlaMonitor};
use vigil_policy::{CompiledPolicies, PolicyLimits, PolicyRepository, PolicySet, Revision, validate_policy_path};

/// A module in force.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyInForce {
    /// Module path.
    pub path: String,
    /// Its version.
    pub version: u64,
    /// SHA-256 of its source.
    pub sha256: String,
    /// Who published it.
    pub author: String,
    /// The source.
    pub source: String,
}

/// Why a publication or retirement failed.
#[derive(Debug, thiserror::Error)]
pub enum PolicyServiceError {
    /// The module does not compile with the rest of the set (the engine's message).
    #[error("policy does not compile: {0}")]
    DoesNotCompile(String),
    /// The module path does not follow the policy path grammar.
    #[error("{0}")]
    Invalid(String),
    /// Refused by the publication rules.
    #[error(transparent)]
    Rejected(#[from] PolicyRejection),
    /// Storage failed.
    #[error("{0}")]
    Failed(String),
}

/// The policy service.
pub struct Policies {
    repository: Arc<PolicyRepository>,
    handler: CommandHandler<PolicyModule>,
    sla: CommandHandler<SlaMonitor>,
    in_force: Mutex<BTreeMap<String, PolicyInForce>>,
    limits: PolicyLimits,
}

impl Policies {
    /// Loads the policies in force from `store`, publishing the default bundle on first start.
    ///
    /// Every compilation (this one, each publication, each `policy_dir` change) runs under
    /// `limits`: size and nesting checked first, then on a bounded engine thread with a
    /// deadline, off the async workers.
    pub async fn open(store: Arc<dyn EventStore>, limits: PolicyLimits) -> Result<Policies, PolicyServiceError> {
        let mut in_force = BTreeMap::new();
        let mut history = Vec::new();
        for event_type in ["PolicyPublished", "PolicyRetired"] {
            let mut after = 0;
            loop {
                let query = EventQuery {
                    after_position: after,
                    event_type: Some(event_type.into()),
                    limit: 1000,
                    ..Default::default()
                };
                let page = store.query(query).await.map_err(|e| PolicyServiceError::Failed(e.to_string()))?;
                let Some(last) = page.last() else { break };
                after = last.position;
                history.extend(page);
            }
        }
        history.sort_by_key(|e| e.position);
        for recorded in &history {
            match recorded.decode::<PolicyEvent>().map_err(|e| PolicyServiceError::Failed(e.to_string()))? {
                PolicyEvent::PolicyPublished(p) => {
                    let entry = PolicyInForce {
                        path: p.path.clone(),
                        version: p.version,
                        sha256: p.sha256,
                        author: p.author,
                        source: p.source,
                    };
                    in_force.insert(p.path, entry);
                }
                PolicyEvent::PolicyRetired(r) => {
                    in_force.remove(&r.path);
                }
            }
        }
        let set = PolicySet::from_modules(in_force.values().map(|p| (p.path.clone(), p.source.clone())));
        let set = if history.is_empty() { PolicySet::default_bundle() } else { set };
        let repository = Arc::new(PolicyRepository::from_compiled(compile(set, limits).await?));
        let policies = Policies {
            repository,
            handler: CommandHandler::new(store.clone(), CommandHandlerConfig::default()),
            sla: CommandHandler::new(store, CommandHandlerConfig::default()),
            in_force: Mutex::new(in_force),
            limits,
        };
        if history.is_empty() {
            let meta = system_meta();
            for (path, source) in PolicySet::default_bundle().modules() {
                let command = PolicyCommand::PublishPolicy {
                    path: path.to_owned(),
                    source: source.to_owned(),
                    author: "default bundle".into(),
                    at: meta.time,
                };
                policies.apply(command, &meta).await?;
            }
        }
        Ok(policies)
    }

    /// What the gate evaluates against.
    pub fn repository(&self) -> &Arc<PolicyRepository> {
        &self.repository
    }

    /// The modules in force.
    pub async fn in_force(&self) -> Vec<PolicyInForce> {
        self.in_force.lock().await.values().cloned().collect()
    }

    /// Publishes or retires a module: compiles the resulting set, appends the event, swaps
    /// the running revision. Returns the revision in force afterwards and how many events
    /// were appended.
    pub async fn apply(
        &self,
        command: PolicyCommand,
        meta: &EventMetadata,
    ) -> Result<(Revision, usize, Option<u64>), PolicyServiceError> {
        if let PolicyCommand::PublishPolicy { path, .. } = &command {
            validate_policy_path(path).map_err(|e| PolicyServiceError::Invalid(e.to_string()))?;
        }
        let mut in_force = self.in_force.lock().await;
        let mut candidate: BTreeMap<String, String> =
            in_force.iter().map(|(path, p)| (path.clone(), p.source.clone())).collect();
        match &command {
            PolicyCommand::PublishPolicy { path, source, .. } => {
                candidate.insert(path.clone(), source.clone());
            }
            PolicyCommand::RetirePolicy { path, .. } => {
                candidate.remove(path);
            }
        }
        let compiled = compile(PolicySet::from_modules(candidate), self.limits).await?;
        let path = command.path().to_owned();
        let handled = self.handler.handle(&path, command, meta).await.map_err(|e| match e {
            CommandError::Rejected(r) => PolicyServiceError::Rejected(r),
            other => PolicyServiceError::Failed(other.to_string()),
        })?;
        for event in &handled.events {
            match event {
                PolicyEvent::PolicyPublished(p) => {
                    let entry = PolicyInForce {
                        path: p.path.clone(),
                        version: p.version,
                        sha256: p.sha256.clone(),
                        author: p.author.clone(),
                        source: p.source.clone(),
                    };
                    in_force.insert(p.path.clone(), entry);
                }
                PolicyEvent::PolicyRetired(r) => {
                    in_force.remove(&r.path);
                }
            }
        }
        let revision = self.repository.activate(compiled);
        Ok((revision, handled.events.len(), handled.last_position))
    }

    /// Records what an SLA evaluation found: `SlaViolated` / `SlaRestored` for what changed.
    pub async fn report_sla(
        &self,
        command: SlaCommand,
        meta: &EventMetadata,
    ) -> Result<(usize, Option<u64>), PolicyServiceError> {
        let handled =
            self.sla.handle("monitor", command, meta).await.map_err(|e| PolicyServiceError::Failed(e.to_string()))?;
        Ok((handled.events.len(), handled.last_position))
    }

    /// The commands that bring the published set in line with the `*.rego` files of `dir`:
    /// changed or new files are published; modules this directory published that are gone
    /// from it are retired. Modules published through the API are left alone.
    pub async fn sync_commands(&self, dir: &PathBuf) -> std::io::Result<Vec<PolicyCommand>> {
        let author = format!("directory:{}", dir.display());
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.ends_with(".rego") && !name.starts_with('.') {
                files.insert(name.to_owned(), std::fs::read_to_string(&path)?);
            }
        }
        let in_force = self.in_force.lock().await;
        let at = chrono::Utc::now();
        let mut commands = Vec::new();
        for (path, source) in &files {
            if in_force.get(path).is_none_or(|p| p.source != *source) {
                commands.push(PolicyCommand::PublishPolicy {
                    path: path.clone(),
                    source: source.clone(),
                    author: author.clone(),
                    at,
                });
            }
        }
        for (path, p) in in_force.iter() {
            if p.author == author && !files.contains_key(path) {
                commands.push(PolicyCommand::RetirePolicy { path: path.clone(), author: author.clone(), at });
            }
        }
        Ok(commands)
    }
}

/// Compiles `set` under `limits` on the blocking pool, so the wait for the engine thread
/// (up to the deadline) never holds an async worker.
async fn compile(set: PolicySet, limits: PolicyLimits) -> Result<CompiledPolicies, PolicyServiceError> {
    tokio::task::spawn_blocking(move || CompiledPolicies::compile_with(set, &limits))
        .await
        .map_err(|e| PolicyServiceError::Failed(format!("policy compilation task failed: {e}")))?
        .map_err(|e| PolicyServiceError::DoesNotCompile(e.to_string()))
}

/// How often the policy directory is compared with what is published.
pub const DIRECTORY_POLL: Duration = Duration::from_secs(2);

fn system_meta() -> EventMetadata {
    EventMetadata {
        time: chrono::Utc::now(),
        source: "/vigil/policies".into(),
        correlation_id: Some(uuid::Uuid::now_v7()),
        causation_id: None,
    }
}
