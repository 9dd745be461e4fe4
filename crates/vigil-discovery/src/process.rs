//! The landscape's process manager: what an event means for other aggregates.
//!
//! It is a durable subscription, run by the kernel's `ProjectionRunner` like a projection:
//! it reads every event in store order, reacts, and stores its checkpoint after each event
//! it reacted to. A crash between a reaction and its checkpoint repeats the reaction
//! (at-least-once); every reaction is a command whose decider decides nothing the second
//! time, and the two that would not be (stale marks after a recovery, a deregistration
//! after a restoration) check the aggregate's current state first. Its first start begins at
//! the store's head: it reacts to what happens from then on, not to history.
//!
//! Before reacting to the event at position `p` it waits until the read models it reads
//! (hosts, clusters, databases, SAP systems) have applied `p`, so what it looks up includes
//! the event itself. Every command goes through the gate as the system principal
//! `process-manager`. The reactions:
//!
//! * database events → the SAP systems on that database (`sap_system::react_to_database`);
//! * a host or database that appeared or changed → parked discoveries waiting for it are
//!   evaluated again (`parking.rs`);
//! * `HeartbeatFailed` → `MarkHostStale`, and stale marks on the host's cluster membership,
//!   database instances and application instances; then the ingest forgets the agent's
//!   hashes, so its next discovery, even unchanged, brings everything back in sync;
//! * an instance appearing, disappearing, turning absent or present, or its host
//!   registering → `UpdateSapWorkload` for the host, when the answer changed;
//! * `HostDeregistrationRequested` → deregister the host's database instances, application
//!   instances and cluster membership, then the host (empty databases, SAP systems and
//!   clusters deregister by their own rules); `HostDeregistered` → forget its heartbeat,
//!   hashes and parked discoveries.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::watch;
use uuid::Uuid;
use vigil_kernel::envelope::{EventMetadata, RecordedEvent};
use vigil_kernel::projection::{Projection, ProjectionError};
use vigil_kernel::store::EventStore;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::ClusterCommand;
use vigil_landscape::database::DatabaseCommand;
use vigil_landscape::host::{Heartbeat, HostCommand};
use vigil_landscape::process::{Reaction, react};
use vigil_landscape::sap_system::SapSystemCommand;
use vigil_store::Db;
use vigil_store::sqlite::Commit;

use crate::heartbeats::Heartbeats;
use crate::ingest::DiscoveryIngest;
use crate::parking::Trigger;
use vigil_gate::commands::Commands;
use vigil_gate::gate::{CommandGate, GateCommand};
use vigil_gate::principal::{self, Principal};
use vigil_readmodel::landscape::LandscapeViews;
use vigil_readmodel::{load_checkpoint, save_checkpoint};

/// The subscription's name, also of its checkpoint.
pub const NAME: &str = "process_manager";

/// How long a reaction waits for the read models before the batch is retried.
const READ_MODEL_WAIT: Duration = Duration::from_secs(30);

