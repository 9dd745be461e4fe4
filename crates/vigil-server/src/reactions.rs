//! The actions service in the embedded shape: the reactions crate's engine, with its ports
//! implemented by the command gate, the policies in force, the read models and the audit
//! log.
//!
//! What the engine asks for and how this answers:
//! * admission: `data.vigil.admission` of the policies in force, each decision stored in the
//!   decision log under the principal `actions`;
//! * enrichment lookups: the read models, shaped as the REST API shows them;
//! * `command` actions: the command gate, as the principal `actions` (so authz applies);
//! * the audit trail: one record per attempt's end.

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;
use vigil_kernel::envelope::{EventMetadata, RecordedEvent};
use vigil_kernel::projection::ProjectionRunner;
use vigil_kernel::store::EventStore;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::host::HostCommand;
use vigil_policy::AdmissionInput;
use vigil_reactions::action::ActionError;
use vigil_reactions::book::RuleBook;
use vigil_reactions::dispatch::{Dispatcher, Encoder};
use vigil_reactions::kinds::{KindContext, Programs};
use vigil_reactions::operation::OperationCommand;
use vigil_reactions::ports::{ActionKinds, Admission, AdmissionDecision, AuditTrail, Commands, Lookup, Ports};
use vigil_reactions::rule::{ActionSpec, Rule};
use vigil_reactions::store::ExecutionStore;
use vigil_reactions::worker::{Worker, WorkerConfig};
use vigil_store::Db;

use crate::app::{App, StartError};
use crate::config::ServerConfig;
use vigil_gate::decisions::DecisionLog;
use vigil_gate::gate::{CommandGate, GateCommand, GateError, Via};
use vigil_gate::policies::Policies;
use vigil_gate::principal::{self, Principal};

/// The principal actions run as.
pub const PRINCIPAL: &str = "actions";

/// The running actions service: its rules and its executions.
pub struct ActionsService {
    /// The rules in force.
    pub book: Arc<RuleBook>,
    /// Executions and attempts.
    pub executions: ExecutionStore,
    wake: Arc<Notify>,
    app: Arc<OnceLock<Weak<App>>>,
    ports: Ports,
    config: WorkerConfig,
}

impl ActionsService {
    /// Opens the executions, loads the rules (a rules file that does not parse stops the
    /// start with its error) and sets the first start's checkpoint to the store's head.
    pub async fn open(
        config: &ServerConfig,
        db: Db,
        store: &Arc<dyn EventStore>,
        gate: Arc<CommandGate>,
        policies: Arc<Policies>,
        decisions: DecisionLog,
        kinds: Arc<dyn ActionKinds>,
    ) -> Result<Self, StartError> {
        let executions = ExecutionStore::open(db).await?;
        executions.start_at(*store.head().borrow()).await?;
        let mut api = Vec::new();
        for (name, body) in executions.stored_rules().await? {
            match serde_json::from_str::<Rule>(&body) {
                Ok(rule) => api.push(rule),
                Err(error) => {
                    tracing::error!(rule = %name, %error, "a stored rule no longer parses; it is not in force")
                }
            }
        }
        let mut defaults = vec![vigil_reactions::rule::operations_rule()];
        if config.actions.default_rules && config.smtp.is_some() {
            defaults.extend(vigil_reactions::defaults::default_rules());
        }
        let book =
            RuleBook::open(defaults, config.actions.rules_file.clone(), api, config.policy_limits(), kinds.clone())
                .map_err(|e| StartError(format!("actions: {e}")))?;
        let app = Arc::new(OnceLock::new());
        let principal = principal::system(PRINCIPAL);
        let ports = Ports {
            admission: Arc::new(PolicyAdmission { policies, decisions, principal: principal.clone() }),
            lookup: Arc::new(ReadModelLookup { app: app.clone() }),
            commands: Arc::new(GateCommands { app: app.clone(), principal }),
            audit: Arc::new(GateAudit { gate }),
            kinds,
        };
        let config = WorkerConfig {
            lease: config.actions.lease,
            concurrency: config.actions.concurrency,
            poll: Duration::from_secs(1),
        };
        Ok(ActionsService { book: Arc::new(book), executions, wake: Arc::new(Notify::new()), app, ports, config })
    }

