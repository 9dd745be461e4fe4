//! The rules in force, from three sources: the shipped defaults, `actions.toml` and the API.
//!
//! The three are merged into one [`RuleSet`], so one event type has one rule whichever
//! source it came from; a rule that would be a second one for its type is refused with the
//! source of the first. Each rule's condition is compiled and each action built when the
//! rule is loaded: a rule that cannot run is refused then, not at its first event. A new
//! set replaces the old one atomically: an event is dispatched under one set or the other,
//! never under none, so rules changing while events flow lose no event.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use serde::Serialize;
use vigil_policy::{Condition, PolicyLimits};

use crate::action::Action;
use crate::ports::ActionKinds;
use crate::rule::{ActionSpec, CommandSpec, OperationSpec, Rule, RuleError, RuleSet};

/// Where a rule came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    /// Shipped with Vigil (Trento's alerts), on unless `default_rules = false`.
    Default,
    /// The rules file.
    File,
    /// Added through the API.
    Api,
}

/// One step of what a rule does: a workflow has several, every other kind one.
#[derive(Clone)]
pub enum Step {
    /// A stand-alone kind, built.
    Action(Arc<dyn Action>),
    /// A command through the gate.
    Command(CommandSpec),
    /// The configured operation the event names, built.
    Operation(Arc<HashMap<String, Arc<dyn Action>>>),
    /// Record the operation's outcome (`CompleteOperation`).
    OperationOutcome,
}

/// A rule ready to run: its condition compiled and its steps built.
#[derive(Clone)]
pub struct ArmedRule {
    /// The rule.
    pub rule: Rule,
    /// Where it came from.
    pub source: RuleSource,
    /// Its condition.
    pub condition: Option<Condition>,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// One consistent set of rules.
#[derive(Clone, Default)]
pub struct Armed {
    set: RuleSet,
    rules: HashMap<String, ArmedRule>,
    operations: BTreeMap<String, OperationSpec>,
}

impl Armed {
    /// The rule for `event_type`.
    pub fn for_type(&self, event_type: &str) -> Option<&ArmedRule> {
        self.set.for_type(event_type).and_then(|rule| self.rules.get(&rule.name))
    }

    /// The rule named `name`.
    pub fn get(&self, name: &str) -> Option<&ArmedRule> {
        self.rules.get(name)
    }

    /// Every rule, by event type.
    pub fn iter(&self) -> impl Iterator<Item = &ArmedRule> {
        self.set.iter().filter_map(|rule| self.rules.get(&rule.name))
    }

    /// The configured operation named `name`.
    pub fn operation(&self, name: &str) -> Option<&OperationSpec> {
        self.operations.get(name)
    }

    /// Every configured operation.
    pub fn operations(&self) -> impl Iterator<Item = &OperationSpec> {
        self.operations.values()
    }
}

/// The rules file as last read.
#[derive(Default)]
struct FileState {
    modified: Option<SystemTime>,
    rules: Vec<Rule>,
    operations: Vec<OperationSpec>,
    error: Option<String>,
}

/// The rules in force and their sources.
pub struct RuleBook {
    armed: RwLock<Arc<Armed>>,
    defaults: Vec<Rule>,
    file: Option<PathBuf>,
    /// Serialises changes (file reloads, API edits) so none is lost between read and swap.
    sources: Mutex<Sources>,
    /// Held across a change's store write, so changes apply in order.
    edit: tokio::sync::Mutex<()>,
    limits: PolicyLimits,
    kinds: Arc<dyn ActionKinds>,
}

struct Sources {
    file: FileState,
    api: BTreeMap<String, Rule>,
    conditions: HashMap<String, Condition>,
}

impl RuleBook {
    /// The book of `defaults`, the rules file `file` (read now: a file that does not parse
    /// or conflicts is an error at start) and the rules stored through the API.
    pub fn open(
        defaults: Vec<Rule>,
        file: Option<PathBuf>,
        api: Vec<Rule>,
        limits: PolicyLimits,
        kinds: Arc<dyn ActionKinds>,
    ) -> Result<Self, RuleError> {
        let mut sources = Sources {
            file: FileState::default(),
            api: api.into_iter().map(|r| (r.name.clone(), r)).collect(),
            conditions: HashMap::new(),
        };
        if let Some(path) = &file {
            sources.file = read_file(path)?;
        }
        let book = RuleBook {
            armed: RwLock::new(Arc::new(Armed::default())),
            defaults,
            file,
            sources: Mutex::new(Sources {
                file: FileState::default(),
                api: BTreeMap::new(),
                conditions: HashMap::new(),
            }),
            edit: tokio::sync::Mutex::new(()),
            limits,
            kinds,
        };
        let armed = book.arm(&mut sources)?;
        *book.armed.write().expect("rules lock") = Arc::new(armed);
        *book.sources.lock().expect("rules lock") = sources;
        Ok(book)
    }

