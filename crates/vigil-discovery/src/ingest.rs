//! The path of a discovery: hash, detect, dispatch, park or log.
//!
//! Agents resend full snapshots every tick, so the first thing done is comparing the
//! payload's hash with the last applied one for the same agent and type: an unchanged
//! snapshot costs a hash and a map lookup. A changed one is *evaluated*: the host's
//! discovery context is read from the read models, the `ScenarioDetector` turns the payload
//! into commands, application instances are resolved to their SAP system against the
//! database directory (read models), and every command goes through the gate. Only when
//! their events are durably appended and the payload is logged (or parked) is the discovery
//! acknowledged.
//!
//! A command refused because something it needs is not there *yet* parks the discovery
//! (`parking.rs`): a host command of a host that has not registered, a database instance
//! that is a secondary of a database its primary has not registered, an application
//! instance whose database is not known. The discovery is answered `parked` and is
//! evaluated again, by the process manager, when an event says that may have changed, so
//! discoveries converge whatever order they arrive in. Other refusals discard the discovery
//! (logged with the reason); the rest of its commands still apply.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::watch;
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::ClusterCommand;
use vigil_landscape::discovery::{Discovery, DiscoveryContext, DiscoveryType, InvalidDiscovery, ScenarioDetector};
use vigil_landscape::sap_system::resolve;

use crate::log::{DiscoveryLog, DiscoveryStatus, NewDiscoveryEntry};
use crate::parking::{ParkedDiscovery, Parking, Wait};
use vigil_gate::commands::DispatchError;
use vigil_gate::gate::{CommandGate, GateCommand, GateError, Via};
use vigil_gate::principal;
use vigil_readmodel::cib::CibWrites;
use vigil_readmodel::landscape::LandscapeViews;

/// What became of a discovery, as told to the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collected {
    /// `applied`, `unchanged`, `parked`, `discarded` or `not_interpreted`.
    pub status: &'static str,
    /// Events appended because of it.
    pub events: usize,
    /// Global position of the last of them: a read model that has reached it shows the
    /// discovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_position: Option<u64>,
    /// Why it was parked or discarded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a discovery was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The payload is not what its type requires (the agent's fault: 422).
    #[error(transparent)]
    Invalid(#[from] InvalidDiscovery),
    /// The policy does not let this agent submit it (403).
    #[error("denied: {}", reasons.join("; "))]
    Denied {
        /// The decision.
        decision_id: Uuid,
        /// The policy's reasons.
        reasons: Vec<String>,
    },
    /// Storing failed (ours: 503/500); the agent should retry.
    #[error("{0}")]
    Failed(String),
}

impl From<vigil_store::sqlite::DbError> for IngestError {
    fn from(e: vigil_store::sqlite::DbError) -> Self {
        IngestError::Failed(e.to_string())
    }
}

type Key = (Uuid, DiscoveryType);

/// How often an agent's discovery is evaluated again at once, when the read models moved
/// while it was being parked (what it waits for may have appeared in between).
const MAX_ROUNDS: usize = 3;

/// The discovery ingest.
pub struct DiscoveryIngest {
    gate: Arc<CommandGate>,
    cib: CibWrites,
    log: DiscoveryLog,
    parking: Parking,
    landscape: LandscapeViews,
    /// The read models an evaluation reads.
    read_models: ReadModels,
    /// Hash of the last accepted (applied or not interpreted) payload per agent and type.
    applied: Mutex<HashMap<Key, [u8; 32]>>,
    /// Hash of the last parked or discarded payload: it is evaluated again when resent (what
    /// it waited for may exist now) but logged once.
    pending: Mutex<HashMap<Key, [u8; 32]>>,
    /// One evaluation at a time per agent and type, so that a retried parked snapshot never
    /// overtakes a newer one.
    locks: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
    /// The position of the last event each agent's discoveries wrote: what the read models
    /// must show before that agent's next context is read. The context of a host is what
    /// its own earlier discoveries made (its cluster, its instances), so an evaluation
    /// waits only for those, and only while they are not projected yet.
    written: Mutex<HashMap<Uuid, u64>>,
    /// The store's head when this process started: stands for every agent not in
    /// `written`, whose last events may predate it.
    head_at_start: u64,
}

