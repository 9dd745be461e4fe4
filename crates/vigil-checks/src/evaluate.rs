//! Evaluating the applicable checks of one target, and its worst-of health.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_policy::RegoInput;

use crate::catalog::{Catalog, Check};
use crate::check::{CheckResult, Health, Status, TargetType};
use crate::input::CheckInput;

/// Which checks to run on a target and its customised values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The selected check ids; `None`: every applicable check.
    #[serde(default)]
    pub checks: Option<Vec<String>>,
    /// Check id → value name → value, over the check's defaults.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, Value>>,
}

/// The results of one target's evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// `cluster` or `host`.
    pub target_type: TargetType,
    /// The cluster's or host's id.
    pub target_id: String,
    /// Worst of the results.
    pub health: Health,
    /// One per check run, in id order.
    pub results: Vec<CheckResult>,
}

impl Catalog {
    /// The checks that apply to `input`'s target (type, cluster type, provider), by id.
    pub fn applicable<'a>(&'a self, input: &'a CheckInput) -> impl Iterator<Item = &'a std::sync::Arc<Check>> + 'a {
        let target = &input.target;
        self.checks().filter(move |check| {
            check.metadata().applies_to(target.target_type, target.cluster_type.as_deref(), &target.provider)
        })
    }

    /// Evaluate the selected checks that apply to the target. A selected id the catalog does
    /// not hold, or that does not apply, is left out: selection narrows, it never forces a
    /// check onto a target it was not written for.
    /// PLACEHOLDER
    pub fn fact_requests(&self, _input: &CheckInput, _selection: &Selection) -> Vec<crate::facts::FactRequest> {
        Vec::new()
    }

    /// PLACEHOLDER signature
    pub fn evaluate(
        &self,
        input: &CheckInput,
        selection: &Selection,
        _facts: &BTreeMap<uuid::Uuid, crate::facts::HostFacts>,
    ) -> Evaluation {
        let target = &input.target;
        let converted = RegoInput::new(&input.document);
        let mut results = Vec::new();
        for check in self.applicable(input) {
            let metadata = check.metadata();
            if selection.checks.as_ref().is_some_and(|ids| !ids.contains(&metadata.id)) {
                continue;
            }
            let result = match &converted {
                Err(error) => CheckResult {
                    check_id: metadata.id.clone(),
                    status: Status::Error,
                    message: format!("the input document cannot be evaluated: {error}"),
                    observed: Value::Null,
                    expected: Value::Null,
                },
                Ok(converted) => match missing_facts(check, &input.document) {
                    Some(missing) => missing,
                    None => {
                        let values = metadata.resolve_values(&target.provider, selection.values.get(&metadata.id));
                        check.evaluate(converted, &values)
                    }
                },
            };
            results.push(result);
        }
        Evaluation {
            target_type: target.target_type,
            target_id: target.id.clone(),
            health: Health::worst_of(results.iter().map(|r| r.status)),
            results,
        }
    }
}

/// A `not_gathered` result when a fact the check needs is absent or is a gatherer's
/// `{"error": {...}}`; the message names each fact and its error.
fn missing_facts(check: &Check, document: &Value) -> Option<CheckResult> {
    let facts = document.get("facts");
    let problems: Vec<String> = check
        .metadata()
        .facts
        .iter()
        .filter_map(|name| match facts.and_then(|facts| facts.get(name)) {
            None | Some(Value::Null) => Some(format!("{name}: not gathered")),
            Some(Value::Object(fact)) if fact.len() == 1 && fact.contains_key("error") => {
                let error = &fact["error"];
                let kind = error.get("type").and_then(Value::as_str).unwrap_or("error");
                let message = error.get("message").and_then(Value::as_str).unwrap_or("no message");
                Some(format!("{name}: {kind}: {message}"))
            }
            Some(_) => None,
        })
        .collect();
    (!problems.is_empty()).then(|| CheckResult {
        check_id: check.metadata().id.clone(),
        status: Status::NotGathered,
        message: format!("facts not gathered: {}", problems.join("; ")),
        observed: Value::Null,
        expected: Value::Null,
    })
}