    /// The rules in force now.
    pub fn current(&self) -> Arc<Armed> {
        self.armed.read().expect("rules lock").clone()
    }

    /// The rules file, if one is configured.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Why the rules file's last change was refused, if it was (the previous rules stay).
    pub fn file_error(&self) -> Option<String> {
        self.sources.lock().expect("rules lock").file.error.clone()
    }

    /// Reads the rules file again if it changed; `Ok(true)` when the rules in force changed.
    /// A change that does not parse or conflicts is refused and remembered
    /// ([`RuleBook::file_error`]); the rules in force stay as they were.
    pub async fn reload_file(&self) -> Result<bool, RuleError> {
        let Some(path) = &self.file else { return Ok(false) };
        let _edit = self.edit.lock().await;
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let mut sources = self.sources.lock().expect("rules lock");
        if modified == sources.file.modified {
            return Ok(false);
        }
        let outcome = read_file(path).and_then(|file| {
            let previous = std::mem::replace(&mut sources.file, file);
            match self.arm(&mut sources) {
                Ok(armed) => Ok(armed),
                Err(error) => {
                    sources.file = previous;
                    Err(error)
                }
            }
        });
        match outcome {
            Ok(armed) => {
                *self.armed.write().expect("rules lock") = Arc::new(armed);
                Ok(true)
            }
            Err(error) => {
                sources.file.modified = modified;
                sources.file.error = Some(error.to_string());
                Err(error)
            }
        }
    }

    /// Adds a rule through the API: `store` persists it (called only when the rule fits
    /// beside the others), then the new set is put in force.
    pub async fn add<E, F>(&self, rule: Rule, store: impl FnOnce(Rule) -> F) -> Result<(), AddError<E>>
    where
        F: std::future::Future<Output = Result<(), E>>,
    {
        let _edit = self.edit.lock().await;
        let armed = {
            let mut sources = self.sources.lock().expect("rules lock");
            if sources.api.contains_key(&rule.name) {
                return Err(AddError::Rule(RuleError::DuplicateName(rule.name)));
            }
            sources.api.insert(rule.name.clone(), rule.clone());
            let armed = self.arm(&mut sources);
            sources.api.remove(&rule.name);
            armed.map_err(AddError::Rule)?
        };
        store(rule.clone()).await.map_err(AddError::Store)?;
        self.sources.lock().expect("rules lock").api.insert(rule.name.clone(), rule);
        *self.armed.write().expect("rules lock") = Arc::new(armed);
        Ok(())
    }

    /// Removes a rule added through the API: `store` deletes it, then the new set is put
    /// in force. Rules from the file or the defaults are removed where they are defined.
    pub async fn remove<E, F>(&self, name: &str, store: impl FnOnce(String) -> F) -> Result<(), AddError<E>>
    where
        F: std::future::Future<Output = Result<(), E>>,
    {
        let _edit = self.edit.lock().await;
        let armed = {
            let mut sources = self.sources.lock().expect("rules lock");
            let Some(rule) = sources.api.remove(name) else {
                let message = match self.current().get(name).map(|r| r.source) {
                    Some(RuleSource::File) => "comes from the rules file; remove it there".to_owned(),
                    Some(RuleSource::Default) => {
                        "is a default rule; set default_rules = false to turn the defaults off".to_owned()
                    }
                    _ => return Err(AddError::NoSuchRule(name.to_owned())),
                };
                return Err(AddError::NotRemovable { rule: name.to_owned(), message });
            };
            let armed = self.arm(&mut sources);
            sources.api.insert(name.to_owned(), rule);
            armed.map_err(AddError::Rule)?
        };
        store(name.to_owned()).await.map_err(AddError::Store)?;
        self.sources.lock().expect("rules lock").api.remove(name);
        *self.armed.write().expect("rules lock") = Arc::new(armed);
        Ok(())
    }

