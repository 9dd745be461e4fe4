//! A large, realistic data directory for `vigil bench startup`, built quickly.
//!
//! 1. **Seed.** The Trento scenarios of the fixtures are replayed through a real server in
//!    this process, so the seed is exactly what the server writes for them: events (process
//!    manager reactions included), audit records, discovery log.
//! 2. **Landscape.** The seed's landscape streams (hosts, clusters, databases, SAP systems)
//!    are copied with every UUID remapped, once per copy, until there are `hosts` hosts.
//! 3. **History.** Heartbeat flips of random hosts, decided by the real Host decider: the
//!    checker's `MarkHeartbeatFailed` and the agent's `RecordHeartbeat`. After one failure
//!    in five the host stays down long enough for the process manager's stale marks (host,
//!    cluster membership, database and application instances); its next heartbeat then
//!    comes with the discoveries that sync it again. This runs until the store holds
//!    `events` events.
//!
//! Everything is written through the real components, only in bulk: events through
//! `SqliteEventStore::append` (one append per stream and round, many appends per commit,
//! durability `normal`), snapshots every 1000 events as the command handlers save them,
//! the audit log through `AuditLog` (a `command` record per command and an `event` record
//! per event, as the gate and the event subscription write them), the discovery log and
//! heartbeat timestamps through their modules. The read models are then caught up with
//! `rebuild_projection`, and the subscriptions' checkpoints left where a server that had
//! seen every event leaves them. Decision records are not written: nothing reads them at
//! start-up or in a rebuild, and at one per command they would double the file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_audit::{AuditLog, HeadPolicy, PendingAppend};
use vigil_discovery::log::{DiscoveryLog, DiscoveryStatus, NewDiscoveryEntry};
use vigil_gate::principal::{Principal, agent, system};
use vigil_kernel::decider::Decider;
use vigil_kernel::envelope::{EventMetadata, NewEvent, RecordedEvent};
use vigil_kernel::store::{EventStore, ExpectedVersion, Snapshot, SnapshotStore};
use vigil_landscape::cluster::{Cluster, ClusterCommand, ClusterHostStatus};
use vigil_landscape::database::{Database, DatabaseCommand};
use vigil_landscape::host::{Heartbeat, Host, HostCommand};
use vigil_landscape::sap_system::{SapSystem, SapSystemCommand};
use vigil_server::app::{open_db, read_model_names, rebuild_projection};
use vigil_server::config::ServerConfig;
use vigil_store::SqliteEventStore;
use vigil_store::sqlite::{Db, Durability};

use crate::cmd::bench::InProcessServer;
use crate::cmd::splitmix::SplitMix;

/// What was built.
#[derive(Debug, serde::Serialize)]
pub struct Generated {
    pub events: u64,
    pub hosts: usize,
    pub clusters: usize,
    pub databases: usize,
    pub sap_systems: usize,
    pub audit_records: u64,
    pub snapshots: u64,
    pub discovery_log_rows: u64,
    pub events_by_category: std::collections::BTreeMap<String, u64>,
    pub seconds: f64,
}

/// The default fixtures: `$VIGIL_FIXTURES` is read by the flag; this is the repository's
/// neighbour, as the tests find it.
pub fn default_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento")
}