/// Where the store and the read models an evaluation reads are.
#[derive(Clone)]
pub struct ReadModels {
    /// The store's head.
    pub head: watch::Receiver<u64>,
    /// The hosts, clusters, databases and SAP systems projections' progress.
    pub progress: Vec<watch::Receiver<u64>>,
}

/// How long an evaluation waits for the read models to show what was acknowledged before it.
const READ_MODEL_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What the commands of one evaluation did.
#[derive(Debug, Default)]
struct Evaluation {
    n_events: usize,
    last_position: Option<u64>,
    waits: Vec<Wait>,
    parked_reasons: Vec<String>,
    discarded_reasons: Vec<String>,
}

impl Evaluation {
    fn status(&self, discovery_type: DiscoveryType) -> DiscoveryStatus {
        if !self.waits.is_empty() {
            DiscoveryStatus::Parked
        } else if !self.discarded_reasons.is_empty() {
            DiscoveryStatus::Discarded
        } else if discovery_type.is_interpreted() {
            DiscoveryStatus::Applied
        } else {
            DiscoveryStatus::NotInterpreted
        }
    }

    fn reason(&self) -> Option<String> {
        let reasons: Vec<&str> =
            self.parked_reasons.iter().chain(&self.discarded_reasons).map(String::as_str).collect();
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}

fn status_name(status: DiscoveryStatus) -> &'static str {
    match status {
        DiscoveryStatus::Applied => "applied",
        DiscoveryStatus::Discarded => "discarded",
        DiscoveryStatus::Parked => "parked",
        DiscoveryStatus::NotInterpreted => "not_interpreted",
    }
}

impl DiscoveryIngest {
    /// An ingest remembering what the log says was applied last. Evaluations read
    /// `read_models`.
    pub async fn open(
        gate: Arc<CommandGate>,
        cib: CibWrites,
        log: DiscoveryLog,
        parking: Parking,
        landscape: LandscapeViews,
        read_models: ReadModels,
    ) -> Result<Self, vigil_store::sqlite::DbError> {
        let mut applied = HashMap::new();
        for (agent_id, discovery_type, hash) in log.last_applied_hashes().await? {
            let (Ok(agent), Ok(ty), Ok(hash)) = (agent_id.parse(), discovery_type.parse(), hex::decode(hash)) else {
                continue;
            };
            if let Ok(hash) = <[u8; 32]>::try_from(hash) {
                applied.insert((agent, ty), hash);
            }
        }
        let head_at_start = *read_models.head.borrow();
        Ok(DiscoveryIngest {
            gate,
            cib,
            log,
            parking,
            landscape,
            applied: Mutex::new(applied),
            pending: Mutex::default(),
            locks: Mutex::default(),
            written: Mutex::default(),
            head_at_start,
            read_models,
        })
    }

    /// The parked discoveries.
    pub fn parking(&self) -> &Parking {
        &self.parking
    }

    /// Takes one discovery received at `received_at`.
    pub async fn collect(
        &self,
        agent_id: Uuid,
        discovery_type: DiscoveryType,
        payload: &str,
        received_at: DateTime<Utc>,
    ) -> Result<Collected, IngestError> {
        let hash: [u8; 32] = Sha256::digest(payload.as_bytes()).into();
        let key = (agent_id, discovery_type);
        if self.applied.lock().expect("ingest lock").get(&key) == Some(&hash) {
            count(discovery_type, "unchanged");
            return Ok(Collected { status: "unchanged", events: 0, last_position: None, reason: None });
        }
        let lock = self.lock(key);
        let _guard = lock.lock().await;
        let meta = EventMetadata {
            time: received_at,
            source: format!("/vigil/agents/{agent_id}"),
            correlation_id: Some(Uuid::now_v7()),
            causation_id: None,
        };
        let mut n_events = 0;
        let mut last_position = None;
        let mut rounds = 0;
        let evaluation = loop {
            let before = self.read_model_position();
            let evaluation = self.evaluate(agent_id, discovery_type, payload, &meta).await?;
            n_events += evaluation.n_events;
            last_position = evaluation.last_position.or(last_position);
            rounds += 1;
            if evaluation.waits.is_empty() {
                break evaluation;
            }
            self.park(agent_id, discovery_type, payload, &hash, received_at, &evaluation).await?;
            // What it waits for may have appeared while it was being evaluated, and the
            // process manager may have looked for parked discoveries before this one was
            // parked: if the read models moved meanwhile, evaluate it again.
            if rounds >= MAX_ROUNDS || self.read_model_position() <= before {
                break evaluation;
            }
        };
        let status = evaluation.status(discovery_type);
        self.settle(key, payload, hash, received_at, status, evaluation.reason(), None).await?;
        count(discovery_type, status_name(status));
        Ok(Collected { status: status_name(status), events: n_events, last_position, reason: evaluation.reason() })
    }

