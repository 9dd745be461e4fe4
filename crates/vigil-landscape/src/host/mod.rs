//! The Host aggregate: one machine running an agent, identified by the agent id.
//!
//! Rules (as Trento): the first discovery registers the host; a later one that changes any
//! detail updates it; an unchanged one does nothing. Heartbeats flip the host's heartbeat
//! state between passing and critical; only a change of state is an event.

mod command;
mod event;
mod heartbeat;
mod state;
#[cfg(test)]
mod tests;

pub use command::{HostCommand, HostRejection};
pub use event::{HeartbeatFailed, HeartbeatSucceeded, HostDetailsUpdated, HostEvent, HostRegistered};
pub use heartbeat::HeartbeatPolicy;
pub use state::{Architecture, Heartbeat, HostDetails, HostState, InstallationSource, PrometheusMode, SystemdUnit};

use vigil_kernel::decider::Decider;

/// The Host decider.
pub struct Host;

impl Decider for Host {
    type State = HostState;
    type Command = HostCommand;
    type Event = HostEvent;
    type Rejection = HostRejection;
    const CATEGORY: &'static str = "host";

    fn decide(state: &HostState, command: HostCommand) -> Result<Vec<HostEvent>, HostRejection> {
        match command {
            HostCommand::RegisterHost { host_id, details } => Ok(match &state.details {
                None => vec![HostEvent::HostRegistered(HostRegistered { host_id, details })],
                Some(current) if *current != details => {
                    vec![HostEvent::HostDetailsUpdated(HostDetailsUpdated { host_id, details })]
                }
                Some(_) => vec![],
            }),
            HostCommand::RecordHeartbeat { host_id } => {
                state.ensure_registered(host_id)?;
                Ok(if state.heartbeat == Heartbeat::Passing {
                    vec![]
                } else {
                    vec![HostEvent::HeartbeatSucceeded(HeartbeatSucceeded { host_id })]
                })
            }
            HostCommand::MarkHeartbeatFailed { host_id } => {
                state.ensure_registered(host_id)?;
                Ok(if state.heartbeat == Heartbeat::Passing {
                    vec![HostEvent::HeartbeatFailed(HeartbeatFailed { host_id })]
                } else {
                    vec![]
                })
            }
        }
    }

    fn evolve(mut state: HostState, event: &HostEvent) -> HostState {
        match event {
            HostEvent::HostRegistered(e) => {
                state.host_id = Some(e.host_id);
                state.details = Some(e.details.clone());
            }
            HostEvent::HostDetailsUpdated(e) => state.details = Some(e.details.clone()),
            HostEvent::HeartbeatSucceeded(_) => state.heartbeat = Heartbeat::Passing,
            HostEvent::HeartbeatFailed(_) => state.heartbeat = Heartbeat::Critical,
        }
        state
    }
}
