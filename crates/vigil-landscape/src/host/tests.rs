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
    HostEvent::HostRegistered(HostRegistered { host_id: host_id(), details: details() })
}

fn register(details: HostDetails) -> HostCommand {
    HostCommand::RegisterHost { host_id: host_id(), details }
}

#[test]
fn the_first_discovery_registers_the_host() {
    assert_eq!(given_when::<Host>(&[], register(details())).unwrap(), vec![registered()]);
}

#[test]
fn an_unchanged_discovery_decides_nothing() {
    assert_eq!(given_when::<Host>(&[registered()], register(details())).unwrap(), vec![]);
}

#[test]
fn a_changed_discovery_updates_the_details() {
    let mut changed = details();
    changed.total_memory_mb = 8192;
    let events = given_when::<Host>(&[registered()], register(changed.clone())).unwrap();
    assert_eq!(
        events,
        vec![HostEvent::HostDetailsUpdated(HostDetailsUpdated { host_id: host_id(), details: changed })]
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

    assert_eq!(given_when::<Host>(&[registered()], beat()).unwrap(), vec![succeeded.clone()]);
    assert_eq!(given_when::<Host>(&[registered(), succeeded.clone()], beat()).unwrap(), vec![]);
    assert_eq!(given_when::<Host>(&[registered(), succeeded.clone()], fail()).unwrap(), vec![failed.clone()]);
    assert_eq!(given_when::<Host>(&[registered(), succeeded.clone(), failed.clone()], fail()).unwrap(), vec![]);
    assert_eq!(given_when::<Host>(&[registered(), succeeded, failed], beat()).unwrap().len(), 1);
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
fn trento_lists_only_the_ipv4_addresses_that_are_not_loopback() {
    let reported: Vec<String> = ["127.0.0.1/8", "10.1.1.4/16", "::1/128", "fe80::f9:9cff:fe45:2cde/64", "10.1.1.5"]
        .into_iter()
        .chain(["2001:db8::4/64", "127.0.1.1/8", "192.168.0.7/24"])
        .map(str::to_owned)
        .collect();
    let trento = rules::trento_ip_addresses(&reported);
    assert_eq!(trento, ["10.1.1.4/16", "10.1.1.5", "192.168.0.7/24"]);
    let host = HostDetails { ip_addresses: reported.clone(), ..details() };
    assert_eq!(host.trento_ip_addresses(), trento);
    assert_eq!(host.ip_addresses, reported, "the details keep every address the agent reported");
}

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
        (HostEvent::HeartbeatSucceeded(HeartbeatSucceeded { host_id: host_id() }), json!({"host_id": host_id()})),
        (HostEvent::HeartbeatFailed(HeartbeatFailed { host_id: host_id() }), json!({"host_id": host_id()})),
    ];
    for (event, expected) in cases {
        let stored = NewEvent::encode(&event, &host_id().to_string(), &meta, Uuid::nil());
        assert_eq!(stored.schema_version, 1);
        let data: serde_json::Value = serde_json::from_str(&stored.data).unwrap();
        assert_eq!(data, expected, "{}", stored.event_type);
        let recorded = RecordedEvent { position: 1, stream_id: "host-x".into(), stream_version: 1, event: stored };
        assert_eq!(recorded.decode::<HostEvent>().unwrap(), event, "must read back as written");
    }
}

// ---------------------------------------------------------------------------------------
// Provider, subscriptions, saptune, health, staleness, deregistration.
// ---------------------------------------------------------------------------------------

