//! What a stored landscape event means for other aggregates: the process manager's
//! decisions, pure. `vigil-discovery`'s process manager runs them (commands through the
//! gate, parked discoveries evaluated again); what each one does is told there.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::upcast::DecodeError;

use crate::database::DatabaseEvent;
use crate::host::HostEvent;
use crate::sap_system::{SapSystemCommand, SapSystemEvent, react_to_database};

/// What an event asks of the process manager.
#[derive(Clone, Debug, PartialEq)]
pub enum Reaction {
    /// Parked discoveries waiting for this host (or a database at its addresses) may go
    /// through now.
    RetryHost(Uuid),
    /// Parked discoveries waiting for this database (or a database at its instances'
    /// addresses) may go through now.
    RetryDatabase(Uuid),
    /// The host's SAP workload may have changed.
    Workload(Uuid),
    /// The host's heartbeat failed: mark what it reported stale.
    Stale(Uuid),
    /// Deregistration was granted: take the host apart, then deregister it.
    Deregister(Uuid, DateTime<Utc>),
    /// The host is deregistered: forget its heartbeat, hashes and parked discoveries.
    Forget(Uuid),
    /// Commands for every SAP system on the database.
    SapSystems(Uuid, Vec<SapSystemCommand>),
}

/// What the stored event `recorded` asks of other aggregates and of parked discoveries;
/// nothing for most events. An event of a landscape stream that does not decode is an error.
pub fn react(recorded: &RecordedEvent) -> Result<Vec<Reaction>, DecodeError> {
    let stream = recorded.stream_id.as_str();
    if stream.starts_with("host-") {
        let event: HostEvent = recorded.decode()?;
        let host_id = event.host_id();
        return Ok(match event {
            HostEvent::HostRegistered(_) | HostEvent::HostRestored(_) => {
                vec![Reaction::RetryHost(host_id), Reaction::Workload(host_id)]
            }
            HostEvent::HostDetailsUpdated(_) => vec![Reaction::RetryHost(host_id)],
            HostEvent::HeartbeatFailed(_) => vec![Reaction::Stale(host_id)],
            HostEvent::HostDeregistrationRequested(e) => vec![Reaction::Deregister(host_id, e.requested_at)],
            HostEvent::HostDeregistered(_) => vec![Reaction::Forget(host_id)],
            HostEvent::HeartbeatSucceeded(_)
            | HostEvent::ProviderUpdated(_)
            | HostEvent::SlesSubscriptionsUpdated(_)
            | HostEvent::SaptuneStatusUpdated(_)
            | HostEvent::HostSapWorkloadChanged(_)
            | HostEvent::HostChecksHealthChanged(_)
            | HostEvent::HostSaptuneHealthChanged(_)
            | HostEvent::HostHealthChanged(_)
            | HostEvent::HostMarkedStale(_)
            | HostEvent::HostSynced(_)
            | HostEvent::HostTombstoned(_) => vec![],
        });
    }
    if stream.starts_with("database-") {
        let event: DatabaseEvent = recorded.decode()?;
        let database_id = event.database_id();
        let mut reactions = Vec::new();
        let commands = react_to_database(&event);
        if !commands.is_empty() {
            reactions.push(Reaction::SapSystems(database_id, commands));
        }
        match &event {
            DatabaseEvent::DatabaseRegistered(_)
            | DatabaseEvent::DatabaseRestored(_)
            | DatabaseEvent::DatabaseTenantsUpdated(_) => {
                reactions.push(Reaction::RetryDatabase(database_id));
            }
            DatabaseEvent::DatabaseInstanceRegistered(e) => {
                reactions.push(Reaction::RetryDatabase(database_id));
                reactions.push(Reaction::Workload(e.instance.host_id));
            }
            DatabaseEvent::DatabaseInstanceDeregistered(e) => reactions.push(Reaction::Workload(e.host_id)),
            DatabaseEvent::DatabaseInstanceMarkedAbsent(e) => reactions.push(Reaction::Workload(e.host_id)),
            DatabaseEvent::DatabaseInstanceMarkedPresent(e) => reactions.push(Reaction::Workload(e.host_id)),
            DatabaseEvent::DatabaseInstanceSystemReplicationChanged(_)
            | DatabaseEvent::DatabaseInstanceHealthChanged(_)
            | DatabaseEvent::DatabaseHealthChanged(_)
            | DatabaseEvent::DatabaseDeregistered(_)
            | DatabaseEvent::DatabaseInstanceDataMarkedStale(_)
            | DatabaseEvent::DatabaseInstanceDataMarkedInSync(_) => {}
        }
        return Ok(reactions);
    }
    if stream.starts_with("sap_system-") {
        let event: SapSystemEvent = recorded.decode()?;
        return Ok(match event {
            SapSystemEvent::ApplicationInstanceRegistered(e) => vec![Reaction::Workload(e.instance.host_id)],
            SapSystemEvent::ApplicationInstanceDeregistered(e) => vec![Reaction::Workload(e.host_id)],
            SapSystemEvent::ApplicationInstanceMarkedAbsent(e) => vec![Reaction::Workload(e.host_id)],
            SapSystemEvent::ApplicationInstanceMarkedPresent(e) => vec![Reaction::Workload(e.host_id)],
            SapSystemEvent::ApplicationInstanceHealthChanged(_)
            | SapSystemEvent::ApplicationInstanceDataMarkedStale(_)
            | SapSystemEvent::ApplicationInstanceDataMarkedInSync(_)
            | SapSystemEvent::SapSystemRegistered(_)
            | SapSystemEvent::SapSystemUpdated(_)
            | SapSystemEvent::SapSystemHealthChanged(_)
            | SapSystemEvent::SapSystemDatabaseHealthChanged(_)
            | SapSystemEvent::SapSystemDeregistered(_)
            | SapSystemEvent::SapSystemRestored(_) => vec![],
        });
    }
    Ok(vec![])
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use vigil_kernel::decider::DomainEvent;
    use vigil_kernel::envelope::{EventMetadata, NewEvent};

    use super::*;
    use crate::host::{HeartbeatFailed, HostDeregistrationRequested};

    fn recorded(stream_id: &str, event: &impl DomainEvent) -> RecordedEvent {
        let time = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let meta = EventMetadata { time, source: "/test".into(), correlation_id: None, causation_id: None };
        let event = NewEvent::encode(event, "subject", &meta, Uuid::from_u128(7));
        RecordedEvent { position: 1, stream_id: stream_id.to_owned(), stream_version: 1, event }
    }

    #[test]
    fn a_failed_heartbeat_asks_for_stale_marks_on_what_the_host_reported() {
        let host_id = Uuid::from_u128(1);
        let event = HostEvent::HeartbeatFailed(HeartbeatFailed { host_id });
        assert_eq!(react(&recorded(&format!("host-{host_id}"), &event)).unwrap(), vec![Reaction::Stale(host_id)]);
    }

    #[test]
    fn a_granted_deregistration_takes_the_host_apart_at_the_time_asked() {
        let host_id = Uuid::from_u128(2);
        let requested_at = Utc.timestamp_opt(1_700_000_100, 0).unwrap();
        let event = HostEvent::HostDeregistrationRequested(HostDeregistrationRequested { host_id, requested_at });
        assert_eq!(
            react(&recorded(&format!("host-{host_id}"), &event)).unwrap(),
            vec![Reaction::Deregister(host_id, requested_at)]
        );
    }

    #[test]
    fn events_of_other_streams_ask_for_nothing() {
        let event = HostEvent::HeartbeatFailed(HeartbeatFailed { host_id: Uuid::from_u128(3) });
        assert!(react(&recorded("policy-vigil.authz", &event)).unwrap().is_empty());
    }

    #[test]
    fn a_host_event_that_does_not_decode_is_an_error_not_silence() {
        let mut broken = recorded("host-x", &HostEvent::HeartbeatFailed(HeartbeatFailed { host_id: Uuid::nil() }));
        broken.event.data = "{\"not\": \"a host event\"}".into();
        assert!(react(&broken).is_err());
    }
}
