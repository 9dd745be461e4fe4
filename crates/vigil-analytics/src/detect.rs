//! The detectors: which events feed which tracker, and the anomalies they raise. Pure: a
//! function of the events (and action attempts) in order, their times included.
//!
//! | anomaly (`kind`) | key | fed by |
//! | --- | --- | --- |
//! | `heartbeat_flapping` | host id | `HeartbeatFailed`, `HeartbeatSucceeded` |
//! | `discovery_rate_spike` | agent id | every event of source `/vigil/agents/<id>` (what its discoveries changed) |
//! | `health_degradation_burst` (scope `cluster`) | cluster id | a cluster's `*HealthChanged` to `warning` or `critical` |
//! | `health_degradation_burst` (scope `landscape`) | `landscape` | `HostHealthChanged`, `ClusterHealthChanged`, `DatabaseHealthChanged`, `SapSystemHealthChanged` to `warning` or `critical` |
//! | `action_failure_rise` | rule name | each finished action attempt |

use std::collections::HashMap;

use serde::Serialize;
use vigil_kernel::envelope::RecordedEvent;

use crate::settings::{self, AnalyticsSettings, Resolved};
use crate::stats::{Evidence, RateWindow, RatioWindow};

/// The kinds of anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A host's heartbeat failing and recovering again and again.
    HeartbeatFlapping,
    /// An agent's discoveries changing far more than they usually do.
    DiscoveryRateSpike,
    /// Many health degradations at once, in a cluster or across the landscape.
    HealthDegradationBurst,
    /// A rule's actions failing far more often than usual.
    ActionFailureRise,
}

impl Kind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::HeartbeatFlapping => "heartbeat_flapping",
            Kind::DiscoveryRateSpike => "discovery_rate_spike",
            Kind::HealthDegradationBurst => "health_degradation_burst",
            Kind::ActionFailureRise => "action_failure_rise",
        }
    }
}

/// One anomaly: what, about what, and the evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Anomaly {
    /// What was detected.
    pub kind: Kind,
    /// What the key is: `host`, `agent`, `cluster`, `landscape` or `rule`.
    pub scope: &'static str,
    /// The host, agent, cluster id, `landscape`, or the rule's name.
    pub key: String,
    /// What the tracker saw.
    pub evidence: Evidence,
    /// What raised it: `position:<n>` of the event, or `attempt:<n>` of the attempt row.
    pub trigger: String,
}

/// Every detector's trackers.
pub struct Detectors {
    flapping: (Resolved, HashMap<String, RateWindow>),
    discovery: (Resolved, HashMap<String, RateWindow>),
    cluster: (Resolved, HashMap<String, RateWindow>),
    landscape: (Resolved, RateWindow),
    failures: (Resolved, HashMap<String, RatioWindow>),
}

/// The health of a `*HealthChanged` event's data, when it is a degradation.
fn degraded(recorded: &RecordedEvent) -> bool {
    if !recorded.event.event_type.ends_with("HealthChanged") {
        return false;
    }
    // Only the `health` field is read: cheaper than decoding the domain event.
    #[derive(serde::Deserialize)]
    struct Health<'a> {
        #[serde(borrow)]
        health: Option<&'a str>,
    }
    serde_json::from_str::<Health>(&recorded.event.data).is_ok_and(|h| matches!(h.health, Some("warning" | "critical")))
}

const AGGREGATE_HEALTH: [&str; 4] =
    ["HostHealthChanged", "ClusterHealthChanged", "DatabaseHealthChanged", "SapSystemHealthChanged"];

impl Detectors {
    /// Detectors judging by `settings`; refuses thresholds that cannot judge.
    pub fn new(settings: &AnalyticsSettings) -> Result<Detectors, String> {
        Ok(Detectors {
            flapping: (
                settings.heartbeat_flapping.resolve("heartbeat_flapping", &settings::HEARTBEAT_FLAPPING)?,
                HashMap::new(),
            ),
            discovery: (settings.discovery_rate.resolve("discovery_rate", &settings::DISCOVERY_RATE)?, HashMap::new()),
            cluster: (
                settings.cluster_degradation.resolve("cluster_degradation", &settings::CLUSTER_DEGRADATION)?,
                HashMap::new(),
            ),
            landscape: (
                settings.landscape_degradation.resolve("landscape_degradation", &settings::LANDSCAPE_DEGRADATION)?,
                RateWindow::default(),
            ),
            failures: (
                settings.action_failures.resolve("action_failures", &settings::ACTION_FAILURES)?,
                HashMap::new(),
            ),
        })
    }

