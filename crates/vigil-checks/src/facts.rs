//! The facts wire format, server side: what the server asks the agents of an execution
//! (`FactsGatheringRequested`) and what each answers (`FactsGathered`), as snake_case JSON.
//! Written against `docs/facts.md`, the reference both sides follow, not against the agent's
//! types, so that the document stays the contract.
//!
//! [`HostFacts`] is what the evaluator gets per host: the facts an agent answered, or why
//! there is no answer (the agent is not connected, it did not answer in time).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Every gatherer an agent runs (`docs/facts.md`): a check may declare facts of these only.
pub const GATHERERS: [&str; 10] = [
    "corosync.conf",
    "corosync-cmapctl",
    "sbd_config",
    "package_version",
    "systemd",
    "sysctl",
    "hosts",
    "fstab",
    "saptune",
    "cibadmin",
];

/// The gatherers that refuse an empty argument (`missing_argument`).
pub const GATHERERS_NEEDING_AN_ARGUMENT: [&str; 4] = ["package_version", "systemd", "sysctl", "cibadmin"];

/// The error types that are an answer about the host rather than a failure to look: the
/// source was read and the thing is not there (a key not set, a package not installed).
/// They reach the check as `{"error": …}`; every other error makes the host `not_gathered`.
pub const ERRORS_CHECKS_READ: [&str; 2] = ["value_not_found", "package_not_installed"];

/// One fact a check needs of one host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactRequest {
    /// The check that needs it.
    pub check_id: String,
    /// The fact's name within the check (`input.facts.<name>`).
    pub name: String,
    /// Which gatherer answers it (one of [`GATHERERS`]).
    pub gatherer: String,
    /// The gatherer's argument (`totem.token`, `pacemaker`); absent on the wire is `""`.
    #[serde(default)]
    pub argument: String,
}

/// What one agent is asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactsTarget {
    /// The agent, which is its host's id.
    pub agent_id: Uuid,
    /// The facts, in the order the answer keeps.
    pub fact_requests: Vec<FactRequest>,
}

/// The server asks the agents of an execution for facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactsGatheringRequested {
    /// The execution the answers belong to.
    pub execution_id: Uuid,
    /// The cluster or host the checks run on.
    pub group_id: Uuid,
    /// One entry per agent asked.
    pub targets: Vec<FactsTarget>,
}

/// Why a gatherer has no value for a fact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactError {
    /// `file_not_found`, `package_not_installed`, … (docs/facts.md lists them).
    #[serde(rename = "type")]
    pub kind: String,
    /// What went wrong, for a person.
    pub message: String,
}

/// A fact's value or the error in its place; on the wire `"value": …` or `"error": {…}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactOutcome {
    /// JSON of the gatherer's shape; `null` is a value.
    Value(Value),
    /// Why there is no value.
    Error(FactError),
}

/// One answered fact, with the request's check and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatheredFact {
    /// The request's check.
    pub check_id: String,
    /// The request's name.
    pub name: String,
    /// The value or the error.
    #[serde(flatten)]
    pub outcome: FactOutcome,
}

/// An agent's answer: one fact per request, in the requests' order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactsGathered {
    /// The execution that asked.
    pub execution_id: Uuid,
    /// The agent answering.
    pub agent_id: Uuid,
    /// The facts.
    pub facts_gathered: Vec<GatheredFact>,
}

/// What one host gave for an execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostFacts {
    /// The agent's answer.
    Gathered(Vec<GatheredFact>),
    /// No answer, and why ("the agent is not connected", "no answer within 60 s").
    NotGathered(String),
}

impl FactError {
    /// Whether the error is an answer the check reads (see [`ERRORS_CHECKS_READ`]).
    pub fn is_read_by_checks(&self) -> bool {
        ERRORS_CHECKS_READ.contains(&self.kind.as_str())
    }
}

