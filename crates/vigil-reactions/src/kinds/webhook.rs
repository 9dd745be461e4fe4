//! `webhook`: POST the CloudEvent, signed per Standard Webhooks.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Secret;

/// A webhook action.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// Where to POST the event (structured-mode CloudEvents JSON).
    pub url: String,
    /// The Standard Webhooks signing secret (`whsec_<base64>`); none: unsigned.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// How long one attempt may take.
    #[serde(default = "super::default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}
