//! Where an event is published and what travels beside it as headers.

/// JetStream's deduplication header: the event's id.
pub const MSG_ID: &str = "Nats-Msg-Id";
/// The event's global position in the store: where a relay resumes.
pub const POSITION: &str = "Vigil-Position";
/// The body's format: structured-mode CloudEvents (the NATS protocol binding).
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// The longest topic or type kept in a subject; the CloudEvent in the body has it whole.
const MAX_PART: usize = 256;

/// The subject of an event of `topic` and `event_type`: `<prefix>.<topic>.<type>`.
///
/// A subject's tokens are separated by `.`; `*` and `>` are wildcards and whitespace ends the
/// subject, so anything outside `A-Z a-z 0-9 - _` in a topic or type (an outside event's
/// source or type may hold any of it) becomes `_`, an empty token becomes `_`, and each part
/// is cut to 256 characters. The dots of a topic (`external.<source>`) and of a type
/// (`com.example.build.failed`) stay separators: subscribe to `vigil.external.>` and read
/// the body for the exact values.
pub fn subject_of(prefix: &str, topic: &str, event_type: &str) -> String {
    let mut subject = String::with_capacity(prefix.len() + topic.len() + event_type.len() + 2);
    subject.push_str(prefix);
    for part in [topic, event_type] {
        subject.push('.');
        push_tokens(&mut subject, part);
    }
    subject
}

fn push_tokens(subject: &mut String, part: &str) {
    let mut token_empty = true;
    for c in part.chars().take(MAX_PART) {
        match c {
            '.' => {
                if token_empty {
                    subject.push('_');
                }
                subject.push('.');
                token_empty = true;
            }
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => {
                subject.push(c);
                token_empty = false;
            }
            _ => {
                subject.push('_');
                token_empty = false;
            }
        }
    }
    if token_empty {
        subject.push('_');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vigil_events_keep_their_topic_and_type() {
        assert_eq!(subject_of("vigil", "hosts", "HostRegistered"), "vigil.hosts.HostRegistered");
        assert_eq!(
            subject_of("vigil", "sap_systems", "SapSystemHealthChanged"),
            "vigil.sap_systems.SapSystemHealthChanged"
        );
    }

    #[test]
    fn outside_sources_and_types_become_valid_tokens() {
        assert_eq!(
            subject_of("vigil", "external.https://ci.example.com/a b", "build.failed"),
            "vigil.external.https___ci.example.com_a_b.build.failed"
        );
        assert_eq!(subject_of("vigil", "external.*", "x>y"), "vigil.external._.x_y");
        assert_eq!(subject_of("vigil", "external..", ".a."), "vigil.external._._._.a._");
        assert_eq!(subject_of("vigil", "", ""), "vigil._._");
    }

    #[test]
    fn every_subject_is_a_literal_nats_subject() {
        let nasty = ["", ".", "..", "*", ">", "a b", "\t", "é", "a.>", "x".repeat(1000).as_str(), "a/b:c?d#e"]
            .map(str::to_owned);
        for topic in &nasty {
            for event_type in &nasty {
                let subject = subject_of("vigil", topic, event_type);
                assert!(subject.len() <= 5 + 1 + MAX_PART * 2 + 1 + MAX_PART * 2, "{subject}");
                for token in subject.split('.') {
                    assert!(!token.is_empty(), "{subject:?}");
                    assert!(token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{subject:?}");
                }
            }
        }
    }
}
