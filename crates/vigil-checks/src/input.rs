//! The input document a check reads, built from the discoveries Vigil holds (the last
//! payload of each type per host, as the discovery log keeps them); the facts agents
//! gathered join it per host at evaluation. Its shape is `docs/checks-input.schema.json`.
//!
//! The raw Trento payloads are kept (`cluster.cib`, `cluster.crm_mon`, `cluster.sbd`) so
//! that no detail is lost, and the lookups nearly every check needs are added beside them:
//! `cluster.properties` (name → value), `cluster.resources` (every primitive with its
//! parameters, meta attributes, operations and parent), `cluster.nodes` (with attributes).
//! What Vigil derives (cluster type, provider, SIDs) comes from the landscape's own reading
//! of the payload, so checks and the landscape never disagree on what a cluster is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::ClusterCommand;
use vigil_landscape::discovery::{Discovery, DiscoveryContext, DiscoveryType, ScenarioDetector};

use crate::check::TargetType;

/// The last discoveries of one host: discovery type (`host_discovery`, …) → payload.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostDiscoveries {
    /// The host (its agent id).
    pub host_id: Uuid,
    /// Discovery type → the payload as the agent sent it.
    pub payloads: BTreeMap<String, Value>,
}

/// What the evaluator needs to know of the target before reading the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// `cluster` or `host`.
    #[serde(rename = "type")]
    pub target_type: TargetType,
    /// The cluster's or host's id.
    pub id: String,
    /// The cluster type (`hana_scale_up`, …); `None` for a host.
    pub cluster_type: Option<String>,
    /// The provider (`azure`, …, `unknown`).
    pub provider: String,
}

/// One target's input document, without `values` (each check gets its own).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckInput {
    /// The target, as the document's `target` also says.
    pub target: Target,
    /// `{target, cluster, hosts, host, facts}`; evaluation adds `values`, and for a check
    /// with facts sets `host` and `facts` to each host's in turn.
    pub document: Value,
}

/// Why no input can be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// No member sent an online cluster discovery (with a CIB).
    #[error("no host of the cluster has sent an online ha_cluster_discovery")]
    NoClusterDiscovery,
    /// The host has sent no host discovery.
    #[error("host {0} has sent no host_discovery")]
    NoHostDiscovery(Uuid),
    /// The landscape cannot read the payload.
    #[error("the ha_cluster_discovery of host {host_id} cannot be read: {message}")]
    InvalidDiscovery {
        /// The host whose payload it is.
        host_id: Uuid,
        /// The landscape's error, naming the field.
        message: String,
    },
}

const HA_CLUSTER: &str = "ha_cluster_discovery";

/// The input of a host check: `host` and `facts`. `facts` is what checks without facts of
/// their own see as `input.facts` (none of the shipped ones reads it); a check with facts
/// gets its host's answers there instead, at evaluation ([`crate::Catalog::evaluate`]).
pub fn host_input(host: &HostDiscoveries, facts: Value) -> Result<CheckInput, InputError> {
    let document = host_document(host).ok_or(InputError::NoHostDiscovery(host.host_id))?;
    let provider = document["provider"].as_str().unwrap_or("unknown").to_owned();
    let target = Target { target_type: TargetType::Host, id: host.host_id.to_string(), cluster_type: None, provider };
    let document = json!({
        "target": target_json(&target, document.get("hostname").cloned().unwrap_or(Value::Null)),
        "host": document,
        "facts": facts_object(facts),
    });
    Ok(CheckInput { target, document })
}

