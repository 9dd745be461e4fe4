//! The conformance suite of the [`LandscapeReads`] port.
//!
//! Every adapter runs it through
//! [`landscape_reads_contract_tests!`](crate::landscape_reads_contract_tests) with a factory
//! that returns empty read models and the projections that fill them. The events come from
//! the real Trento fixtures through the real deciders ([`History`]), so the checks hold an
//! adapter to what an agent's discoveries actually produce.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::Value;
use uuid::Uuid;
use vigil_kernel::decider::Decider;
use vigil_kernel::envelope::{EventMetadata, NewEvent, RecordedEvent};
use vigil_kernel::projection::Projection;
use vigil_kernel::store::in_categories;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::Cluster;
use vigil_landscape::database::Database;
use vigil_landscape::discovery::{Discovery, DiscoveryContext, DiscoveryType, ScenarioDetector};
use vigil_landscape::host::Host;
use vigil_landscape::sap_system::SapSystem;

use crate::ListQuery;
use crate::hosts::HostQuery;
use crate::port::LandscapeReads;

/// Read models under test, plus whatever must live as long as they.
pub struct Subject {
    /// The queries.
    pub reads: Arc<dyn LandscapeReads>,
    /// The projections that fill what `reads` answers from.
    pub projections: Vec<Arc<dyn Projection>>,
    /// Dropped after the test.
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

/// Generates one `#[tokio::test]` per contract check, each on fresh read models from `$make`
/// (an `async fn() -> Subject`).
#[macro_export]
macro_rules! landscape_reads_contract_tests {
    ($make:path) => {
        $crate::landscape_reads_contract_tests!(@tests $make,
            a_discovered_host_is_listed_and_found,
            hosts_are_counted_and_paged_in_hostname_order,
            hosts_are_filtered_by_hostname_and_cluster,
            a_discovered_cluster_is_listed_with_its_hosts,
            databases_and_sap_systems_are_listed_and_found,
            an_unknown_id_is_none_of_every_kind
        );
    };
    (@tests $make:path, $($check:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let subject = $make().await;
                $crate::contract::$check(&subject).await;
            }
        )*
    };
}

/// The Trento fixtures beside the repository (or `$VIGIL_FIXTURES`).
fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// A landscape's history, made by running discoveries through the detector and the
/// deciders in memory: the stored events a real server would have appended.
#[derive(Default)]
pub struct History {
    events: Vec<RecordedEvent>,
    versions: HashMap<String, u64>,
    hosts: HashMap<Uuid, <Host as Decider>::State>,
    clusters: HashMap<Uuid, <Cluster as Decider>::State>,
    databases: HashMap<Uuid, <Database as Decider>::State>,
    sap_systems: HashMap<Uuid, <SapSystem as Decider>::State>,
}

impl History {
    /// Every discovery of scenario `name` (`scenarios/<name>`), hosts first, then the
    /// other types in the order an agent sends them.
    pub fn scenario(name: &str) -> History {
        let dir = fixtures().join("scenarios").join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("fixtures {}: {e}", dir.display()))
            .map(|entry| entry.expect("fixture entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        let order = |path: &PathBuf| {
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            let rank = DiscoveryType::ALL.iter().position(|t| name.ends_with(&format!("_{}.json", t.as_str())));
            (rank.unwrap_or(usize::MAX), name)
        };
        files.sort_by_key(order);
        let mut history = History::default();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("fixture readable");
            history.discover(&text);
        }
        history
    }

    /// Runs one discovery as the agent sent it (`{agent_id, discovery_type, payload}`).
    /// Commands that need the database directory (application instances) are left out.
    pub fn discover(&mut self, sent: &str) {
        let sent: Value = serde_json::from_str(sent).expect("fixture is JSON");
        let Ok(discovery_type) = sent["discovery_type"].as_str().unwrap_or_default().parse::<DiscoveryType>() else {
            return;
        };
        let agent_id: Uuid = sent["agent_id"].as_str().and_then(|id| id.parse().ok()).expect("fixture agent id");
        let payload = sent["payload"].to_string();
        let discovery = Discovery { agent_id, discovery_type, payload: &payload };
        let commands = ScenarioDetector::detect(&discovery, &DiscoveryContext::default()).expect("fixture detects");
        for command in commands {
            match command {
                LandscapeCommand::Host { host_id, command } => self.decide::<Host>(host_id, command),
                LandscapeCommand::Cluster { cluster_id, command } => self.decide::<Cluster>(cluster_id, command),
                LandscapeCommand::Database { database_id, command } => self.decide::<Database>(database_id, command),
                LandscapeCommand::SapSystem { sap_system_id, command } => {
                    self.decide::<SapSystem>(sap_system_id, command)
                }
                LandscapeCommand::ResolveApplicationInstance(_) => {}
            }
        }
    }

    fn decide<D: Aggregate>(&mut self, id: Uuid, command: D::Command) {
        let state = D::states(self).remove(&id).unwrap_or_default();
        let Ok(events) = D::decide(&state, command) else {
            D::states(self).insert(id, state);
            return;
        };
        let stream_id = D::stream_id(&id.to_string());
        let position = self.events.len() as u64;
        let meta = EventMetadata {
            time: Utc.timestamp_opt(1_750_000_000 + position as i64, 0).single().expect("valid time"),
            source: "/contract".to_owned(),
            correlation_id: None,
            causation_id: None,
        };
        let state = events.iter().fold(state, D::evolve);
        for event in &events {
            let version = self.versions.entry(stream_id.clone()).or_default();
            *version += 1;
            self.events.push(RecordedEvent {
                position: self.events.len() as u64 + 1,
                stream_id: stream_id.clone(),
                stream_version: *version,
                event: NewEvent::encode(event, &id.to_string(), &meta, Uuid::now_v7()),
            });
        }
        D::states(self).insert(id, state);
    }

    /// The events, in global order.
    pub fn events(&self) -> &[RecordedEvent] {
        &self.events
    }
}

