//! The facts wire format, modelled on Trento's wanda (`FactsGatheringRequested` →
//! `FactsGathered`), as snake_case JSON. `docs/facts.md` is its reference; the server is
//! written against that document, not against these types.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::FactError;
use super::value::FactValue;

/// The server asks the agents of a check execution for facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactsGatheringRequested {
    /// The execution the answers belong to.
    pub execution_id: Uuid,
    /// The cluster or host the checks run on.
    pub group_id: Uuid,
    /// One entry per agent asked; an agent answers only its own.
    pub targets: Vec<Target>,
}

/// What one agent is asked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// The agent (host) id.
    pub agent_id: Uuid,
    /// The facts, in the order the answer keeps.
    pub fact_requests: Vec<FactRequest>,
}

/// One fact a check needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactRequest {
    /// The check that needs it.
    pub check_id: String,
    /// The fact's name within the check (`corosync_token_timeout`).
    pub name: String,
    /// Which gatherer (`corosync.conf`, `package_version`, …).
    pub gatherer: String,
    /// The gatherer's argument (`totem.token`, `pacemaker`); empty when it takes none.
    #[serde(default)]
    pub argument: String,
}

/// An agent's answer: one fact per request, in the requests' order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactsGathered {
    /// The execution that asked.
    pub execution_id: Uuid,
    /// The agent answering.
    pub agent_id: Uuid,
    /// The facts.
    pub facts_gathered: Vec<Fact>,
}

/// One gathered fact: a value, or the error that took its place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// The request's check.
    pub check_id: String,
    /// The request's name.
    pub name: String,
    /// `"value": …` or `"error": {"type", "message"}`.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Either a value or an error, never both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The fact's value (JSON of the gatherer's shape).
    Value(FactValue),
    /// Why there is no value.
    Error(FactError),
}

impl Fact {
    /// The fact answering `request`.
    pub fn answering(request: &FactRequest, outcome: Result<FactValue, FactError>) -> Self {
        Fact {
            check_id: request.check_id.clone(),
            name: request.name.clone(),
            outcome: match outcome {
                Ok(value) => Outcome::Value(value),
                Err(error) => Outcome::Error(error),
            },
        }
    }
}

impl FactsGatheringRequested {
    /// What `agent_id` is asked, if it is a target.
    pub fn target_of(&self, agent_id: Uuid) -> Option<&Target> {
        self.targets.iter().find(|t| t.agent_id == agent_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::error::FactErrorKind;
    use serde_json::json;

    #[test]
    fn the_answer_carries_a_value_or_an_error() {
        let request = FactRequest {
            check_id: "C1".into(),
            name: "token".into(),
            gatherer: "corosync.conf".into(),
            argument: "totem.token".into(),
        };
        let ok = Fact::answering(&request, Ok(json!(30000)));
        assert_eq!(serde_json::to_value(&ok).unwrap(), json!({"check_id": "C1", "name": "token", "value": 30000}));
        let failed = Fact::answering(&request, Err(FactError::new(FactErrorKind::FileNotFound, "gone")));
        let wire = serde_json::to_value(&failed).unwrap();
        assert_eq!(
            wire,
            json!({"check_id": "C1", "name": "token", "error": {"type": "file_not_found", "message": "gone"}})
        );
        assert_eq!(serde_json::from_value::<Fact>(wire).unwrap(), failed);
        // A null value is a value: `{"value": null}` reads back as one, not as a missing field.
        let null = Fact::answering(&request, Ok(FactValue::Null));
        assert_eq!(serde_json::from_value::<Fact>(serde_json::to_value(&null).unwrap()).unwrap(), null);
    }

    #[test]
    fn a_request_reads_with_or_without_an_argument() {
        let request: FactsGatheringRequested = serde_json::from_value(json!({
            "execution_id": "0192e5a4-0000-7000-8000-000000000001",
            "group_id": "0192e5a4-0000-7000-8000-000000000002",
            "targets": [{"agent_id": "0192e5a4-0000-7000-8000-000000000003",
                         "fact_requests": [{"check_id": "C1", "name": "hosts", "gatherer": "hosts"}]}]
        }))
        .unwrap();
        assert_eq!(request.targets[0].fact_requests[0].argument, "");
        assert!(request.target_of(Uuid::nil()).is_none());
    }
}