/// What the process manager works with.
pub struct ProcessManager {
    db: Db,
    gate: Arc<CommandGate>,
    commands: Arc<Commands>,
    landscape: LandscapeViews,
    ingest: Arc<DiscoveryIngest>,
    heartbeats: Arc<Heartbeats>,
    read_models: Vec<(&'static str, watch::Receiver<u64>)>,
    shutdown: watch::Receiver<bool>,
    principal: Principal,
}

impl ProcessManager {
    /// The process manager, starting at the store's head on its first start.
    #[allow(clippy::too_many_arguments)]
    pub async fn open(
        db: Db,
        store: &Arc<dyn EventStore>,
        gate: Arc<CommandGate>,
        commands: Arc<Commands>,
        landscape: LandscapeViews,
        ingest: Arc<DiscoveryIngest>,
        heartbeats: Arc<Heartbeats>,
        read_models: Vec<(&'static str, watch::Receiver<u64>)>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Self, vigil_store::sqlite::DbError> {
        let head = *store.head().borrow();
        db.write(move |conn| vigil_store::sqlite::checkpoints::start_checkpoint(conn, NAME, head)).await??;
        Ok(ProcessManager {
            db,
            gate,
            commands,
            landscape,
            ingest,
            heartbeats,
            read_models,
            shutdown,
            principal: principal::system("process-manager"),
        })
    }

    fn error(&self, message: impl std::fmt::Display) -> ProjectionError {
        ProjectionError { name: NAME.to_owned(), message: message.to_string() }
    }

    /// Waits until every read model has applied `position`.
    async fn reach(&self, position: u64) -> Result<(), ProjectionError> {
        for (name, progress) in &self.read_models {
            let mut progress = progress.clone();
            let mut shutdown = self.shutdown.clone();
            tokio::select! {
                reached = tokio::time::timeout(READ_MODEL_WAIT, progress.wait_for(|p| *p >= position)) => {
                    if !matches!(reached, Ok(Ok(_))) {
                        return Err(self.error(format!("read model {name} did not reach position {position}")));
                    }
                }
                _ = shutdown.wait_for(|stop| *stop) => return Err(self.error("shutting down")),
            }
        }
        Ok(())
    }

    async fn react(&self, recorded: &RecordedEvent, reaction: Reaction) -> Result<(), ProjectionError> {
        let meta = EventMetadata {
            time: Utc::now(),
            source: "/vigil/process-manager".into(),
            correlation_id: recorded.event.correlation_id.or(Some(recorded.event.id)),
            causation_id: Some(recorded.event.id),
        };
        let failed = |e: vigil_store::sqlite::DbError| self.error(e);
        match reaction {
            Reaction::SapSystems(database_id, commands) => {
                for sap_system_id in self.landscape.sap_systems_on(database_id).await.map_err(failed)? {
                    for command in &commands {
                        let command = LandscapeCommand::SapSystem { sap_system_id, command: command.clone() };
                        self.submit(command, &meta).await?;
                    }
                }
            }
            Reaction::RetryHost(host_id) => {
                let addresses = self.landscape.host_addresses(host_id).await.map_err(failed)?;
                self.retry(Trigger::Host { host_id, addresses }).await?;
            }
            Reaction::RetryDatabase(database_id) => {
                let addresses = self.landscape.database_addresses(database_id).await.map_err(failed)?;
                self.retry(Trigger::Database { database_id, addresses }).await?;
            }
            Reaction::Workload(host_id) => {
                let host = self.commands.host(host_id).await.map_err(|e| self.error(e))?;
                if !host.is_registered() {
                    return Ok(());
                }
                let running = self.landscape.runs_sap_workload(host_id).await.map_err(failed)?;
                if running != host.sap_workload_running {
                    let command = HostCommand::UpdateSapWorkload { host_id, running };
                    self.submit(LandscapeCommand::Host { host_id, command }, &meta).await?;
                }
            }
            Reaction::Stale(host_id) => {
                let host = self.commands.host(host_id).await.map_err(|e| self.error(e))?;
                // A heartbeat may have arrived since (or this is a repeat after a crash).
                if !host.is_registered() || host.heartbeat != Heartbeat::Critical {
                    return Ok(());
                }
                let at = recorded.event.time;
                let mut commands =
                    vec![LandscapeCommand::Host { host_id, command: HostCommand::MarkHostStale { host_id, at } }];
                commands.extend(
                    self.host_commands(host_id, |kind| match kind {
                        Part::Cluster(cluster_id) => Some(LandscapeCommand::Cluster {
                            cluster_id,
                            command: ClusterCommand::MarkClusterHostStale { cluster_id, host_id },
                        }),
                        Part::Databases(database_id) => Some(LandscapeCommand::Database {
                            database_id,
                            command: DatabaseCommand::MarkDatabaseInstancesStale { host_id },
                        }),
                        Part::SapSystems(sap_system_id) => Some(LandscapeCommand::SapSystem {
                            sap_system_id,
                            command: SapSystemCommand::MarkApplicationInstancesStale { host_id },
                        }),
                        Part::DatabaseInstance(..) | Part::ApplicationInstance(..) => None,
                    })
                    .await?,
                );
                for command in commands {
                    self.submit(command, &meta).await?;
                }
                // Only now: a discovery evaluated before the marks would not clear them.
                self.ingest.forget(host_id);
            }
            Reaction::Deregister(host_id, at) => {
                let host = self.commands.host(host_id).await.map_err(|e| self.error(e))?;
                if !host.is_registered() {
                    return Ok(());
                }
                let mut commands = self
                    .host_commands(host_id, |kind| match kind {
                        Part::DatabaseInstance(database_id, instance_number) => Some(LandscapeCommand::Database {
                            database_id,
                            command: DatabaseCommand::DeregisterDatabaseInstance { host_id, instance_number, at },
                        }),
                        Part::ApplicationInstance(sap_system_id, instance_number) => {
                            Some(LandscapeCommand::SapSystem {
                                sap_system_id,
                                command: SapSystemCommand::DeregisterApplicationInstance {
                                    host_id,
                                    instance_number,
                                    at,
                                },
                            })
                        }
                        Part::Cluster(cluster_id) => Some(LandscapeCommand::Cluster {
                            cluster_id,
                            command: ClusterCommand::DeregisterClusterHost { cluster_id, host_id },
                        }),
                        Part::Databases(_) | Part::SapSystems(_) => None,
                    })
                    .await?;
                commands.push(LandscapeCommand::Host { host_id, command: HostCommand::DeregisterHost { host_id, at } });
                for command in commands {
                    self.submit(command, &meta).await?;
                }
            }
            Reaction::Forget(host_id) => {
                self.heartbeats.forget(host_id).await.map_err(failed)?;
                self.ingest.parking().remove_agent(host_id).await.map_err(failed)?;
                self.ingest.forget(host_id);
            }
        }
        Ok(())
    }

    /// Evaluates again the parked discoveries `trigger` may let through.
    async fn retry(&self, trigger: Trigger) -> Result<(), ProjectionError> {
        let parked = self.ingest.parking().woken_by(&trigger).await.map_err(|e| self.error(e))?;
        for discovery in &parked {
            match self.ingest.retry(discovery, Utc::now()).await {
                Ok(Some(outcome)) => tracing::debug!(
                    agent_id = %discovery.agent_id,
                    discovery_type = %discovery.discovery_type,
                    status = outcome.status,
                    "re-evaluated a parked discovery"
                ),
                Ok(None) => {}
                Err(crate::ingest::IngestError::Failed(e)) => return Err(self.error(e)),
                // The payload became invalid or denied since it was parked (a policy
                // changed): it stays parked until it expires.
                Err(error) => tracing::warn!(
                    agent_id = %discovery.agent_id,
                    %error,
                    "a parked discovery could not be re-evaluated"
                ),
            }
        }
        Ok(())
    }

    /// Commands for what the read models say `host_id` takes part in.
    async fn host_commands(
        &self,
        host_id: Uuid,
        command_for: impl Fn(Part) -> Option<LandscapeCommand>,
    ) -> Result<Vec<LandscapeCommand>, ProjectionError> {
        let context = self.landscape.context(host_id).await.map_err(|e| self.error(e))?;
        let mut parts = Vec::new();
        let databases: BTreeSet<Uuid> = context.database_instances.iter().map(|i| i.aggregate_id).collect();
        let sap_systems: BTreeSet<Uuid> = context.application_instances.iter().map(|i| i.aggregate_id).collect();
        parts.extend(
            context.database_instances.into_iter().map(|i| Part::DatabaseInstance(i.aggregate_id, i.instance_number)),
        );
        parts.extend(databases.into_iter().map(Part::Databases));
        parts.extend(
            context
                .application_instances
                .into_iter()
                .map(|i| Part::ApplicationInstance(i.aggregate_id, i.instance_number)),
        );
        parts.extend(sap_systems.into_iter().map(Part::SapSystems));
        parts.extend(context.current_cluster_id.map(Part::Cluster));
        Ok(parts.into_iter().filter_map(command_for).collect())
    }

    /// Submits one command through the gate (`CommandGate::submit_reaction`: a refusal is
    /// logged; a failure is returned, so the event is processed again).
    async fn submit(&self, command: LandscapeCommand, meta: &EventMetadata) -> Result<(), ProjectionError> {
        self.gate
            .submit_reaction(&self.principal, GateCommand::Landscape(command), meta)
            .await
            .map_err(|e| self.error(e))
    }
}

/// Something a host takes part in, as the read models know it.
enum Part {
    Cluster(Uuid),
    Databases(Uuid),
    SapSystems(Uuid),
    DatabaseInstance(Uuid, String),
    ApplicationInstance(Uuid, String),
}

#[async_trait]
impl Projection for ProcessManager {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn checkpoint(&self) -> Result<u64, ProjectionError> {
        load_checkpoint(&self.db, NAME).await.map_err(|e| self.error(e))
    }