/// The input of a cluster check: `cluster` (from the designated controller's payload, else
/// the first online one), `hosts` (every member with a host discovery, each with its `id`:
/// the hosts a check with facts is evaluated on) and `facts` (as for [`host_input`]).
pub fn cluster_input(members: &[HostDiscoveries], facts: Value) -> Result<CheckInput, InputError> {
    let online: Vec<(&HostDiscoveries, &Value)> = members
        .iter()
        .filter_map(|member| member.payloads.get(HA_CLUSTER).map(|payload| (member, payload)))
        .filter(|(_, payload)| payload.get("Cib").is_some_and(Value::is_object))
        .collect();
    let (member, payload) = online
        .iter()
        .find(|(_, payload)| payload.get("DC").and_then(Value::as_bool) == Some(true))
        .or_else(|| online.first())
        .copied()
        .ok_or(InputError::NoClusterDiscovery)?;
    let invalid = |message: String| InputError::InvalidDiscovery { host_id: member.host_id, message };
    let text = payload.to_string();
    let discovery = Discovery { agent_id: member.host_id, discovery_type: DiscoveryType::HaCluster, payload: &text };
    let commands =
        ScenarioDetector::detect(&discovery, &DiscoveryContext::default()).map_err(|e| invalid(e.to_string()))?;
    let (cluster_id, name, details) = commands
        .into_iter()
        .find_map(|command| match command {
            LandscapeCommand::Cluster {
                command: ClusterCommand::RegisterOnlineClusterHost { cluster_id, name, details, .. },
                ..
            } => Some((cluster_id, name, details)),
            _ => None,
        })
        .ok_or_else(|| invalid("it registers no online cluster host".to_owned()))?;
    let details = serde_json::to_value(&*details).map_err(|e| invalid(e.to_string()))?;
    let cluster_type = details["cluster_type"].as_str().unwrap_or("unknown").to_owned();
    let provider = details["provider"].as_str().unwrap_or("unknown").to_owned();
    let target = Target {
        target_type: TargetType::Cluster,
        id: cluster_id.to_string(),
        cluster_type: Some(cluster_type.clone()),
        provider: provider.clone(),
    };
    let cib = payload.get("Cib").cloned().unwrap_or(Value::Null);
    let crm_mon = payload.get("Crmmon").cloned().unwrap_or(Value::Null);
    let sbd = payload.get("SBD").cloned().unwrap_or(Value::Null);
    let configuration = &cib["Configuration"];
    let cluster = json!({
        "id": cluster_id.to_string(),
        "name": name,
        "cluster_type": cluster_type,
        "provider": provider,
        "sid": details["sid"],
        "additional_sids": details["additional_sids"],
        "state": payload.get("State").cloned().unwrap_or(Value::Null),
        "fencing_type": details["fencing_type"],
        "maintenance_mode": details["maintenance_mode"],
        "hosts_number": details["hosts_number"],
        "properties": name_values(&configuration["CrmConfig"]["ClusterProperties"]),
        "resources": resources(&configuration["Resources"]),
        "nodes": nodes(&crm_mon),
        "sbd_config": sbd.get("Config").cloned().unwrap_or_else(|| json!({})),
        "sbd_devices": sbd.get("Devices").filter(|d| d.is_array()).cloned().unwrap_or_else(|| json!([])),
        "cib": cib,
        "crm_mon": crm_mon,
        "sbd": sbd,
    });
    let hosts: Vec<Value> = members.iter().filter_map(host_document).collect();
    let document = json!({
        "target": target_json(&target, cluster["name"].clone()),
        "cluster": cluster,
        "hosts": hosts,
        "facts": facts_object(facts),
    });
    Ok(CheckInput { target, document })
}

fn target_json(target: &Target, name: Value) -> Value {
    json!({
        "type": target.target_type,
        "id": target.id,
        "name": name,
        "cluster_type": target.cluster_type,
        "provider": target.provider,
    })
}

/// Facts must be an object (name → value or `{"error": …}`); anything else is none.
fn facts_object(facts: Value) -> Value {
    if facts.is_object() { facts } else { json!({}) }
}

