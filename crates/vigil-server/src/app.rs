//! The embedded shape, wired: one SQLite file, the background tasks, the router.

use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigil_kernel::projection::{Projection, ProjectionRunner};
use vigil_kernel::store::EventStore;
use vigil_store::SqliteEventStore;
use vigil_store::sqlite::{Db, DbError, DbOptions};

use vigil_audit::{AuditLog, HeadPolicy};

use crate::config::ServerConfig;
use vigil_audit::feed::{AuditedEvents, run_audit_keeper};
use vigil_discovery::heartbeats::Heartbeats;
use vigil_discovery::ingest::DiscoveryIngest;
use vigil_discovery::keys::AgentKeys;
use vigil_discovery::log::DiscoveryLog;
use vigil_discovery::parking::Parking;
use vigil_discovery::process::ProcessManager;
use vigil_gate::commands::Commands;
use vigil_gate::decisions::DecisionLog;
use vigil_gate::gate::{CommandGate, GateCommand, GateConfig, Via};
use vigil_gate::policies::Policies;
use vigil_readmodel::cib::CibWrites;
use vigil_readmodel::hosts::HostViews;
use vigil_readmodel::landscape::LandscapeViews;
use vigil_readmodel::port::{LandscapeReads, SqliteLandscapeReads};
use vigil_readmodel::tags::Tags;
use vigil_readmodel::{READ_MODELS, ReadModel};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

impl From<DbError> for StartError {
    fn from(e: DbError) -> Self {
        StartError(e.to_string())
    }
}

impl From<vigil_audit::AuditError> for StartError {
    fn from(e: vigil_audit::AuditError) -> Self {
        StartError(format!("audit log: {e}"))
    }
}

impl From<vigil_gate::policies::PolicyServiceError> for StartError {
    fn from(e: vigil_gate::policies::PolicyServiceError) -> Self {
        StartError(format!("policies: {e}"))
    }
}

impl From<vigil_kernel::store::StoreError> for StartError {
    fn from(e: vigil_kernel::store::StoreError) -> Self {
        StartError(e.to_string())
    }
}

/// The names of the read models, for `vigil projections rebuild NAME`.
pub fn read_model_names() -> impl Iterator<Item = &'static str> {
    READ_MODELS.iter().map(|m| m.name)
}

/// The names of the landscape's read models: what the discovery path looks things up in.
fn landscape_read_model_names() -> impl Iterator<Item = &'static str> {
    READ_MODELS.iter().filter(|m| m.landscape).map(|m| m.name)
}