/// The four aggregates, each with its states in [`History`].
trait Aggregate: Decider {
    fn states(history: &mut History) -> &mut HashMap<Uuid, Self::State>;
}

impl Aggregate for Host {
    fn states(history: &mut History) -> &mut HashMap<Uuid, Self::State> {
        &mut history.hosts
    }
}
impl Aggregate for Cluster {
    fn states(history: &mut History) -> &mut HashMap<Uuid, Self::State> {
        &mut history.clusters
    }
}
impl Aggregate for Database {
    fn states(history: &mut History) -> &mut HashMap<Uuid, Self::State> {
        &mut history.databases
    }
}
impl Aggregate for SapSystem {
    fn states(history: &mut History) -> &mut HashMap<Uuid, Self::State> {
        &mut history.sap_systems
    }
}

/// Hands `history` to every projection, as the runner would: each gets the events of its
/// categories and its checkpoint moves over the rest.
pub async fn project(s: &Subject, history: &History) {
    let Some(last) = history.events().last().map(|e| e.position) else { return };
    for projection in &s.projections {
        let events: Vec<RecordedEvent> = match projection.categories() {
            None => history.events().to_vec(),
            Some(categories) => {
                history.events().iter().filter(|e| in_categories(&e.stream_id, categories)).cloned().collect()
            }
        };
        if !events.is_empty() {
            projection.apply(events).await.expect("projection applies the fixtures' events");
        }
        if projection.categories().is_some() {
            projection.skip(last).await.expect("projection moves over the other events");
        }
    }
}

fn page(offset: usize, limit: usize) -> ListQuery {
    ListQuery { offset, limit, ..Default::default() }
}