/// A host's document: its host discovery's fields, plus `id`, `provider`, `saptune`,
/// `subscriptions`, `sap_systems` and `cloud` from the other discoveries.
fn host_document(host: &HostDiscoveries) -> Option<Value> {
    let mut document: Map<String, Value> = host.payloads.get("host_discovery")?.as_object()?.clone();
    let cloud = host.payloads.get("cloud_discovery").cloned().unwrap_or(Value::Null);
    let provider = cloud.get("Provider").and_then(Value::as_str).map(str::to_ascii_lowercase);
    let provider = match provider.as_deref() {
        Some(p @ ("azure" | "aws" | "gcp" | "kvm" | "vmware" | "nutanix")) => p.to_owned(),
        _ => "unknown".to_owned(),
    };
    let list = |kind: &str| host.payloads.get(kind).filter(|v| v.is_array()).cloned().unwrap_or_else(|| json!([]));
    document.insert("id".into(), Value::String(host.host_id.to_string()));
    document.insert("provider".into(), Value::String(provider));
    document.insert("cloud".into(), cloud);
    document.insert("saptune".into(), host.payloads.get("saptune_discovery").cloned().unwrap_or(Value::Null));
    document.insert("subscriptions".into(), list("subscription_discovery"));
    document.insert("sap_systems".into(), list("sap_system_discovery"));
    document.entry("systemd_units").or_insert_with(|| json!([]));
    Some(Value::Object(document))
}

/// `[{"Name": n, "Value": v}, …]` as `{n: v}`; the first of a repeated name wins, as
/// Pacemaker reads the first `nvpair` of a set.
fn name_values(list: &Value) -> Value {
    let mut object = Map::new();
    for item in list.as_array().into_iter().flatten() {
        if let (Some(name), Some(value)) = (item.get("Name").and_then(Value::as_str), item.get("Value")) {
            object.entry(name.to_owned()).or_insert_with(|| value.clone());
        }
    }
    Value::Object(object)
}

/// Every primitive of the CIB: top level, in groups, in clones and in masters (promotable
/// clones), each with its parent.
fn resources(cib_resources: &Value) -> Value {
    let mut out = Vec::new();
    let primitive = |p: &Value, parent: Value| {
        json!({
            "id": p.get("Id").cloned().unwrap_or(Value::Null),
            "class": p.get("Class").cloned().unwrap_or(Value::Null),
            "provider": p.get("Provider").cloned().unwrap_or(Value::Null),
            "type": p.get("Type").cloned().unwrap_or(Value::Null),
            "params": name_values(&p["InstanceAttributes"]),
            "meta": name_values(&p["MetaAttributes"]),
            "operations": operations(&p["Operations"]),
            "parent": parent,
        })
    };
    let items = |key: &str| cib_resources.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    for p in items("Primitives") {
        out.push(primitive(&p, Value::Null));
    }
    for g in items("Groups") {
        let parent = json!({"kind": "group", "id": g.get("Id"), "meta": name_values(&g["MetaAttributes"])});
        for p in g.get("Primitives").and_then(Value::as_array).into_iter().flatten() {
            out.push(primitive(p, parent.clone()));
        }
    }
    for (key, kind) in [("Clones", "clone"), ("Masters", "master")] {
        for c in items(key) {
            let parent = json!({"kind": kind, "id": c.get("Id"), "meta": name_values(&c["MetaAttributes"])});
            if let Some(p) = c.get("Primitive").filter(|p| p.is_object()) {
                out.push(primitive(p, parent));
            }
        }
    }
    Value::Array(out)
}

fn operations(list: &Value) -> Value {
    let operations = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|op| {
            json!({
                "name": op.get("Name"),
                "interval": op.get("Interval"),
                "timeout": op.get("Timeout"),
                "role": op.get("Role"),
            })
        })
        .collect();
    Value::Array(operations)
}

/// crm_mon's nodes with their attributes (`hana_<sid>_site`, …).
fn nodes(crm_mon: &Value) -> Value {
    let attributes: BTreeMap<&str, Value> = crm_mon["NodeAttributes"]["Nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|node| Some((node.get("Name")?.as_str()?, name_values(&node["Attributes"]))))
        .collect();
    let nodes = crm_mon["Nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|node| {
            let name = node.get("Name").and_then(Value::as_str).unwrap_or_default();
            json!({
                "name": name,
                "online": node.get("Online").and_then(Value::as_bool).unwrap_or(false),
                "dc": node.get("DC").and_then(Value::as_bool).unwrap_or(false),
                "standby": node.get("Standby").and_then(Value::as_bool).unwrap_or(false),
                "maintenance": node.get("Maintenance").and_then(Value::as_bool).unwrap_or(false),
                "attributes": attributes.get(name).cloned().unwrap_or_else(|| json!({})),
            })
        })
        .collect();
    Value::Array(nodes)
}