/// Builds the data directory `data_dir` (which must not hold a database yet).
pub async fn generate(data_dir: &Path, fixtures: &Path, hosts: usize, events: u64) -> anyhow::Result<Generated> {
    let started = Instant::now();
    anyhow::ensure!(!data_dir.join("vigil.db").exists(), "{} already holds a database", data_dir.display());
    std::fs::create_dir_all(data_dir)?;
    let seed = Seed::record(fixtures, data_dir.parent().unwrap_or(data_dir)).await?;
    eprintln!(
        "seed: {} events, {} hosts, {} audit records, {} logged discoveries from {}",
        seed.events.len(),
        seed.hosts.len(),
        seed.records.len(),
        seed.discoveries.len(),
        fixtures.display()
    );

    let config = ServerConfig { data_dir: data_dir.to_owned(), durability: Durability::Normal, ..Default::default() };
    let lock = vigil_server::app::lock_data_dir(data_dir)?;
    let db = open_db(&config)?;
    // A larger page cache for the writer while it fills a file of many GiB (the indexes of
    // `events` and `audit_records` are written all over); it lasts as long as this `Db`.
    db.write(|conn| conn.pragma_update(None, "cache_size", -1024 * 1024)).await??;
    let store = Arc::new(SqliteEventStore::open(db.clone()).await?);
    let audit = AuditLog::open(db.clone(), data_dir, HeadPolicy::default()).await?;
    let mut world = World::new(Utc::now() - chrono::Duration::days(30));
    let mut writer = Writer::new(store.clone(), audit.clone(), events);

    let copies = hosts.div_ceil(seed.hosts.len().max(1));
    writer.bar.set_message("landscape");
    for first in (0..copies).step_by(16) {
        for copy in first..(first + 16).min(copies) {
            world.copy_seed(&seed, copy)?;
        }
        writer.write(world.take_round()).await?;
    }
    world.index_memberships();
    writer.bar.set_message("heartbeat flips");
    while writer.events < events {
        world.flips(1024);
        writer.write(world.take_round()).await?;
    }
    writer.finish().await?;
    writer.bar.finish_and_clear();

    let discovery_log_rows = copy_discovery_log(&db, &seed, copies).await?;
    record_heartbeats(&db, &world).await?;
    let head = *store.head().borrow();
    vigil_server::readmodel::ensure_checkpoints(&db).await?;
    // Where a server that saw every event leaves its subscriptions (the read models'
    // own checkpoints are set by the rebuilds below).
    db.write(move |conn| {
        vigil_server::readmodel::save_checkpoint(conn, "audit", head)?;
        vigil_server::readmodel::save_checkpoint(conn, vigil_discovery::process::NAME, head)
    })
    .await??;
    audit.sign_head(Utc::now()).await?;
    let audit_records = audit.tree_size();
    drop((audit, store, db));

    for name in read_model_names() {
        let bar = progress_bar(head, &format!("read model {name}"));
        rebuild_projection(&config, name, |position, _| bar.set_position(position)).await?;
        bar.finish_and_clear();
    }
    drop(lock);
    let generated = Generated {
        events: head,
        hosts: world.hosts.states.len(),
        clusters: world.clusters.states.len(),
        databases: world.databases.states.len(),
        sap_systems: world.sap_systems.states.len(),
        audit_records,
        snapshots: writer.snapshots,
        discovery_log_rows,
        events_by_category: writer.by_category,
        seconds: started.elapsed().as_secs_f64(),
    };
    eprintln!("built in {:.0} s: {}", generated.seconds, serde_json::to_string(&generated)?);
    Ok(generated)
}

pub fn progress_bar(length: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {msg:<20} {bar:40} {pos}/{len} ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message.to_owned());
    bar
}

/// What a real server wrote for the fixtures' scenarios.
struct Seed {
    events: Vec<RecordedEvent>,
    /// The hosts' ids, in registration order.
    hosts: Vec<Uuid>,
    /// Audit records other than `event` ones (those are made again for every copied event):
    /// kind, time, body.
    records: Vec<(String, DateTime<Utc>, Value)>,
    /// (agent id, discovery type, payload, payload hash, status).
    discoveries: Vec<(String, String, String, String, String)>,
}

