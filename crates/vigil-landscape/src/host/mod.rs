//! The Host aggregate: one machine running an agent, identified by the agent id.
//!
//! Rules (as Trento):
//! * The first host discovery registers the host; a later one that changes any detail
//!   updates it; an unchanged one does nothing. The cloud, subscription and saptune
//!   discoveries are recorded only when they change something.
//! * Heartbeats flip the heartbeat state between passing and critical; only a change of
//!   state is an event. Losing heartbeats does not touch health: the server marks a host it
//!   has not heard of *stale*, and the next host discovery syncs it again.
//! * Health ([`rules`]) is the worst known of the saptune grade and the checks health; every
//!   change is a `HostHealthChanged` emitted right after the event that caused it.
//! * Deregistration is refused while the heartbeat is alive; a deregistered host refuses
//!   every command (as not registered) except a host discovery, which restores it.

mod command;
mod event;
mod heartbeat;
pub mod rules;
mod state;
#[cfg(test)]
mod tests;

pub use command::{HostCommand, HostRejection};
pub use event::{
    HeartbeatFailed, HeartbeatSucceeded, HostChecksHealthChanged, HostDeregistered, HostDeregistrationRequested,
    HostDetailsUpdated, HostEvent, HostHealthChanged, HostMarkedStale, HostRegistered, HostRestored,
    HostSapWorkloadChanged, HostSaptuneHealthChanged, HostSynced, HostTombstoned, ProviderUpdated,
    SaptuneStatusUpdated, SlesSubscriptionsUpdated,
};
pub use heartbeat::HeartbeatPolicy;
pub use state::{
    Architecture, AwsProvider, AzureProvider, GcpProvider, Heartbeat, HostDetails, HostState, InstallationSource,
    PrometheusMode, Provider, SaptuneNote, SaptuneService, SaptuneSolution, SaptuneStaging, SaptuneStatus,
    SaptuneTuning, SlesSubscription, SystemdUnit, TuningState,
};