fn at(seconds: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

fn azure(vm_size: &str) -> Provider {
    Provider::Azure(Some(AzureProvider {
        vm_name: Some("vmhdbdev01".into()),
        resource_group: Some("rg".into()),
        location: Some("westeurope".into()),
        vm_size: Some(vm_size.into()),
        data_disk_number: 7,
        offer: Some("sles-sap-15-sp3-byos".into()),
        sku: Some("gen2".into()),
        admin_username: Some("cloudadmin".into()),
    }))
}

fn provider_updated(provider: Provider) -> HostEvent {
    HostEvent::ProviderUpdated(ProviderUpdated { host_id: host_id(), provider })
}

fn update_provider(provider: Provider) -> HostCommand {
    HostCommand::UpdateProvider { host_id: host_id(), provider }
}

fn subscription(identifier: &str) -> SlesSubscription {
    SlesSubscription {
        identifier: identifier.into(),
        version: "15.3".into(),
        arch: "x86_64".into(),
        status: "Registered".into(),
        subscription_status: None,
        subscription_type: None,
        starts_at: None,
        expires_at: None,
    }
}

fn update_subscriptions(subscriptions: Vec<SlesSubscription>) -> HostCommand {
    HostCommand::UpdateSlesSubscriptions { host_id: host_id(), subscriptions }
}

fn tuning(state: TuningState) -> SaptuneTuning {
    SaptuneTuning {
        configured_version: Some("3".into()),
        tuning_state: state,
        services: vec![],
        enabled_notes: vec![],
        applied_notes: vec![],
        enabled_solution: None,
        applied_solution: None,
        staging: None,
    }
}

fn saptune(version: &str, state: Option<TuningState>) -> SaptuneStatus {
    SaptuneStatus { saptune_installed: true, package_version: Some(version.into()), tuning: state.map(tuning) }
}

fn not_installed() -> SaptuneStatus {
    SaptuneStatus { saptune_installed: false, package_version: None, tuning: None }
}

fn update_saptune(status: SaptuneStatus) -> HostCommand {
    HostCommand::UpdateSaptuneStatus { host_id: host_id(), status }
}

fn saptune_updated(status: SaptuneStatus) -> HostEvent {
    HostEvent::SaptuneStatusUpdated(SaptuneStatusUpdated { host_id: host_id(), status })
}

fn workload(running: bool) -> HostCommand {
    HostCommand::UpdateSapWorkload { host_id: host_id(), running }
}

fn workload_changed(running: bool) -> HostEvent {
    HostEvent::HostSapWorkloadChanged(HostSapWorkloadChanged { host_id: host_id(), running })
}

fn checks(health: crate::health::Health) -> HostCommand {
    HostCommand::UpdateChecksHealth { host_id: host_id(), health }
}

fn checks_changed(checks_health: crate::health::Health) -> HostEvent {
    HostEvent::HostChecksHealthChanged(HostChecksHealthChanged { host_id: host_id(), checks_health })
}

fn saptune_health_changed(saptune_health: crate::health::Health) -> HostEvent {
    HostEvent::HostSaptuneHealthChanged(HostSaptuneHealthChanged { host_id: host_id(), saptune_health })
}

fn health_changed(health: crate::health::Health) -> HostEvent {
    HostEvent::HostHealthChanged(HostHealthChanged { host_id: host_id(), health })
}

fn stale(seconds: i64) -> HostEvent {
    HostEvent::HostMarkedStale(HostMarkedStale { host_id: host_id(), stale_at: at(seconds) })
}

fn synced() -> HostEvent {
    HostEvent::HostSynced(HostSynced { host_id: host_id() })
}

fn deregistered(seconds: i64) -> Vec<HostEvent> {
    vec![
        HostEvent::HostDeregistered(HostDeregistered { host_id: host_id(), deregistered_at: at(seconds) }),
        HostEvent::HostTombstoned(HostTombstoned { host_id: host_id() }),
    ]
}

fn restored() -> HostEvent {
    HostEvent::HostRestored(HostRestored { host_id: host_id() })
}

fn request_deregistration(requested: i64, last_heartbeat: Option<i64>) -> HostCommand {
    HostCommand::RequestHostDeregistration {
        host_id: host_id(),
        requested_at: at(requested),
        last_heartbeat_at: last_heartbeat.map(at),
        heartbeat: HeartbeatPolicy::default(),
        debounce: Duration::from_secs(5),
    }
}

fn history(parts: &[&[HostEvent]]) -> Vec<HostEvent> {
    parts.iter().flat_map(|p| p.iter().cloned()).collect()
}

use crate::health::Health::{Critical, Passing, Unknown, Warning};

#[test]
fn a_provider_is_recorded_only_when_it_changes() {
    assert_eq!(
        given_when::<Host>(&[registered()], update_provider(Provider::Vmware)).unwrap(),
        vec![provider_updated(Provider::Vmware)]
    );
    let given = [registered(), provider_updated(azure("Standard_E4s_v3"))];
    assert_eq!(given_when::<Host>(&given, update_provider(azure("Standard_E4s_v3"))).unwrap(), vec![]);
    // A change of metadata alone is a change.
    assert_eq!(
        given_when::<Host>(&given, update_provider(azure("Standard_E8s_v3"))).unwrap(),
        vec![provider_updated(azure("Standard_E8s_v3"))]
    );
    assert_eq!(
        given_when::<Host>(&given, update_provider(Provider::Azure(None))).unwrap(),
        vec![provider_updated(Provider::Azure(None))]
    );
    assert_eq!(Host::fold(&given).provider, Some(azure("Standard_E4s_v3")));
}

#[test]
fn discoveries_of_an_unregistered_host_are_rejected() {
    let not_registered = Err(HostRejection::NotRegistered(host_id()));
    assert_eq!(given_when::<Host>(&[], update_provider(Provider::Kvm)), not_registered);
    assert_eq!(given_when::<Host>(&[], update_subscriptions(vec![])), not_registered);
    assert_eq!(given_when::<Host>(&[], update_saptune(not_installed())), not_registered);
    assert_eq!(given_when::<Host>(&[], workload(true)), not_registered);
    assert_eq!(given_when::<Host>(&[], checks(Passing)), not_registered);
    assert_eq!(given_when::<Host>(&[], HostCommand::MarkHostStale { host_id: host_id(), at: at(0) }), not_registered);
    assert_eq!(given_when::<Host>(&[], request_deregistration(0, None)), not_registered);
    assert_eq!(given_when::<Host>(&[], HostCommand::DeregisterHost { host_id: host_id(), at: at(0) }), not_registered);
}

#[test]
fn subscriptions_are_recorded_only_when_they_change() {
    let updated = |subscriptions: Vec<SlesSubscription>| {
        HostEvent::SlesSubscriptionsUpdated(SlesSubscriptionsUpdated { host_id: host_id(), subscriptions })
    };
    // A host starts with no subscriptions (Trento's default), so an empty list says nothing.
    assert_eq!(given_when::<Host>(&[registered()], update_subscriptions(vec![])).unwrap(), vec![]);
    let two = vec![subscription("SLES_SAP"), subscription("sle-ha")];
    assert_eq!(
        given_when::<Host>(&[registered()], update_subscriptions(two.clone())).unwrap(),
        vec![updated(two.clone())]
    );
    let given = [registered(), updated(two.clone())];
    assert_eq!(given_when::<Host>(&given, update_subscriptions(two.clone())).unwrap(), vec![]);
    let mut expired = two.clone();
    expired[0].subscription_status = Some("EXPIRED".into());
    assert_eq!(given_when::<Host>(&given, update_subscriptions(expired.clone())).unwrap(), vec![updated(expired)]);
    assert_eq!(given_when::<Host>(&given, update_subscriptions(vec![])).unwrap(), vec![updated(vec![])]);
}

/// Trento's saptune grading, one line per rule.
#[test]
fn the_saptune_health_table() {
    use TuningState::*;
    let cases: [(bool, Option<SaptuneStatus>, crate::health::Health); 12] = [
        // Without SAP workload saptune does not matter.
        (false, None, Passing),
        (false, Some(not_installed()), Passing),
        (false, Some(saptune("3.1.0", Some(NotCompliant))), Passing),
        // With it: no discovery or no saptune is a warning, and so is an old saptune.
        (true, None, Warning),
        (true, Some(not_installed()), Warning),
        (true, Some(saptune("3.0.0", None)), Warning),
        (true, Some(saptune("3.0.2", Some(Compliant))), Warning),
        // From 3.1.0 the tuning state decides.
        (true, Some(saptune("3.1.0", Some(Compliant))), Passing),
        (true, Some(saptune("3.2.1", Some(NotTuned))), Warning),
        (true, Some(saptune("3.1.2", Some(NotCompliant))), Critical),
        // What cannot be graded is unknown: a state saptune may add, a recent saptune
        // without a status (Trento's `compute_tuning_health(nil)`).
        (true, Some(saptune("3.1.0", Some(Other("partially tuned".into())))), Unknown),
        (true, Some(saptune("3.1.0", None)), Unknown),
    ];
    for (running, status, expected) in cases {
        assert_eq!(rules::saptune_health(running, status.as_ref()), expected, "running {running}, {status:?}");
    }
}

#[test]
fn versions_compare_numerically() {
    assert_eq!(rules::parse_version("3.1.0"), Some((3, 1, 0)));
    assert_eq!(rules::parse_version("3.10"), Some((3, 10, 0)));
    assert_eq!(rules::parse_version("3.2.1-150500.1.1"), Some((3, 2, 1)));
    assert_eq!(rules::parse_version(""), None);
    assert_eq!(rules::parse_version("three"), None);
    assert!(rules::parse_version("3.10.0").unwrap() > rules::MINIMUM_SAPTUNE_VERSION);
    // An unreadable version cannot be graded.
    let status =
        SaptuneStatus { saptune_installed: true, package_version: None, tuning: Some(tuning(TuningState::Compliant)) };
    assert_eq!(rules::saptune_health(true, Some(&status)), Unknown);
}

#[test]
fn the_host_health_is_the_worst_known_part() {
    assert_eq!(rules::host_health(Passing, Critical), Critical);
    assert_eq!(rules::host_health(Warning, Passing), Warning);
    assert_eq!(rules::host_health(Critical, Unknown), Critical, "unknown parts are left out");
    assert_eq!(rules::host_health(Unknown, Warning), Warning);
    assert_eq!(rules::host_health(Unknown, Unknown), Unknown, "nothing known");
}

#[test]
fn a_saptune_discovery_without_sap_workload_grades_passing() {
    let status = saptune("3.1.0", Some(TuningState::NotCompliant));
    assert_eq!(
        given_when::<Host>(&[registered()], update_saptune(status.clone())).unwrap(),
        vec![saptune_updated(status.clone()), saptune_health_changed(Passing), health_changed(Passing)]
    );
    // The same discovery again changes nothing.
    let given =
        [registered(), saptune_updated(status.clone()), saptune_health_changed(Passing), health_changed(Passing)];
    assert_eq!(given_when::<Host>(&given, update_saptune(status)).unwrap(), vec![]);
}

#[test]
fn a_saptune_discovery_with_sap_workload_grades_the_tuning() {
    use TuningState::*;
    let running = [registered(), workload_changed(true), saptune_health_changed(Warning), health_changed(Warning)];
    let cases = [
        (saptune("3.1.0", Some(Compliant)), Some(Passing)),
        (saptune("3.1.0", Some(NotTuned)), None),
        (saptune("3.1.0", Some(NotCompliant)), Some(Critical)),
        (saptune("3.0.0", None), None),
        (not_installed(), None),
    ];
    for (status, grade) in cases {
        let mut expected = vec![saptune_updated(status.clone())];
        if let Some(grade) = grade {
            expected.extend([saptune_health_changed(grade), health_changed(grade)]);
        }
        assert_eq!(given_when::<Host>(&running, update_saptune(status.clone())).unwrap(), expected, "{status:?}");
    }
    // A recent saptune without a status cannot be graded: the saptune part becomes unknown
    // and drops out of the host's health, which has no other part.
    assert_eq!(
        given_when::<Host>(&running, update_saptune(saptune("3.1.0", None))).unwrap(),
        vec![saptune_updated(saptune("3.1.0", None)), saptune_health_changed(Unknown), health_changed(Unknown)]
    );
}

#[test]
fn sap_workload_switches_saptune_in_and_out_of_the_health() {
    let not_compliant = saptune("3.1.2", Some(TuningState::NotCompliant));
    let quiet = [
        registered(),
        saptune_updated(not_compliant.clone()),
        saptune_health_changed(Passing),
        health_changed(Passing),
    ];
    assert_eq!(
        given_when::<Host>(&quiet, workload(true)).unwrap(),
        vec![workload_changed(true), saptune_health_changed(Critical), health_changed(Critical)]
    );
    let busy =
        history(&[&quiet, &[workload_changed(true), saptune_health_changed(Critical), health_changed(Critical)]]);
    assert_eq!(given_when::<Host>(&busy, workload(true)).unwrap(), vec![]);
    assert_eq!(
        given_when::<Host>(&busy, workload(false)).unwrap(),
        vec![workload_changed(false), saptune_health_changed(Passing), health_changed(Passing)]
    );
    // SAP instances on a host that never sent a saptune discovery: saptune is missing.
    assert_eq!(
        given_when::<Host>(&[registered()], workload(true)).unwrap(),
        vec![workload_changed(true), saptune_health_changed(Warning), health_changed(Warning)]
    );
    // Telling a fresh host it has no SAP workload grades saptune as not mattering.
    assert_eq!(
        given_when::<Host>(&[registered()], workload(false)).unwrap(),
        vec![saptune_health_changed(Passing), health_changed(Passing)]
    );
}

#[test]
fn checks_health_feeds_the_host_health() {
    assert_eq!(
        given_when::<Host>(&[registered()], checks(Critical)).unwrap(),
        vec![checks_changed(Critical), health_changed(Critical)]
    );
    let saptune_warning =
        [registered(), workload_changed(true), saptune_health_changed(Warning), health_changed(Warning)];
    // Passing checks do not hide saptune's warning: no change of health.
    assert_eq!(given_when::<Host>(&saptune_warning, checks(Passing)).unwrap(), vec![checks_changed(Passing)]);
    assert_eq!(
        given_when::<Host>(&saptune_warning, checks(Critical)).unwrap(),
        vec![checks_changed(Critical), health_changed(Critical)]
    );
    let critical_checks = history(&[&saptune_warning, &[checks_changed(Critical), health_changed(Critical)]]);
    assert_eq!(given_when::<Host>(&critical_checks, checks(Critical)).unwrap(), vec![]);
    // Checks going back to unknown drop out: saptune's warning is what remains.
    assert_eq!(
        given_when::<Host>(&critical_checks, checks(Unknown)).unwrap(),
        vec![checks_changed(Unknown), health_changed(Warning)]
    );
    let state = Host::fold(&critical_checks);
    assert_eq!((state.checks_health, state.saptune_health, state.health), (Critical, Warning, Critical));
}

/// Heartbeat loss marks nothing but the heartbeat: health is about the host's tuning and
/// checks, and staleness is decided by the server.
#[test]
fn a_failed_heartbeat_does_not_change_health() {
    let given = [
        registered(),
        HostEvent::HeartbeatSucceeded(HeartbeatSucceeded { host_id: host_id() }),
        checks_changed(Passing),
        health_changed(Passing),
    ];
    assert_eq!(
        given_when::<Host>(&given, HostCommand::MarkHeartbeatFailed { host_id: host_id() }).unwrap(),
        vec![HostEvent::HeartbeatFailed(HeartbeatFailed { host_id: host_id() })]
    );
}

#[test]
fn a_stale_host_is_synced_by_its_next_host_discovery() {
    let mark = |seconds| HostCommand::MarkHostStale { host_id: host_id(), at: at(seconds) };
    assert_eq!(given_when::<Host>(&[registered()], mark(60)).unwrap(), vec![stale(60)]);
    let given = [registered(), stale(60)];
    assert_eq!(Host::fold(&given).stale_at, Some(at(60)));
    assert_eq!(given_when::<Host>(&given, mark(120)).unwrap(), vec![], "already stale");
    assert_eq!(given_when::<Host>(&given, register(details())).unwrap(), vec![synced()]);
    let mut changed = details();
    changed.agent_version = "2.1.0".into();
    assert_eq!(
        given_when::<Host>(&given, register(changed.clone())).unwrap(),
        vec![synced(), HostEvent::HostDetailsUpdated(HostDetailsUpdated { host_id: host_id(), details: changed })]
    );
    assert_eq!(Host::fold(&[registered(), stale(60), synced()]).stale_at, None);
}

#[test]
fn deregistration_is_refused_while_the_heartbeat_is_alive() {
    let alive = given_when::<Host>(&[registered()], request_deregistration(109, Some(100))).unwrap_err();
    // Default policy: 5 s interval; debounce 5 s: the heartbeat of 100 s lives until 110 s.
    assert_eq!(
        alive,
        HostRejection::HeartbeatAlive { host_id: host_id(), last_heartbeat_at: at(100), deregistrable_from: at(110) }
    );
    assert_eq!(
        alive.to_string(),
        format!(
            "host {} is still sending heartbeats (last at 2026-01-01 00:01:40 UTC); \
             it can be deregistered from 2026-01-01 00:01:50 UTC",
            host_id()
        )
    );
    let requested = |seconds| {
        vec![HostEvent::HostDeregistrationRequested(HostDeregistrationRequested {
            host_id: host_id(),
            requested_at: at(seconds),
        })]
    };
    // Trento refuses while `now < last + interval + debounce`: at the boundary it accepts.
    assert_eq!(given_when::<Host>(&[registered()], request_deregistration(110, Some(100))).unwrap(), requested(110));
    assert_eq!(given_when::<Host>(&[registered()], request_deregistration(500, Some(100))).unwrap(), requested(500));
    // A host that never sent a heartbeat may go at once.
    assert_eq!(given_when::<Host>(&[registered()], request_deregistration(0, None)).unwrap(), requested(0));
}

#[test]
fn a_deregistered_host_is_tombstoned_and_refuses_everything_but_registration() {
    assert_eq!(
        given_when::<Host>(&[registered()], HostCommand::DeregisterHost { host_id: host_id(), at: at(200) }).unwrap(),
        deregistered(200)
    );
    let gone = history(&[&[registered()], &deregistered(200)]);
    let state = Host::fold(&gone);
    assert_eq!(state.deregistered_at, Some(at(200)));
    assert!(!state.is_registered());
    let not_registered = Err(HostRejection::NotRegistered(host_id()));
    let refused = [
        HostCommand::RecordHeartbeat { host_id: host_id() },
        HostCommand::MarkHeartbeatFailed { host_id: host_id() },
        update_provider(Provider::Kvm),
        update_subscriptions(vec![subscription("SLES_SAP")]),
        update_saptune(not_installed()),
        workload(true),
        checks(Critical),
        HostCommand::MarkHostStale { host_id: host_id(), at: at(300) },
        request_deregistration(300, None),
        HostCommand::DeregisterHost { host_id: host_id(), at: at(300) },
    ];
    for command in refused {
        let name = command.name();
        assert_eq!(given_when::<Host>(&gone, command), not_registered, "{name}");
    }
}

#[test]
fn a_host_discovery_restores_a_deregistered_host() {
    let gone = history(&[&[registered()], &deregistered(200)]);
    assert_eq!(given_when::<Host>(&gone, register(details())).unwrap(), vec![restored()]);
    let mut changed = details();
    changed.cpu_count = 4;
    assert_eq!(
        given_when::<Host>(&gone, register(changed.clone())).unwrap(),
        vec![restored(), HostEvent::HostDetailsUpdated(HostDetailsUpdated { host_id: host_id(), details: changed })]
    );
    let back = history(&[&gone, &[restored()]]);
    assert!(Host::fold(&back).is_registered());
    assert_eq!(
        given_when::<Host>(&back, HostCommand::RecordHeartbeat { host_id: host_id() }).unwrap(),
        vec![HostEvent::HeartbeatSucceeded(HeartbeatSucceeded { host_id: host_id() })]
    );
    // Stale when it went: coming back also syncs it.
    let stale_and_gone = history(&[&[registered(), stale(100)], &deregistered(200)]);
    assert_eq!(given_when::<Host>(&stale_and_gone, register(details())).unwrap(), vec![restored(), synced()]);
}

fn assert_golden(event: HostEvent, expected: serde_json::Value) {
    let meta = EventMetadata { time: at(0), source: "/test".into(), correlation_id: None, causation_id: None };
    let stored = NewEvent::encode(&event, &host_id().to_string(), &meta, Uuid::nil());
    assert_eq!(stored.schema_version, 1, "{}", stored.event_type);
    let data: serde_json::Value = serde_json::from_str(&stored.data).unwrap();
    assert_eq!(data, expected, "{}", stored.event_type);
    let recorded = RecordedEvent { position: 1, stream_id: "host-x".into(), stream_version: 1, event: stored };
    assert_eq!(recorded.decode::<HostEvent>().unwrap(), event, "must read back as written");
}

/// The stored shape of each new event type; see [`golden_event_json`].
#[test]
fn golden_event_json_of_the_discovery_health_and_lifecycle_events() {
    let id = host_id();
    assert_golden(
        provider_updated(azure("Standard_E4s_v3")),
        json!({"host_id": id, "provider": "azure", "provider_data": {
            "vm_name": "vmhdbdev01", "resource_group": "rg", "location": "westeurope",
            "vm_size": "Standard_E4s_v3", "data_disk_number": 7, "offer": "sles-sap-15-sp3-byos",
            "sku": "gen2", "admin_username": "cloudadmin"}}),
    );
    assert_golden(
        provider_updated(Provider::Aws(Some(AwsProvider {
            account_id: "12345".into(),
            ami_id: "ami-12345".into(),
            availability_zone: "eu-west-1a".into(),
            data_disk_number: 1,
            instance_id: "i-12345".into(),
            instance_type: "t3.micro".into(),
            region: "eu-west-1".into(),
            vpc_id: "vpc-12345".into(),
        }))),
        json!({"host_id": id, "provider": "aws", "provider_data": {
            "account_id": "12345", "ami_id": "ami-12345", "availability_zone": "eu-west-1a",
            "data_disk_number": 1, "instance_id": "i-12345", "instance_type": "t3.micro",
            "region": "eu-west-1", "vpc_id": "vpc-12345"}}),
    );
    assert_golden(
        provider_updated(Provider::Gcp(Some(GcpProvider {
            disk_number: 4,
            image: None,
            instance_name: "vmhana01".into(),
            machine_type: "n1-highmem-8".into(),
            network: "network".into(),
            project_id: "123456".into(),
            zone: "europe-west1-b".into(),
        }))),
        json!({"host_id": id, "provider": "gcp", "provider_data": {
            "disk_number": 4, "image": null, "instance_name": "vmhana01", "machine_type": "n1-highmem-8",
            "network": "network", "project_id": "123456", "zone": "europe-west1-b"}}),
    );
    assert_golden(
        provider_updated(Provider::Aws(None)),
        json!({"host_id": id, "provider": "aws", "provider_data": null}),
    );
    assert_golden(provider_updated(Provider::Vmware), json!({"host_id": id, "provider": "vmware"}));
    assert_golden(provider_updated(Provider::Unknown), json!({"host_id": id, "provider": "unknown"}));
    let mut sles_sap = subscription("SLES_SAP");
    sles_sap.subscription_status = Some("ACTIVE".into());
    sles_sap.subscription_type = Some("internal".into());
    sles_sap.starts_at = Some(Utc.with_ymd_and_hms(2021, 10, 18, 6, 23, 46).unwrap());
    sles_sap.expires_at = Some(Utc.with_ymd_and_hms(2026, 10, 18, 6, 23, 46).unwrap());
    assert_golden(
        HostEvent::SlesSubscriptionsUpdated(SlesSubscriptionsUpdated {
            host_id: id,
            subscriptions: vec![sles_sap, subscription("sle-ha")],
        }),
        json!({"host_id": id, "subscriptions": [
            {"identifier": "SLES_SAP", "version": "15.3", "arch": "x86_64", "status": "Registered",
             "subscription_status": "ACTIVE", "type": "internal",
             "starts_at": "2021-10-18T06:23:46Z", "expires_at": "2026-10-18T06:23:46Z"},
            {"identifier": "sle-ha", "version": "15.3", "arch": "x86_64", "status": "Registered",
             "subscription_status": null, "type": null, "starts_at": null, "expires_at": null}]}),
    );
    let full = SaptuneStatus {
        saptune_installed: true,
        package_version: Some("3.1.0".into()),
        tuning: Some(SaptuneTuning {
            configured_version: Some("3".into()),
            tuning_state: TuningState::NotCompliant,
            services: vec![
                SaptuneService { name: "sapconf".into(), enabled: None, active: None },
                SaptuneService {
                    name: "saptune".into(),
                    enabled: Some("enabled".into()),
                    active: Some("active".into()),
                },
            ],
            enabled_notes: vec![SaptuneNote { id: "941735".into(), additionally_enabled: true }],
            applied_notes: vec![],
            enabled_solution: Some(SaptuneSolution {
                id: "NETWEAVER".into(),
                notes: vec!["941735".into()],
                partial: false,
            }),
            applied_solution: None,
            staging: Some(SaptuneStaging { enabled: false, notes: vec![], solution_ids: vec![] }),
        }),
    };
    assert_golden(
        saptune_updated(full),
        json!({"host_id": id, "status": {"saptune_installed": true, "package_version": "3.1.0", "tuning": {
            "configured_version": "3", "tuning_state": "not compliant",
            "services": [{"name": "sapconf", "enabled": null, "active": null},
                         {"name": "saptune", "enabled": "enabled", "active": "active"}],
            "enabled_notes": [{"id": "941735", "additionally_enabled": true}],
            "applied_notes": [],
            "enabled_solution": {"id": "NETWEAVER", "notes": ["941735"], "partial": false},
            "applied_solution": null,
            "staging": {"enabled": false, "notes": [], "solution_ids": []}}}}),
    );
    assert_golden(
        saptune_updated(not_installed()),
        json!({"host_id": id, "status": {"saptune_installed": false, "package_version": null, "tuning": null}}),
    );
    assert_golden(workload_changed(true), json!({"host_id": id, "running": true}));
    assert_golden(checks_changed(Critical), json!({"host_id": id, "checks_health": "critical"}));
    assert_golden(saptune_health_changed(Warning), json!({"host_id": id, "saptune_health": "warning"}));
    assert_golden(health_changed(Passing), json!({"host_id": id, "health": "passing"}));
    assert_golden(stale(60), json!({"host_id": id, "stale_at": "2026-01-01T00:01:00Z"}));
    assert_golden(synced(), json!({"host_id": id}));
    assert_golden(
        HostEvent::HostDeregistrationRequested(HostDeregistrationRequested { host_id: id, requested_at: at(0) }),
        json!({"host_id": id, "requested_at": "2026-01-01T00:00:00Z"}),
    );
    let [deregistered, tombstoned] = <[HostEvent; 2]>::try_from(deregistered(0)).unwrap();
    assert_golden(deregistered, json!({"host_id": id, "deregistered_at": "2026-01-01T00:00:00Z"}));
    assert_golden(tombstoned, json!({"host_id": id}));
    assert_golden(restored(), json!({"host_id": id}));
}