    /// Lets the lookups and commands reach the app once it exists.
    pub fn attach(&self, app: &Arc<App>) {
        let _ = self.app.set(Arc::downgrade(app));
    }

    /// Starts the dispatcher, the worker and the rules file watcher.
    pub fn spawn(
        &self,
        store: Arc<dyn EventStore>,
        encode: Encoder,
        shutdown: watch::Receiver<bool>,
    ) -> (watch::Receiver<u64>, Vec<(&'static str, JoinHandle<()>)>) {
        let dispatcher = Dispatcher::new(self.executions.clone(), self.book.clone(), self.wake.clone(), encode);
        let runner = ProjectionRunner::new(store, Arc::new(dispatcher), 256);
        let progress = runner.progress();
        let worker = Arc::new(Worker::new(
            self.executions.clone(),
            self.book.clone(),
            self.ports.clone(),
            self.config.clone(),
            self.wake.clone(),
        ));
        let mut tasks = vec![
            ("actions dispatcher", tokio::spawn(runner.run(shutdown.clone()))),
            ("actions worker", tokio::spawn(worker.run(shutdown.clone()))),
        ];
        if self.book.file().is_some() {
            tasks.push(("actions rules file", tokio::spawn(watch_rules_file(self.book.clone(), shutdown))));
        }
        (progress, tasks)
    }

    /// Wakes the worker (after a redrive).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Reads the rules file again every two seconds if it changed.
async fn watch_rules_file(book: Arc<RuleBook>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = shutdown.changed() => return,
        }
        match book.reload_file().await {
            Ok(true) => tracing::info!(file = ?book.file(), "action rules reloaded"),
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "the changed rules file was refused; the rules in force stay"),
        }
    }
}

/// How a stored event looks to rules and actions: as the API lists it (an outside event as
/// it was sent), with its `topic`.
pub fn encoder() -> Encoder {
    Arc::new(|recorded: &RecordedEvent| {
        serde_json::to_string(&vigil_reactions::cloudevents::listed(recorded)).unwrap_or_else(|_| "null".to_owned())
    })
}

struct PolicyAdmission {
    policies: Arc<Policies>,
    decisions: DecisionLog,
    principal: Principal,
}

#[async_trait]
impl Admission for PolicyAdmission {
    async fn admit(&self, input: AdmissionInput) -> Result<AdmissionDecision, String> {
        let decision = self.policies.repository().current().admit(&input).map_err(|e| e.to_string())?;
        self.decisions.record(&self.principal, &decision).await.map_err(|e| e.to_string())?;
        Ok(AdmissionDecision {
            allow: decision.allow == Some(true),
            reasons: decision.reasons,
            decision_id: decision.decision_id,
        })
    }
}

struct GateAudit {
    gate: Arc<CommandGate>,
}

#[async_trait]
impl AuditTrail for GateAudit {
    async fn record(&self, kind: &str, body: Value) -> Result<(), String> {
        self.gate.audit_record(kind, body).await.map_err(|e| e.to_string())
    }
}

fn app_of(app: &OnceLock<Weak<App>>) -> Option<Arc<App>> {
    app.get().and_then(Weak::upgrade)
}

struct ReadModelLookup {
    app: Arc<OnceLock<Weak<App>>>,
}

#[async_trait]
impl Lookup for ReadModelLookup {
    async fn lookup(&self, model: &str, subject: &str) -> Result<Option<Value>, String> {
        let app = app_of(&self.app).ok_or("the server is starting")?;
        crate::http::read_model_view(&app, model, subject).await
    }
}

struct GateCommands {
    app: Arc<OnceLock<Weak<App>>>,
    principal: Principal,
}