use uuid::Uuid;
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
            HostCommand::RegisterHost { host_id, details } => Ok(register(state, host_id, details)),
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
            HostCommand::UpdateProvider { host_id, provider } => {
                state.ensure_registered(host_id)?;
                Ok(if state.provider.as_ref() == Some(&provider) {
                    vec![]
                } else {
                    vec![HostEvent::ProviderUpdated(ProviderUpdated { host_id, provider })]
                })
            }
            HostCommand::UpdateSlesSubscriptions { host_id, subscriptions } => {
                state.ensure_registered(host_id)?;
                Ok(if state.subscriptions == subscriptions {
                    vec![]
                } else {
                    vec![HostEvent::SlesSubscriptionsUpdated(SlesSubscriptionsUpdated { host_id, subscriptions })]
                })
            }
            HostCommand::UpdateSaptuneStatus { host_id, status } => {
                state.ensure_registered(host_id)?;
                let mut events = vec![];
                if state.saptune_status.as_ref() != Some(&status) {
                    events.push(HostEvent::SaptuneStatusUpdated(SaptuneStatusUpdated { host_id, status }));
                }
                // Graded on every discovery, changed or not, as Trento does: the grade of a
                // host that never had one appears with its first discovery.
                Ok(with_health(state, host_id, events, Regrade::Saptune))
            }
            HostCommand::UpdateSapWorkload { host_id, running } => {
                state.ensure_registered(host_id)?;
                let mut events = vec![];
                if state.sap_workload_running != running {
                    events.push(HostEvent::HostSapWorkloadChanged(HostSapWorkloadChanged { host_id, running }));
                }
                Ok(with_health(state, host_id, events, Regrade::Saptune))
            }
            HostCommand::UpdateChecksHealth { host_id, health } => {
                state.ensure_registered(host_id)?;
                let mut events = vec![];
                if state.checks_health != health {
                    events.push(HostEvent::HostChecksHealthChanged(HostChecksHealthChanged {
                        host_id,
                        checks_health: health,
                    }));
                }
                Ok(with_health(state, host_id, events, Regrade::HostOnly))
            }
            HostCommand::MarkHostStale { host_id, at } => {
                state.ensure_registered(host_id)?;
                Ok(if state.stale_at.is_some() {
                    vec![]
                } else {
                    vec![HostEvent::HostMarkedStale(HostMarkedStale { host_id, stale_at: at })]
                })
            }
            HostCommand::RequestHostDeregistration {
                host_id,
                requested_at,
                last_heartbeat_at,
                heartbeat,
                debounce,
            } => {
                state.ensure_registered(host_id)?;
                if let (Some(last), Some(deregistrable_from)) = (
                    last_heartbeat_at,
                    rules::heartbeat_alive_until(requested_at, last_heartbeat_at, &heartbeat, debounce),
                ) {
                    return Err(HostRejection::HeartbeatAlive { host_id, last_heartbeat_at: last, deregistrable_from });
                }
                Ok(vec![HostEvent::HostDeregistrationRequested(HostDeregistrationRequested { host_id, requested_at })])
            }
            HostCommand::DeregisterHost { host_id, at } => {
                state.ensure_registered(host_id)?;
                Ok(vec![
                    HostEvent::HostDeregistered(HostDeregistered { host_id, deregistered_at: at }),
                    HostEvent::HostTombstoned(HostTombstoned { host_id }),
                ])
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
            HostEvent::ProviderUpdated(e) => state.provider = Some(e.provider.clone()),
            HostEvent::SlesSubscriptionsUpdated(e) => state.subscriptions = e.subscriptions.clone(),
            HostEvent::SaptuneStatusUpdated(e) => state.saptune_status = Some(e.status.clone()),
            HostEvent::HostSapWorkloadChanged(e) => state.sap_workload_running = e.running,
            HostEvent::HostChecksHealthChanged(e) => state.checks_health = e.checks_health,
            HostEvent::HostSaptuneHealthChanged(e) => state.saptune_health = e.saptune_health,
            HostEvent::HostHealthChanged(e) => state.health = e.health,
            HostEvent::HostMarkedStale(e) => state.stale_at = Some(e.stale_at),
            HostEvent::HostSynced(_) => state.stale_at = None,
            HostEvent::HostDeregistrationRequested(_) => {}
            HostEvent::HostDeregistered(e) => state.deregistered_at = Some(e.deregistered_at),
            HostEvent::HostTombstoned(_) => {}
            HostEvent::HostRestored(_) => state.deregistered_at = None,
        }
        state
    }
}

/// A host discovery: registers a new host; for a known one restores it if deregistered,
/// syncs it if stale, and updates its details if they changed, in that order.
fn register(state: &HostState, host_id: Uuid, details: HostDetails) -> Vec<HostEvent> {
    let Some(current) = &state.details else {
        return vec![HostEvent::HostRegistered(HostRegistered { host_id, details })];
    };
    let mut events = vec![];
    if state.deregistered_at.is_some() {
        events.push(HostEvent::HostRestored(HostRestored { host_id }));
    }
    if state.stale_at.is_some() {
        events.push(HostEvent::HostSynced(HostSynced { host_id }));
    }
    if *current != details {
        events.push(HostEvent::HostDetailsUpdated(HostDetailsUpdated { host_id, details }));
    }
    events
}

/// Which grades a command may have changed.
enum Regrade {
    /// The saptune grade, then the host's health.
    Saptune,
    /// Only the host's health.
    HostOnly,
}

/// Appends to `events` the grade changes they lead to: a `HostSaptuneHealthChanged` if the
/// saptune grade moved, then a `HostHealthChanged` if the host's health did.
fn with_health(state: &HostState, host_id: Uuid, mut events: Vec<HostEvent>, regrade: Regrade) -> Vec<HostEvent> {
    let mut next = events.iter().fold(state.clone(), Host::evolve);
    if let Regrade::Saptune = regrade {
        let saptune_health = rules::saptune_health(next.sap_workload_running, next.saptune_status.as_ref());
        if saptune_health != next.saptune_health {
            let changed = HostEvent::HostSaptuneHealthChanged(HostSaptuneHealthChanged { host_id, saptune_health });
            next = Host::evolve(next, &changed);
            events.push(changed);
        }
    }
    let health = rules::host_health(next.saptune_health, next.checks_health);
    if health != next.health {
        events.push(HostEvent::HostHealthChanged(HostHealthChanged { host_id, health }));
    }
    events
}
