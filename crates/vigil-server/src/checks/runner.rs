//! One checks execution, from start to results, and the schedule that starts them.
//!
//! An execution reads the target's last discovery payloads (the input document), takes its
//! selection from the target's checks aggregate (every applicable check when it has none), records
//! `ChecksExecutionStarted` through the gate, asks the target's agents for the facts the
//! checks declare, evaluates the catalog off the async threads and records
//! `ChecksExecutionCompleted` (results and what each agent gave) through the gate. The
//! answer to a request is the start; the results follow as an event.
//!
//! The schedule runs every selected target each `checks_interval`, and a target sooner when
//! its discovered data changed ([`ChecksRunner::mark_due`], from `reactions`). A target
//! already executing on this node is not started again by the schedule; a request always
//! starts (a newer start supersedes a running one).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tokio::sync::{Notify, Semaphore, watch};
use uuid::Uuid;
use vigil_checks::execution::ChecksCommand;
use vigil_checks::facts::FactRequest;
use vigil_checks::{Catalog, CheckInput, HostDiscoveries, Selection, TargetType};
use vigil_discovery::log::DiscoveryQuery;
use vigil_gate::gate::{GateCommand, GateError, Via};
use vigil_gate::principal::{self, Principal};
use vigil_kernel::envelope::EventMetadata;
use vigil_readmodel::checks::ChecksViews;

use super::agents::FactsAgents;
use crate::app::App;

/// How long the schedule gathers changes before running the targets they touched: a
/// discovery round brings several events per host.
const DEBOUNCE: Duration = Duration::from_secs(2);

/// How many applied log entries of one host are read to find its last payload of each
/// type: a host sends six types, and an entry is logged only when its payload changed.
const LOG_ENTRIES_PER_HOST: usize = 256;

/// A cluster or host whose checks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChecksTarget {
    /// Cluster or host.
    pub target_type: TargetType,
    /// Its id.
    pub id: Uuid,
}

/// Why an execution did not start, or a selection was refused.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The target is not registered.
    #[error("{0}")]
    NotFound(String),
    /// The target cannot be checked as asked (no discovery yet, no applicable check, an
    /// unknown check id).
    #[error("{0}")]
    Unprocessable(String),
    /// The gate refused or failed.
    #[error(transparent)]
    Gate(#[from] GateError),
    /// Storage failed.
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
}

impl From<vigil_store::sqlite::DbError> for RunError {
    fn from(e: vigil_store::sqlite::DbError) -> Self {
        RunError::Unavailable(e.0)
    }
}

impl From<vigil_readmodel::port::ReadError> for RunError {
    fn from(e: vigil_readmodel::port::ReadError) -> Self {
        RunError::Unavailable(e.0)
    }
}

/// What an execution runs, worked out before it starts.
struct Prepared {
    target: ChecksTarget,
    input: CheckInput,
    selection: Selection,
    checks: Vec<String>,
    requests: Vec<FactRequest>,
    agents: Vec<Uuid>,
}

/// An execution that started.
#[derive(Clone, Copy, Debug)]
pub struct Started {
    /// The execution.
    pub execution_id: Uuid,
    /// The decision that let the start through.
    pub decision_id: Uuid,
}

/// Runs checks executions; one per server.
pub struct ChecksRunner {
    /// The agents connected over the facts channel.
    pub agents: Arc<FactsAgents>,
    /// The checks read model.
    pub views: ChecksViews,
    catalog: Arc<Catalog>,
    interval: Duration,
    facts_timeout: Duration,
    slots: Arc<Semaphore>,
    app: OnceLock<Weak<App>>,
    due: Mutex<BTreeSet<ChecksTarget>>,
    executing: Mutex<HashSet<ChecksTarget>>,
    wake: Notify,
}

impl ChecksRunner {
    /// A runner of `catalog`'s checks with the server's checks settings.
    pub fn new(config: &crate::config::ServerConfig, catalog: Arc<Catalog>, views: ChecksViews) -> Self {
        ChecksRunner {
            agents: Arc::new(FactsAgents::default()),
            views,
            catalog,
            interval: config.checks_interval,
            facts_timeout: config.checks_facts_timeout,
            slots: Arc::new(Semaphore::new(config.checks_concurrency)),
            app: OnceLock::new(),
            due: Mutex::new(BTreeSet::new()),
            executing: Mutex::new(HashSet::new()),
            wake: Notify::new(),
        }
    }

    /// Gives the runner the app it submits through (built after the runner).
    pub fn attach(&self, app: &Arc<App>) {
        let _ = self.app.set(Arc::downgrade(app));
        self.wake.notify_one();
    }

    /// Runs `target` at the schedule's next turn (its discovered data changed).
    pub fn mark_due(&self, target: ChecksTarget) {
        self.due.lock().expect("the due lock").insert(target);
        self.wake.notify_one();
    }

