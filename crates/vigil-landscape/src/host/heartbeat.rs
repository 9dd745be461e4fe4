use std::time::Duration;

use chrono::{DateTime, Utc};

/// When a host counts as gone: Trento's rule, `interval × (allowed_missed + 1) + tolerance`
/// after its last heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeartbeatPolicy {
    /// How often agents send heartbeats.
    pub interval: Duration,
    /// How many heartbeats may be missed before the host fails.
    pub allowed_missed: u32,
    /// Slack for network and scheduling delays.
    pub tolerance: Duration,
}

impl Default for HeartbeatPolicy {
    fn default() -> Self {
        HeartbeatPolicy { interval: Duration::from_secs(5), allowed_missed: 1, tolerance: Duration::from_secs(1) }
    }
}

impl HeartbeatPolicy {
    /// How long after the last heartbeat a host is declared failed.
    pub fn timeout(&self) -> Duration {
        self.interval * (self.allowed_missed + 1) + self.tolerance
    }

    /// Whether a host whose last heartbeat was at `last` has failed by `now`.
    pub fn is_overdue(&self, last: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let timeout = chrono::Duration::from_std(self.timeout()).unwrap_or(chrono::Duration::MAX);
        now.signed_duration_since(last) > timeout
    }
}
