//! Topics: the coarse channels events are published on, and the filters subscriptions use.
//!
//! A topic follows from where an event is stored, never from its content, so that every
//! event has exactly one and a consumer can tell it without decoding the data.

use serde::{Deserialize, Serialize};

/// The stream category of events that outside providers sent (`external-<uuid>` streams).
pub const EXTERNAL_CATEGORY: &str = "external";

/// The topic of an event stored in stream `stream_id` with type `event_type` and CloudEvents
/// `source`: `hosts`, `clusters`, `sap_systems`, `databases`, `heartbeats`, `policies`,
/// `actions`, `analytics`, `external.<source>`, or `other` for a category no topic names.
pub fn topic_of(stream_id: &str, event_type: &str, source: &str) -> String {
    let category = stream_id.split_once('-').map_or(stream_id, |(category, _)| category);
    let topic = match category {
        "host" if matches!(event_type, "HeartbeatFailed" | "HeartbeatSucceeded") => "heartbeats",
        "host" => "hosts",
        "cluster" => "clusters",
        "database" => "databases",
        "sap_system" => "sap_systems",
        "policy" | "sla" => "policies",
        "operation" | "action" => "actions",
        "analytics" => "analytics",
        "checks" => "checks",
        EXTERNAL_CATEGORY => return format!("external.{source}"),
        _ => "other",
    };
    topic.to_owned()
}

/// A value to match: exactly, or by prefix when written with a trailing `*` (`external.*`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Pattern {
    /// Equal to this.
    Exact(String),
    /// Starts with this.
    Prefix(String),
}

impl Pattern {
    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(exact) => value == exact,
            Pattern::Prefix(prefix) => value.starts_with(prefix.as_str()),
        }
    }
}

impl From<String> for Pattern {
    fn from(text: String) -> Self {
        match text.strip_suffix('*') {
            Some(prefix) => Pattern::Prefix(prefix.to_owned()),
            None => Pattern::Exact(text),
        }
    }
}

impl From<Pattern> for String {
    fn from(pattern: Pattern) -> Self {
        match pattern {
            Pattern::Exact(exact) => exact,
            Pattern::Prefix(prefix) => format!("{prefix}*"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_have_a_topic_of_their_own_beside_the_other_host_events() {
        assert_eq!(topic_of("host-1", "HeartbeatFailed", "vigil"), "heartbeats");
        assert_eq!(topic_of("host-1", "HostHealthChanged", "vigil"), "hosts");
        assert_eq!(topic_of("sap_system-9", "SapSystemHealthChanged", "vigil"), "sap_systems");
        assert_eq!(topic_of("external-5", "build.failed", "ci.example.com"), "external.ci.example.com");
        assert_eq!(topic_of("nonsense", "X", "vigil"), "other");
        assert_eq!(
            topic_of("checks-0a055c90-4cb6-54ce-ac9c-ae3fedaf40d4", "ChecksExecutionCompleted", "/vigil/checks"),
            "checks"
        );
    }

    #[test]
    fn a_trailing_star_matches_by_prefix() {
        let prefix = Pattern::from("external.*".to_owned());
        assert!(prefix.matches("external.ci"));
        assert!(!prefix.matches("hosts"));
        let exact = Pattern::from("hosts".to_owned());
        assert!(exact.matches("hosts"));
        assert!(!exact.matches("hosts2"));
        assert_eq!(String::from(prefix), "external.*");
    }
}