impl Seed {
    /// Replays every scenario of `fixtures/scenarios` into a server in a temporary data
    /// directory under `scratch`, waits until everything has settled, and reads back what it
    /// wrote.
    async fn record(fixtures: &Path, scratch: &Path) -> anyhow::Result<Seed> {
        let scenarios = fixtures.join("scenarios");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&scenarios)
            .with_context(|| format!("cannot read {} (set --fixtures)", scenarios.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        let dir = tempfile::tempdir_in(scratch)?;
        let config = ServerConfig {
            data_dir: dir.path().to_owned(),
            durability: Durability::Normal,
            // Nothing may go stale or expire while the seed is recorded.
            heartbeat_interval: Duration::from_secs(3600),
            ..Default::default()
        };
        let server = InProcessServer::start(config).await?;
        let (app, base, key) = (server.app.clone(), server.base.clone(), server.key.clone());
        let client = vigil_agent::client::VigilClient::new(&base, &key)?;
        for scenario in &dirs {
            let summary = vigil_agent::replay::replay(&client, scenario, &Default::default()).await?;
            anyhow::ensure!(summary.failed == 0, "replaying {} failed", scenario.display());
        }
        anyhow::ensure!(app.settle(Duration::from_secs(60)).await, "the seed server did not settle");
        let mut events = Vec::new();
        loop {
            let page = app.store.read_all(events.last().map_or(0, |e: &RecordedEvent| e.position), 1000).await?;
            if page.is_empty() {
                break;
            }
            events.extend(page);
        }
        let mut hosts = Vec::new();
        for e in events.iter().filter(|e| e.event.event_type == "HostRegistered") {
            hosts.push(e.event.subject.parse()?);
        }
        let (records, discoveries) = app
            .db
            .read(|conn| {
                let mut stmt =
                    conn.prepare("SELECT kind, record FROM audit_records WHERE kind <> 'event' ORDER BY idx")?;
                let records = stmt
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut stmt = conn.prepare(
                    "SELECT agent_id, discovery_type, payload, payload_hash, status FROM discovery_log ORDER BY id",
                )?;
                let discoveries = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((records, discoveries))
            })
            .await?;
        let records = records
            .into_iter()
            .map(|(kind, bytes)| {
                let mut record: Value = serde_json::from_slice(&bytes)?;
                let time = record["time"].as_str().and_then(|t| t.parse().ok()).unwrap_or_else(Utc::now);
                Ok((kind, time, record.get_mut("body").map(Value::take).unwrap_or(Value::Null)))
            })
            .collect::<anyhow::Result<_>>()?;
        drop(app);
        server.stop().await?;
        Ok(Seed { events, hosts, records, discoveries })
    }
}

/// Copy `copy`'s name for `id`: every UUID of the seed gets a new one per copy, the same
/// wherever it appears (stream ids, subjects, event data, audit bodies, payloads).
fn remap(id: Uuid, copy: usize) -> Uuid {
    Uuid::new_v5(&Uuid::from_u128(0x5eed_c0b1_0000_0000_0000_0000_0000_0000 + copy as u128), id.as_bytes())
}

/// `text` with every hyphenated UUID in it replaced by `remap(uuid, copy)`.
fn remap_text(text: &str, copy: usize) -> String {
    let bytes = text.as_bytes();
    let is_uuid_at = |i: usize| {
        i + 36 <= bytes.len()
            && (i == 0 || !bytes[i - 1].is_ascii_hexdigit())
            && (i + 36 == bytes.len() || !bytes[i + 36].is_ascii_hexdigit())
            && bytes[i..i + 36]
                .iter()
                .enumerate()
                .all(|(j, b)| if matches!(j, 8 | 13 | 18 | 23) { *b == b'-' } else { b.is_ascii_hexdigit() })
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if is_uuid_at(i)
            && let Ok(id) = Uuid::parse_str(&text[i..i + 36])
        {
            out.push_str(&text[copied..i]);
            out.push_str(&remap(id, copy).hyphenated().to_string());
            i += 36;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn remap_value(value: &Value, copy: usize) -> anyhow::Result<Value> {
    Ok(serde_json::from_str(&remap_text(&value.to_string(), copy))?)
}

/// An aggregate's state and stream version.
struct Loaded<S> {
    state: S,
    version: u64,
}

/// The aggregates of one kind, kept in memory so that commands are decided against their
/// real state.
struct Aggregates<D: Decider> {
    states: HashMap<Uuid, Loaded<D::State>>,
}

impl<D: Decider> Aggregates<D>
where
    D::State: serde::Serialize,
{
    fn new() -> Self {
        Aggregates { states: HashMap::new() }
    }

    fn state(&self, id: Uuid) -> Option<&D::State> {
        self.states.get(&id).map(|l| &l.state)
    }

    /// Decides `command` for aggregate `id` and adds its events to `round`; a refused
    /// command adds nothing. Returns whether it decided anything.
    fn handle(&mut self, id: Uuid, command: D::Command, meta: &EventMetadata, round: &mut Round) -> bool {
        let loaded = self.states.entry(id).or_insert_with(|| Loaded { state: D::State::default(), version: 0 });
        let Ok(events) = D::decide(&loaded.state, command) else { return false };
        let subject = id.to_string();
        let encoded = events.iter().map(|e| NewEvent::encode(e, &subject, meta, Uuid::now_v7())).collect();
        self.add(id, &events, encoded, round);
        !events.is_empty()
    }

    /// Folds `events` into aggregate `id` and adds their encoded form to `round`, with a
    /// snapshot when the stream passes a multiple of 1000 events (as `CommandHandler` does).
    fn add(&mut self, id: Uuid, events: &[D::Event], encoded: Vec<NewEvent>, round: &mut Round) {
        if events.is_empty() {
            return;
        }
        let loaded = self.states.entry(id).or_insert_with(|| Loaded { state: D::State::default(), version: 0 });
        let before = loaded.version;
        loaded.state = events.iter().fold(std::mem::take(&mut loaded.state), D::evolve);
        loaded.version += events.len() as u64;
        let stream_id = D::stream_id(&id.to_string());
        let batch = round.batch(&stream_id, before);
        batch.events.extend(encoded);
        if loaded.version / SNAPSHOT_EVERY != before / SNAPSHOT_EVERY
            && let Ok(state) = serde_json::to_string(&loaded.state)
        {
            batch.snapshot = Some(Snapshot { stream_id, version: loaded.version, state });
        }
    }

    /// Adds copied events (already encoded) of aggregate `id`.
    fn add_recorded(&mut self, id: Uuid, encoded: Vec<NewEvent>, round: &mut Round) -> anyhow::Result<()> {
        let events = encoded
            .iter()
            .map(|e| vigil_kernel::upcast::decode::<D::Event>(&e.event_type, e.schema_version, &e.data))
            .collect::<Result<Vec<_>, _>>()?;
        self.add(id, &events, encoded, round);
        Ok(())
    }
}

/// The command handlers' snapshot interval (`CommandHandlerConfig::default`).
const SNAPSHOT_EVERY: u64 = 1000;

/// The appends of one round: at most one per stream, all issued at once so that they share
/// commits; and the command records that go before their events in the audit log.
#[derive(Default)]
struct Round {
    batches: Vec<Batch>,
    by_stream: HashMap<String, usize>,
    commands: Vec<(DateTime<Utc>, Value)>,
}

struct Batch {
    stream_id: String,
    expected: u64,
    events: Vec<NewEvent>,
    snapshot: Option<Snapshot>,
}

impl Round {
    fn batch(&mut self, stream_id: &str, version_before: u64) -> &mut Batch {
        let index = *self.by_stream.entry(stream_id.to_owned()).or_insert_with(|| {
            self.batches.push(Batch {
                stream_id: stream_id.to_owned(),
                expected: version_before,
                events: Vec::new(),
                snapshot: None,
            });
            self.batches.len() - 1
        });
        &mut self.batches[index]
    }
}

/// The landscape being written, a clock and dice for its history, and the round being
/// filled.
struct World {
    hosts: Aggregates<Host>,
    clusters: Aggregates<Cluster>,
    databases: Aggregates<Database>,
    sap_systems: Aggregates<SapSystem>,
    /// Versions of the other streams copied from the seed (policies, SLA).
    others: HashMap<String, u64>,
    host_ids: Vec<Uuid>,
    /// Per host: the clusters, databases and SAP systems it takes part in.
    memberships: HashMap<Uuid, Memberships>,
    now: DateTime<Utc>,
    rng: SplitMix,
    round: Round,
}

#[derive(Default)]
struct Memberships {
    clusters: Vec<Uuid>,
    databases: Vec<Uuid>,
    sap_systems: Vec<Uuid>,
}

/// How a command reached the gate: straight (a heartbeat, the checker, the process
/// manager) or as part of a discovery.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Direct,
    Discovery,
}

impl World {
    fn new(start: DateTime<Utc>) -> Self {
        World {
            hosts: Aggregates::new(),
            clusters: Aggregates::new(),
            databases: Aggregates::new(),
            sap_systems: Aggregates::new(),
            others: HashMap::new(),
            host_ids: Vec::new(),
            memberships: HashMap::new(),
            now: start,
            rng: SplitMix(0x5eed),
            round: Round::default(),
        }
    }

    fn take_round(&mut self) -> Round {
        std::mem::take(&mut self.round)
    }

    /// Adds copy `copy` of the seed's landscape (and, for the first copy, the seed's other
    /// streams as they are).
    fn copy_seed(&mut self, seed: &Seed, copy: usize) -> anyhow::Result<()> {
        for (time, body) in seed.records.iter().map(|(_, t, b)| (t, b)) {
            self.round.commands.push((*time, remap_value(body, copy)?));
        }
        // Consecutive events of one stream were one append.
        let mut i = 0;
        while i < seed.events.len() {
            let stream = &seed.events[i].stream_id;
            let end = i + seed.events[i..].iter().take_while(|e| &e.stream_id == stream).count();
            let group = &seed.events[i..end];
            i = end;
            let Some((category, id)) = stream.split_once('-').filter(|(c, _)| is_landscape(c)) else {
                if copy == 0 {
                    let version = self.others.entry(stream.clone()).or_default();
                    let batch = self.round.batch(stream, *version);
                    batch.events.extend(group.iter().map(|e| e.event.clone()));
                    *version += group.len() as u64;
                }
                continue;
            };
            let id = remap(id.parse()?, copy);
            let encoded: Vec<NewEvent> = group
                .iter()
                .map(|e| NewEvent {
                    id: Uuid::now_v7(),
                    subject: id.to_string(),
                    data: remap_text(&e.event.data, copy),
                    correlation_id: e.event.correlation_id.map(|c| remap(c, copy)),
                    causation_id: e.event.causation_id.map(|c| remap(c, copy)),
                    time: self.now,
                    ..e.event.clone()
                })
                .collect();
            let round = &mut self.round;
            match category {
                Host::CATEGORY => {
                    if group.iter().any(|e| e.event.event_type == "HostRegistered") {
                        self.host_ids.push(id);
                    }
                    self.hosts.add_recorded(id, encoded, round)?
                }
                Cluster::CATEGORY => self.clusters.add_recorded(id, encoded, round)?,
                Database::CATEGORY => self.databases.add_recorded(id, encoded, round)?,
                _ => self.sap_systems.add_recorded(id, encoded, round)?,
            }
        }
        self.now += chrono::Duration::seconds(1);
        Ok(())
    }

    /// Works out which clusters, databases and SAP systems each host takes part in.
    fn index_memberships(&mut self) {
        for (id, cluster) in &self.clusters.states {
            for host in cluster.state.hosts.keys() {
                self.memberships.entry(*host).or_default().clusters.push(*id);
            }
        }
        for (id, database) in &self.databases.states {
            let hosts: HashSet<Uuid> = database.state.instances.iter().map(|i| i.instance.host_id).collect();
            for host in hosts {
                self.memberships.entry(host).or_default().databases.push(*id);
            }
        }
        for (id, system) in &self.sap_systems.states {
            let hosts: HashSet<Uuid> = system.state.instances.iter().map(|i| i.instance.host_id).collect();
            for host in hosts {
                self.memberships.entry(host).or_default().sap_systems.push(*id);
            }
        }
    }

    /// `n` random hosts flip their heartbeat one to eight times each.
    fn flips(&mut self, n: usize) {
        for _ in 0..n {
            let host_id = self.host_ids[self.rng.below(self.host_ids.len() as u64) as usize];
            for _ in 0..=self.rng.below(8) {
                self.flip(host_id);
                // 10,000 hosts flipping about every ten minutes.
                self.now += chrono::Duration::milliseconds(60);
            }
        }
    }

    fn flip(&mut self, host_id: Uuid) {
        let Some(host) = self.hosts.state(host_id) else { return };
        let (passing, stale, details) =
            (host.heartbeat == Heartbeat::Passing, host.stale_at.is_some(), host.details.clone());
        if passing {
            let checker = system("heartbeat-checker");
            let command = HostCommand::MarkHeartbeatFailed { host_id };
            self.submit(&checker, Via::Direct, host_id, command, |w| &mut w.hosts);
            if self.rng.below(5) == 0 {
                self.mark_stale(host_id);
            }
        } else {
            let command = HostCommand::RecordHeartbeat { host_id };
            self.submit(&agent(&host_id.to_string()), Via::Direct, host_id, command, |w| &mut w.hosts);
            if stale && let Some(details) = details {
                self.sync(host_id, details);
            }
        }
    }

    /// The process manager's reaction to a failure that lasted: stale marks everywhere the
    /// host takes part.
    fn mark_stale(&mut self, host_id: Uuid) {
        let pm = system("process-manager");
        let command = HostCommand::MarkHostStale { host_id, at: self.now };
        self.submit(&pm, Via::Direct, host_id, command, |w| &mut w.hosts);
        let Some(member) = self.memberships.get(&host_id) else { return };
        let (clusters, databases, sap_systems) =
            (member.clusters.clone(), member.databases.clone(), member.sap_systems.clone());
        for cluster_id in clusters {
            let command = ClusterCommand::MarkClusterHostStale { cluster_id, host_id };
            self.submit(&pm, Via::Direct, cluster_id, command, |w| &mut w.clusters);
        }
        for database_id in databases {
            let command = DatabaseCommand::MarkDatabaseInstancesStale { host_id };
            self.submit(&pm, Via::Direct, database_id, command, |w| &mut w.databases);
        }
        for sap_system_id in sap_systems {
            let command = SapSystemCommand::MarkApplicationInstancesStale { host_id };
            self.submit(&pm, Via::Direct, sap_system_id, command, |w| &mut w.sap_systems);
        }
    }

    /// The agent's discoveries after the ingest forgot its hashes: the same snapshots as
    /// before, which clear the stale marks.
    fn sync(&mut self, host_id: Uuid, details: vigil_landscape::host::HostDetails) {
        let principal = agent(&host_id.to_string());
        let command = HostCommand::RegisterHost { host_id, details };
        self.submit(&principal, Via::Discovery, host_id, command, |w| &mut w.hosts);
        let Some(member) = self.memberships.get(&host_id) else { return };
        let (clusters, databases, sap_systems) =
            (member.clusters.clone(), member.databases.clone(), member.sap_systems.clone());
        for cluster_id in clusters {
            let Some(cluster) = self.clusters.state(cluster_id) else { continue };
            let name = cluster.name.clone();
            let command = match cluster.hosts.get(&host_id).map(|h| h.status) {
                Some(ClusterHostStatus::Online) => ClusterCommand::RegisterOnlineClusterHost {
                    cluster_id,
                    host_id,
                    name,
                    designated_controller: false,
                    details: Box::new(cluster.details.clone().unwrap_or_else(empty_cluster_details)),
                    cib_last_written: None,
                },
                _ => ClusterCommand::RegisterOfflineClusterHost { cluster_id, host_id, name },
            };
            self.submit(&principal, Via::Discovery, cluster_id, command, |w| &mut w.clusters);
        }
        for database_id in databases {
            let Some(database) = self.databases.state(database_id) else { continue };
            let commands: Vec<_> = database
                .instances
                .iter()
                .filter(|i| i.instance.host_id == host_id)
                .map(|i| DatabaseCommand::RegisterDatabaseInstance {
                    database_id,
                    sid: database.sid.clone().unwrap_or_default(),
                    tenants: database.tenants.clone(),
                    instance: i.instance.clone(),
                })
                .collect();
            for command in commands {
                self.submit(&principal, Via::Discovery, database_id, command, |w| &mut w.databases);
            }
        }
        for sap_system_id in sap_systems {
            let Some(system) = self.sap_systems.state(sap_system_id) else { continue };
            let commands: Vec<_> = system
                .instances
                .iter()
                .filter(|i| i.instance.host_id == host_id)
                .map(|i| SapSystemCommand::RegisterApplicationInstance {
                    sap_system_id,
                    database_id: system.database_id.unwrap_or_default(),
                    sid: system.sid.clone().unwrap_or_default(),
                    tenant: system.tenant.clone().unwrap_or_default(),
                    // Only read when the system registers, which it did long ago.
                    db_host: String::new(),
                    database_health: system.database_health,
                    instance: i.instance.clone(),
                })
                .collect();
            for command in commands {
                self.submit(&principal, Via::Discovery, sap_system_id, command, |w| &mut w.sap_systems);
            }
        }
    }

    /// A command through the gate: its audit record (as `CommandGate::submit` writes it),
    /// then its events.
    fn submit<D: Decider>(
        &mut self,
        principal: &Principal,
        via: Via,
        id: Uuid,
        command: D::Command,
        aggregates: impl FnOnce(&mut World) -> &mut Aggregates<D>,
    ) where
        D::State: serde::Serialize,
        D::Command: Named,
    {
        let name = command.name();
        self.round.commands.push((
            self.now,
            json!({
                "principal": principal,
                "command": name,
                "via": if via == Via::Discovery { "SubmitDiscovery" } else { name },
                "target": { "kind": D::CATEGORY, "id": id.to_string() },
                "decision_id": Uuid::now_v7(),
                "allowed": true,
            }),
        ));
        let meta = EventMetadata {
            time: self.now,
            source: match principal.id.as_str() {
                "heartbeat-checker" => "/vigil/heartbeats".to_owned(),
                "process-manager" => "/vigil/process-manager".to_owned(),
                agent_id => format!("/vigil/agents/{agent_id}"),
            },
            correlation_id: Some(Uuid::now_v7()),
            causation_id: None,
        };
        let mut round = std::mem::take(&mut self.round);
        aggregates(self).handle(id, command, &meta, &mut round);
        self.round = round;
    }
}

/// A command's type name, as the gate records it.
trait Named {
    fn name(&self) -> &'static str;
}

impl Named for HostCommand {
    fn name(&self) -> &'static str {
        HostCommand::name(self)
    }
}

impl Named for ClusterCommand {
    fn name(&self) -> &'static str {
        ClusterCommand::name(self)
    }
}

impl Named for DatabaseCommand {
    fn name(&self) -> &'static str {
        DatabaseCommand::name(self)
    }
}

