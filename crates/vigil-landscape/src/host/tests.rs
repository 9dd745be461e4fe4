use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;
use vigil_kernel::decider::given_when;
use vigil_kernel::envelope::{EventMetadata, NewEvent, RecordedEvent};

use super::*;

fn host_id() -> Uuid {
    Uuid::parse_str("779cdd70-e9e2-58ca-b18a-bf3eb3f71244").unwrap()
}

fn details() -> HostDetails {
    HostDetails {
        hostname: "suse".into(),
        fully_qualified_domain_name: Some("suse.example.com".into()),
        ip_addresses: vec!["10.1.1.4/16".into()],
        agent_version: "2.0.0".into(),
        arch: Architecture::X86_64,
        os_version: "15-SP4".into(),
        cpu_count: 2,
        socket_count: 1,
        total_memory_mb: 4096,
        last_boot_timestamp: None,
        systemd_units: vec![],
        installation_source: InstallationSource::Suse,
        prometheus_targets: BTreeMap::new(),
        prometheus_mode: PrometheusMode::Pull,
    }
}

fn registered() -> HostEvent {
    HostEvent::HostRegistered(HostRegistered {
        host_id: host_id(),
        details: details(),
    })
}

fn register(details: HostDetails) -> HostCommand {
    HostCommand::RegisterHost {
        host_id: host_id(),
        details,
    }
}

#[test]
fn the_first_discovery_registers_the_host() {
    assert_eq!(
        given_when::<Host>(&[], register(details())).unwrap(),
        vec![registered()]
    );
}

#[test]
fn an_unchanged_discovery_decides_nothing() {
    assert_eq!(
        given_when::<Host>(&[registered()], register(details())).unwrap(),
        vec![]
    );
}

#[test]
fn a_changed_discovery_updates_the_details() {
    let mut changed = details();
    changed.total_memory_mb = 8192;
    let events = given_when::<Host>(&[registered()], register(changed.clone())).unwrap();
    assert_eq!(
        events,
        vec![HostEvent::HostDetailsUpdated(HostDetailsUpdated {
            host_id: host_id(),
            details: changed
        })]
    );
}

#[test]
fn a_heartbeat_of_an_unknown_host_is_rejected() {
    let err = given_when::<Host>(&[], HostCommand::RecordHeartbeat { host_id: host_id() }).unwrap_err();
    assert_eq!(err, HostRejection::NotRegistered(host_id()));
}

#[test]
fn only_a_change_of_heartbeat_state_is_an_event() {
    let beat = || HostCommand::RecordHeartbeat { host_id: host_id() };
    let fail = || HostCommand::MarkHeartbeatFailed { host_id: host_id() };
    let succeeded = HostEvent::HeartbeatSucceeded(HeartbeatSucceeded { host_id: host_id() });
    let failed = HostEvent::HeartbeatFailed(HeartbeatFailed { host_id: host_id() });

    assert_eq!(
        given_when::<Host>(&[registered()], beat()).unwrap(),
        vec![succeeded.clone()]
    );
    assert_eq!(
        given_when::<Host>(&[registered(), succeeded.clone()], beat()).unwrap(),
        vec![]
    );
    assert_eq!(
        given_when::<Host>(&[registered(), succeeded.clone()], fail()).unwrap(),
        vec![failed.clone()]
    );
    assert_eq!(
        given_when::<Host>(&[registered(), succeeded.clone(), failed.clone()], fail()).unwrap(),
        vec![]
    );
    assert_eq!(
        given_when::<Host>(&[registered(), succeeded, failed], beat())
            .unwrap()
            .len(),
        1
    );
    // A host that never sent a heartbeat has nothing to fail.
    assert_eq!(given_when::<Host>(&[registered()], fail()).unwrap(), vec![]);
}

#[test]
fn the_heartbeat_window_is_trentos() {
    let policy = HeartbeatPolicy::default();
    assert_eq!(policy.timeout(), Duration::from_secs(11));
    let last = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    assert!(!policy.is_overdue(last, last + chrono::Duration::seconds(11)));
    assert!(policy.is_overdue(last, last + chrono::Duration::milliseconds(11_001)));
}

/// The stored shape of each event type is a contract: a change here breaks every stored
/// event. Add a new schema version and an upcaster instead of editing these.
#[test]
fn golden_event_json() {
    let meta = EventMetadata {
        time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        source: "/test".into(),
        correlation_id: None,
        causation_id: None,
    };
    let cases = [
        (
            registered(),
            json!({"host_id": host_id(), "hostname": "suse", "fully_qualified_domain_name": "suse.example.com",
                   "ip_addresses": ["10.1.1.4/16"], "agent_version": "2.0.0", "arch": "x86_64",
                   "os_version": "15-SP4", "cpu_count": 2, "socket_count": 1, "total_memory_mb": 4096,
                   "last_boot_timestamp": null, "systemd_units": [], "installation_source": "suse",
                   "prometheus_targets": {}, "prometheus_mode": "pull"}),
        ),
        (
            HostEvent::HeartbeatSucceeded(HeartbeatSucceeded { host_id: host_id() }),
            json!({"host_id": host_id()}),
        ),
        (
            HostEvent::HeartbeatFailed(HeartbeatFailed { host_id: host_id() }),
            json!({"host_id": host_id()}),
        ),
    ];
    for (event, expected) in cases {
        let stored = NewEvent::encode(&event, &host_id().to_string(), &meta);
        assert_eq!(stored.schema_version, 1);
        let data: serde_json::Value = serde_json::from_str(&stored.data).unwrap();
        assert_eq!(data, expected, "{}", stored.event_type);
        let recorded = RecordedEvent {
            position: 1,
            stream_id: "host-x".into(),
            stream_version: 1,
            event: stored,
        };
        assert_eq!(
            recorded.decode::<HostEvent>().unwrap(),
            event,
            "must read back as written"
        );
    }
}
