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
