//! The rules Vigil ships: Trento's alerts. Trento mails when a host, cluster, database or
//! SAP system turns critical and when a host's heartbeat fails; so does Vigil, once SMTP is
//! configured. They are ordinary rules (listed by the API with source `default`); an
//! operator who wants other actions for these types turns them off with
//! `default_rules = false` and writes their own.

use crate::rule::{Rule, RuleSet};

const DEFAULTS: &str = r#"
[[rule]]
name = "trento-host-critical"
on = "HostHealthChanged"
topic = "hosts"
when = 'input.event.data.health == "critical"'
[rule.action]
kind = "email"
subject = "Vigil: host {{ event.subject }} is critical"
body = """
The health of host {{ event.subject }} turned critical at {{ event.time }}.

Event {{ event.id }} ({{ event.type }}), position {{ event.position }}.
"""

[[rule]]
name = "trento-cluster-critical"
on = "ClusterHealthChanged"
topic = "clusters"
when = 'input.event.data.health == "critical"'
[rule.action]
kind = "email"
subject = "Vigil: cluster {{ event.subject }} is critical"
body = """
The health of cluster {{ event.subject }} turned critical at {{ event.time }}.

Event {{ event.id }} ({{ event.type }}), position {{ event.position }}.
"""

[[rule]]
name = "trento-database-critical"
on = "DatabaseHealthChanged"
topic = "databases"
when = 'input.event.data.health == "critical"'
[rule.action]
kind = "email"
subject = "Vigil: database {{ event.subject }} is critical"
body = """
The health of database {{ event.subject }} turned critical at {{ event.time }}.

Event {{ event.id }} ({{ event.type }}), position {{ event.position }}.
"""

[[rule]]
name = "trento-sap-system-critical"
on = "SapSystemHealthChanged"
topic = "sap_systems"
when = 'input.event.data.health == "critical"'
[rule.action]
kind = "email"
subject = "Vigil: SAP system {{ event.subject }} is critical"
body = """
The health of SAP system {{ event.subject }} turned critical at {{ event.time }}.

Event {{ event.id }} ({{ event.type }}), position {{ event.position }}.
"""

[[rule]]
name = "trento-heartbeat-failed"
on = "HeartbeatFailed"
topic = "heartbeats"
enrich = [{ from = "read_model", name = "host", model = "host" }]
[rule.action]
kind = "email"
subject = "Vigil: host {% if enrichment.host %}{{ enrichment.host.hostname }} ({{ event.subject }}){% else %}{{ event.subject }}{% endif %} stopped sending heartbeats"
body = """
The heartbeat of host {% if enrichment.host %}{{ enrichment.host.hostname }} ({{ event.subject }}){% else %}{{ event.subject }}{% endif %} failed at {{ event.time }}: its agent has not been heard from within the heartbeat interval.

Event {{ event.id }} ({{ event.type }}), position {{ event.position }}.
"""
"#;

/// The default rules.
pub fn default_rules() -> Vec<Rule> {
    RuleSet::from_toml(DEFAULTS).expect("the default rules parse").iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_cover_trentos_alerts() {
        let rules = default_rules();
        let types: Vec<_> = rules.iter().map(|r| r.on.as_str()).collect();
        for expected in [
            "HostHealthChanged",
            "ClusterHealthChanged",
            "DatabaseHealthChanged",
            "SapSystemHealthChanged",
            "HeartbeatFailed",
        ] {
            assert!(types.contains(&expected), "{expected} has no default rule");
        }
        assert!(rules.iter().all(|r| r.action.kind() == "email"));
    }
}