/// A running Vigil: state shared by every request and background task.
pub struct App {
    /// The settings it runs with.
    pub config: ServerConfig,
    /// The shared SQLite database.
    pub db: Db,
    /// The event store.
    pub store: Arc<dyn EventStore>,
    /// Command dispatch to the aggregates (behind the gate).
    pub commands: Arc<Commands>,
    /// The one way into an aggregate.
    pub gate: Arc<CommandGate>,
    /// The policies in force.
    pub policies: Arc<Policies>,
    /// The best-practice checks: the shipped catalog plus `checks_dir`.
    pub checks: Arc<vigil_checks::Catalog>,
    /// Checks executions: the facts channel's agents, the schedule, the results.
    pub checks_runner: Arc<crate::checks::ChecksRunner>,
    /// Decision records.
    pub decisions: DecisionLog,
    /// The tamper-evident audit log.
    pub audit: AuditLog,
    /// The discovery path.
    pub ingest: Arc<DiscoveryIngest>,
    /// Raw discoveries.
    pub discovery_log: DiscoveryLog,
    /// Heartbeat timestamps and the checker.
    pub heartbeats: Arc<Heartbeats>,
    /// The agent key.
    pub keys: AgentKeys,
    /// The landscape's read models, behind their port.
    pub reads: Arc<dyn LandscapeReads>,
    /// Queries across the landscape's read models.
    pub landscape: LandscapeViews,
    /// Tags on hosts, clusters, SAP systems and databases.
    pub tags: Tags,
    /// Rules, executions and the worker that runs them.
    pub actions: crate::reactions::ActionsService,
    /// The live event feed of `GET /api/v1/stream`.
    pub stream: Arc<crate::stream::EventFeed>,
    /// One permit per discovery being handled (`max_inflight_discoveries`).
    pub(crate) discovery_slots: tokio::sync::Semaphore,
    /// The bus relay's position (the last event JetStream acknowledged), when `[bus]` is on.
    pub bus_relay: Option<watch::Receiver<u64>>,
    projections: Vec<(&'static str, watch::Receiver<u64>)>,
    tasks: Mutex<Vec<(&'static str, JoinHandle<()>)>>,
    task_names: Vec<&'static str>,
    shutdown: watch::Sender<bool>,
    metrics: PrometheusHandle,
    _lock: File,
}

impl App {
    /// Opens the data directory (creating it), takes its lock, and starts the background
    /// tasks. The router is ready to serve when this returns.
    pub async fn start(config: ServerConfig) -> Result<Arc<App>, StartError> {
        Self::start_with(config, GateConfig::default()).await
    }

    /// Like [`App::start`], with the gate's switches (benchmarks measure the gate's cost).
    pub async fn start_with(config: ServerConfig, gate_config: GateConfig) -> Result<Arc<App>, StartError> {
        config.check_limits().map_err(StartError)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| StartError(format!("cannot create data directory {}: {e}", config.data_dir.display())))?;
        let lock = lock_data_dir(&config.data_dir)?;
        let db = open_db(&config)?;
        let sqlite = Arc::new(SqliteEventStore::open(db.clone()).await?);
        let store: Arc<dyn EventStore> = sqlite.clone();
        let snapshots: Arc<dyn vigil_kernel::store::SnapshotStore> = sqlite;
        let landscape = LandscapeViews::new(db.clone());
        let commands = Arc::new(Commands::new(store.clone(), snapshots, landscape.clone()));
        let policies = Arc::new(Policies::open(store.clone(), config.policy_limits()).await?);
        let decisions = DecisionLog::open(db.clone()).await?;
        let checks = Arc::new(load_checks(&config).await?);
        let audit = AuditLog::open(db.clone(), &config.data_dir, HeadPolicy::default()).await?;
        let gate = Arc::new(CommandGate::new(
            commands.clone(),
            policies.clone(),
            decisions.clone(),
            audit.clone(),
            gate_config,
        ));
        vigil_gate::tokens::ensure_schema(&db).await?;
        vigil_readmodel::ensure_checkpoints(&db).await?;
        let tags = Tags::open(db.clone()).await?;
        let discovery_log = DiscoveryLog::open(db.clone()).await?;
        let parking = Parking::open(db.clone()).await?;
        let heartbeats = Arc::new(Heartbeats::open(db.clone(), config.heartbeat_policy()).await?);
        let keys = AgentKeys::open(db.clone(), &config.data_dir).await?;
        let (shutdown, shutdown_rx) = watch::channel(false);

        let mut tasks = Vec::new();
        let mut projections = Vec::new();
        for model in READ_MODELS {
            let runner = ProjectionRunner::new(store.clone(), model.open(db.clone()).await?, 1000);
            projections.push((model.name, runner.progress()));
            tasks.push((model.task, tokio::spawn(runner.run(shutdown_rx.clone()))));
        }
        let progress_of = |name: &str| {
            projections.iter().find(|(n, _)| *n == name).map(|(_, p)| p.clone()).expect("every read model was started")
        };
        let ingest = Arc::new(
            DiscoveryIngest::open(
                gate.clone(),
                CibWrites::open(db.clone()).await?,
                discovery_log.clone(),
                parking,
                landscape.clone(),
                vigil_discovery::ingest::ReadModels {
                    head: store.head(),
                    progress: landscape_read_model_names().map(progress_of).collect(),
                },
            )
            .await?,
        );
        // A host marked stale must be evaluated in full by its next discovery, even across a
        // restart (the hashes come back from the discovery log).
        for host_id in landscape.stale_hosts().await? {
            ingest.forget(host_id);
        }
        let process_manager: Arc<dyn Projection> = Arc::new(
            ProcessManager::open(
                db.clone(),
                &store,
                gate.clone(),
                commands.clone(),
                landscape.clone(),
                ingest.clone(),
                heartbeats.clone(),
                landscape_read_model_names().map(|name| (name, progress_of(name))).collect(),
                shutdown_rx.clone(),
            )
            .await?,
        );
        let runner = ProjectionRunner::new(store.clone(), process_manager, 100);
        projections.push((vigil_discovery::process::NAME, runner.progress()));
        tasks.push(("process manager", tokio::spawn(runner.run(shutdown_rx.clone()))));
        tasks.push((
            "parked discovery expiry",
            tokio::spawn(expire_parked(ingest.clone(), config.parked_expiry, shutdown_rx.clone())),
        ));
        let audited: Arc<dyn Projection> = Arc::new(AuditedEvents::new(db.clone(), audit.clone()));
        let runner = ProjectionRunner::new(store.clone(), audited, 1000);
        projections.push(("audit", runner.progress()));
        tasks.push(("event auditing", tokio::spawn(runner.run(shutdown_rx.clone()))));
        tasks.push(("audit keeper", tokio::spawn(run_audit_keeper(db.clone(), audit.clone(), shutdown_rx.clone()))));
        tasks.push((
            "heartbeat checker",
            tokio::spawn(heartbeats.clone().run_checker(gate.clone(), shutdown_rx.clone())),
        ));
        let sla = vigil_discovery::sla_monitor::SlaMonitorTask {
            policies: policies.clone(),
            gate: gate.clone(),
            decisions: decisions.clone(),
            hosts: HostViews::new(db.clone()),
            heartbeats: heartbeats.clone(),
            interval: config.sla_interval,
        };
        tasks.push(("sla monitor", tokio::spawn(sla.run(shutdown_rx.clone()))));
        if let Some(dir) = config.policy_dir.clone() {
            tasks.push((
                "policy directory",
                tokio::spawn(sync_policy_dir(policies.clone(), gate.clone(), dir, shutdown_rx.clone())),
            ));
        }
        let actions = crate::reactions::ActionsService::open(
            &config,
            db.clone(),
            &store,
            gate.clone(),
            policies.clone(),
            decisions.clone(),
            Arc::new(crate::reactions::ServerKinds::new(&config)?),
        )
        .await?;
        let (progress, action_tasks) = actions.spawn(store.clone(), crate::reactions::encoder(), shutdown_rx.clone());
        projections.push((vigil_reactions::dispatch::NAME, progress));
        tasks.extend(action_tasks);
        let (lake_progress, lake_tasks) = crate::lake::spawn(&config, &db, &store, &shutdown_rx).await?;
        projections.extend(lake_progress);
        tasks.extend(lake_tasks);
        let checks_runner = Arc::new(crate::checks::ChecksRunner::new(
            &config,
            checks.clone(),
            vigil_readmodel::checks::ChecksViews::new(db.clone()),
        ));
        let checks_reactions: Arc<dyn Projection> = Arc::new(
            crate::checks::reactions::ChecksReactions::open(db.clone(), &store, gate.clone(), checks_runner.clone())
                .await?,
        );
        let runner = ProjectionRunner::new(store.clone(), checks_reactions, 100);
        projections.push((crate::checks::reactions::NAME, runner.progress()));
        tasks.push(("checks reactions", tokio::spawn(runner.run(shutdown_rx.clone()))));
        tasks.push(("checks schedule", tokio::spawn(checks_runner.clone().run_schedule(shutdown_rx.clone()))));
        let bus = crate::bus::spawn(&config.bus, &store, config.max_body_bytes, &shutdown_rx).await?;
        let (bus_relay, bus_router) = match bus {
            Some(started) => {
                tasks.extend(started.tasks);
                (Some(started.progress), started.router)
            }
            None => (None, None),
        };
        tasks.push((
            "discovery log pruning",
            tokio::spawn(prune_discovery_log(discovery_log.clone(), config.clone(), shutdown_rx)),
        ));

        let stream = Arc::new(crate::stream::EventFeed::new(config.stream.clone()));
        tasks.push((
            "event feed",
            tokio::spawn(crate::stream::run_feed(stream.clone(), store.clone(), shutdown.subscribe())),
        ));
        let app = Arc::new(App {
            actions,
            stream,
            reads: Arc::new(SqliteLandscapeReads::new(db.clone())),
            landscape,
            tags,
            discovery_slots: tokio::sync::Semaphore::new(config.max_inflight_discoveries),
            config,
            db,
            store,
            commands,
            gate,
            policies,
            checks,
            checks_runner,
            decisions,
            audit,
            ingest,
            discovery_log,
            heartbeats,
            keys,
            projections,
            task_names: tasks.iter().map(|(name, _)| *name).collect(),
            tasks: Mutex::new(tasks),
            shutdown,
            metrics: metrics_handle(),
            bus_relay,
            _lock: lock,
        });
        app.actions.attach(&app);
        app.checks_runner.attach(&app);
        if let Some(give) = bus_router {
            // The command responder answers with the API itself, which needs the app.
            let _ = give.send(app.router());
        }
        Ok(app)
    }

    /// The API.
    pub fn router(self: &Arc<Self>) -> Router {
        crate::http::router(self.clone())
    }

    /// Serves the API on `listener` under the configured connection limits until `signal`
    /// resolves, then stops the background tasks. In-flight requests finish first (for up
    /// to [`crate::serve::DRAIN`]).
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let result = crate::serve::serve(listener, self.router(), self.config.connection_limits(), signal).await;
        self.stop().await;
        result
    }