    /// Evaluates a parked discovery again (the process manager calls this when something it
    /// waits for may have appeared). Nothing happens if it is no longer parked as it was.
    pub async fn retry(&self, parked: &ParkedDiscovery, now: DateTime<Utc>) -> Result<Option<Collected>, IngestError> {
        let key = (parked.agent_id, parked.discovery_type);
        let lock = self.lock(key);
        let _guard = lock.lock().await;
        let current = self.parking.get(parked.agent_id, parked.discovery_type).await?;
        if current.as_ref().map(|c| &c.payload_hash) != Some(&parked.payload_hash) {
            return Ok(None);
        }
        let Some(hash) = hex::decode(&parked.payload_hash).ok().and_then(|h| <[u8; 32]>::try_from(h).ok()) else {
            return Ok(None);
        };
        let meta = EventMetadata {
            time: now,
            source: format!("/vigil/agents/{}", parked.agent_id),
            correlation_id: Some(Uuid::now_v7()),
            causation_id: None,
        };
        let evaluation = self.evaluate(parked.agent_id, parked.discovery_type, &parked.payload, &meta).await?;
        let status = evaluation.status(parked.discovery_type);
        if status == DiscoveryStatus::Parked {
            self.park(parked.agent_id, parked.discovery_type, &parked.payload, &hash, parked.received_at, &evaluation)
                .await?;
        } else {
            self.settle(
                key,
                &parked.payload,
                hash,
                now,
                status,
                evaluation.reason(),
                Some(parked.payload_hash.clone()),
            )
            .await?;
            count(parked.discovery_type, status_name(status));
        }
        Ok(Some(Collected {
            status: status_name(status),
            events: evaluation.n_events,
            last_position: evaluation.last_position,
            reason: evaluation.reason(),
        }))
    }

