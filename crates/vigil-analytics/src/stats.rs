//! Streaming statistics, pure: every time is an argument (microseconds since the epoch,
//! taken from the events), nothing reads a clock.
//!
//! - [`Baseline`]: an exponentially weighted moving average (EWMA) of a per-window value,
//!   with an EWMA of the absolute deviations from it. The deviation is a streaming stand-in
//!   for the median absolute deviation (MAD): it grows by |x − mean| rather than its square,
//!   so one outlier moves it far less than it would move a standard deviation.
//! - [`RateWindow`]: how many events of one key fell in the last `window` (a sliding count),
//!   with a [`Baseline`] fed one value per aligned window that ended (empty windows count as
//!   0), judged against `max(min_count, mean + k · max(deviation, min_deviation))`.
//! - [`RatioWindow`]: the share of failures among the attempts of the last `window`, with a
//!   [`Baseline`] of the share per aligned window that had attempts.
//!
//! A tracker fires at most once per `cooldown`, and not before its baseline has seen
//! `warmup_windows` windows.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// EWMA of a value with an EWMA of its absolute deviations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The weighted mean.
    pub mean: f64,
    /// The weighted mean absolute deviation from the mean.
    pub deviation: f64,
    /// Values seen.
    pub windows: u64,
}

/// Empty windows applied one by one at most; past that the baseline is as good as empty.
const MAX_EMPTY_WINDOWS: u64 = 256;

impl Baseline {
    /// Adds a value, weighted `alpha` (0 < alpha ≤ 1) against the past. The first value is
    /// the mean.
    pub fn update(&mut self, value: f64, alpha: f64) {
        if self.windows == 0 {
            self.mean = value;
            self.deviation = 0.0;
        } else {
            let gap = (value - self.mean).abs();
            self.mean += alpha * (value - self.mean);
            self.deviation += alpha * (gap - self.deviation);
        }
        self.windows += 1;
    }

    /// Adds `n` values of 0 (windows in which nothing happened).
    pub fn update_empty(&mut self, n: u64, alpha: f64) {
        for _ in 0..n.min(MAX_EMPTY_WINDOWS) {
            self.update(0.0, alpha);
        }
        self.windows += n.saturating_sub(MAX_EMPTY_WINDOWS);
    }

    /// `mean + k · max(deviation, min_deviation)`.
    pub fn upper(&self, k: f64, min_deviation: f64) -> f64 {
        self.mean + k * self.deviation.max(min_deviation)
    }
}

/// How a tracker judges.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    /// The sliding window, in microseconds.
    pub window_us: i64,
    /// The smallest value that can be anomalous at all (a count, or a share of failures).
    pub floor: f64,
    /// Deviations above the mean that are anomalous.
    pub k: f64,
    /// The deviation used when the measured one is smaller (a quiet key has none).
    pub min_deviation: f64,
    /// The EWMA's weight of the newest window.
    pub alpha: f64,
    /// Windows the baseline must have seen before the tracker may fire.
    pub warmup_windows: u64,
    /// After firing, the tracker stays silent this long (microseconds).
    pub cooldown_us: i64,
}

/// What a tracker saw when it fired: the anomaly's evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The window, in seconds.
    pub window_seconds: f64,
    /// The value observed over the last window (a count, or a share of failures).
    pub observed: f64,
    /// The baseline before this window.
    pub baseline: Baseline,
    /// The value it had to reach: `max(floor, mean + k · max(deviation, min_deviation))`.
    pub threshold: f64,
    /// Attempts in the window (ratio trackers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u64>,
    /// Start and end of the window (microseconds since the epoch).
    pub from_us: i64,
    /// See `from_us`.
    pub to_us: i64,
}

/// Aligned windows and the firing rule both trackers share.
#[derive(Clone, Debug, Default)]
struct Windows {
    /// Index of the aligned window being filled (`time / window`).
    current: Option<i64>,
    baseline: Baseline,
    last_fired: Option<i64>,
}