fn agent_ids(history: &History, event_type: &str) -> Vec<String> {
    let mut ids: Vec<String> =
        history.events().iter().filter(|e| e.event.event_type == event_type).map(|e| e.event.subject.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A host discovery makes a host that the list shows and its id finds, as discovered.
pub async fn a_discovered_host_is_listed_and_found(s: &Subject) {
    let history = History::scenario("hana-scale-up-angi");
    project(s, &history).await;
    let registered = agent_ids(&history, "HostRegistered");
    assert!(!registered.is_empty(), "the scenario registers hosts");
    let (rows, total) = s.reads.hosts(HostQuery { list: page(0, 100), ..Default::default() }).await.unwrap();
    assert_eq!(total as usize, registered.len());
    let mut listed: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    listed.sort();
    assert_eq!(listed, registered);
    let host = s.reads.host(registered[0].clone()).await.unwrap().expect("registered host is found");
    assert_eq!(host.id, registered[0]);
    assert!(!host.details.hostname.is_empty());
    assert!(host.deregistered_at.is_none());
}

/// The count is of every match, the page is a window of the hostname order.
pub async fn hosts_are_counted_and_paged_in_hostname_order(s: &Subject) {
    let history = History::scenario("hana-scale-up-multi-tier");
    project(s, &history).await;
    let all = |offset, limit| s.reads.hosts(HostQuery { list: page(offset, limit), ..Default::default() });
    let (everything, total) = all(0, 100).await.unwrap();
    assert!(total >= 2, "the scenario has several hosts");
    let names: Vec<String> = everything.iter().map(|r| r.details.hostname.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "listed by hostname");
    let (first, first_total) = all(0, 1).await.unwrap();
    let (second, _) = all(1, 1).await.unwrap();
    assert_eq!(first_total, total, "the count does not depend on the page");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, everything[0].id);
    assert_eq!(second[0].id, everything[1].id);
    let (beyond, beyond_total) = all(total as usize, 10).await.unwrap();
    assert!(beyond.is_empty());
    assert_eq!(beyond_total, total);
}

/// The host filters narrow the list to what matches.
pub async fn hosts_are_filtered_by_hostname_and_cluster(s: &Subject) {
    let history = History::scenario("hana-scale-up-angi");
    project(s, &history).await;
    let (everything, _) = s.reads.hosts(HostQuery { list: page(0, 100), ..Default::default() }).await.unwrap();
    let wanted = everything[0].details.hostname.clone();
    let query = HostQuery { hostname: Some(wanted.clone()), list: page(0, 100), ..Default::default() };
    let (named, total) = s.reads.hosts(query).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(named[0].details.hostname, wanted);
    let query = HostQuery { hostname: Some("no-such-host".into()), list: page(0, 100), ..Default::default() };
    assert_eq!(s.reads.hosts(query).await.unwrap().1, 0);

    let (clusters, _) = s.reads.clusters(page(0, 10)).await.unwrap();
    let cluster_id = clusters.first().expect("the scenario has a cluster").id.clone();
    let query = HostQuery { cluster_id: Some(cluster_id.clone()), list: page(0, 100), ..Default::default() };
    let (members, _) = s.reads.hosts(query).await.unwrap();
    assert!(!members.is_empty(), "the cluster's hosts are listed under it");
    assert!(members.iter().all(|h| h.cluster_id.as_deref() == Some(cluster_id.as_str())));
}

/// A cluster discovery makes a cluster that names the hosts that reported it.
pub async fn a_discovered_cluster_is_listed_with_its_hosts(s: &Subject) {
    let history = History::scenario("hana-scale-up-angi");
    project(s, &history).await;
    let registered = agent_ids(&history, "ClusterRegistered");
    assert_eq!(registered.len(), 1, "the scenario is one cluster");
    let (rows, total) = s.reads.clusters(page(0, 10)).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].id, registered[0]);
    let cluster = s.reads.cluster(registered[0].clone()).await.unwrap().expect("cluster is found");
    assert!(cluster.name.as_deref().is_some_and(|n| !n.is_empty()), "the cluster is named");
    assert!(!cluster.hosts.is_empty(), "its hosts are members");
    let only_hana = ListQuery { cluster_type: Some(cluster.cluster_type.clone()), ..page(0, 10) };
    assert_eq!(s.reads.clusters(only_hana).await.unwrap().1, 1);
    let other = ListQuery { cluster_type: Some("no_such_type".into()), ..page(0, 10) };
    assert_eq!(s.reads.clusters(other).await.unwrap().1, 0);
}

/// A HANA system's discovery makes a database; a NetWeaver one a SAP system.
pub async fn databases_and_sap_systems_are_listed_and_found(s: &Subject) {
    let history = History::scenario("single-hana-single-app");
    project(s, &history).await;
    let databases = agent_ids(&history, "DatabaseRegistered");
    assert!(!databases.is_empty(), "the scenario registers a database");
    let (rows, total) = s.reads.databases(page(0, 10)).await.unwrap();
    assert_eq!(total as usize, databases.len());
    assert!(rows.iter().any(|r| r.id == databases[0]));
    assert!(s.reads.database(databases[0].clone()).await.unwrap().is_some());
    for id in agent_ids(&history, "SapSystemRegistered") {
        assert!(s.reads.sap_system(id).await.unwrap().is_some());
    }
    let (systems, total) = s.reads.sap_systems(page(0, 10)).await.unwrap();
    assert_eq!(systems.len() as u64, total);
}

/// Asking for what was never discovered is `None`, not an error.
pub async fn an_unknown_id_is_none_of_every_kind(s: &Subject) {
    project(s, &History::scenario("hana-scale-up-angi")).await;
    let unknown = Uuid::from_u128(0x0bad).to_string();
    assert!(s.reads.host(unknown.clone()).await.unwrap().is_none());
    assert!(s.reads.cluster(unknown.clone()).await.unwrap().is_none());
    assert!(s.reads.database(unknown.clone()).await.unwrap().is_none());
    assert!(s.reads.sap_system(unknown).await.unwrap().is_none());
}
