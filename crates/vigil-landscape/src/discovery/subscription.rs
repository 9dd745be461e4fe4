//! `subscription_discovery` → `UpdateSlesSubscriptions`.
//!
//! The payload is the list `SUSEConnect --status` prints: every product and module with its
//! registration status; products with a subscription of their own (e.g. `SLES_SAP`) add its
//! type, status and validity as `2021-10-18 06:23:46 UTC`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::{InvalidDiscovery, parse_payload};
use crate::LandscapeCommand;
use crate::host::{HostCommand, SlesSubscription};

#[derive(Deserialize)]
struct SubscriptionPayload {
    identifier: String,
    version: String,
    arch: String,
    status: String,
    #[serde(default)]
    subscription_status: Option<String>,
    #[serde(default, rename = "type")]
    subscription_type: Option<String>,
    #[serde(default, deserialize_with = "suseconnect_time")]
    starts_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "suseconnect_time")]
    expires_at: Option<DateTime<Utc>>,
}

pub(super) fn detect(agent_id: Uuid, payload: &str) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let entries: Vec<SubscriptionPayload> = parse_payload(payload)?;
    let subscriptions = entries
        .into_iter()
        .map(|s| SlesSubscription {
            identifier: s.identifier,
            version: s.version,
            arch: s.arch,
            status: s.status,
            subscription_status: s.subscription_status,
            subscription_type: s.subscription_type,
            starts_at: s.starts_at,
            expires_at: s.expires_at,
        })
        .collect();
    Ok(vec![LandscapeCommand::Host {
        host_id: agent_id,
        command: HostCommand::UpdateSlesSubscriptions { host_id: agent_id, subscriptions },
    }])
}

/// SUSEConnect's `2021-10-18 06:23:46 UTC`, or RFC 3339; an empty value is no value.
/// Parsed while deserializing, so that an error names the field.
fn suseconnect_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let Some(value) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if let Some(naive) =
        value.strip_suffix(" UTC").and_then(|v| NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").ok())
    {
        return Ok(Some(naive.and_utc()));
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| serde::de::Error::custom(format!("`{value}` is not a time like `2021-10-18 06:23:46 UTC`")))
}
