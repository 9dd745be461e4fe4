use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;
use vigil_kernel::decider::{DomainEvent, given_when};
use vigil_kernel::envelope::{EventMetadata, NewEvent, RecordedEvent};

use super::*;
use crate::health::Health;

fn database() -> Uuid {
    Uuid::parse_str("97c4127a-29bc-5315-82bd-8f154bee626f").unwrap()
}

fn host(n: u128) -> Uuid {
    Uuid::from_u128(0x779cdd70_e9e2_58ca_b18a_bf3eb3f71200 + n)
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn replication(role: Option<ReplicationRole>) -> SystemReplication {
    match role {
        None => SystemReplication::default(),
        Some(ReplicationRole::Primary) => SystemReplication {
            role,
            status: Some("ACTIVE".into()),
            site: Some("Site1".into()),
            mode: Some("primary".into()),
            operation_mode: Some("primary".into()),
            source_site: None,
            tier: Some(1),
        },
        Some(ReplicationRole::Secondary) => SystemReplication {
            role,
            status: None,
            site: Some("Site2".into()),
            mode: Some("sync".into()),
            operation_mode: Some("logreplay".into()),
            source_site: Some("Site1".into()),
            tier: Some(2),
        },
    }
}

fn instance(host_id: Uuid, role: Option<ReplicationRole>, health: Health) -> DatabaseInstance {
    DatabaseInstance {
        host_id,
        instance_number: "00".into(),
        instance_hostname: Some("vmhana01".into()),
        features: "HDB|HDB_WORKER".into(),
        http_port: Some(50013),
        https_port: Some(50014),
        start_priority: Some("0.3".into()),
        health,
        system_replication: replication(role),
    }
}

fn primary() -> DatabaseInstance {
    instance(host(1), Some(ReplicationRole::Primary), Health::Passing)
}

fn secondary() -> DatabaseInstance {
    instance(host(2), Some(ReplicationRole::Secondary), Health::Passing)
}

fn tenants(names: &[&str]) -> Vec<Tenant> {
    names.iter().map(|n| Tenant::new(*n)).collect()
}

fn register_with(instance: DatabaseInstance, tenant_names: &[&str]) -> DatabaseCommand {
    DatabaseCommand::RegisterDatabaseInstance {
        database_id: database(),
        sid: "PRD".into(),
        tenants: tenants(tenant_names),
        instance,
    }
}

fn register(instance: DatabaseInstance) -> DatabaseCommand {
    register_with(instance, &["PRD"])
}

fn registered(health: Health) -> DatabaseEvent {
    DatabaseEvent::DatabaseRegistered(DatabaseRegistered { database_id: database(), sid: "PRD".into(), health })
}

fn instance_registered(instance: DatabaseInstance) -> DatabaseEvent {
    DatabaseEvent::DatabaseInstanceRegistered(DatabaseInstanceRegistered {
        database_id: database(),
        sid: "PRD".into(),
        instance,
    })
}

fn tenants_updated(now: &[&str], before: &[&str]) -> DatabaseEvent {
    DatabaseEvent::DatabaseTenantsUpdated(DatabaseTenantsUpdated {
        database_id: database(),
        tenants: tenants(now),
        previous_tenants: tenants(before),
    })
}

/// A database registered by `primary()`, joined by `secondary()`.
fn with_primary_and_secondary() -> Vec<DatabaseEvent> {
    vec![
        registered(Health::Passing),
        instance_registered(primary()),
        tenants_updated(&["PRD"], &[]),
        instance_registered(secondary()),
    ]
}

fn instance_health_changed(host_id: Uuid, health: Health) -> DatabaseEvent {
    DatabaseEvent::DatabaseInstanceHealthChanged(DatabaseInstanceHealthChanged {
        database_id: database(),
        host_id,
        instance_number: "00".into(),
        health,
    })
}

fn health_changed(health: Health) -> DatabaseEvent {
    DatabaseEvent::DatabaseHealthChanged(DatabaseHealthChanged { database_id: database(), health })
}

fn marked_absent(host_id: Uuid) -> DatabaseEvent {
    DatabaseEvent::DatabaseInstanceMarkedAbsent(DatabaseInstanceMarkedAbsent {
        database_id: database(),
        host_id,
        instance_number: "00".into(),
    })
}

fn instance_deregistered(host_id: Uuid) -> DatabaseEvent {
    DatabaseEvent::DatabaseInstanceDeregistered(DatabaseInstanceDeregistered {
        database_id: database(),
        host_id,
        instance_number: "00".into(),
        deregistered_at: at(),
    })
}

fn deregistered() -> DatabaseEvent {
    DatabaseEvent::DatabaseDeregistered(DatabaseDeregistered { database_id: database(), deregistered_at: at() })
}

fn mark_absent(host_id: Uuid) -> DatabaseCommand {
    DatabaseCommand::MarkDatabaseInstanceAbsent { host_id, instance_number: "00".into() }
}

fn deregister(host_id: Uuid) -> DatabaseCommand {
    DatabaseCommand::DeregisterDatabaseInstance { host_id, instance_number: "00".into(), at: at() }
}

fn delete_absent(host_id: Uuid) -> DatabaseCommand {
    DatabaseCommand::DeleteAbsentDatabaseInstance { host_id, instance_number: "00".into(), at: at() }
}

#[test]
fn the_database_id_is_trentos() {
    // Computed independently with Python's uuid.uuid5 and Trento's namespace.
    assert_eq!(database_id("e06e328f8d6b0f46c1e66ffcd44d0dd7"), database());
}

#[test]
fn a_primary_registers_the_database_with_its_tenants() {
    assert_eq!(
        given_when::<Database>(&[], register(primary())).unwrap(),
        vec![registered(Health::Passing), instance_registered(primary()), tenants_updated(&["PRD"], &[])]
    );
}

#[test]
fn an_instance_without_system_replication_registers_the_database() {
    let single = instance(host(1), None, Health::Unknown);
    assert_eq!(
        given_when::<Database>(&[], register_with(single.clone(), &[])).unwrap(),
        vec![registered(Health::Unknown), instance_registered(single)],
        "no tenants: no tenant event"
    );
}

#[test]
fn a_secondary_cannot_register_the_database() {
    let err = given_when::<Database>(&[], register(secondary())).unwrap_err();
    assert_eq!(
        err,
        DatabaseRejection::SecondaryBeforePrimary {
            database_id: database(),
            host_id: host(2),
            instance_number: "00".into()
        }
    );
    assert!(err.to_string().contains("only its primary can register"), "{err}");
}

#[test]
fn a_secondary_joins_the_database_its_primary_registered() {
    let given = [registered(Health::Passing), instance_registered(primary()), tenants_updated(&["PRD"], &[])];
    assert_eq!(given_when::<Database>(&given, register(secondary())).unwrap(), vec![instance_registered(secondary())]);
}

#[test]
fn an_identical_registration_decides_nothing() {
    let given = with_primary_and_secondary();
    assert_eq!(given_when::<Database>(&given, register(primary())).unwrap(), vec![]);
    assert_eq!(given_when::<Database>(&given, register(secondary())).unwrap(), vec![]);
    // Other details of a known instance are not tracked, as in Trento.
    let mut moved_port = primary();
    moved_port.http_port = Some(1);
    assert_eq!(given_when::<Database>(&given, register(moved_port)).unwrap(), vec![]);
}

#[test]
fn the_database_health_is_the_worst_of_its_instances() {
    let mut given = with_primary_and_secondary();
    let critical_secondary = instance(host(2), Some(ReplicationRole::Secondary), Health::Critical);
    let events = given_when::<Database>(&given, register(critical_secondary)).unwrap();
    assert_eq!(events, vec![instance_health_changed(host(2), Health::Critical), health_changed(Health::Critical)]);
    given.extend(events);

    // A better instance does not make a better database while another is critical.
    let warning_primary = instance(host(1), Some(ReplicationRole::Primary), Health::Warning);
    let events = given_when::<Database>(&given, register(warning_primary)).unwrap();
    assert_eq!(events, vec![instance_health_changed(host(1), Health::Warning)]);
    given.extend(events);

    // The critical one recovers: the database is as good as its worst, the warning one.
    let events = given_when::<Database>(&given, register(secondary())).unwrap();
    assert_eq!(events, vec![instance_health_changed(host(2), Health::Passing), health_changed(Health::Warning)]);
}

#[test]
fn a_takeover_changes_the_system_replication_of_both_instances() {
    let given = with_primary_and_secondary();
    let mut new_primary = secondary();
    new_primary.system_replication =
        SystemReplication { site: Some("Site2".into()), ..replication(Some(ReplicationRole::Primary)) };
    let events = given_when::<Database>(&given, register(new_primary.clone())).unwrap();
    assert_eq!(
        events,
        vec![DatabaseEvent::DatabaseInstanceSystemReplicationChanged(DatabaseInstanceSystemReplicationChanged {
            database_id: database(),
            host_id: host(2),
            instance_number: "00".into(),
            system_replication: new_primary.system_replication,
        })]
    );
}

#[test]
fn tenants_are_updated_when_they_change_but_not_when_reordered() {
    let given = [registered(Health::Passing), instance_registered(primary()), tenants_updated(&["PRD", "S4"], &[])];
    assert_eq!(given_when::<Database>(&given, register_with(primary(), &["S4", "PRD"])).unwrap(), vec![]);
    assert_eq!(
        given_when::<Database>(&given, register_with(primary(), &["PRD"])).unwrap(),
        vec![tenants_updated(&["PRD"], &["PRD", "S4"])]
    );
}

#[test]
fn an_instance_no_longer_discovered_is_absent_until_discovered_again() {
    let mut given = with_primary_and_secondary();
    let events = given_when::<Database>(&given, mark_absent(host(2))).unwrap();
    assert_eq!(events, vec![marked_absent(host(2))]);
    given.extend(events);

    assert_eq!(given_when::<Database>(&given, mark_absent(host(2))).unwrap(), vec![], "already absent");
    assert_eq!(
        given_when::<Database>(&given, mark_absent(host(9))).unwrap(),
        vec![],
        "an unknown instance is not an error, as in Trento"
    );
    assert_eq!(
        given_when::<Database>(&given, register(secondary())).unwrap(),
        vec![DatabaseEvent::DatabaseInstanceMarkedPresent(DatabaseInstanceMarkedPresent {
            database_id: database(),
            host_id: host(2),
            instance_number: "00".into(),
        })]
    );
}

#[test]
fn commands_other_than_registration_need_a_registered_database() {
    for command in [
        mark_absent(host(1)),
        deregister(host(1)),
        delete_absent(host(1)),
        DatabaseCommand::MarkDatabaseInstancesStale { host_id: host(1) },
    ] {
        assert_eq!(
            given_when::<Database>(&[], command.clone()).unwrap_err(),
            DatabaseRejection::NotRegistered,
            "{command:?}"
        );
    }
}

#[test]
fn a_present_instance_cannot_be_deleted() {
    let given = with_primary_and_secondary();
    let err = given_when::<Database>(&given, delete_absent(host(2))).unwrap_err();
    assert_eq!(
        err,
        DatabaseRejection::InstanceStillPresent {
            database_id: database(),
            host_id: host(2),
            instance_number: "00".into()
        }
    );
    assert!(err.to_string().contains("is present and cannot be deleted"), "{err}");
    assert!(matches!(
        given_when::<Database>(&given, delete_absent(host(9))).unwrap_err(),
        DatabaseRejection::InstanceNotRegistered { .. }
    ));
}

#[test]
fn deleting_an_absent_secondary_keeps_the_database() {
    let mut given = with_primary_and_secondary();
    given.push(marked_absent(host(2)));
    assert_eq!(given_when::<Database>(&given, delete_absent(host(2))).unwrap(), vec![instance_deregistered(host(2))]);
}

#[test]
fn the_database_is_deregistered_when_only_secondaries_remain() {
    let given = with_primary_and_secondary();
    assert_eq!(
        given_when::<Database>(&given, deregister(host(1))).unwrap(),
        vec![instance_deregistered(host(1)), deregistered()]
    );
}

#[test]
fn the_database_is_deregistered_when_no_instance_remains() {
    let given = [
        registered(Health::Passing),
        instance_registered(instance(host(1), None, Health::Passing)),
        marked_absent(host(1)),
    ];
    assert_eq!(
        given_when::<Database>(&given, delete_absent(host(1))).unwrap(),
        vec![instance_deregistered(host(1)), deregistered()]
    );
    assert!(matches!(
        given_when::<Database>(&given, deregister(host(3))).unwrap_err(),
        DatabaseRejection::InstanceNotRegistered { .. }
    ));
}

#[test]
fn removing_the_worst_instance_improves_the_database_health() {
    // Trento keeps the old health here; Vigil keeps health the worst of the instances it has.
    let critical_secondary = instance(host(2), Some(ReplicationRole::Secondary), Health::Critical);
    let given = [
        registered(Health::Passing),
        instance_registered(primary()),
        instance_registered(critical_secondary),
        health_changed(Health::Critical),
    ];
    assert_eq!(
        given_when::<Database>(&given, deregister(host(2))).unwrap(),
        vec![instance_deregistered(host(2)), health_changed(Health::Passing)]
    );
}

#[test]
fn a_deregistered_database_is_restored_by_its_primary_but_not_by_a_secondary() {
    let mut given = with_primary_and_secondary();
    given.extend([instance_deregistered(host(1)), deregistered()]);

    assert!(matches!(
        given_when::<Database>(&given, register(secondary())).unwrap_err(),
        DatabaseRejection::SecondaryBeforePrimary { .. }
    ));
    let warning_primary = instance(host(1), Some(ReplicationRole::Primary), Health::Warning);
    assert_eq!(
        given_when::<Database>(&given, register(warning_primary.clone())).unwrap(),
        vec![
            instance_registered(warning_primary),
            DatabaseEvent::DatabaseRestored(DatabaseRestored { database_id: database(), health: Health::Warning })
        ]
    );
}

#[test]
fn a_remaining_secondary_taking_over_restores_the_database() {
    let mut given = with_primary_and_secondary();
    given.extend([instance_deregistered(host(1)), deregistered()]);
    let mut promoted = secondary();
    promoted.system_replication = replication(Some(ReplicationRole::Primary));
    let events = given_when::<Database>(&given, register(promoted.clone())).unwrap();
    assert_eq!(
        events,
        vec![
            DatabaseEvent::DatabaseInstanceSystemReplicationChanged(DatabaseInstanceSystemReplicationChanged {
                database_id: database(),
                host_id: host(2),
                instance_number: "00".into(),
                system_replication: promoted.system_replication,
            }),
            DatabaseEvent::DatabaseRestored(DatabaseRestored { database_id: database(), health: Health::Passing })
        ]
    );
}

#[test]
fn stale_instances_are_cleared_by_their_next_registration() {
    let mut given = with_primary_and_secondary();
    let stale = DatabaseEvent::DatabaseInstanceDataMarkedStale(DatabaseInstanceDataMarkedStale {
        database_id: database(),
        host_id: host(2),
        instance_number: "00".into(),
    });
    let events =
        given_when::<Database>(&given, DatabaseCommand::MarkDatabaseInstancesStale { host_id: host(2) }).unwrap();
    assert_eq!(events, vec![stale], "only the instances of that host");
    given.extend(events);

    assert_eq!(
        given_when::<Database>(&given, DatabaseCommand::MarkDatabaseInstancesStale { host_id: host(2) }).unwrap(),
        vec![]
    );
    // An unchanged registration from the host clears the mark.
    assert_eq!(
        given_when::<Database>(&given, register(secondary())).unwrap(),
        vec![DatabaseEvent::DatabaseInstanceDataMarkedInSync(DatabaseInstanceDataMarkedInSync {
            database_id: database(),
            host_id: host(2),
            instance_number: "00".into(),
        })]
    );
    assert_eq!(given_when::<Database>(&given, register(primary())).unwrap(), vec![]);
}

/// The stored shape of each event type is a contract: a change here breaks every stored
/// event. Add a new schema version and an upcaster instead of editing these.
#[test]
fn golden_event_json() {
    let meta = EventMetadata { time: at(), source: "/test".into(), correlation_id: None, causation_id: None };
    let ids = json!({"database_id": database(), "host_id": host(1), "instance_number": "00"});
    let with_ids = |extra: serde_json::Value| {
        let mut data = ids.clone();
        data.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        data
    };
    let primary_replication = json!({"role": "primary", "status": "ACTIVE", "site": "Site1", "mode": "primary",
        "operation_mode": "primary", "source_site": null, "tier": 1});
    let cases = [
        (registered(Health::Passing), json!({"database_id": database(), "sid": "PRD", "health": "passing"})),
        (
            instance_registered(primary()),
            json!({"database_id": database(), "sid": "PRD", "host_id": host(1), "instance_number": "00",
                   "instance_hostname": "vmhana01", "features": "HDB|HDB_WORKER", "http_port": 50013,
                   "https_port": 50014, "start_priority": "0.3", "health": "passing",
                   "system_replication": primary_replication}),
        ),
        (
            tenants_updated(&["PRD"], &[]),
            json!({"database_id": database(), "tenants": [{"name": "PRD"}], "previous_tenants": []}),
        ),
        (
            DatabaseEvent::DatabaseInstanceSystemReplicationChanged(DatabaseInstanceSystemReplicationChanged {
                database_id: database(),
                host_id: host(1),
                instance_number: "00".into(),
                system_replication: replication(Some(ReplicationRole::Primary)),
            }),
            with_ids(json!({"system_replication": primary_replication})),
        ),
        (instance_health_changed(host(1), Health::Critical), with_ids(json!({"health": "critical"}))),
        (health_changed(Health::Warning), json!({"database_id": database(), "health": "warning"})),
        (marked_absent(host(1)), ids.clone()),
        (
            DatabaseEvent::DatabaseInstanceMarkedPresent(DatabaseInstanceMarkedPresent {
                database_id: database(),
                host_id: host(1),
                instance_number: "00".into(),
            }),
            ids.clone(),
        ),
        (instance_deregistered(host(1)), with_ids(json!({"deregistered_at": "2026-01-01T00:00:00Z"}))),
        (deregistered(), json!({"database_id": database(), "deregistered_at": "2026-01-01T00:00:00Z"})),
        (
            DatabaseEvent::DatabaseRestored(DatabaseRestored { database_id: database(), health: Health::Unknown }),
            json!({"database_id": database(), "health": "unknown"}),
        ),
        (
            DatabaseEvent::DatabaseInstanceDataMarkedStale(DatabaseInstanceDataMarkedStale {
                database_id: database(),
                host_id: host(1),
                instance_number: "00".into(),
            }),
            ids.clone(),
        ),
        (
            DatabaseEvent::DatabaseInstanceDataMarkedInSync(DatabaseInstanceDataMarkedInSync {
                database_id: database(),
                host_id: host(1),
                instance_number: "00".into(),
            }),
            ids.clone(),
        ),
    ];
    let types: std::collections::BTreeSet<&str> = cases.iter().map(|(e, _)| e.event_type()).collect();
    assert_eq!(types.len(), 13, "one case per event type");
    for (event, expected) in cases {
        let stored = NewEvent::encode(&event, &database().to_string(), &meta, Uuid::nil());
        assert_eq!(stored.schema_version, 1);
        let data: serde_json::Value = serde_json::from_str(&stored.data).unwrap();
        assert_eq!(data, expected, "{}", stored.event_type);
        let recorded = RecordedEvent { position: 1, stream_id: "database-x".into(), stream_version: 1, event: stored };
        assert_eq!(recorded.decode::<DatabaseEvent>().unwrap(), event, "must read back as written");
    }
}