    /// Turns `true` when the server stops: long-lived sessions (WebSockets) end on it.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Stops the background tasks and waits for them.
    pub async fn stop(&self) {
        self.shutdown.send_replace(true);
        let tasks: Vec<_> = self.tasks.lock().expect("task lock").drain(..).collect();
        for (_, task) in tasks {
            let _ = task.await;
        }
        // A last signed head, so the end of the log is always covered by a signature.
        if let Err(error) = self.audit.sign_head(chrono::Utc::now()).await {
            tracing::warn!(%error, "could not sign the audit log's last head");
        }
    }

    /// Waits until projection `name` has applied the event at `position`.
    pub async fn wait_for_projection(&self, name: &str, position: u64, timeout: Duration) -> bool {
        let Some((_, progress)) = self.projections.iter().find(|(n, _)| *n == name) else {
            return false;
        };
        let mut progress = progress.clone();
        tokio::time::timeout(timeout, progress.wait_for(|p| *p >= position)).await.is_ok_and(|r| r.is_ok())
    }

    /// Read-your-writes: waits until the read models show every event up to `position` and
    /// what the process manager did in reaction to them (a parked discovery it applied once
    /// its prerequisite arrived, and what that in turn woke). Each round waits for the process
    /// manager to pass the target, then for every read model to reach the head as it was
    /// then; a round in which the head did not move past the target ends it. A few rounds
    /// cover the longest chain (host → cluster or database → application instance), so a
    /// busy store cannot keep a reader waiting forever. `false` past `timeout`. Waits on the
    /// projections' watch channels, never polls.
    pub async fn wait_for_position(&self, position: u64, timeout: Duration) -> bool {
        const ROUNDS: usize = 4;
        let deadline = tokio::time::Instant::now() + timeout;
        let reach = |name: &str, target: u64| {
            let progress = self.projections.iter().find(|(n, _)| *n == name).map(|(_, p)| p.clone());
            async move {
                let Some(mut progress) = progress else { return false };
                matches!(tokio::time::timeout_at(deadline, progress.wait_for(|p| *p >= target)).await, Ok(Ok(_)))
            }
        };
        let mut target = position;
        for _ in 0..ROUNDS {
            if !reach(vigil_discovery::process::NAME, target).await {
                return false;
            }
            let head = (*self.store.head().borrow()).max(target);
            for name in read_model_names() {
                if !reach(name, head).await {
                    return false;
                }
            }
            if head == target {
                return true;
            }
            target = head;
        }
        true
    }

