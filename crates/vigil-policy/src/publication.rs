//! The history of a policy module as events: every publication and retirement is recorded
//! in the event store with the SHA-256 of its source and its author, so "which policy was
//! in force when" is answered from the store.
//!
//! One aggregate per module path (`authz.rego`), as a pure decider. Whether a source
//! compiles is checked by the caller against the whole set before publishing: the decider
//! only keeps the history straight.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_kernel::decider::{Decider, DomainEvent};

/// Commands on a policy module.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyCommand {
    /// Make `source` the module's current version.
    PublishPolicy {
        /// Module path, e.g. `authz.rego`.
        path: String,
        /// Rego source.
        source: String,
        /// Who publishes (token id, `directory:<dir>`, `default bundle`).
        author: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Take the module out of force.
    RetirePolicy {
        /// Module path.
        path: String,
        /// Who retires it.
        author: String,
        /// When.
        at: DateTime<Utc>,
    },
}

impl PolicyCommand {
    /// The command's type name, as the authz policy sees it.
    pub fn name(&self) -> &'static str {
        match self {
            PolicyCommand::PublishPolicy { .. } => "PublishPolicy",
            PolicyCommand::RetirePolicy { .. } => "RetirePolicy",
        }
    }

    /// The module path.
    pub fn path(&self) -> &str {
        match self {
            PolicyCommand::PublishPolicy { path, .. } | PolicyCommand::RetirePolicy { path, .. } => path,
        }
    }
}

/// What happened to a policy module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PolicyEvent {
    /// A new version is in force.
    PolicyPublished(PolicyPublished),
    /// The module is no longer in force.
    PolicyRetired(PolicyRetired),
}

/// See [`PolicyEvent::PolicyPublished`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyPublished {
    /// Module path.
    pub path: String,
    /// 1 for the first publication.
    pub version: u64,
    /// SHA-256 of `source`, hex.
    pub sha256: String,
    /// The Rego source.
    pub source: String,
    /// Who published it.
    pub author: String,
    /// When.
    pub published_at: DateTime<Utc>,
}

/// See [`PolicyEvent::PolicyRetired`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyRetired {
    /// Module path.
    pub path: String,
    /// The version that was in force.
    pub version: u64,
    /// Who retired it.
    pub author: String,
    /// When.
    pub retired_at: DateTime<Utc>,
}

impl DomainEvent for PolicyEvent {
    fn event_type(&self) -> &'static str {
        match self {
            PolicyEvent::PolicyPublished(_) => "PolicyPublished",
            PolicyEvent::PolicyRetired(_) => "PolicyRetired",
        }
    }

    fn schema_version_of(event_type: &str) -> Option<u32> {
        matches!(event_type, "PolicyPublished" | "PolicyRetired").then_some(1)
    }
}

/// What a module's history amounts to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyState {
    /// The last version number used.
    pub version: u64,
    /// The source in force, if any.
    pub current: Option<(String, String)>,
}

/// Why a policy command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRejection {
    /// Retiring a module that is not in force.
    #[error("policy {0} is not in force")]
    NotInForce(String),
    /// An empty or misnamed module.
    #[error("{0}")]
    Invalid(String),
}

/// The policy-module decider.
pub struct PolicyModule;

impl Decider for PolicyModule {
    type State = PolicyState;
    type Command = PolicyCommand;
    type Event = PolicyEvent;
    type Rejection = PolicyRejection;
    const CATEGORY: &'static str = "policy";

    fn decide(state: &PolicyState, command: PolicyCommand) -> Result<Vec<PolicyEvent>, PolicyRejection> {
        match command {
            PolicyCommand::PublishPolicy { path, source, author, at } => {
                if let Err(invalid) = crate::validate_policy_path(&path) {
                    return Err(PolicyRejection::Invalid(invalid.to_string()));
                }
                if source.trim().is_empty() {
                    return Err(PolicyRejection::Invalid(format!("policy {path} has an empty source")));
                }
                let sha256 = hex::encode(Sha256::digest(source.as_bytes()));
                if state.current.as_ref().is_some_and(|(hash, _)| *hash == sha256) {
                    return Ok(vec![]);
                }
                Ok(vec![PolicyEvent::PolicyPublished(PolicyPublished {
                    path,
                    version: state.version + 1,
                    sha256,
                    source,
                    author,
                    published_at: at,
                })])
            }
            PolicyCommand::RetirePolicy { path, author, at } => {
                if state.current.is_none() {
                    return Err(PolicyRejection::NotInForce(path));
                }
                Ok(vec![PolicyEvent::PolicyRetired(PolicyRetired {
                    path,
                    version: state.version,
                    author,
                    retired_at: at,
                })])
            }
        }
    }

    fn evolve(mut state: PolicyState, event: &PolicyEvent) -> PolicyState {
        match event {
            PolicyEvent::PolicyPublished(e) => {
                state.version = e.version;
                state.current = Some((e.sha256.clone(), e.source.clone()));
            }
            PolicyEvent::PolicyRetired(_) => state.current = None,
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use vigil_kernel::decider::given_when;

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    fn publish(source: &str) -> PolicyCommand {
        PolicyCommand::PublishPolicy {
            path: "authz.rego".into(),
            source: source.into(),
            author: "ada".into(),
            at: at(),
        }
    }

    #[test]
    fn publishing_records_the_hash_and_numbers_versions() {
        let first = given_when::<PolicyModule>(&[], publish("package a")).unwrap();
        let PolicyEvent::PolicyPublished(p) = &first[0] else { panic!("{first:?}") };
        assert_eq!(p.version, 1);
        assert_eq!(p.sha256, hex::encode(Sha256::digest(b"package a")));
        assert_eq!(p.author, "ada");
        let second = given_when::<PolicyModule>(&first, publish("package b")).unwrap();
        let PolicyEvent::PolicyPublished(p) = &second[0] else { panic!("{second:?}") };
        assert_eq!(p.version, 2);
    }

    #[test]
    fn republishing_the_same_source_records_nothing() {
        let first = given_when::<PolicyModule>(&[], publish("package a")).unwrap();
        assert_eq!(given_when::<PolicyModule>(&first, publish("package a")).unwrap(), vec![]);
    }

    #[test]
    fn only_a_module_in_force_can_be_retired() {
        let retire = || PolicyCommand::RetirePolicy { path: "authz.rego".into(), author: "ada".into(), at: at() };
        assert_eq!(
            given_when::<PolicyModule>(&[], retire()).unwrap_err(),
            PolicyRejection::NotInForce("authz.rego".into())
        );
        let published = given_when::<PolicyModule>(&[], publish("package a")).unwrap();
        let retired = given_when::<PolicyModule>(&published, retire()).unwrap();
        assert!(matches!(&retired[0], PolicyEvent::PolicyRetired(r) if r.version == 1));
        let history = [published, retired].concat();
        assert!(given_when::<PolicyModule>(&history, retire()).is_err());
        let again = given_when::<PolicyModule>(&history, publish("package a")).unwrap();
        assert!(matches!(&again[0], PolicyEvent::PolicyPublished(p) if p.version == 2));
    }

    #[test]
    fn bad_paths_and_empty_sources_are_refused() {
        let bad = PolicyCommand::PublishPolicy {
            path: "../x".into(),
            source: "package a".into(),
            author: "a".into(),
            at: at(),
        };
        assert!(matches!(given_when::<PolicyModule>(&[], bad), Err(PolicyRejection::Invalid(_))));
        assert!(matches!(given_when::<PolicyModule>(&[], publish("  ")), Err(PolicyRejection::Invalid(_))));
    }
}