    /// Starts an execution on `target` for `principal`; the results follow as an event.
    pub async fn start(
        &self,
        app: &Arc<App>,
        principal: &Principal,
        target: ChecksTarget,
    ) -> Result<Started, RunError> {
        let prepared = self.prepare(app, target).await?;
        if prepared.checks.is_empty() {
            return Err(RunError::Unprocessable(format!(
                "no selected check applies to {} {}",
                target.target_type.as_str(),
                target.id
            )));
        }
        let execution_id = Uuid::now_v7();
        let command = ChecksCommand::StartChecksExecution {
            execution_id,
            target_type: target.target_type,
            target_id: target.id,
            checks: prepared.checks.clone(),
            agents: prepared.agents.clone(),
        };
        let admitted = app
            .gate
            .submit(principal, GateCommand::Checks { target_id: target.id, command }, Via::Direct, &meta(execution_id))
            .await?;
        self.executing.lock().expect("the executing lock").insert(target);
        let app = app.clone();
        tokio::spawn(async move {
            let runner = app.checks_runner.clone();
            runner.complete(&app, prepared, execution_id).await;
            runner.executing.lock().expect("the executing lock").remove(&target);
        });
        Ok(Started { execution_id, decision_id: admitted.decision_id })
    }

    /// Gathers the facts, evaluates and records the results.
    async fn complete(&self, app: &Arc<App>, prepared: Prepared, execution_id: Uuid) {
        let Ok(_slot) = self.slots.clone().acquire_owned().await else { return };
        let started = std::time::Instant::now();
        let facts = self
            .agents
            .gather(execution_id, prepared.target.id, &prepared.agents, &prepared.requests, self.facts_timeout)
            .await;
        let catalog = self.catalog.clone();
        let Prepared { target, input, selection, .. } = prepared;
        let evaluated = tokio::task::spawn_blocking(move || {
            let evaluation = catalog.evaluate(&input, &selection, &facts);
            (evaluation, facts)
        })
        .await;
        let (evaluation, facts) = match evaluated {
            Ok(done) => done,
            Err(error) => return tracing::error!(%execution_id, %error, "a checks evaluation panicked"),
        };
        let agents: BTreeMap<Uuid, Value> =
            facts.iter().map(|(agent, facts)| (*agent, serde_json::to_value(facts).unwrap_or(Value::Null))).collect();
        let health = evaluation.health;
        let command =
            ChecksCommand::CompleteChecksExecution { execution_id, health, results: evaluation.results, agents };
        let system = principal::system("checks");
        let submitted = app
            .gate
            .submit(&system, GateCommand::Checks { target_id: target.id, command }, Via::Direct, &meta(execution_id))
            .await;
        metrics::histogram!("vigil_checks_execution_seconds").record(started.elapsed().as_secs_f64());
        match submitted {
            Ok(_) => tracing::info!(%execution_id, target = %target.id, ?health, "checks executed"),
            Err(error) => tracing::warn!(%execution_id, %error, "the results of a checks execution were not recorded"),
        }
    }

    /// The input, selection, checks, fact requests and agents of an execution on `target`.
    async fn prepare(&self, app: &App, target: ChecksTarget) -> Result<Prepared, RunError> {
        let (input, hosts) = match target.target_type {
            TargetType::Cluster => {
                let cluster = app.reads.cluster(target.id.to_string()).await?;
                let cluster =
                    cluster.ok_or_else(|| RunError::NotFound(format!("cluster {} is not registered", target.id)))?;
                let mut members = Vec::new();
                for member in &cluster.hosts {
                    let Ok(host_id) = member.host_id.parse::<Uuid>() else { continue };
                    members.push(discoveries_of(app, host_id).await?);
                }
                let input = vigil_checks::cluster_input(&members, Value::Object(Default::default()))
                    .map_err(|e| RunError::Unprocessable(format!("cluster {} cannot be checked: {e}", target.id)))?;
                (input, members.iter().map(|m| m.host_id).collect::<Vec<_>>())
            }
            TargetType::Host => {
                if app.reads.host(target.id.to_string()).await?.is_none() {
                    return Err(RunError::NotFound(format!("host {} is not registered", target.id)));
                }
                let host = discoveries_of(app, target.id).await?;
                let input = vigil_checks::host_input(&host, Value::Object(Default::default()))
                    .map_err(|e| RunError::Unprocessable(format!("host {} cannot be checked: {e}", target.id)))?;
                (input, vec![target.id])
            }
        };
        // The aggregate, not the read model: a request right after a selection runs it.
        let state = app.commands.checks_state(target.id).await.map_err(|e| RunError::Unavailable(e.to_string()))?;
        let selection = match &state.selection {
            Some(selected) => Selection { checks: Some(selected.checks.clone()), values: selected.values.clone() },
            None => Selection::default(),
        };
        let checks: Vec<String> = self
            .catalog
            .applicable(&input)
            .map(|check| check.metadata().id.clone())
            .filter(|id| selection.checks.as_ref().is_none_or(|ids| ids.contains(id)))
            .collect();
        let requests = self.catalog.fact_requests(&input, &selection);
        let agents = if requests.is_empty() { Vec::new() } else { hosts };
        Ok(Prepared { target, input, selection, checks, requests, agents })
    }

