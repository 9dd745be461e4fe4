//! PLACEHOLDER until the checks-facts branch lands (taken from it on merge).
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactRequest {
    /// .
    pub check_id: String,
    /// .
    pub name: String,
    /// .
    pub gatherer: String,
    /// .
    #[serde(default)]
    pub argument: String,
}
/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactsTarget {
    /// .
    pub agent_id: Uuid,
    /// .
    pub fact_requests: Vec<FactRequest>,
}
/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactsGatheringRequested {
    /// .
    pub execution_id: Uuid,
    /// .
    pub group_id: Uuid,
    /// .
    pub targets: Vec<FactsTarget>,
}
/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactError {
    /// .
    #[serde(rename = "type")]
    pub kind: String,
    /// .
    pub message: String,
}
/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactOutcome {
    /// .
    Value(Value),
    /// .
    Error(FactError),
}
/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatheredFact {
    /// .
    pub check_id: String,
    /// .
    pub name: String,
    /// .
    #[serde(flatten)]
    pub outcome: FactOutcome,
}
/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactsGathered {
    /// .
    pub execution_id: Uuid,
    /// .
    pub agent_id: Uuid,
    /// .
    pub facts_gathered: Vec<GatheredFact>,
}
/// .
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostFacts {
    /// .
    Gathered(Vec<GatheredFact>),
    /// .
    NotGathered(String),
}
