//! `[server.analytics]`: whether the analytics run, and each detector's thresholds.
//!
//! Each detector's table may set any of its keys; the others keep that detector's defaults
//! (listed in the README), so `[server.analytics.heartbeat_flapping] min_count = 4` changes
//! that one number.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::stats::Judgement;

/// The analytics' settings.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyticsSettings {
    /// Whether `vigil serve` runs the analytics.
    pub enabled: bool,
    /// Heartbeat flapping per host: HeartbeatFailed and HeartbeatSucceeded in a window.
    pub heartbeat_flapping: Thresholds,
    /// Discovery-rate spikes per agent: events its discoveries caused in a window.
    pub discovery_rate: Thresholds,
    /// Health degradations of one cluster in a window.
    pub cluster_degradation: Thresholds,
    /// Health degradations across the landscape (hosts, clusters, databases, SAP systems).
    pub landscape_degradation: Thresholds,
    /// The share of failed attempts of one rule's actions in a window.
    pub action_failures: Thresholds,
}

/// A detector's thresholds; each key left out keeps the detector's default.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// The sliding window the value is measured over.
    #[serde(with = "humantime_serde")]
    pub window: Option<Duration>,
    /// The smallest count (rate detectors) that is anomalous whatever the baseline.
    pub min_count: Option<u64>,
    /// The smallest share of failures (action failures) that is anomalous.
    pub min_share: Option<f64>,
    /// Attempts in the window below which the share is not judged (action failures).
    pub min_attempts: Option<u64>,
    /// How many deviations above the baseline's mean are anomalous.
    pub deviations: Option<f64>,
    /// The deviation assumed when the measured one is smaller.
    pub min_deviation: Option<f64>,
    /// The EWMA's weight of the newest window (0 < alpha ≤ 1).
    pub alpha: Option<f64>,
    /// Windows of history before the detector may fire.
    pub warmup_windows: Option<u64>,
    /// Silence after an anomaly, per key; default: the window.
    #[serde(with = "humantime_serde")]
    pub cooldown: Option<Duration>,
}

/// A detector's thresholds with every key set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolved {
    /// How the tracker judges.
    pub judgement: Judgement,
    /// Attempts below which a share is not judged.
    pub min_attempts: u64,
}

/// The defaults of one detector.
pub struct Defaults {
    window: Duration,
    floor: f64,
    deviations: f64,
    min_deviation: f64,
    warmup_windows: u64,
}

/// 6 transitions (3 failures and recoveries) in 10 minutes.
pub const HEARTBEAT_FLAPPING: Defaults =
    Defaults { window: Duration::from_secs(600), floor: 6.0, deviations: 3.0, min_deviation: 1.0, warmup_windows: 0 };
/// 4 deviations above an agent's usual events in 5 minutes, and at least 30, after 3 windows.
pub const DISCOVERY_RATE: Defaults =
    Defaults { window: Duration::from_secs(300), floor: 30.0, deviations: 4.0, min_deviation: 2.0, warmup_windows: 3 };
/// 3 degradations of one cluster in 10 minutes.
pub const CLUSTER_DEGRADATION: Defaults =
    Defaults { window: Duration::from_secs(600), floor: 3.0, deviations: 3.0, min_deviation: 1.0, warmup_windows: 0 };
/// 10 degradations in the landscape in 10 minutes, and 3 deviations above its usual.
pub const LANDSCAPE_DEGRADATION: Defaults =
    Defaults { window: Duration::from_secs(600), floor: 10.0, deviations: 3.0, min_deviation: 2.0, warmup_windows: 0 };
/// Half of a rule's attempts (of at least 5) failing in 10 minutes, and 3 deviations above
/// its usual share.
pub const ACTION_FAILURES: Defaults =
    Defaults { window: Duration::from_secs(600), floor: 0.5, deviations: 3.0, min_deviation: 0.05, warmup_windows: 0 };

impl Thresholds {
    /// These thresholds over `defaults`; refuses values that cannot judge.
    pub fn resolve(&self, name: &str, defaults: &Defaults) -> Result<Resolved, String> {
        let window = self.window.unwrap_or(defaults.window);
        let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let floor = match (self.min_count, self.min_share) {
            (Some(count), _) => count as f64,
            (None, Some(share)) => share,
            (None, None) => defaults.floor,
        };
        let alpha = self.alpha.unwrap_or(0.1);
        if window.is_zero() {
            return Err(format!("analytics.{name}.window must be longer than zero"));
        }
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(format!("analytics.{name}.alpha must be in (0, 1], not {alpha}"));
        }
        let deviations = self.deviations.unwrap_or(defaults.deviations);
        let min_deviation = self.min_deviation.unwrap_or(defaults.min_deviation);
        if !deviations.is_finite() || deviations < 0.0 || !min_deviation.is_finite() || min_deviation < 0.0 {
            return Err(format!("analytics.{name}: deviations and min_deviation must be 0 or more"));
        }
        if !floor.is_finite() || floor <= 0.0 {
            return Err(format!("analytics.{name}: min_count / min_share must be more than zero"));
        }
        Ok(Resolved {
            judgement: Judgement {
                window_us: micros(window),
                floor,
                k: deviations,
                min_deviation,
                alpha,
                warmup_windows: self.warmup_windows.unwrap_or(defaults.warmup_windows),
                cooldown_us: micros(self.cooldown.unwrap_or(window)),
            },
            min_attempts: self.min_attempts.unwrap_or(5),
        })
    }
}