    /// Moves parked discoveries older than `cutoff` to the discovery log as `discarded`,
    /// with the reason they waited for. Returns how many expired.
    pub async fn expire_parked(&self, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> Result<usize, IngestError> {
        let mut n_expired = 0;
        for parked in self.parking.parked_before(cutoff).await? {
            let key = (parked.agent_id, parked.discovery_type);
            let lock = self.lock(key);
            let _guard = lock.lock().await;
            if !self.parking.remove(parked.agent_id, parked.discovery_type, Some(parked.payload_hash.clone())).await? {
                continue;
            }
            let reason =
                format!("parked since {} and expired: {}", vigil_readmodel::stamp(parked.parked_at), parked.reason);
            self.log
                .record(NewDiscoveryEntry {
                    agent_id: parked.agent_id,
                    discovery_type: parked.discovery_type.as_str(),
                    payload: parked.payload.clone(),
                    payload_hash: parked.payload_hash.clone(),
                    received_at: now,
                    status: DiscoveryStatus::Discarded,
                    reason: Some(reason),
                })
                .await?;
            count(parked.discovery_type, "expired");
            n_expired += 1;
        }
        Ok(n_expired)
    }

    /// Forgets what was applied for `agent_id`, so its next snapshot is evaluated in full
    /// even if unchanged.
    pub fn forget(&self, agent_id: Uuid) {
        self.written.lock().expect("ingest lock").remove(&agent_id);
        self.applied.lock().expect("ingest lock").retain(|(agent, _), _| *agent != agent_id);
        self.pending.lock().expect("ingest lock").retain(|(agent, _), _| *agent != agent_id);
    }

    /// Detects the discovery's commands and submits each through the gate as the agent's.
    async fn evaluate(
        &self,
        agent_id: Uuid,
        discovery_type: DiscoveryType,
        payload: &str,
        meta: &EventMetadata,
    ) -> Result<Evaluation, IngestError> {
        let mut evaluation = Evaluation::default();
        // A type this build does not interpret is accepted and logged, but not detected.
        if !discovery_type.is_interpreted() {
            return Ok(evaluation);
        }
        let context = match discovery_type {
            DiscoveryType::HaCluster | DiscoveryType::SapSystem => {
                self.read_models_reach(self.context_position(agent_id)).await;
                self.landscape.context(agent_id).await?
            }
            DiscoveryType::Host | DiscoveryType::Cloud | DiscoveryType::Subscription | DiscoveryType::Saptune => {
                DiscoveryContext::default()
            }
        };
        let discovery = Discovery { agent_id, discovery_type, payload };
        let commands = ScenarioDetector::detect(&discovery, &context).inspect_err(|_| {
            count(discovery_type, "invalid");
        })?;
        let agent = principal::agent(&agent_id.to_string());
        for command in commands {
            let command = match command {
                LandscapeCommand::ResolveApplicationInstance(registration) => {
                    let mut directory = self.landscape.database_directory_for(&registration.db_host).await?;
                    // The database may have been acknowledged (another agent's discovery)
                    // and not projected yet: only then is it worth waiting before parking.
                    let head = *self.read_models.head.borrow();
                    if resolve(registration.clone(), &directory).is_err() && self.read_models_reach(head).await {
                        directory = self.landscape.database_directory_for(&registration.db_host).await?;
                    }
                    match resolve(registration, &directory) {
                        Ok(resolved) => resolved,
                        Err(unresolved) => {
                            evaluation.waits.push(Wait::DatabaseAt {
                                db_host: unresolved.db_host().to_owned(),
                                tenant: unresolved.tenant().to_owned(),
                            });
                            evaluation.parked_reasons.push(unresolved.to_string());
                            continue;
                        }
                    }
                }
                other => other,
            };
            let cib_last_written = cib_last_written(&command);
            let via = Via::Discovery(discovery_type.as_str());
            match self.gate.submit(&agent, GateCommand::Landscape(command), via, meta).await {
                Ok(admitted) => {
                    evaluation.n_events += admitted.dispatched.n_events;
                    evaluation.last_position = admitted.dispatched.last_position.or(evaluation.last_position);
                    if let Some(position) = admitted.dispatched.last_position {
                        let mut written = self.written.lock().expect("ingest lock");
                        let last = written.entry(agent_id).or_default();
                        *last = (*last).max(position);
                    }
                    if let Some((cluster_id, written)) = &cib_last_written {
                        self.cib.record(*cluster_id, written).await?;
                    }
                }
                Err(GateError::Dispatch(refusal @ (DispatchError::Rejected(_) | DispatchError::NotFound(_)))) => {
                    match refusal.waits_for().map(Wait::from) {
                        Some(wait) => {
                            evaluation.waits.push(wait);
                            evaluation.parked_reasons.push(refusal.to_string());
                        }
                        None => evaluation.discarded_reasons.push(refusal.to_string()),
                    }
                }
                Err(GateError::Denied { decision_id, reasons }) => {
                    return Err(IngestError::Denied { decision_id, reasons });
                }
                Err(GateError::Dispatch(DispatchError::Failed(e)) | GateError::Unavailable(e)) => {
                    return Err(IngestError::Failed(e));
                }
            }
        }
        Ok(evaluation)
    }

    async fn park(
        &self,
        agent_id: Uuid,
        discovery_type: DiscoveryType,
        payload: &str,
        hash: &[u8; 32],
        received_at: DateTime<Utc>,
        evaluation: &Evaluation,
    ) -> Result<(), IngestError> {
        self.parking
            .park(ParkedDiscovery {
                agent_id,
                discovery_type,
                payload: payload.to_owned(),
                payload_hash: hex::encode(hash),
                received_at,
                parked_at: Utc::now(),
                reason: evaluation.reason().unwrap_or_default(),
                waits: evaluation.waits.clone(),
            })
            .await?;
        Ok(())
    }

    /// Logs what became of a discovery and remembers its hash. `parked_hash`: the payload
    /// was retried from the parking, which it leaves only if still parked with that hash.
    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &self,
        key: Key,
        payload: &str,
        hash: [u8; 32],
        received_at: DateTime<Utc>,
        status: DiscoveryStatus,
        reason: Option<String>,
        parked_hash: Option<String>,
    ) -> Result<(), IngestError> {
        let (agent_id, discovery_type) = key;
        let retried = parked_hash.is_some();
        let not_applied = matches!(status, DiscoveryStatus::Discarded | DiscoveryStatus::Parked);
        let logged_already = not_applied && self.pending.lock().expect("ingest lock").insert(key, hash) == Some(hash);
        // A newer snapshot supersedes what was parked for the same agent and type. The
        // removal commits before the log row: a log row that says this payload applied
        // while the older one stays parked would, after a crash, let the process manager
        // apply the older one over it. (`Parking` writes only when a row is there.)
        let written = async {
            if status != DiscoveryStatus::Parked {
                self.parking.remove(agent_id, discovery_type, parked_hash).await?;
            }
            if !logged_already || retried {
                self.log
                    .record(NewDiscoveryEntry {
                        agent_id,
                        discovery_type: discovery_type.as_str(),
                        payload: payload.to_owned(),
                        payload_hash: hex::encode(hash),
                        received_at,
                        status,
                        reason,
                    })
                    .await?;
            }
            Ok::<_, vigil_store::sqlite::DbError>(())
        };
        if let Err(e) = written.await {
            // Not logged: the same payload sent again must be logged then.
            if not_applied {
                self.pending.lock().expect("ingest lock").remove(&key);
            }
            return Err(e.into());
        }
        if !not_applied {
            self.applied.lock().expect("ingest lock").insert(key, hash);
            self.pending.lock().expect("ingest lock").remove(&key);
        }
        Ok(())
    }

