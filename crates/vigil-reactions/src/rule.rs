//! Rules: for one event type, the one action that follows it.
//!
//! A rule names the event type it reacts to (`on`), optional filters on the topic and on
//! CloudEvents attributes, an optional condition (a Rego expression over `input.event`),
//! enrichment sources, the action, and how often to try it. A [`RuleSet`] holds at most
//! one rule per event type: a second one is refused with the name of the first, so which
//! action an event triggers never depends on load order.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kinds::{EmailSpec, ProgramSpec, ServiceSpec, WebhookSpec};
use crate::topic::Pattern;

/// One rule.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique name: lowercase letters, digits, `-` and `_`, at most 64 characters.
    pub name: String,
    /// The event type it reacts to, exactly (`HostHealthChanged`, `com.example.build.failed`).
    pub on: String,
    /// Only events of a matching topic (`hosts`, `external.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<Pattern>,
    /// Only events whose CloudEvents `source` matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Pattern>,
    /// Only events whose CloudEvents `subject` matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Pattern>,
    /// A Rego expression over `input.event` (the CloudEvent); the action runs only when it is
    /// true, e.g. `input.event.data.health == "critical"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// What to look up before the action runs; the results are the action's `enrichment`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enrich: Vec<Enrichment>,
    /// Attempts before the execution goes to the dead letters.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The retry schedule.
    #[serde(default)]
    pub backoff: Backoff,
    /// What to do.
    pub action: ActionSpec,
}

fn default_max_attempts() -> u32 {
    5
}

/// Exponential backoff with jitter: attempt `n` (from 1) that failed waits
/// `min(initial * 2^(n-1), max)`, scaled by a random factor in [0.5, 1].
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Backoff {
    /// The wait after the first failure.
    #[serde(with = "humantime_serde")]
    pub initial: Duration,
    /// The longest wait.
    #[serde(with = "humantime_serde")]
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { initial: Duration::from_secs(1), max: Duration::from_secs(300) }
    }
}

impl Backoff {
    /// The wait after failed attempt `attempt` (from 1), given `jitter` in [0, 1] (drawn by
    /// the caller, so this stays deterministic under test).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let base = self.initial.saturating_mul(1u32 << exponent).min(self.max);
        base.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// A lookup made before the action runs; its result is `enrichment.<name>`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum Enrichment {
    /// A read model, by the event's subject: `host`, `cluster`, `database` or `sap_system`.
    ReadModel {
        /// Key of the result.
        name: String,
        /// Which read model.
        model: String,
    },
    /// An HTTP supporting service: `POST url` with the CloudEvent; the JSON answer is the
    /// result.
    Http {
        /// Key of the result.
        name: String,
        /// Where.
        url: String,
        /// How long it may take.
        #[serde(default = "crate::kinds::default_timeout", with = "humantime_serde")]
        timeout: Duration,
    },
}

impl Enrichment {
    /// The key of its result.
    pub fn name(&self) -> &str {
        match self {
            Enrichment::ReadModel { name, .. } | Enrichment::Http { name, .. } => name,
        }
    }
}

/// What an action does.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionSpec {
    /// Send a mail.
    Email(EmailSpec),
    /// POST the CloudEvent.
    Webhook(WebhookSpec),
    /// Dispatch a Vigil command through the command gate.
    Command(CommandSpec),
    /// Call an action implementation service.
    Service(ServiceSpec),
    /// Run a local program.
    Program(ProgramSpec),
    /// Ordered steps, each of the kinds above; progress is stored, so a restart resumes at
    /// the step it stopped at.
    Workflow(WorkflowSpec),
    /// Run the configured operation the `OperationRequested` event names, then record its
    /// outcome (`OperationCompleted` / `OperationFailed`).
    Operation(OperationAction),
}

/// The `operation` kind has no fields: what runs is the `[[operation]]` the event names.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperationAction {}

