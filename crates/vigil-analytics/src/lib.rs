//! Vigil's analytics: streaming statistics over what happens in the landscape, raising
//! `AnomalyDetected` events (topic `analytics`) that drive actions like any other event.
//!
//! - [`stats`] (pure): EWMA baselines with a robust deviation, sliding counts and failure
//!   shares.
//! - [`detect`] (pure): which events feed which tracker: heartbeat flapping per host,
//!   discovery-rate spikes per agent, bursts of health degradation per cluster and across the
//!   landscape, a rise of a rule's action failures.
//! - [`settings`]: `[server.analytics]`, each detector's thresholds.
//! - [`subscriber`]: the subscription `vigil serve` runs, and how an anomaly becomes an
//!   event (deterministic ids, so a restart emits nothing twice).

#![deny(missing_docs)]

pub mod detect;
pub mod settings;
pub mod stats;
pub mod subscriber;

pub use detect::{Anomaly, Detectors, Kind};
pub use settings::AnalyticsSettings;
pub use subscriber::Analytics;