    /// Waits until the store is quiet and every subscription (read models, the process
    /// manager, auditing) has applied its last event, that is until everything already
    /// acknowledged has had all its consequences. `false` on timeout.
    pub async fn settle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let head = *self.store.head().borrow();
            for (_, progress) in &self.projections {
                let mut progress = progress.clone();
                let reached = tokio::time::timeout_at(deadline, progress.wait_for(|p| *p >= head)).await;
                if !matches!(reached, Ok(Ok(_))) {
                    return false;
                }
            }
            // A reaction may have appended more while we waited.
            if *self.store.head().borrow() == head {
                return true;
            }
        }
    }

    /// Each projection's position.
    pub fn projection_positions(&self) -> serde_json::Value {
        self.projections.iter().map(|(name, p)| ((*name).to_owned(), serde_json::json!(*p.borrow()))).collect()
    }

    /// Background tasks that are no longer running.
    pub fn stopped_tasks(&self) -> Vec<&'static str> {
        if *self.shutdown.borrow() {
            return self.task_names.clone();
        }
        self.tasks.lock().expect("task lock").iter().filter(|(_, t)| t.is_finished()).map(|(n, _)| *n).collect()
    }

    /// Whether the database answers a trivial read.
    pub async fn store_answers(&self) -> Result<(), DbError> {
        self.db.answers().await
    }

    /// The Prometheus exposition of every metric.
    pub fn render_metrics(&self) -> String {
        self.metrics.render()
    }
}

