//! What a check declares about itself (its `metadata` rule) and what it yields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::facts::{GATHERERS, GATHERERS_NEEDING_AN_ARGUMENT};

/// The cluster types a check may name, as Vigil's landscape spells them.
pub const CLUSTER_TYPES: [&str; 4] = ["hana_scale_up", "hana_scale_out", "ascs_ers", "hana_ascs_ers"];

/// The providers a check may name, as Vigil's landscape spells them.
pub const PROVIDERS: [&str; 7] = ["azure", "aws", "gcp", "kvm", "vmware", "nutanix", "unknown"];

/// What a check is evaluated against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum TargetType {
    /// A Pacemaker cluster, with its member hosts.
    Cluster,
    /// One host.
    Host,
}

impl TargetType {
    /// The wire name (`cluster`, `host`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Cluster => "cluster",
            TargetType::Host => "host",
        }
    }
}

/// How bad a failing check is: the status its failure yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A deviation worth fixing.
    Warning,
    /// A deviation that endangers availability or data.
    Critical,
}

/// A named value a check compares against, with its default and per-provider defaults
/// (Azure, AWS and GCP recommend different corosync and fencing timeouts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueSpec {
    /// The value when no provider default and no customisation applies.
    pub default: Value,
    /// Provider name → value.
    #[serde(default)]
    pub providers: BTreeMap<String, Value>,
    /// What the value means.
    #[serde(default)]
    pub description: String,
}

/// A fact a check needs of each host, and which gatherer answers it: the check's part of
/// the agent's request (docs/facts.md). The check reads it as `input.facts.<name>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactSpec {
    /// The fact's name within the check.
    pub name: String,
    /// One of [`crate::facts::GATHERERS`].
    pub gatherer: String,
    /// The gatherer's argument (`totem.token`, `sbd`); empty for those that take none or to
    /// ask for the whole source.
    #[serde(default)]
    pub argument: String,
}

/// A check's `metadata` rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The last component of the check's package, `vigil.checks.<id>`.
    pub id: String,
    /// A one-line title.
    pub name: String,
    /// Where the check is listed (`corosync`, `sbd`, `pacemaker`, `saphana`, …).
    pub group: String,
    /// What is checked and why it matters.
    pub description: String,
    /// How to fix a failure, in Markdown.
    pub remediation: String,
    /// Clusters or hosts.
    pub target_type: TargetType,
    /// The cluster types it applies to; empty: all of them (and hosts in none).
    #[serde(default)]
    pub cluster_types: Vec<String>,
    /// The providers it applies to; empty: all of them.
    #[serde(default)]
    pub providers: Vec<String>,
    /// The status a failure yields.
    pub severity: Severity,
    /// The facts it needs of each host (`input.facts.<name>`); a check with facts is
    /// evaluated once per host, and a host without them is `not_gathered`.
    #[serde(default)]
    pub facts: Vec<FactSpec>,
    /// Named values, resolved into `input.values`.
    #[serde(default)]
    pub values: BTreeMap<String, ValueSpec>,
}

impl Metadata {
    /// Why this metadata cannot be right, if it cannot; `package_id` is the last component
    /// of the module's package.
    pub fn validate(&self, package_id: &str) -> Result<(), String> {
        if self.id != package_id {
            return Err(format!("metadata.id is {:?} but the package is vigil.checks.{package_id}", self.id));
        }
        if !is_identifier(&self.id) {
            return Err(format!("metadata.id {:?} must be 1-64 of a-z, 0-9 and _, starting with a letter", self.id));
        }
        for (field, text) in [
            ("name", &self.name),
            ("group", &self.group),
            ("description", &self.description),
            ("remediation", &self.remediation),
        ] {
            if text.trim().is_empty() {
                return Err(format!("metadata.{field} must not be empty"));
            }
        }
        if let Some(unknown) = self.cluster_types.iter().find(|t| !CLUSTER_TYPES.contains(&t.as_str())) {
            return Err(format!("metadata.cluster_types: unknown {unknown:?}; expected one of {CLUSTER_TYPES:?}"));
        }
        if self.target_type == TargetType::Host && !self.cluster_types.is_empty() {
            return Err("metadata.cluster_types applies to cluster checks only".to_owned());
        }
        let providers = self.providers.iter().chain(self.values.values().flat_map(|spec| spec.providers.keys()));
        if let Some(unknown) = providers.into_iter().find(|p| !PROVIDERS.contains(&p.as_str())) {
            return Err(format!("unknown provider {unknown:?}; expected one of {PROVIDERS:?}"));
        }
        let fact_names = self.facts.iter().map(|fact| &fact.name);
        if let Some(name) = fact_names.chain(self.values.keys()).find(|name| !is_identifier(name)) {
            return Err(format!("fact or value name {name:?} must be 1-64 of a-z, 0-9 and _, starting with a letter"));
        }
        for (index, fact) in self.facts.iter().enumerate() {
            let name = &fact.name;
            if self.facts[..index].iter().any(|earlier| earlier.name == *name) {
                return Err(format!("metadata.facts: the fact {name:?} is declared twice"));
            }
            if !GATHERERS.contains(&fact.gatherer.as_str()) {
                return Err(format!(
                    "metadata.facts: fact {name:?} names the unknown gatherer {:?}; expected one of {GATHERERS:?}",
                    fact.gatherer
                ));
            }
            if fact.argument.is_empty() && GATHERERS_NEEDING_AN_ARGUMENT.contains(&fact.gatherer.as_str()) {
                return Err(format!("metadata.facts: fact {name:?}: the gatherer {} needs an argument", fact.gatherer));
            }
        }
        Ok(())
    }

