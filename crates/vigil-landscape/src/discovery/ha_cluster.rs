//! Placeholder: `ha_cluster_discovery` is not interpreted yet.

use uuid::Uuid;

use super::{DiscoveryContext, InvalidDiscovery};
use crate::LandscapeCommand;

pub(super) fn detect(
    _agent_id: Uuid,
    _payload: &str,
    _context: &DiscoveryContext,
) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    Ok(Vec::new())
}