/// Takes the data directory's lock: one process at a time may write its database.
pub fn lock_data_dir(dir: &Path) -> Result<File, StartError> {
    let path = dir.join("LOCK");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StartError(format!("cannot open {}: {e}", path.display())))?;
    file.try_lock()
        .map_err(|_| StartError(format!("{} is in use by another vigil process (stop it first)", dir.display())))?;
    Ok(file)
}

/// Opens the data directory's database with the configured durability.
pub fn open_db(config: &ServerConfig) -> Result<Db, DbError> {
    Db::open(&config.database_path(), DbOptions { durability: config.durability, ..Default::default() })
}

/// Rebuilds projection `name` from position 0, calling `on_progress(position, head)` after
/// each batch. The caller must hold the data directory's lock.
pub async fn rebuild_projection(
    config: &ServerConfig,
    name: &str,
    on_progress: impl FnMut(u64, u64) + Send,
) -> Result<u64, StartError> {
    let db = open_db(config)?;
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(db.clone()).await?);
    let Some(model) = ReadModel::named(name) else {
        let known: Vec<_> = read_model_names().collect();
        return Err(StartError(format!("no projection `{name}`; known: {}", known.join(", "))));
    };
    let projection = model.open(db).await?;
    projection.reset().await.map_err(|e| StartError(e.to_string()))?;
    let head = *store.head().borrow();
    // Large batches: each commits once, and a commit writes every page the batch touched,
    // however often it touched it.
    let runner = ProjectionRunner::new(store, projection, 50_000);
    let mut on_progress = on_progress;
    runner.catch_up(Some(head), |p| on_progress(p, head)).await.map_err(|e| StartError(e.to_string()))
}

