use chrono::{TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;
use vigil_kernel::decider::{Decider, given_when};
use vigil_kernel::envelope::{EventMetadata, NewEvent, RecordedEvent};

use super::*;
use crate::health::Health::{self, *};

fn cluster() -> Uuid {
    cluster_id("47d1190ffb4f781974c8356d7f863b03")
}

fn dc_host() -> Uuid {
    Uuid::parse_str("779cdd70-e9e2-58ca-b18a-bf3eb3f71244").unwrap()
}

fn other_host() -> Uuid {
    Uuid::parse_str("9cd46919-5f19-59aa-993e-cf3736c71053").unwrap()
}

fn sbd(status: SbdDeviceStatus) -> SbdDevice {
    SbdDevice { device: "/dev/vdb".into(), status }
}

/// A HANA scale-up cluster whose secondary is in sync (`4` / `SOK`) with one healthy SBD
/// device: passing.
fn hana(sr_health_state: &str, secondary_sync_state: &str) -> ClusterDetails {
    ClusterDetails {
        cluster_type: ClusterType::HanaScaleUp,
        sid: Some("PRD".into()),
        additional_sids: vec![],
        provider: Provider::Azure,
        state: Some("S_IDLE".into()),
        hosts_number: 2,
        resources_number: 8,
        fencing_type: Some("external/sbd".into()),
        maintenance_mode: false,
        sbd_devices: vec![sbd(SbdDeviceStatus::Healthy)],
        stopped_resources: vec![],
        nodes: vec![],
        hana: Some(HanaDetails {
            architecture: HanaArchitecture::Classic,
            scenario: HanaScenario::PerformanceOptimized,
            system_replication_mode: "sync".into(),
            system_replication_operation_mode: "logreplay".into(),
            secondary_sync_state: secondary_sync_state.into(),
            sr_health_state: sr_health_state.into(),
            sites: vec![],
        }),
        sap_systems: vec![],
        sap_instances: vec![],
    }
}

fn healthy() -> ClusterDetails {
    hana("4", "SOK")
}

/// An ASCS/ERS cluster whose one system is (or is not) spread over two nodes.
fn ascs_ers(distributed: bool) -> ClusterDetails {
    ClusterDetails {
        cluster_type: ClusterType::AscsErs,
        sid: None,
        additional_sids: vec!["NWP".into()],
        hana: None,
        sap_systems: vec![AscsErsSapSystem {
            sid: "NWP".into(),
            filesystem_resource_based: true,
            distributed,
            instances: vec![],
        }],
        ..healthy()
    }
}

fn online(host_id: Uuid, designated_controller: bool, details: ClusterDetails) -> ClusterCommand {
    ClusterCommand::RegisterOnlineClusterHost {
        cluster_id: cluster(),
        host_id,
        name: Some("hana_cluster".into()),
        designated_controller,
        details: Box::new(details),
        cib_last_written: Some("Fri Oct 18 11:48:22 2019".into()),
    }
}

fn offline(host_id: Uuid) -> ClusterCommand {
    ClusterCommand::RegisterOfflineClusterHost { cluster_id: cluster(), host_id, name: Some("hana_cluster".into()) }
}

fn deregister(host_id: Uuid) -> ClusterCommand {
    ClusterCommand::DeregisterClusterHost { cluster_id: cluster(), host_id }
}

fn mark_stale(host_id: Uuid) -> ClusterCommand {
    ClusterCommand::MarkClusterHostStale { cluster_id: cluster(), host_id }
}

fn checks(health: Health) -> ClusterCommand {
    ClusterCommand::CompleteChecksExecution { cluster_id: cluster(), health }
}

fn passing_parts() -> DiscoveredHealth {
    DiscoveredHealth { replication: Some(Passing), distributed: None, sbd: Passing }
}

fn registered_by_dc() -> ClusterEvent {
    ClusterEvent::ClusterRegistered(ClusterRegistered {
        cluster_id: cluster(),
        name: Some("hana_cluster".into()),
        details: Some(healthy()),
        discovered_health: passing_parts(),
        health: Passing,
    })
}

fn registered_without_details() -> ClusterEvent {
    ClusterEvent::ClusterRegistered(ClusterRegistered {
        cluster_id: cluster(),
        name: Some("hana_cluster".into()),
        details: None,
        discovered_health: DiscoveredHealth::default(),
        health: Unknown,
    })
}

fn added(host_id: Uuid, cluster_host_status: ClusterHostStatus) -> ClusterEvent {
    ClusterEvent::HostAddedToCluster(HostAddedToCluster { cluster_id: cluster(), host_id, cluster_host_status })
}

fn status_changed(host_id: Uuid, cluster_host_status: ClusterHostStatus) -> ClusterEvent {
    ClusterEvent::ClusterHostStatusChanged(ClusterHostStatusChanged {
        cluster_id: cluster(),
        host_id,
        cluster_host_status,
    })
}

fn removed(host_id: Uuid) -> ClusterEvent {
    ClusterEvent::HostRemovedFromCluster(HostRemovedFromCluster { cluster_id: cluster(), host_id })
}

fn marked_stale(host_id: Uuid) -> ClusterEvent {
    ClusterEvent::ClusterHostMarkedStale(ClusterHostMarkedStale { cluster_id: cluster(), host_id })
}

fn marked_in_sync(host_id: Uuid) -> ClusterEvent {
    ClusterEvent::ClusterHostMarkedInSync(ClusterHostMarkedInSync { cluster_id: cluster(), host_id })
}

fn details_updated(details: ClusterDetails) -> ClusterEvent {
    ClusterEvent::ClusterDetailsUpdated(ClusterDetailsUpdated {
        cluster_id: cluster(),
        name: Some("hana_cluster".into()),
        details,
    })
}

fn discovered_changed(discovered_health: DiscoveredHealth) -> ClusterEvent {
    ClusterEvent::ClusterDiscoveredHealthChanged(ClusterDiscoveredHealthChanged {
        cluster_id: cluster(),
        discovered_health,
    })
}

fn state_changed(state: ClusterRunState) -> ClusterEvent {
    ClusterEvent::ClusterStateChanged(ClusterStateChanged { cluster_id: cluster(), state })
}

fn health_changed(health: Health) -> ClusterEvent {
    ClusterEvent::ClusterHealthChanged(ClusterHealthChanged { cluster_id: cluster(), health })
}

fn checks_changed(checks_health: Health) -> ClusterEvent {
    ClusterEvent::ClusterChecksHealthChanged(ClusterChecksHealthChanged { cluster_id: cluster(), checks_health })
}

fn deregistered() -> ClusterEvent {
    ClusterEvent::ClusterDeregistered(ClusterDeregistered { cluster_id: cluster() })
}

fn tombstoned() -> ClusterEvent {
    ClusterEvent::ClusterTombstoned(ClusterTombstoned { cluster_id: cluster() })
}

fn restored() -> ClusterEvent {
    ClusterEvent::ClusterRestored(ClusterRestored { cluster_id: cluster() })
}

/// The designated controller and another online member registered a healthy cluster.
fn two_member_cluster() -> Vec<ClusterEvent> {
    vec![
        registered_by_dc(),
        added(dc_host(), ClusterHostStatus::Online),
        added(other_host(), ClusterHostStatus::Online),
    ]
}

#[test]
fn the_cluster_id_is_trentos_uuid_v5_of_the_payload_id() {
    // The namespace and name of Trento's `UUID.uuid5(@uuid_namespace, id)`.
    let expected = Uuid::new_v5(
        &Uuid::parse_str("fb92284e-aa5e-47f6-a883-bf9469e7a0dc").unwrap(),
        b"47d1190ffb4f781974c8356d7f863b03",
    );
    assert_eq!(cluster(), expected);
    assert_eq!(expected.get_version_num(), 5);
}

#[test]
fn the_designated_controller_registers_the_cluster_with_its_details_and_health() {
    assert_eq!(
        given_when::<Cluster>(&[], online(dc_host(), true, healthy())).unwrap(),
        vec![registered_by_dc(), added(dc_host(), ClusterHostStatus::Online)]
    );
}

#[test]
fn a_member_that_is_not_the_designated_controller_registers_only_membership() {
    // Its details are ignored: only the designated controller's view counts.
    assert_eq!(
        given_when::<Cluster>(&[], online(other_host(), false, hana("1", "SFAIL"))).unwrap(),
        vec![registered_without_details(), added(other_host(), ClusterHostStatus::Online)]
    );
    let given = two_member_cluster();
    assert_eq!(
        given_when::<Cluster>(&given, online(other_host(), false, hana("1", "SFAIL"))).unwrap(),
        vec![],
        "a non-DC view never updates details or health"
    );
}

#[test]
fn an_offline_host_registers_only_membership() {
    assert_eq!(
        given_when::<Cluster>(&[], offline(dc_host())).unwrap(),
        vec![registered_without_details(), added(dc_host(), ClusterHostStatus::Offline)]
    );
}

#[test]
fn a_repeated_identical_registration_decides_nothing() {
    let given = two_member_cluster();
    assert_eq!(given_when::<Cluster>(&given, online(dc_host(), true, healthy())).unwrap(), vec![]);
    assert_eq!(given_when::<Cluster>(&given, online(other_host(), false, healthy())).unwrap(), vec![]);
    let stopped = [
        registered_without_details(),
        added(dc_host(), ClusterHostStatus::Offline),
        state_changed(ClusterRunState::Stopped),
    ];
    assert_eq!(given_when::<Cluster>(&stopped, offline(dc_host())).unwrap(), vec![]);
}

#[test]
fn the_designated_controller_fills_in_a_cluster_registered_by_another_member() {
    let given = [registered_without_details(), added(other_host(), ClusterHostStatus::Online)];
    assert_eq!(
        given_when::<Cluster>(&given, online(dc_host(), true, healthy())).unwrap(),
        vec![
            added(dc_host(), ClusterHostStatus::Online),
            details_updated(healthy()),
            discovered_changed(passing_parts()),
            health_changed(Passing),
        ]
    );
}

#[test]
fn a_replication_failure_updates_details_and_makes_the_cluster_critical() {
    let failed = hana("1", "SFAIL");
    let events = given_when::<Cluster>(&two_member_cluster(), online(dc_host(), true, failed.clone())).unwrap();
    let critical_parts = DiscoveredHealth { replication: Some(Critical), ..passing_parts() };
    assert_eq!(events, vec![details_updated(failed), discovered_changed(critical_parts), health_changed(Critical)]);

    // Back in sync: passing again.
    let mut given = two_member_cluster();
    given.extend(events);
    assert_eq!(
        given_when::<Cluster>(&given, online(dc_host(), true, healthy())).unwrap(),
        vec![details_updated(healthy()), discovered_changed(passing_parts()), health_changed(Passing)]
    );
}

#[test]
fn a_detail_that_does_not_touch_health_only_updates_details() {
    let in_maintenance = ClusterDetails { maintenance_mode: true, ..healthy() };
    assert_eq!(
        given_when::<Cluster>(&two_member_cluster(), online(dc_host(), true, in_maintenance.clone())).unwrap(),
        vec![details_updated(in_maintenance)]
    );
}

#[test]
fn an_unhealthy_sbd_device_makes_the_cluster_critical() {
    let broken_sbd = ClusterDetails {
        sbd_devices: vec![sbd(SbdDeviceStatus::Healthy), sbd(SbdDeviceStatus::Unhealthy)],
        ..healthy()
    };
    let events = given_when::<Cluster>(&two_member_cluster(), online(dc_host(), true, broken_sbd.clone())).unwrap();
    assert_eq!(
        events,
        vec![
            details_updated(broken_sbd),
            discovered_changed(DiscoveredHealth { sbd: Critical, ..passing_parts() }),
            health_changed(Critical)
        ]
    );
}

#[test]
fn an_ascs_ers_cluster_is_critical_unless_distributed_over_two_nodes() {
    let events = given_when::<Cluster>(&[], online(dc_host(), true, ascs_ers(false))).unwrap();
    let ClusterEvent::ClusterRegistered(registered) = &events[0] else {
        panic!("expected ClusterRegistered, got {events:?}");
    };
    assert_eq!(
        registered.discovered_health,
        DiscoveredHealth { replication: None, distributed: Some(Critical), sbd: Passing }
    );
    assert_eq!(registered.health, Critical);

    let events = given_when::<Cluster>(&[], online(dc_host(), true, ascs_ers(true))).unwrap();
    let ClusterEvent::ClusterRegistered(registered) = &events[0] else {
        panic!("expected ClusterRegistered, got {events:?}");
    };
    assert_eq!(registered.health, Passing);
}

#[test]
fn checks_health_is_part_of_the_cluster_health() {
    let given = two_member_cluster();
    assert_eq!(
        given_when::<Cluster>(&given, checks(Warning)).unwrap(),
        vec![checks_changed(Warning), health_changed(Warning)]
    );
    let mut warned = given.clone();
    warned.extend([checks_changed(Warning), health_changed(Warning)]);
    assert_eq!(given_when::<Cluster>(&warned, checks(Warning)).unwrap(), vec![]);
    assert_eq!(
        given_when::<Cluster>(&warned, checks(Passing)).unwrap(),
        vec![checks_changed(Passing), health_changed(Passing)]
    );

    // Critical replication outweighs warning checks; the checks change alone is recorded.
    let mut critical = given;
    critical.extend([
        details_updated(hana("1", "SFAIL")),
        discovered_changed(DiscoveredHealth { replication: Some(Critical), ..passing_parts() }),
        health_changed(Critical),
    ]);
    assert_eq!(given_when::<Cluster>(&critical, checks(Warning)).unwrap(), vec![checks_changed(Warning)]);

    // A cluster whose designated controller has not reported has unknown health whatever
    // the checks say.
    let unknown = [registered_without_details(), added(other_host(), ClusterHostStatus::Online)];
    assert_eq!(given_when::<Cluster>(&unknown, checks(Passing)).unwrap(), vec![checks_changed(Passing)]);
}

#[test]
fn the_designated_controller_keeps_the_checks_health_when_its_view_changes() {
    let mut given = two_member_cluster();
    given.extend([checks_changed(Warning), health_changed(Warning)]);
    let critical_parts = DiscoveredHealth { replication: Some(Critical), ..passing_parts() };
    assert_eq!(
        given_when::<Cluster>(&given, online(dc_host(), true, hana("1", "SFAIL"))).unwrap(),
        vec![details_updated(hana("1", "SFAIL")), discovered_changed(critical_parts), health_changed(Critical)]
    );
}

#[test]
fn a_member_going_offline_and_back_changes_its_status() {
    let given = two_member_cluster();
    assert_eq!(
        given_when::<Cluster>(&given, offline(other_host())).unwrap(),
        vec![status_changed(other_host(), ClusterHostStatus::Offline)]
    );
    let mut went_offline = given.clone();
    went_offline.push(status_changed(other_host(), ClusterHostStatus::Offline));
    assert_eq!(Cluster::fold(&went_offline).hosts[&other_host()].status, ClusterHostStatus::Offline);
    assert_eq!(
        given_when::<Cluster>(&went_offline, online(other_host(), false, healthy())).unwrap(),
        vec![status_changed(other_host(), ClusterHostStatus::Online)]
    );
}

/// Two members, the other one already offline.
fn one_member_left_online() -> Vec<ClusterEvent> {
    let mut given = two_member_cluster();
    given.push(status_changed(other_host(), ClusterHostStatus::Offline));
    given
}

fn stopped_parts() -> DiscoveredHealth {
    DiscoveredHealth { replication: Some(Unknown), distributed: None, sbd: Unknown }
}

#[test]
fn the_state_is_what_the_designated_controller_reports_with_trentos_names() {
    assert_eq!(Cluster::fold(&two_member_cluster()).run_state, ClusterRunState::Idle);
    assert_eq!(Cluster::fold(&[registered_without_details()]).run_state, ClusterRunState::Unknown);
    let transition = ClusterDetails { state: Some("S_TRANSITION_ENGINE".into()), ..healthy() };
    let mut given = two_member_cluster();
    assert_eq!(
        given_when::<Cluster>(&given, online(dc_host(), true, transition.clone())).unwrap(),
        vec![details_updated(transition.clone())]
    );
    given.push(details_updated(transition));
    assert_eq!(Cluster::fold(&given).run_state, ClusterRunState::TransitionEngine);
}

#[test]
fn pacemaker_states_take_trentos_names() {
    let cases = [
        (Some("S_IDLE"), ClusterRunState::Idle),
        (Some("S_NOT_DC"), ClusterRunState::NotDc),
        (Some("S_FINALIZE_JOIN"), ClusterRunState::FinalizeJoin),
        (Some("S_POLICY_ENGINE"), ClusterRunState::PolicyEngine),
        (Some("s_transition_engine"), ClusterRunState::TransitionEngine),
        (Some("S_MADE_UP"), ClusterRunState::Unknown),
        (Some(""), ClusterRunState::Unknown),
        (None, ClusterRunState::Unknown),
    ];
    for (reported, expected) in cases {
        assert_eq!(ClusterRunState::from_pacemaker(reported), expected, "{reported:?}");
    }
    assert_eq!(serde_json::to_value(ClusterRunState::FinalizeJoin).unwrap(), json!("finalize_join"));
    assert_eq!(ClusterRunState::Stopped.as_str(), "stopped");
}

#[test]
fn a_cluster_whose_every_member_goes_offline_is_stopped_with_unknown_health() {
    let given = one_member_left_online();
    assert_eq!(
        given_when::<Cluster>(&given, offline(dc_host())).unwrap(),
        vec![
            status_changed(dc_host(), ClusterHostStatus::Offline),
            state_changed(ClusterRunState::Stopped),
            discovered_changed(stopped_parts()),
            health_changed(Unknown),
        ]
    );
    // An ASCS/ERS cluster loses its distribution part the same way.
    let ascs_parts = DiscoveredHealth { replication: None, distributed: Some(Passing), sbd: Passing };
    let ascs = [
        ClusterEvent::ClusterRegistered(ClusterRegistered {
            cluster_id: cluster(),
            name: Some("hana_cluster".into()),
            details: Some(ascs_ers(true)),
            discovered_health: ascs_parts,
            health: Passing,
        }),
        added(dc_host(), ClusterHostStatus::Online),
    ];
    assert_eq!(
        given_when::<Cluster>(&ascs, offline(dc_host())).unwrap(),
        vec![
            status_changed(dc_host(), ClusterHostStatus::Offline),
            state_changed(ClusterRunState::Stopped),
            discovered_changed(DiscoveredHealth { replication: None, distributed: Some(Unknown), sbd: Unknown }),
            health_changed(Unknown),
        ]
    );
}

#[test]
fn a_stopped_cluster_stays_stopped_until_its_designated_controller_reports() {
    let mut stopped = one_member_left_online();
    stopped.extend(given_when::<Cluster>(&stopped, offline(dc_host())).unwrap());
    assert_eq!(Cluster::fold(&stopped).run_state, ClusterRunState::Stopped);
    assert_eq!(given_when::<Cluster>(&stopped, offline(dc_host())).unwrap(), vec![], "already stopped");
    assert_eq!(given_when::<Cluster>(&stopped, offline(other_host())).unwrap(), vec![], "already stopped");

    // Another member's stack starting brings back nothing but its membership.
    let member_back = given_when::<Cluster>(&stopped, online(other_host(), false, healthy())).unwrap();
    assert_eq!(member_back, vec![status_changed(other_host(), ClusterHostStatus::Online)]);

    // The designated controller, reporting what it reported before, brings back its state
    // and the health it implies.
    assert_eq!(
        given_when::<Cluster>(&stopped, online(dc_host(), true, healthy())).unwrap(),
        vec![
            status_changed(dc_host(), ClusterHostStatus::Online),
            state_changed(ClusterRunState::Idle),
            discovered_changed(passing_parts()),
            health_changed(Passing),
        ]
    );
    // With new details, the details bring the state.
    let failed = hana("1", "SFAIL");
    let critical_parts = DiscoveredHealth { replication: Some(Critical), ..passing_parts() };
    let mut back = stopped.clone();
    let events = given_when::<Cluster>(&back, online(dc_host(), true, failed.clone())).unwrap();
    assert_eq!(
        events,
        vec![
            status_changed(dc_host(), ClusterHostStatus::Online),
            details_updated(failed),
            discovered_changed(critical_parts),
            health_changed(Critical),
        ]
    );
    back.extend(events);
    assert_eq!(Cluster::fold(&back).run_state, ClusterRunState::Idle);
}

#[test]
fn a_cluster_with_a_member_online_is_not_stopped() {
    let given = two_member_cluster();
    assert_eq!(
        given_when::<Cluster>(&given, offline(other_host())).unwrap(),
        vec![status_changed(other_host(), ClusterHostStatus::Offline)]
    );
    // A cluster first registered by an offline host is not known to be stopped (Trento).
    assert_eq!(
        Cluster::fold(&[registered_without_details(), added(dc_host(), ClusterHostStatus::Offline)]).run_state,
        ClusterRunState::Unknown
    );
}

#[test]
fn removing_a_host_keeps_the_cluster_until_the_last_one_leaves() {
    let given = two_member_cluster();
    assert_eq!(given_when::<Cluster>(&given, deregister(other_host())).unwrap(), vec![removed(other_host())]);
    let mut one_left = given.clone();
    one_left.push(removed(other_host()));
    assert_eq!(
        given_when::<Cluster>(&one_left, deregister(dc_host())).unwrap(),
        vec![removed(dc_host()), deregistered(), tombstoned()]
    );
    // A host that is not a member: nothing to remove.
    assert_eq!(given_when::<Cluster>(&one_left, deregister(other_host())).unwrap(), vec![]);
}

#[test]
fn commands_for_a_cluster_never_registered_are_refused() {
    for command in [deregister(dc_host()), mark_stale(dc_host()), checks(Passing)] {
        assert_eq!(given_when::<Cluster>(&[], command).unwrap_err(), ClusterRejection::NotRegistered(cluster()));
    }
}

/// Decision: on a deregistered (tombstoned) cluster, membership commands are no-ops since
/// no host is a member any more (the detector may act on a lagging read model), a checks
/// result is refused, and any registration restores the cluster.
#[test]
fn a_tombstoned_cluster_takes_only_a_new_registration() {
    let tombstoned_cluster = vec![
        registered_by_dc(),
        added(dc_host(), ClusterHostStatus::Online),
        removed(dc_host()),
        deregistered(),
        tombstoned(),
    ];
    let state = Cluster::fold(&tombstoned_cluster);
    assert!(state.deregistered && state.hosts.is_empty());

    assert_eq!(
        given_when::<Cluster>(&tombstoned_cluster, checks(Passing)).unwrap_err(),
        ClusterRejection::Deregistered(cluster())
    );
    assert_eq!(given_when::<Cluster>(&tombstoned_cluster, deregister(dc_host())).unwrap(), vec![]);
    assert_eq!(given_when::<Cluster>(&tombstoned_cluster, mark_stale(dc_host())).unwrap(), vec![]);

    // The same designated controller with the same view: restored, nothing else changed.
    assert_eq!(
        given_when::<Cluster>(&tombstoned_cluster, online(dc_host(), true, healthy())).unwrap(),
        vec![restored(), added(dc_host(), ClusterHostStatus::Online)]
    );
    // Another member, offline: restored with it as the only (offline) host.
    assert_eq!(
        given_when::<Cluster>(&tombstoned_cluster, offline(other_host())).unwrap(),
        vec![restored(), added(other_host(), ClusterHostStatus::Offline)]
    );
    // The designated controller with a new view: restored and updated.
    let failed = hana("1", "SFAIL");
    let events = given_when::<Cluster>(&tombstoned_cluster, online(dc_host(), true, failed.clone())).unwrap();
    assert_eq!(
        events,
        vec![
            restored(),
            added(dc_host(), ClusterHostStatus::Online),
            details_updated(failed),
            discovered_changed(DiscoveredHealth { replication: Some(Critical), ..passing_parts() }),
            health_changed(Critical),
        ]
    );
    let mut back = tombstoned_cluster;
    back.extend(events);
    let state = Cluster::fold(&back);
    assert!(!state.deregistered);
    assert_eq!(state.health, Critical);
    assert_eq!(state.hosts.len(), 1);
}

#[test]
fn a_stale_member_is_marked_in_sync_by_its_next_registration() {
    let given = two_member_cluster();
    assert_eq!(given_when::<Cluster>(&given, mark_stale(other_host())).unwrap(), vec![marked_stale(other_host())]);
    let mut stale = given.clone();
    stale.push(marked_stale(other_host()));
    assert!(Cluster::fold(&stale).hosts[&other_host()].stale);
    // Already stale, or not a member: nothing more to mark.
    assert_eq!(given_when::<Cluster>(&stale, mark_stale(other_host())).unwrap(), vec![]);
    let stranger = Uuid::from_u128(7);
    assert_eq!(given_when::<Cluster>(&stale, mark_stale(stranger)).unwrap(), vec![]);

    // Even an identical registration clears the mark.
    let events = given_when::<Cluster>(&stale, online(other_host(), false, healthy())).unwrap();
    assert_eq!(events, vec![marked_in_sync(other_host())]);
    let mut in_sync = stale.clone();
    in_sync.extend(events);
    assert!(!Cluster::fold(&in_sync).hosts[&other_host()].stale);

    // An offline registration clears it too, alongside the status change.
    assert_eq!(
        given_when::<Cluster>(&stale, offline(other_host())).unwrap(),
        vec![status_changed(other_host(), ClusterHostStatus::Offline), marked_in_sync(other_host())]
    );
    // The stale designated controller with a new view: in sync and updated.
    let mut dc_stale = given;
    dc_stale.push(marked_stale(dc_host()));
    let maintenance = ClusterDetails { maintenance_mode: true, ..healthy() };
    assert_eq!(
        given_when::<Cluster>(&dc_stale, online(dc_host(), true, maintenance.clone())).unwrap(),
        vec![marked_in_sync(dc_host()), details_updated(maintenance)]
    );
}

#[test]
fn events_name_the_cluster_and_the_host() {
    let event = added(dc_host(), ClusterHostStatus::Online);
    assert_eq!(event.cluster_id(), cluster());
    assert_eq!(event.host_id(), Some(dc_host()));
    assert_eq!(registered_by_dc().host_id(), None);
    assert_eq!(online(dc_host(), true, healthy()).cluster_id(), cluster());
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
    let node = ClusterNode {
        name: "node01".into(),
        status: NodeStatus::Online,
        designated_controller: true,
        site: Some("PRIMARY_SITE_NAME".into()),
        hana_status: Some(HanaStatus::Primary),
        nameserver_actual_role: Some("master".into()),
        indexserver_actual_role: Some("master".into()),
        virtual_ip: Some("10.74.1.12".into()),
        majority_maker: false,
        attributes: [("hana_prd_roles", "4:P:master1:master:worker:master"), ("hana_prd_clone_state", "PROMOTED")]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        resources: vec![ClusterResource {
            id: "rsc_ip_PRD_HDB00".into(),
            agent: "ocf::heartbeat:IPaddr2".into(),
            role: "Started".into(),
            status: ResourceStatus::Active,
            fail_count: Some(2),
            managed: true,
            parent: Some("g_ip_PRD_HDB00".into()),
        }],
    };
    let details = ClusterDetails {
        nodes: vec![node],
        stopped_resources: vec![StoppedResource {
            id: "test-stop".into(),
            agent: "ocf::heartbeat:Dummy".into(),
            role: "Stopped".into(),
        }],
        hana: Some(HanaDetails {
            sites: vec![HanaSite {
                name: "PRIMARY_SITE_NAME".into(),
                state: HanaStatus::Primary,
                sr_health_state: "4".into(),
            }],
            ..healthy().hana.unwrap()
        }),
        sap_systems: vec![AscsErsSapSystem {
            sid: "NWP".into(),
            filesystem_resource_based: true,
            distributed: true,
            instances: vec![AscsErsInstance {
                role: AscsErsRole::Ascs,
                instance_name: "NWP_ASCS00_sapnwpas".into(),
                instance_number: "00".into(),
                node: Some("node01".into()),
                virtual_ip: Some("10.80.1.25".into()),
                mount: InstanceMount::FilesystemResource,
                filesystem: Some("/usr/sap/NWP/ASCS00".into()),
            }],
        }],
        cluster_type: ClusterType::HanaAscsErs,
        additional_sids: vec!["NWP".into()],
        sap_instances: vec![
            ClusterSapInstance {
                name: "HDB00".into(),
                sid: "PRD".into(),
                instance_number: "00".into(),
                hostname: None,
                resource_type: SapInstanceResourceType::SapHanaTopology,
            },
            ClusterSapInstance {
                name: "ASCS00".into(),
                sid: "NWP".into(),
                instance_number: "00".into(),
                hostname: Some("sapnwpas".into()),
                resource_type: SapInstanceResourceType::SapInstance,
            },
        ],
        ..healthy()
    };
    let details_json = json!({
        "cluster_type": "hana_ascs_ers", "sid": "PRD", "additional_sids": ["NWP"], "provider": "azure",
        "state": "S_IDLE", "hosts_number": 2, "resources_number": 8, "fencing_type": "external/sbd",
        "maintenance_mode": false,
        "sbd_devices": [{"device": "/dev/vdb", "status": "healthy"}],
        "stopped_resources": [{"id": "test-stop", "agent": "ocf::heartbeat:Dummy", "role": "Stopped"}],
        "nodes": [{
            "name": "node01", "status": "online", "designated_controller": true, "site": "PRIMARY_SITE_NAME",
            "hana_status": "primary", "nameserver_actual_role": "master", "indexserver_actual_role": "master",
            "virtual_ip": "10.74.1.12", "majority_maker": false,
            "resources": [{"id": "rsc_ip_PRD_HDB00", "agent": "ocf::heartbeat:IPaddr2", "role": "Started",
                           "status": "active", "fail_count": 2, "managed": true, "parent": "g_ip_PRD_HDB00"}],
            "attributes": {"hana_prd_clone_state": "PROMOTED", "hana_prd_roles": "4:P:master1:master:worker:master"}
        }],
        "hana": {
            "architecture": "classic", "scenario": "performance_optimized", "system_replication_mode": "sync",
            "system_replication_operation_mode": "logreplay", "secondary_sync_state": "SOK",
            "sr_health_state": "4",
            "sites": [{"name": "PRIMARY_SITE_NAME", "state": "primary", "sr_health_state": "4"}]
        },
        "sap_systems": [{
            "sid": "NWP", "filesystem_resource_based": true, "distributed": true,
            "instances": [{"role": "ascs", "instance_name": "NWP_ASCS00_sapnwpas", "instance_number": "00",
                           "node": "node01", "virtual_ip": "10.80.1.25", "mount": "filesystem_resource",
                           "filesystem": "/usr/sap/NWP/ASCS00"}]
        }],
        "sap_instances": [
            {"name": "HDB00", "sid": "PRD", "instance_number": "00", "hostname": null,
             "resource_type": "sap_hana_topology"},
            {"name": "ASCS00", "sid": "NWP", "instance_number": "00", "hostname": "sapnwpas",
             "resource_type": "sap_instance"}
        ]
    });
    let parts_json = json!({"replication": "passing", "distributed": null, "sbd": "passing"});
    let c = cluster();
    let h = dc_host();
    let cases = [
        (
            ClusterEvent::ClusterRegistered(ClusterRegistered {
                cluster_id: c,
                name: Some("hana_cluster".into()),
                details: Some(details.clone()),
                discovered_health: passing_parts(),
                health: Passing,
            }),
            json!({"cluster_id": c, "name": "hana_cluster", "details": details_json.clone(),
                   "discovered_health": parts_json.clone(), "health": "passing"}),
        ),
        (
            registered_without_details(),
            json!({"cluster_id": c, "name": "hana_cluster", "details": null,
                   "discovered_health": {"replication": null, "distributed": null, "sbd": "unknown"},
                   "health": "unknown"}),
        ),
        (
            added(h, ClusterHostStatus::Offline),
            json!({"cluster_id": c, "host_id": h, "cluster_host_status": "offline"}),
        ),
        (
            status_changed(h, ClusterHostStatus::Online),
            json!({"cluster_id": c, "host_id": h, "cluster_host_status": "online"}),
        ),
        (marked_stale(h), json!({"cluster_id": c, "host_id": h})),
        (marked_in_sync(h), json!({"cluster_id": c, "host_id": h})),
        (
            ClusterEvent::ClusterDetailsUpdated(ClusterDetailsUpdated { cluster_id: c, name: None, details }),
            json!({"cluster_id": c, "name": null, "details": details_json}),
        ),
        (discovered_changed(passing_parts()), json!({"cluster_id": c, "discovered_health": parts_json})),
        (state_changed(ClusterRunState::Stopped), json!({"cluster_id": c, "state": "stopped"})),
        (checks_changed(Warning), json!({"cluster_id": c, "checks_health": "warning"})),
        (health_changed(Critical), json!({"cluster_id": c, "health": "critical"})),
        (removed(h), json!({"cluster_id": c, "host_id": h})),
        (deregistered(), json!({"cluster_id": c})),
        (tombstoned(), json!({"cluster_id": c})),
        (restored(), json!({"cluster_id": c})),
    ];
    let mut types = std::collections::BTreeSet::new();
    for (event, expected) in cases {
        let stored = NewEvent::encode(&event, &c.to_string(), &meta, Uuid::nil());
        assert_eq!(stored.schema_version, 1);
        types.insert(stored.event_type.clone());
        let data: serde_json::Value = serde_json::from_str(&stored.data).unwrap();
        assert_eq!(data, expected, "{}", stored.event_type);
        let recorded = RecordedEvent {
            position: 1,
            stream_id: Cluster::stream_id(&c.to_string()),
            stream_version: 1,
            event: stored,
        };
        assert_eq!(recorded.decode::<ClusterEvent>().unwrap(), event, "must read back as written");
    }
    assert_eq!(types.len(), 14, "every event type has a golden case");
}

/// Details stored before nodes kept their attributes and the details their SAP instances
/// read back with those empty: the fields were added with `#[serde(default)]`, so schema
/// version 1 still holds.
#[test]
fn details_stored_before_attributes_and_sap_instances_still_decode() {
    let mut stored = serde_json::to_value(ClusterDetailsUpdated {
        cluster_id: cluster(),
        name: None,
        details: ClusterDetails {
            nodes: vec![ClusterNode {
                name: "node01".into(),
                status: NodeStatus::Online,
                designated_controller: true,
                site: None,
                hana_status: None,
                nameserver_actual_role: None,
                indexserver_actual_role: None,
                virtual_ip: None,
                majority_maker: false,
                resources: vec![],
                attributes: Default::default(),
            }],
            ..healthy()
        },
    })
    .unwrap();
    stored["details"].as_object_mut().unwrap().remove("sap_instances");
    stored["details"]["nodes"][0].as_object_mut().unwrap().remove("attributes");
    let event: ClusterDetailsUpdated = serde_json::from_value(stored).unwrap();
    assert!(event.details.sap_instances.is_empty());
    assert!(event.details.nodes[0].attributes.is_empty());
    assert_eq!(event.details.reported_state(), ClusterRunState::Idle);
}
