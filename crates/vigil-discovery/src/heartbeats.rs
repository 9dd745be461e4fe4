//! Heartbeats: when each host last said it is alive, and the checker that notices silence.
//!
//! The timestamps are plain CRUD (a row per host), not events: only a *change* of a host's
//! heartbeat state is an event (`HeartbeatSucceeded`, `HeartbeatFailed`), decided by the
//! Host aggregate. What follows a failure (the host's data marked stale) is the process
//! manager's (`process.rs`), which reacts to `HeartbeatFailed`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::params;
use tokio::sync::watch;
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::host::{HeartbeatPolicy, HostCommand};
use vigil_store::Db;
use vigil_store::sqlite::{Commit, DbError};

use vigil_gate::gate::{CommandGate, GateCommand, Via};
use vigil_gate::principal;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS heartbeats (
    host_id           TEXT PRIMARY KEY,
    last_heartbeat_at TEXT NOT NULL
);";

/// The heartbeat table and its in-memory mirror.
pub struct Heartbeats {
    db: Db,
    policy: HeartbeatPolicy,
    /// Hosts still counted as alive, by last heartbeat. A host leaves the map when it is
    /// marked failed and returns with its next heartbeat.
    watched: Mutex<HashMap<Uuid, DateTime<Utc>>>,
    /// Last heartbeat of every host, for the read API.
    last_seen: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl Heartbeats {
    /// Loads the table.
    pub async fn open(db: Db, policy: HeartbeatPolicy) -> Result<Heartbeats, DbError> {
        db.write(|conn| conn.execute_batch(SCHEMA)).await??;
        let rows: Vec<(String, String)> = db
            .read(|conn| {
                let mut stmt = conn.prepare("SELECT host_id, last_heartbeat_at FROM heartbeats")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        let last_seen: HashMap<Uuid, DateTime<Utc>> = rows
            .into_iter()
            .filter_map(|(id, at)| Some((id.parse().ok()?, DateTime::parse_from_rfc3339(&at).ok()?.to_utc())))
            .collect();
        Ok(Heartbeats { db, policy, watched: Mutex::new(last_seen.clone()), last_seen: Mutex::new(last_seen) })
    }

    /// Records a heartbeat of `host_id` at `at`.
    ///
    /// The commit is [`Commit::Deferred`]: it survives a crash of the process, and the next
    /// durable commit (or WAL checkpoint) takes it to the disk. A power loss may take the
    /// last timestamps, which are stale by the time the machine is back; and since the WAL
    /// is written in order, a `HeartbeatSucceeded` that reached the disk has its timestamp
    /// there too. A heartbeat is the commonest request, and waiting for an fsync of its own
    /// made it the slowest (p50 8.6 ms at 10,000 agents on a busy disk).
    pub async fn record(&self, host_id: Uuid, at: DateTime<Utc>) -> Result<(), DbError> {
        let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        self.db
            .write_as(Commit::Deferred, move |conn| {
                conn.prepare_cached(
                    "INSERT INTO heartbeats (host_id, last_heartbeat_at) VALUES (?1, ?2)
                     ON CONFLICT (host_id) DO UPDATE SET last_heartbeat_at = excluded.last_heartbeat_at",
                )?
                .execute(params![host_id.to_string(), stamp])
            })
            .await??;
        self.watched.lock().expect("heartbeat lock").insert(host_id, at);
        self.last_seen.lock().expect("heartbeat lock").insert(host_id, at);
        Ok(())
    }

    /// Forgets `host_id` (it was deregistered): its timestamp is deleted and the checker
    /// stops watching it. A heartbeat it sends later is refused, as of an unknown host.
    pub async fn forget(&self, host_id: Uuid) -> Result<(), DbError> {
        self.db
            .write(move |conn| {
                conn.prepare_cached("DELETE FROM heartbeats WHERE host_id = ?1")?.execute([host_id.to_string()])
            })
            .await??;
        self.watched.lock().expect("heartbeat lock").remove(&host_id);
        self.last_seen.lock().expect("heartbeat lock").remove(&host_id);
        Ok(())
    }

    /// The heartbeat settings in force.
    pub fn policy(&self) -> HeartbeatPolicy {
        self.policy
    }

    /// When `host_id` last sent a heartbeat.
    pub fn last_heartbeat(&self, host_id: Uuid) -> Option<DateTime<Utc>> {
        self.last_seen.lock().expect("heartbeat lock").get(&host_id).copied()
    }

    /// Hosts overdue at `now`; they stop being watched until their next heartbeat.
    fn take_overdue(&self, now: DateTime<Utc>) -> Vec<Uuid> {
        let mut watched = self.watched.lock().expect("heartbeat lock");
        let overdue: Vec<Uuid> =
            watched.iter().filter(|(_, last)| self.policy.is_overdue(**last, now)).map(|(id, _)| *id).collect();
        for id in &overdue {
            watched.remove(id);
        }
        overdue
    }

    /// Checks for silent hosts until `shutdown`, marking each as failed. Ticks at half the
    /// heartbeat interval (at most every second), so a failure is noticed within that of
    /// its deadline.
    pub async fn run_checker(self: Arc<Self>, gate: Arc<CommandGate>, mut shutdown: watch::Receiver<bool>) {
        let checker = principal::system("heartbeat-checker");
        let period = (self.policy.interval / 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            let now = Utc::now();
            for host_id in self.take_overdue(now) {
                let meta = EventMetadata {
                    time: now,
                    source: "/vigil/heartbeats".into(),
                    correlation_id: Some(Uuid::now_v7()),
                    causation_id: None,
                };
                let command = LandscapeCommand::Host { host_id, command: HostCommand::MarkHeartbeatFailed { host_id } };
                if let Err(error) = gate.submit(&checker, GateCommand::Landscape(command), Via::Direct, &meta).await {
                    tracing::warn!(%host_id, %error, "could not mark a silent host as failed; will retry");
                    // Watch it again so the next tick retries.
                    self.watched.lock().expect("heartbeat lock").entry(host_id).or_insert(now - self.timeout());
                }
            }
        }
    }

    fn timeout(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.policy.timeout()).unwrap_or(chrono::Duration::MAX)
    }
}