/// Keeps the policies published from `dir` in line with its files, as the system principal
/// `policy-directory`, through the gate.
/// The shipped checks plus `checks_dir`. An unreadable directory refuses the start; a
/// file that does not compile is logged and left out, the others load.
async fn load_checks(config: &ServerConfig) -> Result<vigil_checks::Catalog, StartError> {
    let (dir, limits) = (config.checks_dir.clone(), config.policy_limits());
    let catalog = tokio::task::spawn_blocking(move || match dir {
        None => Ok(vigil_checks::Catalog::shipped()),
        Some(dir) => vigil_checks::Catalog::with_dir(&dir, &limits)
            .map_err(|e| StartError(format!("cannot load checks from {}: {e}", dir.display()))),
    })
    .await
    .map_err(|e| StartError(format!("loading the checks panicked: {e}")))??;
    for rejected in catalog.rejected() {
        tracing::warn!(path = %rejected.path, error = %rejected.error, "Check refused; the others are loaded.");
    }
    tracing::info!(checks = catalog.len(), "Best-practice checks loaded.");
    Ok(catalog)
}

async fn sync_policy_dir(
    policies: Arc<Policies>,
    gate: Arc<CommandGate>,
    dir: std::path::PathBuf,
    mut shutdown: watch::Receiver<bool>,
) {
    let principal = vigil_gate::principal::system("policy-directory");
    let mut ticker = tokio::time::interval(vigil_gate::policies::DIRECTORY_POLL);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        let commands = match policies.sync_commands(&dir).await {
            Ok(commands) => commands,
            Err(error) => {
                tracing::warn!(%error, dir = %dir.display(), "cannot read the policy directory");
                continue;
            }
        };
        for command in commands {
            let path = command.path().to_owned();
            let meta = vigil_kernel::envelope::EventMetadata {
                time: chrono::Utc::now(),
                source: "/vigil/policies".into(),
                correlation_id: Some(uuid::Uuid::now_v7()),
                causation_id: None,
            };
            match gate.submit(&principal, GateCommand::Policy(command), Via::Direct, &meta).await {
                Ok(_) => tracing::info!(policy = %path, "published the policy directory's change"),
                // The file stays as it is until someone fixes it; the running revision is kept.
                Err(error) => tracing::warn!(policy = %path, %error, "a policy from the directory was refused"),
            }
        }
    }
}

/// Moves parked discoveries that waited longer than `expiry` to the discovery log as
/// `discarded`, checking a few times per expiry period (at most once a minute).
async fn expire_parked(ingest: Arc<DiscoveryIngest>, expiry: Duration, mut shutdown: watch::Receiver<bool>) {
    let period = (expiry / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = chrono::Utc::now();
        let cutoff = chrono::Duration::from_std(expiry)
            .ok()
            .and_then(|expiry| now.checked_sub_signed(expiry))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        match ingest.expire_parked(cutoff, now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n_expired = n, "parked discoveries expired into the discovery log"),
            Err(error) => tracing::warn!(%error, "could not expire parked discoveries"),
        }
    }
}

async fn prune_discovery_log(log: DiscoveryLog, config: ServerConfig, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(config.prune_interval.max(Duration::from_secs(1)));
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        let retention = chrono::Duration::from_std(config.discovery_retention).unwrap_or(chrono::Duration::MAX);
        let cutoff = chrono::Utc::now() - retention;
        match log.prune(cutoff, 1000).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n_deleted = n, "pruned the discovery log"),
            Err(error) => tracing::warn!(%error, "could not prune the discovery log"),
        }
    }
}

/// The process's metrics recorder, installed once (tests start many apps in one process).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            // Histograms keep their samples until upkeep folds them into the summaries:
            // without it they grow with every request until someone scrapes `/metrics`.
            let upkeep = handle.clone();
            let _ = std::thread::Builder::new().name("vigil-metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            handle
        })
        .clone()
}