    /// Merges the sources into one armed set, or says which rule does not fit.
    fn arm(&self, sources: &mut Sources) -> Result<Armed, RuleError> {
        let mut armed = Armed::default();
        let all = self
            .defaults
            .iter()
            .map(|r| (r, RuleSource::Default))
            .chain(sources.file.rules.iter().map(|r| (r, RuleSource::File)))
            .chain(sources.api.values().map(|r| (r, RuleSource::Api)));
        let mut built = HashMap::new();
        for operation in &sources.file.operations {
            let action = self
                .kinds
                .build(&operation.action)
                .map_err(|message| RuleError::Invalid { rule: format!("operation {}", operation.name), message })?;
            built.insert(operation.name.clone(), action);
            armed.operations.insert(operation.name.clone(), operation.clone());
        }
        let operations = Arc::new(built);
        let mut conditions = HashMap::new();
        for (rule, source) in all {
            armed.set.insert(rule.clone()).map_err(|error| match error {
                RuleError::SecondRuleForType { rule, on, existing } => RuleError::SecondRuleForType {
                    rule,
                    on,
                    existing: format!("{existing} (from {})", source_of(&armed, &existing)),
                },
                other => other,
            })?;
            let condition = match &rule.when {
                Some(expression) => {
                    let compiled = match sources.conditions.get(expression) {
                        Some(compiled) => compiled.clone(),
                        None => Condition::compile(expression, &self.limits).map_err(|error| RuleError::Invalid {
                            rule: rule.name.clone(),
                            message: format!("condition: {error}"),
                        })?,
                    };
                    conditions.insert(expression.clone(), compiled.clone());
                    Some(compiled)
                }
                None => None,
            };
            let steps = match &rule.action {
                ActionSpec::Operation(_) => vec![Step::Operation(operations.clone()), Step::OperationOutcome],
                ActionSpec::Workflow(workflow) => {
                    workflow.steps.iter().map(|s| self.step(rule, s)).collect::<Result<_, _>>()?
                }
                single => vec![self.step(rule, single)?],
            };
            armed.rules.insert(rule.name.clone(), ArmedRule { rule: rule.clone(), source, condition, steps });
        }
        sources.conditions = conditions;
        Ok(armed)
    }

    fn step(&self, rule: &Rule, spec: &ActionSpec) -> Result<Step, RuleError> {
        match spec {
            ActionSpec::Command(command) => Ok(Step::Command(command.clone())),
            other => self
                .kinds
                .build(other)
                .map(Step::Action)
                .map_err(|message| RuleError::Invalid { rule: rule.name.clone(), message }),
        }
    }
}

fn source_of(armed: &Armed, name: &str) -> &'static str {
    match armed.rules.get(name).map(|r| r.source) {
        Some(RuleSource::Default) => "the default rules",
        Some(RuleSource::File) => "the rules file",
        Some(RuleSource::Api) => "the API",
        None => "another source",
    }
}

fn read_file(path: &Path) -> Result<FileState, RuleError> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        // A file that is not there (yet) holds no rules; it is read when it appears.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(RuleError::Parse(format!("{}: {error}", path.display()))),
    };
    let set = RuleSet::from_toml(&text).map_err(|error| match error {
        RuleError::Parse(message) => RuleError::Parse(format!("{}: {message}", path.display())),
        other => other,
    })?;
    Ok(FileState {
        modified,
        rules: set.iter().cloned().collect(),
        operations: set.operations().cloned().collect(),
        error: None,
    })
}

/// Why an API change of the rules did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AddError<E> {
    /// The rule does not fit.
    #[error(transparent)]
    Rule(RuleError),
    /// The rule is not one the API may remove.
    #[error("rule {rule} {message}")]
    NotRemovable {
        /// The rule.
        rule: String,
        /// Why.
        message: String,
    },
    /// There is no such rule.
    #[error("there is no rule {0}")]
    NoSuchRule(String),
    /// Storing the change failed.
    #[error("storing the rule failed")]
    Store(E),
}