impl FactOutcome {
    /// The fact as a check reads it in `input.facts`: the value, or `{"error": {type, message}}`.
    pub fn to_input(&self) -> Value {
        match self {
            FactOutcome::Value(value) => value.clone(),
            FactOutcome::Error(error) => {
                serde_json::json!({"error": {"type": error.kind, "message": error.message}})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // The examples of docs/facts.md, as written there.
    const REQUEST: &str = r#"{
  "execution_id": "0192e5a4-6c1e-7b0a-9d3f-4a1b2c3d4e5f",
  "group_id": "5d2c0f7e-8a4b-4c1d-9e3f-0a1b2c3d4e5f",
  "targets": [
    {
      "agent_id": "0a055c90-4cb6-54ce-ac9c-ae3fedaf40d4",
      "fact_requests": [
        {"check_id": "corosync_token", "name": "token", "gatherer": "corosync.conf", "argument": "totem.token"},
        {"check_id": "pacemaker_version", "name": "pacemaker", "gatherer": "package_version", "argument": "pacemaker"},
        {"check_id": "hosts_nodes", "name": "hosts", "gatherer": "hosts"}
      ]
    }
  ]
}"#;

    const ANSWER: &str = r#"{
  "execution_id": "0192e5a4-6c1e-7b0a-9d3f-4a1b2c3d4e5f",
  "agent_id": "0a055c90-4cb6-54ce-ac9c-ae3fedaf40d4",
  "facts_gathered": [
    {"check_id": "corosync_token", "name": "token", "value": 30000},
    {"check_id": "pacemaker_version", "name": "pacemaker",
     "error": {"type": "package_not_installed", "message": "package pacemaker is not installed"}},
    {"check_id": "hosts_nodes", "name": "hosts", "value": {"localhost": ["127.0.0.1", "::1"]}}
  ]
}"#;

    const AGENT: Uuid = Uuid::from_u128(0x0a055c90_4cb6_54ce_ac9c_ae3fedaf40d4);

    #[test]
    fn the_documented_request_decodes_and_encodes_back() {
        let request: FactsGatheringRequested = serde_json::from_str(REQUEST).unwrap();
        assert_eq!(request.execution_id.to_string(), "0192e5a4-6c1e-7b0a-9d3f-4a1b2c3d4e5f");
        assert_eq!(request.targets[0].agent_id, AGENT);
        let requests = &request.targets[0].fact_requests;
        assert_eq!(requests.len(), 3);
        assert_eq!(
            requests[0],
            FactRequest {
                check_id: "corosync_token".into(),
                name: "token".into(),
                gatherer: "corosync.conf".into(),
                argument: "totem.token".into(),
            }
        );
        assert_eq!(requests[2].argument, "", "an absent argument is empty");
        // Back to JSON: the same document, the absent argument now written as "".
        let mut expected: Value = serde_json::from_str(REQUEST).unwrap();
        expected["targets"][0]["fact_requests"][2]["argument"] = json!("");
        assert_eq!(serde_json::to_value(&request).unwrap(), expected);
    }

    #[test]
    fn the_documented_answer_decodes_and_encodes_back() {
        let answer: FactsGathered = serde_json::from_str(ANSWER).unwrap();
        assert_eq!(answer.agent_id, AGENT);
        assert_eq!(
            answer.facts_gathered,
            [
                GatheredFact {
                    check_id: "corosync_token".into(),
                    name: "token".into(),
                    outcome: FactOutcome::Value(json!(30000)),
                },
                GatheredFact {
                    check_id: "pacemaker_version".into(),
                    name: "pacemaker".into(),
                    outcome: FactOutcome::Error(FactError {
                        kind: "package_not_installed".into(),
                        message: "package pacemaker is not installed".into(),
                    }),
                },
                GatheredFact {
                    check_id: "hosts_nodes".into(),
                    name: "hosts".into(),
                    outcome: FactOutcome::Value(json!({"localhost": ["127.0.0.1", "::1"]})),
                },
            ]
        );
        assert_eq!(serde_json::to_value(&answer).unwrap(), serde_json::from_str::<Value>(ANSWER).unwrap());
    }

    #[test]
    fn null_is_a_value_and_unknown_fields_are_ignored() {
        let fact: GatheredFact =
            serde_json::from_str(r#"{"check_id": "c", "name": "n", "value": null, "gathered_at": 1}"#).unwrap();
        assert_eq!(fact.outcome, FactOutcome::Value(Value::Null));
        assert!(serde_json::from_str::<GatheredFact>(r#"{"check_id": "c", "name": "n"}"#).is_err(), "neither");
    }

    #[test]
    fn host_facts_are_tagged_in_snake_case() {
        let why = HostFacts::NotGathered("the agent is not connected".into());
        assert_eq!(serde_json::to_value(&why).unwrap(), json!({"not_gathered": "the agent is not connected"}));
        let gathered = HostFacts::Gathered(vec![]);
        assert_eq!(serde_json::from_value::<HostFacts>(json!({"gathered": []})).unwrap(), gathered);
    }

    #[test]
    fn only_absence_answers_reach_a_check() {
        let error = |kind: &str| FactError { kind: kind.into(), message: String::new() };
        assert!(error("value_not_found").is_read_by_checks());
        assert!(error("package_not_installed").is_read_by_checks());
        assert!(!error("file_not_found").is_read_by_checks());
        assert_eq!(
            FactOutcome::Error(error("timeout")).to_input(),
            json!({"error": {"type": "timeout", "message": ""}})
        );
    }
}
