//! The wire format of `ha_cluster_discovery`: serde mirrors of the agent's JSON, nothing
//! derived. Kept apart from what Vigil reads into them (the parent module), as Trento keeps
//! `discovery/payloads` apart from `discovery/policies`, so a change in the agent's format
//! and a change in a rule touch different files.
//!
//! The payload is the agent's view of Pacemaker: the CIB (configuration), crm_mon (runtime
//! state), SBD and the cluster id (md5 of the corosync authkey). Only the fields a rule reads
//! are declared. Lists that agents send as `null` (crm_mon groups, a clone's resources…) are
//! empty lists, as Trento reads them.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer};

/// Just enough to tell an online payload from an offline one (or `null`).
#[derive(Deserialize)]
pub(super) struct Probe {
    #[serde(rename = "Online", default)]
    pub(super) online: Option<bool>,
}

/// What an agent whose cluster stack is stopped sends.
#[derive(Deserialize)]
pub(super) struct OfflinePayload {
    #[serde(rename = "Id")]
    pub(super) id: String,
    #[serde(rename = "Name", default)]
    pub(super) name: Option<String>,
}

/// What an agent whose cluster stack runs sends.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OnlinePayload {
    pub(super) id: String,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(rename = "DC")]
    pub(super) dc: bool,
    #[serde(default)]
    pub(super) provider: Option<String>,
    #[serde(default)]
    pub(super) state: Option<String>,
    pub(super) cib: Cib,
    pub(super) crmmon: Crmmon,
    #[serde(rename = "SBD", default)]
    pub(super) sbd: Option<Sbd>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Cib {
    pub(super) configuration: CibConfiguration,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CibConfiguration {
    #[serde(default)]
    pub(super) crm_config: Option<CrmConfig>,
    #[serde(default)]
    pub(super) resources: Option<CibResources>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CrmConfig {
    #[serde(default, deserialize_with = "list")]
    pub(super) cluster_properties: Vec<NameValue>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CibResources {
    #[serde(default, deserialize_with = "list")]
    pub(super) primitives: Vec<Primitive>,
    #[serde(default, deserialize_with = "list")]
    pub(super) groups: Vec<CibGroup>,
    #[serde(default, deserialize_with = "list")]
    pub(super) clones: Vec<CibClone>,
    #[serde(default, deserialize_with = "list")]
    pub(super) masters: Vec<CibClone>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Primitive {
    pub(super) id: String,
    #[serde(rename = "Type")]
    pub(super) kind: String,
    #[serde(default, deserialize_with = "list")]
    pub(super) instance_attributes: Vec<NameValue>,
}

impl Primitive {
    pub(super) fn attribute(&self, name: &str) -> Option<&str> {
        self.instance_attributes.iter().find(|a| a.name == name).map(|a| a.value.as_str())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CibGroup {
    #[serde(default, deserialize_with = "list")]
    pub(super) primitives: Vec<Primitive>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CibClone {
    #[serde(default)]
    pub(super) primitive: Option<Primitive>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameValue {
    pub(super) name: String,
    pub(super) value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Crmmon {
    pub(super) summary: Summary,
    #[serde(default, deserialize_with = "list")]
    pub(super) nodes: Vec<CrmNode>,
    #[serde(default, deserialize_with = "list")]
    pub(super) resources: Vec<CrmResource>,
    #[serde(default, deserialize_with = "list")]
    pub(super) groups: Vec<CrmGroup>,
    #[serde(default, deserialize_with = "list")]
    pub(super) clones: Vec<CrmGroup>,
    #[serde(default)]
    pub(super) node_history: Option<NodeHistory>,
    #[serde(default)]
    pub(super) node_attributes: Option<NodeAttributes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Summary {
    pub(super) nodes: Count,
    pub(super) resources: Count,
    #[serde(default)]
    pub(super) last_change: Option<LastChange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LastChange {
    #[serde(default)]
    pub(super) time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Count {
    pub(super) number: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CrmNode {
    pub(super) name: String,
    #[serde(default)]
    pub(super) online: Option<bool>,
    #[serde(rename = "DC", default)]
    pub(super) dc: bool,
    #[serde(default)]
    pub(super) unclean: bool,
    #[serde(default)]
    pub(super) standby: bool,
    #[serde(default)]
    pub(super) standby_on_fail: bool,
    #[serde(default)]
    pub(super) maintenance: bool,
    #[serde(default)]
    pub(super) pending: bool,
    #[serde(default)]
    pub(super) shutdown: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CrmResource {
    pub(super) id: String,
    pub(super) agent: String,
    pub(super) role: String,
    pub(super) active: bool,
    pub(super) nodes_running_on: u32,
    #[serde(default)]
    pub(super) blocked: bool,
    #[serde(default)]
    pub(super) failed: bool,
    #[serde(default)]
    pub(super) failure_ignored: bool,
    #[serde(default)]
    pub(super) orphaned: bool,
    #[serde(default = "managed_by_default")]
    pub(super) managed: bool,
    #[serde(default)]
    pub(super) node: Option<ResourceNode>,
}

fn managed_by_default() -> bool {
    true
}

impl CrmResource {
    pub(super) fn node_name(&self) -> Option<&str> {
        self.node.as_ref().map(|n| n.name.as_str())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResourceNode {
    pub(super) name: String,
}

/// A crm_mon group or clone: an id and the resources in it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CrmGroup {
    pub(super) id: String,
    #[serde(default, deserialize_with = "list")]
    pub(super) resources: Vec<CrmResource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NodeHistory {
    #[serde(default, deserialize_with = "list")]
    pub(super) nodes: Vec<HistoryNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct HistoryNode {
    pub(super) name: String,
    #[serde(default, deserialize_with = "list")]
    pub(super) resource_history: Vec<HistoryEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct HistoryEntry {
    pub(super) name: String,
    pub(super) fail_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NodeAttributes {
    #[serde(default, deserialize_with = "list")]
    pub(super) nodes: Vec<AttributeNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AttributeNode {
    pub(super) name: String,
    #[serde(default, deserialize_with = "list")]
    pub(super) attributes: Vec<NameValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Sbd {
    #[serde(default, deserialize_with = "list")]
    pub(super) devices: Vec<SbdDeviceEntry>,
    /// Only which settings are present matters (for the fencing type).
    #[serde(default)]
    pub(super) config: Option<BTreeMap<String, IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SbdDeviceEntry {
    pub(super) device: String,
    pub(super) status: String,
}

/// A list an agent may send as `null`.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}