    /// Feeds one stored event; the anomalies it raises.
    pub fn observe_event(&mut self, recorded: &RecordedEvent) -> Vec<Anomaly> {
        let e = &recorded.event;
        let t = e.time.timestamp_micros();
        let trigger = || format!("position:{}", recorded.position);
        let category = recorded.stream_id.split_once('-').map_or("", |(c, _)| c);
        let mut found = Vec::new();
        let mut rate = |kind, scope, key: &str, (resolved, trackers): &mut (Resolved, HashMap<String, RateWindow>)| {
            let tracker = match trackers.get_mut(key) {
                Some(tracker) => tracker,
                None => trackers.entry(key.to_owned()).or_default(),
            };
            if let Some(evidence) = tracker.observe(t, &resolved.judgement) {
                found.push(Anomaly { kind, scope, key: key.to_owned(), evidence, trigger: trigger() });
            }
        };
        if category == "host" && matches!(e.event_type.as_str(), "HeartbeatFailed" | "HeartbeatSucceeded") {
            rate(Kind::HeartbeatFlapping, "host", &e.subject, &mut self.flapping);
        }
        if let Some(agent) = e.source.strip_prefix("/vigil/agents/") {
            rate(Kind::DiscoveryRateSpike, "agent", agent, &mut self.discovery);
        }
        if degraded(recorded) {
            if category == "cluster" {
                rate(Kind::HealthDegradationBurst, "cluster", &e.subject, &mut self.cluster);
            }
            if AGGREGATE_HEALTH.contains(&e.event_type.as_str()) {
                let (resolved, tracker) = &mut self.landscape;
                if let Some(evidence) = tracker.observe(t, &resolved.judgement) {
                    found.push(Anomaly {
                        kind: Kind::HealthDegradationBurst,
                        scope: "landscape",
                        key: "landscape".to_owned(),
                        evidence,
                        trigger: trigger(),
                    });
                }
            }
        }
        found
    }