    async fn apply(&self, events: Vec<RecordedEvent>) -> Result<(), ProjectionError> {
        let Some(last) = events.last().map(|e| e.position) else {
            return Ok(());
        };
        let mut reacted_through = 0;
        for recorded in &events {
            let reactions = react(recorded).map_err(|e| self.error(e))?;
            if reactions.is_empty() {
                continue;
            }
            self.reach(recorded.position).await?;
            for reaction in reactions {
                self.react(recorded, reaction).await?;
            }
            self.save(recorded.position, Commit::Durable).await?;
            reacted_through = recorded.position;
        }
        if last > reacted_through {
            // Only events without reactions since the last durable save: if a power loss
            // takes this move, they are read again and still call for nothing.
            self.save(last, Commit::Deferred).await?;
        }
        Ok(())
    }

    async fn reset(&self) -> Result<(), ProjectionError> {
        Err(self.error("a process manager is not rebuilt: replaying it would repeat its commands"))
    }
}

impl ProcessManager {
    async fn save(&self, position: u64, commit: Commit) -> Result<(), ProjectionError> {
        self.db
            .write_as(commit, move |conn| save_checkpoint(conn, NAME, position))
            .await
            .map_err(|e| self.error(e))?
            .map_err(|e| self.error(e))
    }
}
