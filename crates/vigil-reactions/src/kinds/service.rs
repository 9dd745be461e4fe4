//! `service`: call an action implementation service (workflow engine, automation) over HTTP
//! and record its answer.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A service action.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Where to POST `{event, enrichment, rule, execution_id, attempt}`.
    pub url: String,
    /// How long one attempt may take.
    #[serde(default = "super::default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}