impl Named for SapSystemCommand {
    fn name(&self) -> &'static str {
        SapSystemCommand::name(self)
    }
}

fn is_landscape(category: &str) -> bool {
    [Host::CATEGORY, Cluster::CATEGORY, Database::CATEGORY, SapSystem::CATEGORY].contains(&category)
}

/// Only reached for an online member of a cluster no designated controller ever described,
/// and ignored there (`designated_controller: false`).
fn empty_cluster_details() -> vigil_landscape::cluster::ClusterDetails {
    serde_json::from_value(json!({
        "cluster_type": "unknown", "sid": null, "additional_sids": [], "provider": "unknown", "state": null,
        "hosts_number": 0, "resources_number": 0, "fencing_type": null, "maintenance_mode": false,
        "sbd_devices": [], "stopped_resources": [], "nodes": [], "hana": null, "sap_systems": []
    }))
    .expect("empty cluster details decode")
}

/// Writes rounds: audit records of the commands, the appends (all at once), snapshots, then
/// the `event` audit records in store order.
struct Writer {
    store: Arc<SqliteEventStore>,
    audit: AuditLog,
    events: u64,
    snapshots: u64,
    by_category: std::collections::BTreeMap<String, u64>,
    last_audit: Option<PendingAppend>,
    bar: ProgressBar,
}