    fn lock(&self, key: Key) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().expect("ingest lock");
        // Drop the locks nobody holds or waits for, so the map stays as small as the traffic.
        if locks.len() > 1024 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry(key).or_default().clone()
    }

    fn read_model_position(&self) -> u64 {
        self.read_models.progress.iter().map(|p| *p.borrow()).min().unwrap_or(0)
    }

    /// What the read models must show before `agent_id`'s context is read: the last event
    /// its own discoveries wrote (an instance registered by the previous snapshot must be
    /// in the context to be marked absent by this one).
    fn context_position(&self, agent_id: Uuid) -> u64 {
        self.written.lock().expect("ingest lock").get(&agent_id).copied().unwrap_or(self.head_at_start)
    }

    /// Whether the read models show every event up to `position`, waiting (briefly) when
    /// they do not yet. Usually they do, and nothing waits; past the wait the evaluation
    /// goes on with what they show. False when they already did (waiting changed nothing)
    /// or still do not.
    async fn read_models_reach(&self, position: u64) -> bool {
        if self.read_model_position() >= position {
            return false;
        }
        let caught_up = async {
            for progress in &self.read_models.progress {
                let mut progress = progress.clone();
                let _ = progress.wait_for(|p| *p >= position).await;
            }
        };
        tokio::time::timeout(READ_MODEL_WAIT, caught_up).await.is_ok()
    }
}

/// The cluster and CIB time an online member's registration reports, which [`CibWrites`]
/// keeps once the command is admitted.
fn cib_last_written(command: &LandscapeCommand) -> Option<(Uuid, String)> {
    match command {
        LandscapeCommand::Cluster {
            cluster_id,
            command: ClusterCommand::RegisterOnlineClusterHost { cib_last_written: Some(written), .. },
        } => Some((*cluster_id, written.clone())),
        _ => None,
    }
}

fn count(discovery_type: DiscoveryType, outcome: &'static str) {
    metrics::counter!("vigil_ingest_discoveries_total", "type" => discovery_type.as_str(), "outcome" => outcome)
        .increment(1);
}
