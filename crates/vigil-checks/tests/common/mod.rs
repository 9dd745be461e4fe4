//! The shared Trento corpus read as the server holds it: the last payload of each type per
//! host, grouped into clusters by the cluster discovery's `Id`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use uuid::Uuid;
use vigil_checks::{CheckInput, HostDiscoveries, cluster_input, host_input};

pub fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// Every host of a scenario directory, with its discoveries, in agent id order.
pub fn hosts_of(dir: &Path) -> Vec<HostDiscoveries> {
    let mut hosts: BTreeMap<Uuid, HostDiscoveries> = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    for path in files {
        let envelope: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // One file of the corpus has only its payload: the name says the rest
        // (`<agent id>_<discovery type>.json`).
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (named_agent, named_type) = stem.split_once('_').unwrap();
        let agent_id: Uuid = envelope["agent_id"].as_str().unwrap_or(named_agent).parse().unwrap();
        let kind = envelope["discovery_type"].as_str().unwrap_or(named_type).to_owned();
        let host = hosts.entry(agent_id).or_insert_with(|| HostDiscoveries { host_id: agent_id, ..Default::default() });
        host.payloads.insert(kind, envelope["payload"].clone());
    }
    hosts.into_values().collect()
}

/// The clusters of a scenario: members grouped by their cluster discovery's `Id`.
pub fn clusters_of(hosts: &[HostDiscoveries]) -> BTreeMap<String, Vec<HostDiscoveries>> {
    let mut clusters: BTreeMap<String, Vec<HostDiscoveries>> = BTreeMap::new();
    for host in hosts {
        if let Some(id) = host.payloads.get("ha_cluster_discovery").and_then(|p| p.get("Id")).and_then(Value::as_str) {
            clusters.entry(id.to_owned()).or_default().push(host.clone());
        }
    }
    clusters
}

/// Every scenario's name with its cluster inputs and host inputs (no facts).
pub fn scenario_inputs() -> Vec<(String, Vec<CheckInput>, Vec<CheckInput>)> {
    let root = fixtures().join("scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("the Trento corpus is needed at {}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no scenario in {}", root.display());
    dirs.into_iter()
        .map(|dir| {
            let hosts = hosts_of(&dir);
            let clusters = clusters_of(&hosts)
                .into_values()
                .map(|members| cluster_input(&members, json!({})).expect("a cluster input"))
                .collect();
            let host_inputs = hosts.iter().map(|host| host_input(host, json!({})).expect("a host input")).collect();
            (dir.file_name().unwrap().to_string_lossy().into_owned(), clusters, host_inputs)
        })
        .collect()
}

/// One cluster discovery file of the corpus's `discovery/` folder as a one-member cluster.
pub fn discovery_cluster(name: &str) -> CheckInput {
    let path = fixtures().join("discovery").join(name);
    let envelope: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let host = HostDiscoveries {
        host_id: envelope["agent_id"].as_str().unwrap().parse().unwrap(),
        payloads: BTreeMap::from([("ha_cluster_discovery".to_owned(), envelope["payload"].clone())]),
    };
    cluster_input(&[host], json!({})).unwrap()
}

/// A file of the agent's captured facts fixtures (`crates/vigil-agent/tests/fixtures/facts/`).
pub fn agent_fixture(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigil-agent/tests/fixtures/facts").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// A node as the agent's captured fixtures show one (`hana01` of a two-node HANA cluster):
/// its files, which the agent's file gatherers read for real under a root directory, and
/// its tools' captured outputs, which the agent's own parsers answer from, as its gatherers
/// do with a live tool's output. What a test changes is written beside the change.
#[derive(Clone, Debug)]
pub struct CapturedNode {
    /// Machine path → text.
    pub files: BTreeMap<&'static str, String>,
    /// `corosync-cmapctl`'s output.
    pub cmapctl: String,
    /// `rpm -q --qf …`'s output for the packages asked.
    pub rpm: String,
    /// `systemctl show -p …`'s output, one block per unit.
    pub systemctl: String,
    /// `cibadmin --query --local`'s output (the CIB's XML).
    pub cibadmin: String,
}

impl CapturedNode {
    /// The captured node, every file and output as captured.
    pub fn hana01() -> Self {
        CapturedNode {
            files: BTreeMap::from([
                ("/etc/corosync/corosync.conf", agent_fixture("corosync.conf/hana-two-node-udpu.conf")),
                ("/etc/hosts", agent_fixture("hosts/hana-cluster.hosts")),
                ("/etc/sysconfig/sbd", agent_fixture("sbd_config/disk-based.sbd")),
                ("/etc/fstab", agent_fixture("fstab/hana-node.fstab")),
            ]),
            cmapctl: agent_fixture("corosync-cmapctl/hana-two-node.txt"),
            rpm: agent_fixture("package_version/rpm-q.stdout"),
            systemctl: agent_fixture("systemd/systemctl-show.txt"),
            cibadmin: agent_fixture("cibadmin/hana-scale-up.xml"),
        }
    }

    /// The node's answers to `requests`, as the agent sends them (its `Fact`s, through JSON).
    pub fn answer(&self, requests: &[vigil_checks::facts::FactRequest]) -> Vec<vigil_checks::facts::GatheredFact> {
        use vigil_agent::facts::{self as agent, Fact, Sources, cibadmin, corosync_cmapctl, package_version, systemd};
        let root = tempfile::tempdir().unwrap();
        for (path, text) in &self.files {
            let target = root.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, text).unwrap();
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let sources = Sources::under(root.path());
        requests
            .iter()
            .map(|request| {
                let request: agent::FactRequest = serde_json::from_value(serde_json::to_value(request).unwrap())
                    .expect("the agent reads our request");
                let argument = request.argument.as_str();
                let outcome = match request.gatherer.as_str() {
                    "corosync.conf" | "hosts" | "sbd_config" | "fstab" | "sysctl" => {
                        runtime.block_on(agent::gather_one(&sources, &request.gatherer, &[argument])).remove(0)
                    }
                    "corosync-cmapctl" => corosync_cmapctl::parse(&self.cmapctl)
                        .map_err(|e| e.in_source(corosync_cmapctl::PROGRAM))
                        .and_then(|values| corosync_cmapctl::value_of(&values, argument)),
                    "package_version" => package_version::parse_rpm(&self.rpm)
                        .map_err(|e| e.in_source("rpm -q"))
                        .and_then(|query| package_version::value_of(&query, argument, "rpm")),
                    "cibadmin" => cibadmin::parse(&self.cibadmin)
                        .map_err(|e| e.in_source("cibadmin --query --local"))
                        .and_then(|sections| cibadmin::value_of(&sections, argument)),
                    "systemd" => {
                        let units = systemd::parse(&self.systemctl).unwrap();
                        let unit = units.into_iter().find(|unit| unit["id"] == argument);
                        Ok(Value::Object(unit.unwrap_or_else(|| panic!("{argument}: add its block to systemctl"))))
                    }
                    other => panic!("no captured output for the gatherer {other}"),
                };
                let wire = serde_json::to_value(Fact::answering(&request, outcome)).unwrap();
                serde_json::from_value(wire).expect("the agent's fact reads as a GatheredFact")
            })
            .collect()
    }
}