impl Writer {
    fn new(store: Arc<SqliteEventStore>, audit: AuditLog, target: u64) -> Self {
        Writer {
            store,
            audit,
            events: 0,
            snapshots: 0,
            by_category: Default::default(),
            last_audit: None,
            bar: progress_bar(target, "events"),
        }
    }

    async fn write(&mut self, round: Round) -> anyhow::Result<()> {
        // One round of audit records in flight at most.
        if let Some(last) = self.last_audit.take() {
            last.committed().await?;
        }
        for (time, body) in &round.commands {
            self.last_audit = Some(self.audit.enqueue("command", *time, body).await?);
        }
        let mut appends = tokio::task::JoinSet::new();
        for batch in round.batches {
            let store = self.store.clone();
            appends.spawn(async move {
                let appended = store
                    .append(&batch.stream_id, ExpectedVersion::Exactly(batch.expected), batch.events.clone())
                    .await?;
                let saved = match batch.snapshot.clone() {
                    Some(snapshot) => store.save_snapshot(snapshot).await.map(|()| 1),
                    None => Ok(0),
                }?;
                anyhow::Ok((batch, appended, saved))
            });
        }
        let mut recorded = Vec::new();
        while let Some(done) = appends.join_next().await {
            let (batch, appended, saved) = done??;
            self.snapshots += saved;
            let Some(last) = appended.last_position else { continue };
            let n = batch.events.len() as u64;
            *self.by_category.entry(batch.stream_id.split('-').next().unwrap_or("").to_owned()).or_default() += n;
            for (i, event) in batch.events.into_iter().enumerate() {
                recorded.push(RecordedEvent {
                    position: last + 1 + i as u64 - n,
                    stream_id: batch.stream_id.clone(),
                    stream_version: batch.expected + 1 + i as u64,
                    event,
                });
            }
        }
        recorded.sort_by_key(|e| e.position);
        for e in &recorded {
            let body = serde_json::to_value(e.to_cloud_event())?;
            self.last_audit = Some(self.audit.enqueue("event", e.event.time, &body).await?);
        }
        self.events = *self.store.head().borrow();
        self.bar.set_position(self.events);
        Ok(())
    }