    /// Feeds one finished action attempt (`id`: its row, for the trigger); the anomaly it
    /// raises, if any.
    pub fn observe_attempt(&mut self, id: i64, rule: &str, finished_us: i64, failed: bool) -> Option<Anomaly> {
        let (resolved, trackers) = &mut self.failures;
        let tracker = trackers.entry(rule.to_owned()).or_default();
        let evidence = tracker.observe(finished_us, failed, resolved.min_attempts, &resolved.judgement)?;
        Some(Anomaly {
            kind: Kind::ActionFailureRise,
            scope: "rule",
            key: rule.to_owned(),
            evidence,
            trigger: format!("attempt:{id}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use uuid::Uuid;
    use vigil_kernel::envelope::NewEvent;

    use super::*;

    fn event(
        position: u64,
        stream: &str,
        event_type: &str,
        source: &str,
        time: DateTime<Utc>,
        data: &str,
    ) -> RecordedEvent {
        RecordedEvent {
            position,
            stream_id: stream.to_owned(),
            stream_version: position,
            event: NewEvent {
                id: Uuid::from_u128(position as u128),
                event_type: event_type.to_owned(),
                schema_version: 1,
                source: source.to_owned(),
                subject: stream.split_once('-').unwrap().1.to_owned(),
                time,
                data: data.to_owned(),
                correlation_id: None,
                causation_id: None,
            },
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
    }

    fn detectors() -> Detectors {
        Detectors::new(&AnalyticsSettings::default()).unwrap()
    }

    #[test]
    fn a_flapping_host_is_found_and_a_host_failing_once_a_day_is_not() {
        let mut d = detectors();
        let mut position = 0;
        let mut next = |stream: &str, kind: &str, t: i64| {
            position += 1;
            event(position, stream, kind, "/vigil/heartbeats", at(t), "{}")
        };
        // Quiet: host a fails and recovers once a day for a week.
        for day in 0..7 {
            for (offset, kind) in [(0, "HeartbeatFailed"), (120, "HeartbeatSucceeded")] {
                assert!(d.observe_event(&next("host-a", kind, day * 86_400 + offset)).is_empty());
            }
        }
        // Flapping: host b fails and recovers every 40 s.
        let mut found = Vec::new();
        for i in 0..12 {
            let kind = if i % 2 == 0 { "HeartbeatFailed" } else { "HeartbeatSucceeded" };
            found.extend(d.observe_event(&next("host-b", kind, 8 * 86_400 + i * 40)));
        }
        assert_eq!(found.len(), 1, "one anomaly, then the cooldown: {found:?}");
        let anomaly = &found[0];
        assert_eq!((anomaly.kind, anomaly.scope, anomaly.key.as_str()), (Kind::HeartbeatFlapping, "host", "b"));
        assert_eq!(anomaly.evidence.observed, 6.0);
        assert_eq!(anomaly.evidence.threshold, 6.0);
        assert_eq!(anomaly.evidence.window_seconds, 600.0);
        assert_eq!(anomaly.trigger, "position:20");
    }

    #[test]
    fn a_discovery_spike_is_measured_against_the_agents_own_rate() {
        let mut d = detectors();
        let mut position = 0;
        let mut found = Vec::new();
        // Two agents with their own steady rates for an hour: 20 and 2 events per 5 minutes.
        for second in (0..3600).step_by(15) {
            for agent in ["busy", "calm"] {
                if agent == "calm" && second % 150 != 0 {
                    continue;
                }
                position += 1;
                let e = event(
                    position,
                    "host-x",
                    "HostDetailsUpdated",
                    &format!("/vigil/agents/{agent}"),
                    at(second),
                    "{}",
                );
                found.extend(d.observe_event(&e));
            }
        }
        assert!(found.is_empty(), "steady rates are quiet: {found:?}");
        // The calm agent sends 60 changes in a minute.
        for i in 0..60 {
            position += 1;
            let e = event(position, "host-y", "HostDetailsUpdated", "/vigil/agents/calm", at(3600 + i), "{}");
            found.extend(d.observe_event(&e));
        }
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind, found[0].key.as_str()), (Kind::DiscoveryRateSpike, "calm"));
        assert!(found[0].evidence.baseline.mean < 3.0, "{:?}", found[0].evidence);
    }

    #[test]
    fn a_burst_of_degradations_is_found_per_cluster_and_across_the_landscape_and_recoveries_are_not() {
        let mut d = detectors();
        let mut found = Vec::new();
        let mut position = 0;
        let mut feed = |d: &mut Detectors, stream: &str, kind: &str, health: &str, t: i64| {
            position += 1;
            let data = format!(r#"{{"health":"{health}"}}"#);
            d.observe_event(&event(position, stream, kind, "/vigil/process-manager", at(t), &data))
        };
        // Quiet: degradations and recoveries far apart.
        for i in 0..20 {
            found.extend(feed(&mut d, "cluster-c1", "ClusterHealthChanged", "critical", i * 3600));
            found.extend(feed(&mut d, "cluster-c1", "ClusterHealthChanged", "passing", i * 3600 + 60));
        }
        assert!(found.is_empty(), "{found:?}");
        // Recoveries alone never count.
        for i in 0..30 {
            found.extend(feed(&mut d, "host-h", "HostHealthChanged", "passing", 100_000 + i));
        }
        assert!(found.is_empty(), "{found:?}");
        // Burst: cluster c2 degrades three times, and twelve hosts go critical, in 2 minutes.
        for (i, health) in ["warning", "critical", "critical"].iter().enumerate() {
            found.extend(feed(&mut d, "cluster-c2", "ClusterDiscoveredHealthChanged", health, 200_000 + i as i64));
        }
        for i in 0..12 {
            found.extend(feed(&mut d, &format!("host-{i}"), "HostHealthChanged", "critical", 200_010 + i));
        }
        let scopes: Vec<_> = found.iter().map(|a| (a.scope, a.key.as_str())).collect();
        assert_eq!(scopes, [("cluster", "c2"), ("landscape", "landscape")], "{found:?}");
    }

    #[test]
    fn a_rules_failure_share_rising_is_found_and_a_steady_one_is_not() {
        let mut d = detectors();
        for i in 0..300 {
            assert!(d.observe_attempt(i, "page", i * 10_000_000, i % 5 == 0).is_none(), "steady 20 % at {i}");
            assert!(d.observe_attempt(10_000 + i, "mail", i * 10_000_000, false).is_none());
        }
        let found: Vec<_> = (0..120)
            .filter_map(|i| d.observe_attempt(20_000 + i, "mail", 3_000_000_000 + i * 1_000_000, true))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind, found[0].key.as_str()), (Kind::ActionFailureRise, "mail"));
        assert!(found[0].evidence.observed >= 0.5);
    }
}