/// An operation operators may ask for on a host or cluster (`[[operation]]` in the rules
/// file): what runs when it is requested.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    /// Its name, as in `POST /api/v1/hosts/{id}/operations/{name}`.
    pub name: String,
    /// What it may run on: `host`, `cluster` or both.
    pub targets: Vec<String>,
    /// For people.
    #[serde(default)]
    pub description: String,
    /// What runs: a `program` or a `service`, with the event (and its `params`) as input.
    pub action: ActionSpec,
}

impl OperationSpec {
    /// Checks the name, the targets and the action's kind.
    pub fn validate(&self) -> Result<(), RuleError> {
        let invalid = |message: String| RuleError::Invalid { rule: format!("operation {}", self.name), message };
        if !valid_name(&self.name) {
            return Err(invalid("a name is 1 to 64 lowercase letters, digits, '-' or '_'".to_owned()));
        }
        if self.targets.is_empty() || self.targets.iter().any(|t| t != "host" && t != "cluster") {
            return Err(invalid("targets are one or both of host, cluster".to_owned()));
        }
        if !matches!(self.action, ActionSpec::Program(_) | ActionSpec::Service(_)) {
            return Err(invalid(format!("an operation runs a program or a service, not {}", self.action.kind())));
        }
        Ok(())
    }
}

/// The rule that runs operations, in force whenever operations are configured.
pub fn operations_rule() -> Rule {
    Rule {
        name: "vigil-operations".to_owned(),
        on: "OperationRequested".to_owned(),
        topic: None,
        source: None,
        subject: None,
        when: None,
        enrich: Vec::new(),
        max_attempts: 3,
        backoff: Backoff::default(),
        action: ActionSpec::Operation(OperationAction {}),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl ActionSpec {
    /// The kind's name, as written in `kind = "..."`.
    pub fn kind(&self) -> &'static str {
        match self {
            ActionSpec::Email(_) => "email",
            ActionSpec::Webhook(_) => "webhook",
            ActionSpec::Command(_) => "command",
            ActionSpec::Service(_) => "service",
            ActionSpec::Program(_) => "program",
            ActionSpec::Workflow(_) => "workflow",
            ActionSpec::Operation(_) => "operation",
        }
    }
}

/// A command action: the command's name and its fields, each string a template.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// The command, e.g. `RequestHostDeregistration`.
    pub command: String,
    /// Its fields.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

/// A workflow action.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSpec {
    /// The steps, run in order; none may be a workflow itself.
    pub steps: Vec<ActionSpec>,
}

/// Why a rule or a set of rules is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The text is not a valid rules file.
    #[error("{0}")]
    Parse(String),
    /// One rule is not valid.
    #[error("rule {rule}: {message}")]
    Invalid {
        /// The rule's name.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// Two rules for one event type.
    #[error("rule {rule}: event type {on} already has rule {existing}; each event type triggers exactly one action")]
    SecondRuleForType {
        /// The refused rule.
        rule: String,
        /// The event type.
        on: String,
        /// The rule already in place.
        existing: String,
    },
    /// Two rules with one name.
    #[error("rule {0} is defined twice")]
    DuplicateName(String),
}

impl Rule {
    /// Checks what the types cannot: the name's grammar, the attempt count, the steps.
    pub fn validate(&self) -> Result<(), RuleError> {
        let invalid = |message: String| RuleError::Invalid { rule: self.name.clone(), message };
        if !valid_name(&self.name) {
            return Err(invalid("a name is 1 to 64 lowercase letters, digits, '-' or '_'".to_owned()));
        }
        if self.on.is_empty() || self.on.len() > 256 {
            return Err(invalid("`on` is an event type of 1 to 256 characters".to_owned()));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(invalid(format!("max_attempts must be 1 to 100, not {}", self.max_attempts)));
        }
        if self.backoff.initial.is_zero() || self.backoff.initial > self.backoff.max {
            return Err(invalid("backoff.initial must be above zero and at most backoff.max".to_owned()));
        }
        let mut names = std::collections::BTreeSet::new();
        for enrichment in &self.enrich {
            if !names.insert(enrichment.name()) {
                return Err(invalid(format!("enrichment {} is named twice", enrichment.name())));
            }
            if let Enrichment::ReadModel { model, .. } = enrichment
                && !["host", "cluster", "database", "sap_system"].contains(&model.as_str())
            {
                return Err(invalid(format!("read model {model} is none of host, cluster, database, sap_system")));
            }
        }
        if let ActionSpec::Workflow(workflow) = &self.action {
            if workflow.steps.is_empty() {
                return Err(invalid("a workflow has at least one step".to_owned()));
            }
            if workflow.steps.iter().any(|step| matches!(step, ActionSpec::Workflow(_) | ActionSpec::Operation(_))) {
                return Err(invalid("a workflow step cannot be a workflow or an operation".to_owned()));
            }
        }
        if matches!(self.action, ActionSpec::Operation(_)) && self.on != "OperationRequested" {
            return Err(invalid("an operation action reacts to OperationRequested only".to_owned()));
        }
        Ok(())
    }