    async fn finish(&mut self) -> anyhow::Result<()> {
        if let Some(last) = self.last_audit.take() {
            last.committed().await?;
        }
        Ok(())
    }
}

/// Copies the seed's discovery log once per copy, agent ids remapped.
async fn copy_discovery_log(db: &Db, seed: &Seed, copies: usize) -> anyhow::Result<u64> {
    let log = DiscoveryLog::open(db.clone()).await?;
    let mut written = tokio::task::JoinSet::new();
    let mut n = 0;
    for copy in 0..copies {
        for (agent_id, discovery_type, payload, hash, status) in &seed.discoveries {
            let entry = NewDiscoveryEntry {
                agent_id: remap(agent_id.parse()?, copy),
                discovery_type: static_discovery_type(discovery_type),
                payload: remap_text(payload, copy),
                payload_hash: hash.clone(),
                received_at: Utc::now(),
                status: match status.as_str() {
                    "discarded" => DiscoveryStatus::Discarded,
                    "parked" => DiscoveryStatus::Parked,
                    "not_interpreted" => DiscoveryStatus::NotInterpreted,
                    _ => DiscoveryStatus::Applied,
                },
                reason: None,
            };
            let log = log.clone();
            written.spawn(async move { log.record(entry).await });
            n += 1;
            if written.len() >= 256 {
                written.join_next().await.transpose()?.transpose()?;
            }
        }
    }
    while let Some(done) = written.join_next().await {
        done??;
    }
    Ok(n)
}