impl Windows {
    /// Moves to the aligned window of `time_us`, closing the current one with `value` (if
    /// any) and counting the empty ones between as `empty`.
    fn advance(&mut self, time_us: i64, j: &Judgement, value: Option<f64>, empty: Option<f64>) -> bool {
        let index = time_us.div_euclid(j.window_us);
        match self.current {
            Some(current) if index > current => {
                if let Some(value) = value {
                    self.baseline.update(value, j.alpha);
                }
                let skipped = (index - current - 1) as u64;
                if empty.is_some() {
                    self.baseline.update_empty(skipped, j.alpha);
                }
                self.current = Some(index);
                true
            }
            Some(_) => false,
            None => {
                self.current = Some(index);
                false
            }
        }
    }

    fn judge(&mut self, time_us: i64, observed: f64, j: &Judgement) -> Option<(f64, Baseline)> {
        let threshold = j.floor.max(self.baseline.upper(j.k, j.min_deviation));
        let cooled = self.last_fired.is_none_or(|at| time_us - at >= j.cooldown_us);
        if observed >= threshold && self.baseline.windows >= j.warmup_windows && cooled {
            self.last_fired = Some(time_us);
            Some((threshold, self.baseline))
        } else {
            None
        }
    }
}

/// A sliding count of one key's events against its baseline.
#[derive(Clone, Debug, Default)]
pub struct RateWindow {
    recent: VecDeque<i64>,
    in_current: u64,
    windows: Windows,
}

impl RateWindow {
    /// Counts an event at `time_us`; the evidence when the count of the last window is
    /// anomalous. Events arrive in store order, which is time order give or take the clocks
    /// of the writers: an earlier time than the newest seen counts as the newest.
    pub fn observe(&mut self, time_us: i64, j: &Judgement) -> Option<Evidence> {
        let time_us = time_us.max(self.recent.back().copied().unwrap_or(i64::MIN));
        let closed = self.in_current as f64;
        if self.windows.advance(time_us, j, Some(closed), Some(0.0)) {
            self.in_current = 0;
        }
        self.in_current += 1;
        self.recent.push_back(time_us);
        while self.recent.front().is_some_and(|t| *t <= time_us - j.window_us) {
            self.recent.pop_front();
        }
        let observed = self.recent.len() as f64;
        let (threshold, baseline) = self.windows.judge(time_us, observed, j)?;
        Some(Evidence {
            window_seconds: j.window_us as f64 / 1e6,
            observed,
            baseline,
            threshold,
            attempts: None,
            from_us: time_us - j.window_us,
            to_us: time_us,
        })
    }
}

/// A sliding share of failures among one key's attempts against its baseline.
#[derive(Clone, Debug, Default)]
pub struct RatioWindow {
    recent: VecDeque<(i64, bool)>,
    current: (u64, u64),
    windows: Windows,
}