    /// Whether the event (a CloudEvent JSON object on `topic`) passes the rule's type and
    /// attribute filters. The condition (`when`) is evaluated apart, by policy.
    pub fn selects(&self, topic: &str, event: &Value) -> bool {
        let attribute = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("");
        attribute("type") == self.on
            && self.topic.as_ref().is_none_or(|p| p.matches(topic))
            && self.source.as_ref().is_none_or(|p| p.matches(attribute("source")))
            && self.subject.as_ref().is_none_or(|p| p.matches(attribute("subject")))
    }
}

/// The rules in force: at most one per event type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSet {
    by_type: BTreeMap<String, Rule>,
    operations: BTreeMap<String, OperationSpec>,
}

/// The layout of `actions.toml`: `[[rule]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<Rule>,
    #[serde(default)]
    operation: Vec<OperationSpec>,
}

impl RuleSet {
    /// An empty set.
    pub fn new() -> Self {
        RuleSet::default()
    }

    /// Parses an `actions.toml`.
    pub fn from_toml(text: &str) -> Result<Self, RuleError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| RuleError::Parse(e.to_string()))?;
        let mut set = RuleSet::new();
        for rule in file.rule {
            set.insert(rule)?;
        }
        for operation in file.operation {
            set.insert_operation(operation)?;
        }
        Ok(set)
    }

    /// Adds `rule`, refusing an invalid one, a second rule for its type and a reused name.
    pub fn insert(&mut self, rule: Rule) -> Result<(), RuleError> {
        rule.validate()?;
        if let Some(existing) = self.by_type.get(&rule.on) {
            return Err(RuleError::SecondRuleForType { rule: rule.name, on: rule.on, existing: existing.name.clone() });
        }
        if self.by_type.values().any(|r| r.name == rule.name) {
            return Err(RuleError::DuplicateName(rule.name));
        }
        self.by_type.insert(rule.on.clone(), rule);
        Ok(())
    }

    /// Adds an operation, refusing an invalid one and a reused name.
    pub fn insert_operation(&mut self, operation: OperationSpec) -> Result<(), RuleError> {
        operation.validate()?;
        if self.operations.contains_key(&operation.name) {
            return Err(RuleError::DuplicateName(format!("operation {}", operation.name)));
        }
        self.operations.insert(operation.name.clone(), operation);
        Ok(())
    }

    /// The operation named `name`.
    pub fn operation(&self, name: &str) -> Option<&OperationSpec> {
        self.operations.get(name)
    }

    /// Every operation, by name.
    pub fn operations(&self) -> impl Iterator<Item = &OperationSpec> {
        self.operations.values()
    }

    /// Removes the rule named `name`; whether there was one.
    pub fn remove(&mut self, name: &str) -> Option<Rule> {
        let on = self.by_type.values().find(|r| r.name == name)?.on.clone();
        self.by_type.remove(&on)
    }

    /// The rule for `event_type`, if any.
    pub fn for_type(&self, event_type: &str) -> Option<&Rule> {
        self.by_type.get(event_type)
    }

    /// The rule named `name`.
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.by_type.values().find(|r| r.name == name)
    }

    /// Every rule, by event type.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.by_type.values()
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.by_type.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}