fn static_discovery_type(name: &str) -> &'static str {
    [
        "host_discovery",
        "cloud_discovery",
        "subscription_discovery",
        "saptune_discovery",
        "ha_cluster_discovery",
        "sap_system_discovery",
    ]
    .into_iter()
    .find(|t| *t == name)
    .unwrap_or("host_discovery")
}

/// The last heartbeat of every host whose heartbeat is passing, as the server stores it.
async fn record_heartbeats(db: &Db, world: &World) -> anyhow::Result<()> {
    let heartbeats = Arc::new(
        vigil_discovery::heartbeats::Heartbeats::open(db.clone(), ServerConfig::default().heartbeat_policy()).await?,
    );
    let mut written = tokio::task::JoinSet::new();
    for (id, host) in &world.hosts.states {
        if host.state.heartbeat == Heartbeat::Passing {
            let (heartbeats, id, at) = (heartbeats.clone(), *id, world.now);
            written.spawn(async move { heartbeats.record(id, at).await });
        }
        if written.len() >= 256 {
            written.join_next().await.transpose()?.transpose()?;
        }
    }
    while let Some(done) = written.join_next().await {
        done??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_remapped_consistently_and_nothing_else_changes() {
        let a = "779cdd70-e9e2-58ca-b18a-bf3eb3f71244";
        let text = format!(r#"{{"host_id":"{a}","other":"{a}","hex":"47d1190ffb4f781974c8356d7f863b03"}}"#);
        let out = remap_text(&text, 3);
        let mapped = remap(a.parse().unwrap(), 3).to_string();
        assert_eq!(out, text.replace(a, &mapped));
        assert_ne!(remap_text(&text, 4), out);
    }
}