impl RatioWindow {
    /// Counts an attempt at `time_us` that `failed` or not; the evidence when the share of
    /// failures over the last window is anomalous (with at least `min_attempts` attempts).
    pub fn observe(&mut self, time_us: i64, failed: bool, min_attempts: u64, j: &Judgement) -> Option<Evidence> {
        let time_us = time_us.max(self.recent.back().map_or(i64::MIN, |(t, _)| *t));
        let (failures, attempts) = self.current;
        let closed = (attempts > 0).then(|| failures as f64 / attempts as f64);
        if self.windows.advance(time_us, j, closed, None) {
            self.current = (0, 0);
        }
        self.current.0 += failed as u64;
        self.current.1 += 1;
        self.recent.push_back((time_us, failed));
        while self.recent.front().is_some_and(|(t, _)| *t <= time_us - j.window_us) {
            self.recent.pop_front();
        }
        let attempts = self.recent.len() as u64;
        if attempts < min_attempts {
            return None;
        }
        let observed = self.recent.iter().filter(|(_, f)| *f).count() as f64 / attempts as f64;
        let (threshold, baseline) = self.windows.judge(time_us, observed, j)?;
        Some(Evidence {
            window_seconds: j.window_us as f64 / 1e6,
            observed,
            baseline,
            threshold,
            attempts: Some(attempts),
            from_us: time_us - j.window_us,
            to_us: time_us,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000;

    fn judgement(window_s: i64, floor: f64, warmup: u64) -> Judgement {
        Judgement {
            window_us: window_s * SECOND,
            floor,
            k: 3.0,
            min_deviation: 1.0,
            alpha: 0.2,
            warmup_windows: warmup,
            cooldown_us: window_s * SECOND,
        }
    }

    #[test]
    fn the_baseline_follows_the_mean_and_one_outlier_moves_it_little() {
        let mut b = Baseline::default();
        for _ in 0..50 {
            b.update(10.0, 0.1);
        }
        assert!((b.mean - 10.0).abs() < 1e-9 && b.deviation < 1e-9);
        b.update(100.0, 0.1);
        assert!((b.mean - 19.0).abs() < 1e-9, "{b:?}");
        assert!((b.deviation - 9.0).abs() < 1e-9, "{b:?}");
        b.update_empty(3, 0.1);
        assert_eq!(b.windows, 54);
        assert!(b.mean < 19.0);
    }

    #[test]
    fn a_steady_rate_stays_silent_and_a_spike_fires_once_with_its_evidence() {
        let j = judgement(60, 5.0, 3);
        let mut w = RateWindow::default();
        // Ten minutes of one event every 10 s: 6 a window, steady.
        let mut t = 0;
        for _ in 0..60 {
            assert_eq!(w.observe(t, &j), None, "quiet at {t}");
            t += 10 * SECOND;
        }
        // Then 40 in 20 seconds.
        let fired: Vec<Evidence> = (0..40).filter_map(|i| w.observe(t + i * SECOND / 2, &j)).collect();
        assert_eq!(fired.len(), 1, "{fired:?}");
        let e = &fired[0];
        assert!(e.observed >= e.threshold && e.threshold > 6.0, "{e:?}");
        assert!((e.baseline.mean - 6.0).abs() < 0.5, "{e:?}");
        assert_eq!(e.window_seconds, 60.0);
    }

    #[test]
    fn before_its_warmup_a_tracker_does_not_fire() {
        let j = judgement(60, 5.0, 3);
        let mut w = RateWindow::default();
        assert!((0..50).all(|i| w.observe(i * SECOND / 10, &j).is_none()), "a new key's first burst is its normal");
    }

    #[test]
    fn an_absolute_floor_fires_without_history_and_the_cooldown_holds_it_back() {
        let j = judgement(600, 6.0, 0);
        let mut w = RateWindow::default();
        let mut fired: Vec<_> = (0..20).filter_map(|i| w.observe(i * 30 * SECOND, &j)).collect();
        // 6 within 600 s at the 6th event (t = 150 s); the cooldown keeps the rest silent.
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!(fired[0].to_us, 150 * SECOND);
        // A day later the baseline has forgotten the burst, and the same burst fires again.
        let day = 86_400 * SECOND;
        fired.extend((0..6).filter_map(|i| w.observe(day + i * 30 * SECOND, &j)));
        assert_eq!(fired.len(), 2, "{fired:?}");
        assert_eq!(fired[1].to_us, day + 150 * SECOND);
    }

    #[test]
    fn the_failure_share_fires_when_it_rises_above_its_baseline_only() {
        let j = Judgement { floor: 0.5, min_deviation: 0.05, ..judgement(60, 0.5, 2) };
        let mut w = RatioWindow::default();
        // An hour with one failure in ten attempts.
        for i in 0..600 {
            assert_eq!(w.observe(i * 6 * SECOND, i % 10 == 0, 5, &j), None, "quiet at attempt {i}");
        }
        let t = 600 * 6 * SECOND;
        let fired: Vec<_> = (0..10).filter_map(|i| w.observe(t + i * SECOND, true, 5, &j)).collect();
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert!(fired[0].observed >= 0.5 && fired[0].attempts.unwrap() >= 5, "{:?}", fired[0]);
        assert!(fired[0].baseline.mean < 0.2);
    }
}
