//! The path of a discovery: hash, detect, dispatch, log.
//!
//! Agents resend full snapshots every tick, so the first thing done is comparing the
//! payload's hash with the last applied one for the same agent and type: an unchanged
//! snapshot costs a hash and a map lookup. A changed one goes through the
//! `ScenarioDetector` and its commands are dispatched; only when their events are durably
//! appended and the payload is logged is the discovery acknowledged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::discovery::{Discovery, DiscoveryType, InvalidDiscovery, ScenarioDetector};

use crate::commands::DispatchError;
use crate::discovery_log::{DiscoveryLog, DiscoveryStatus, NewDiscoveryEntry};
use crate::gate::{CommandGate, GateCommand, GateError, Via};
use crate::principal;

/// What became of a discovery, as told to the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collected {
    /// `applied`, `unchanged`, `discarded` or `not_interpreted`.
    pub status: &'static str,
    /// Events appended because of it.
    pub events: usize,
    /// Global position of the last of them: a read model that has reached it shows the
    /// discovery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_position: Option<u64>,
    /// Why it was discarded.
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

type Key = (Uuid, DiscoveryType);

/// The discovery ingest.
pub struct DiscoveryIngest {
    gate: Arc<CommandGate>,
    log: DiscoveryLog,
    /// Hash of the last accepted (applied or not interpreted) payload per agent and type.
    applied: Mutex<HashMap<Key, [u8; 32]>>,
    /// Hash of the last discarded payload: it is evaluated again when resent (what it
    /// waited for may exist now) but logged once.
    discarded: Mutex<HashMap<Key, [u8; 32]>>,
}

impl DiscoveryIngest {
    /// An ingest remembering what the log says was applied last.
    pub async fn open(gate: Arc<CommandGate>, log: DiscoveryLog) -> Result<Self, vigil_store::sqlite::DbError> {
        let mut applied = HashMap::new();
        for (agent_id, discovery_type, hash) in log.last_applied_hashes().await? {
            let (Ok(agent), Ok(ty), Ok(hash)) = (agent_id.parse(), discovery_type.parse(), hex::decode(hash)) else {
                continue;
            };
            if let Ok(hash) = <[u8; 32]>::try_from(hash) {
                applied.insert((agent, ty), hash);
            }
        }
        Ok(DiscoveryIngest {
            gate,
            log,
            applied: Mutex::new(applied),
            discarded: Mutex::default(),
        })
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
            metrics::counter!("vigil_ingest_discoveries_total", "type" => discovery_type.as_str(), "outcome" => "unchanged").increment(1);
            return Ok(Collected {
                status: "unchanged",
                events: 0,
                last_position: None,
                reason: None,
            });
        }
        let discovery = Discovery {
            agent_id,
            discovery_type,
            payload,
        };
        // A type this build does not interpret yet is accepted and logged, but not detected:
        // its commands have no aggregate to go to.
        let commands = if discovery_type.is_interpreted() {
            ScenarioDetector::detect(&discovery, &Default::default()).inspect_err(|_| {
                metrics::counter!("vigil_ingest_discoveries_total", "type" => discovery_type.as_str(), "outcome" => "invalid")
                    .increment(1);
            })?
        } else {
            Vec::new()
        };
        let meta = EventMetadata {
            time: received_at,
            source: format!("/vigil/agents/{agent_id}"),
            correlation_id: Some(Uuid::now_v7()),
            causation_id: None,
        };
        let mut outcome = Collected {
            status: if discovery_type.is_interpreted() {
                "applied"
            } else {
                "not_interpreted"
            },
            events: 0,
            last_position: None,
            reason: None,
        };
        let agent = principal::agent(&agent_id.to_string());
        for command in commands {
            let via = Via::Discovery(discovery_type.as_str());
            match self
                .gate
                .submit(&agent, GateCommand::Landscape(command), via, &meta)
                .await
            {
                Ok(admitted) => {
                    outcome.events += admitted.dispatched.n_events;
                    outcome.last_position = admitted.dispatched.last_position.or(outcome.last_position);
                }
                Err(GateError::Dispatch(DispatchError::Rejected(reason) | DispatchError::NotFound(reason))) => {
                    outcome.status = "discarded";
                    outcome.reason = Some(reason);
                    break;
                }
                Err(GateError::Denied { decision_id, reasons }) => {
                    return Err(IngestError::Denied { decision_id, reasons });
                }
                Err(GateError::Dispatch(DispatchError::Failed(e)) | GateError::Unavailable(e)) => {
                    return Err(IngestError::Failed(e));
                }
            }
        }
        let status = match outcome.status {
            "applied" => DiscoveryStatus::Applied,
            "discarded" => DiscoveryStatus::Discarded,
            _ => DiscoveryStatus::NotInterpreted,
        };
        let logged_already = status == DiscoveryStatus::Discarded
            && self.discarded.lock().expect("ingest lock").insert(key, hash) == Some(hash);
        if !logged_already {
            self.log
                .record(NewDiscoveryEntry {
                    agent_id,
                    discovery_type: discovery_type.as_str(),
                    payload: payload.to_owned(),
                    payload_hash: hex::encode(hash),
                    received_at,
                    status,
                    reason: outcome.reason.clone(),
                })
                .await
                .map_err(|e| IngestError::Failed(e.to_string()))?;
        }
        if status != DiscoveryStatus::Discarded {
            self.applied.lock().expect("ingest lock").insert(key, hash);
            self.discarded.lock().expect("ingest lock").remove(&key);
        }
        metrics::counter!("vigil_ingest_discoveries_total", "type" => discovery_type.as_str(), "outcome" => outcome.status).increment(1);
        Ok(outcome)
    }

    /// Forgets what was applied for `agent_id`, so its next snapshot is evaluated in full
    /// even if unchanged.
    pub fn forget(&self, agent_id: Uuid) {
        self.applied
            .lock()
            .expect("ingest lock")
            .retain(|(agent, _), _| *agent != agent_id);
        self.discarded
            .lock()
            .expect("ingest lock")
            .retain(|(agent, _), _| *agent != agent_id);
    }
}
