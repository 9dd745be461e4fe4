//! Who is asking. The type is the policy crate's, so what the gate authorizes is exactly
//! what policies see.

pub use vigil_policy::{Principal, PrincipalKind};

/// Vigil itself, acting as `subsystem` (e.g. `heartbeat-checker`).
pub fn system(subsystem: &str) -> Principal {
    Principal { kind: PrincipalKind::System, id: subsystem.to_owned(), roles: Vec::new() }
}

/// An agent, authenticated by the agent key.
pub fn agent(agent_id: &str) -> Principal {
    Principal { kind: PrincipalKind::Agent, id: agent_id.to_owned(), roles: Vec::new() }
}
