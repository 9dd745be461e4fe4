//! Placeholder: `saptune_discovery` is not interpreted yet.

use uuid::Uuid;

use super::InvalidDiscovery;
use crate::LandscapeCommand;

pub(super) fn detect(_agent_id: Uuid, _payload: &str) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    Ok(Vec::new())
}