#[async_trait]
impl Commands for GateCommands {
    async fn submit(
        &self,
        command: &str,
        params: Value,
        execution_id: Uuid,
        event: &Value,
    ) -> Result<Value, ActionError> {
        let app = app_of(&self.app).ok_or_else(|| ActionError::Retryable("the server is starting".into()))?;
        let id_param = |name: &str| -> Result<Uuid, ActionError> {
            params
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .parse()
                .map_err(|_| ActionError::Permanent(format!("{command} needs `{name}`, a UUID")))
        };
        let now = Utc::now();
        let gate_command = match command {
            "RequestHostDeregistration" => {
                let host_id = id_param("host_id")?;
                GateCommand::Landscape(LandscapeCommand::Host {
                    host_id,
                    command: HostCommand::RequestHostDeregistration {
                        host_id,
                        requested_at: now,
                        last_heartbeat_at: app.heartbeats.last_heartbeat(host_id),
                        heartbeat: app.heartbeats.policy(),
                        debounce: app.config.deregistration_debounce,
                    },
                })
            }
            "CompleteOperation" | "FailOperation" => {
                let operation_id = id_param("operation_id")?;
                let command = if command == "CompleteOperation" {
                    OperationCommand::CompleteOperation {
                        result: params.get("result").cloned().unwrap_or(Value::Null),
                        at: now,
                    }
                } else {
                    let error = params.get("error").and_then(Value::as_str).unwrap_or("failed").to_owned();
                    OperationCommand::FailOperation { error, at: now }
                };
                GateCommand::Operation { operation_id, command }
            }
            other => {
                return Err(ActionError::Permanent(format!(
                    "command {other} cannot be sent by an action (supported: RequestHostDeregistration, CompleteOperation, FailOperation)"
                )));
            }
        };
        let meta = EventMetadata {
            time: now,
            source: "/vigil/actions".into(),
            correlation_id: Some(execution_id),
            causation_id: event.get("id").and_then(Value::as_str).and_then(|id| id.parse().ok()),
        };
        match app.gate.submit(&self.principal, gate_command, Via::Direct, &meta).await {
            Ok(admitted) => Ok(json!({
                "decision_id": admitted.decision_id,
                "last_position": admitted.dispatched.last_position,
            })),
            Err(GateError::Unavailable(message)) => Err(ActionError::Retryable(message)),
            Err(error) => Err(ActionError::Permanent(error.to_string())),
        }
    }
}

/// The stand-alone kinds as this server builds them: `[server.smtp]` for mail (without it
/// an email rule is refused at load), one shared HTTP client, programs only when enabled.
pub struct ServerKinds {
    context: KindContext,
    smtp: bool,
}

impl ServerKinds {
    /// The kinds under `config`.
    pub fn new(config: &ServerConfig) -> Result<Self, StartError> {
        let programs = if config.actions.allow_programs { Programs::Enabled } else { Programs::Disabled };
        let context = KindContext::new(config.smtp.clone().unwrap_or_default(), programs)
            .map_err(|e| StartError(format!("actions: {e}")))?;
        Ok(ServerKinds { context, smtp: config.smtp.is_some() })
    }
}

#[async_trait]
impl ActionKinds for ServerKinds {
    fn build(&self, spec: &ActionSpec) -> Result<Arc<dyn vigil_reactions::action::Action>, String> {
        if matches!(spec, ActionSpec::Email(_)) && !self.smtp {
            return Err("an email action needs [server.smtp] (or VIGIL_SMTP_SERVER)".to_owned());
        }
        vigil_reactions::kinds::build(spec, &self.context)
    }

    async fn enrich_http(&self, url: &str, timeout: Duration, event: &Value) -> Result<Value, ActionError> {
        vigil_reactions::kinds::enrichment_http(&self.context.http, url, timeout, event).await
    }
}

/// `vigil actions redrive` without a running server (or beside one: the worker finds the
/// redriven executions within its poll interval): gives dead executions (`id`, or all)
/// `extra_attempts` more attempts, with an audit record through the inbox in the same
/// transaction. Returns how many were redriven.
pub async fn redrive_offline(db: &Db, id: Option<Uuid>, extra_attempts: u32) -> Result<usize, StartError> {
    vigil_audit::inbox::ensure_schema(db).await?;
    let executions = ExecutionStore::open(db.clone()).await?;
    let redriven = executions
        .redrive_recorded(id, extra_attempts, Utc::now(), move |conn, n| {
            if n > 0 {
                vigil_audit::inbox::push(
                    conn,
                    "action_redriven",
                    &json!({"execution_id": id, "all": id.is_none(), "redriven": n, "extra_attempts": extra_attempts, "via": "cli"}),
                )?;
            }
            Ok(())
        })
        .await
        .map_err(|e| StartError(e.to_string()))?;
    Ok(redriven)
}