    /// The checks of the catalog that apply to `target` as it is discovered now.
    pub async fn applicable(&self, app: &App, target: ChecksTarget) -> Result<Vec<String>, RunError> {
        let prepared = self.prepare(app, target).await?;
        Ok(self.catalog.applicable(&prepared.input).map(|check| check.metadata().id.clone()).collect())
    }

    /// Records a selection on `target` for `principal`, once the catalog accepts it
    /// ([`Catalog::check_selection`]).
    pub async fn select(
        &self,
        app: &Arc<App>,
        principal: &Principal,
        target: ChecksTarget,
        checks: Vec<String>,
        values: BTreeMap<String, BTreeMap<String, Value>>,
    ) -> Result<(Uuid, Option<u64>), RunError> {
        let applicable = self.applicable(app, target).await?;
        self.catalog
            .check_selection(&applicable, &checks, &values)
            .map_err(|why| RunError::Unprocessable(format!("{why} ({} {})", target.target_type.as_str(), target.id)))?;
        let command =
            ChecksCommand::SelectChecks { target_type: target.target_type, target_id: target.id, checks, values };
        let admitted = app
            .gate
            .submit(
                principal,
                GateCommand::Checks { target_id: target.id, command },
                Via::Direct,
                &meta(Uuid::now_v7()),
            )
            .await?;
        Ok((admitted.decision_id, admitted.dispatched.last_position))
    }

    /// The schedule: every `checks_interval` each selected target, and changed targets
    /// soon after their change, until `shutdown`.
    pub async fn run_schedule(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let app = loop {
            if let Some(app) = self.app.get().and_then(Weak::upgrade) {
                break app;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        };
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let everything = tokio::select! {
                _ = tick.tick() => true,
                _ = self.wake.notified() => false,
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            if !everything {
                tokio::select! {
                    _ = tokio::time::sleep(DEBOUNCE) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
            }
            let selected: BTreeSet<ChecksTarget> = match self.views.selected_targets().await {
                Ok(targets) => targets.into_iter().filter_map(|(kind, id)| parse_target(&kind, &id)).collect(),
                Err(error) => {
                    tracing::warn!(%error, "the checks schedule cannot read the selections");
                    continue;
                }
            };
            let due = std::mem::take(&mut *self.due.lock().expect("the due lock"));
            let to_run: Vec<ChecksTarget> = if everything {
                selected.into_iter().collect()
            } else {
                due.intersection(&selected).copied().collect()
            };
            let scheduler = principal::system("checks-scheduler");
            for target in to_run {
                if self.executing.lock().expect("the executing lock").contains(&target) {
                    continue;
                }
                if let Err(error) = self.start(&app, &scheduler, target).await {
                    tracing::info!(target = %target.id, %error, "a scheduled checks execution did not start");
                }
            }
        }
    }
}

/// A stored target (`cluster` or `host`, and its id).
fn parse_target(kind: &str, id: &str) -> Option<ChecksTarget> {
    let target_type = match kind {
        "cluster" => TargetType::Cluster,
        "host" => TargetType::Host,
        _ => return None,
    };
    Some(ChecksTarget { target_type, id: id.parse().ok()? })
}

fn meta(correlation: Uuid) -> EventMetadata {
    EventMetadata {
        time: Utc::now(),
        source: "/vigil/checks".into(),
        correlation_id: Some(correlation),
        causation_id: None,
    }
}

/// The last applied payload of each discovery type of a host.
async fn discoveries_of(app: &App, host_id: Uuid) -> Result<HostDiscoveries, RunError> {
    let entries = app
        .discovery_log
        .list(DiscoveryQuery {
            agent_id: Some(host_id.to_string()),
            status: Some("applied".to_owned()),
            before_id: None,
            limit: LOG_ENTRIES_PER_HOST,
            with_payload: true,
        })
        .await?;
    let mut payloads = BTreeMap::new();
    // Newest first: the first entry of a type is its last payload.
    for entry in entries {
        if payloads.contains_key(&entry.discovery_type) {
            continue;
        }
        let Some(raw) = entry.payload else { continue };
        let Ok(payload) = serde_json::from_str::<Value>(raw.get()) else { continue };
        payloads.insert(entry.discovery_type, payload);
    }
    Ok(HostDiscoveries { host_id, payloads })
}