    /// Whether the check applies to a target of this type, cluster type and provider.
    pub fn applies_to(&self, target_type: TargetType, cluster_type: Option<&str>, provider: &str) -> bool {
        let cluster_type_fits = self.cluster_types.is_empty()
            || cluster_type.is_some_and(|t| self.cluster_types.iter().any(|wanted| wanted == t));
        let provider_fits = self.providers.is_empty() || self.providers.iter().any(|wanted| wanted == provider);
        self.target_type == target_type && cluster_type_fits && provider_fits
    }

    /// `input.values` for this check: each value's provider default or default, then
    /// `custom` (a target's customisation) over it. A customised name the check does not
    /// declare is ignored.
    pub fn resolve_values(&self, provider: &str, custom: Option<&BTreeMap<String, Value>>) -> Value {
        let values = self
            .values
            .iter()
            .map(|(name, spec)| {
                let value = custom
                    .and_then(|custom| custom.get(name))
                    .or_else(|| spec.providers.get(provider))
                    .unwrap_or(&spec.default);
                (name.clone(), value.clone())
            })
            .collect();
        Value::Object(values)
    }
}

fn is_identifier(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A check's outcome for one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// As recommended.
    Passing,
    /// A deviation of warning severity.
    Warning,
    /// A deviation of critical severity.
    Critical,
    /// A fact it needs was not gathered (no answer, or the gatherer's error).
    NotGathered,
    /// The check failed to evaluate or yielded something that is not a result.
    Error,
}

impl Status {
    /// Its weight in the worst-of health: an unevaluated check is no evidence of health,
    /// so `not_gathered` and `error` count as critical, as in Trento.
    pub fn health(self) -> Health {
        match self {
            Status::Passing => Health::Passing,
            Status::Warning => Health::Warning,
            Status::Critical | Status::NotGathered | Status::Error => Health::Critical,
        }
    }
}

/// The checks health of a target is a landscape health: what the cluster's or host's own
/// health folds in.
pub use vigil_landscape::health::Health;

/// Trento's worst-of rule over a target's results: passing < warning < critical
/// (`not_gathered` and `error` count as critical); no result at all is unknown.
pub fn checks_health(statuses: impl IntoIterator<Item = Status>) -> Health {
    let healths: Vec<Health> = statuses.into_iter().map(Status::health).collect();
    if healths.is_empty() { Health::Unknown } else { Health::worst(healths) }
}

/// One check's result for one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check.
    pub check_id: String,
    /// Its outcome.
    pub status: Status,
    /// What was found, for a person.
    pub message: String,
    /// The value found (null when none).
    #[serde(default)]
    pub observed: Value,
    /// The value recommended (null when none).
    #[serde(default)]
    pub expected: Value,
    /// A check with facts: its result on each host of the target, in the document's order
    /// (empty, and not serialised, for a check without facts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostResult>,
}

/// A check's result on one host, from that host's facts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostResult {
    /// The host (its agent id).
    pub host_id: Uuid,
    /// Its name, as its host discovery says.
    pub hostname: String,
    /// Its outcome.
    pub status: Status,
    /// What was found on it, for a person.
    pub message: String,
    /// The value found on it (null when none).
    #[serde(default)]
    pub observed: Value,
}
