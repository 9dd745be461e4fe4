use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;
use vigil_kernel::decider::{DomainEvent, given_when};
use vigil_kernel::envelope::{EventMetadata, NewEvent, RecordedEvent};

use super::*;
use crate::LandscapeCommand;
use crate::database::{DatabaseDeregistered, DatabaseEvent, DatabaseHealthChanged, DatabaseRestored};
use crate::health::Health;

fn database() -> Uuid {
    Uuid::parse_str("458faae1-d7ca-59a7-b0fd-bd9b023bfce9").unwrap()
}

fn system() -> Uuid {
    Uuid::parse_str("6b8afca9-eaa8-5d16-bfeb-323d724659c6").unwrap()
}

fn host(n: u128) -> Uuid {
    Uuid::from_u128(0xe77ab524_c4e4_5381_bb59_5af8639d5200 + n)
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn instance(host_id: Uuid, number: &str, features: &str, ensa: EnsaVersion) -> ApplicationInstance {
    ApplicationInstance {
        host_id,
        instance_number: number.into(),
        instance_hostname: Some(format!("sapha1{number}")),
        features: features.into(),
        http_port: Some(50013),
        https_port: Some(50014),
        start_priority: Some("1".into()),
        health: Health::Passing,
        ensa_version: ensa,
    }
}

fn ascs() -> ApplicationInstance {
    instance(host(1), "00", "MESSAGESERVER|ENQUE", EnsaVersion::Ensa2)
}

fn ers() -> ApplicationInstance {
    instance(host(2), "10", "ENQREP", EnsaVersion::Ensa2)
}

fn pas() -> ApplicationInstance {
    instance(host(3), "01", "ABAP|GATEWAY|ICMAN|IGS", EnsaVersion::NoEnsa)
}

fn java() -> ApplicationInstance {
    instance(host(3), "80", "J2EE|IGS", EnsaVersion::NoEnsa)
}

fn with_health(mut instance: ApplicationInstance, health: Health) -> ApplicationInstance {
    instance.health = health;
    instance
}

fn register_with(instance: ApplicationInstance, database_health: Option<Health>) -> SapSystemCommand {
    SapSystemCommand::RegisterApplicationInstance {
        sap_system_id: system(),
        database_id: database(),
        sid: "HA1".into(),
        tenant: "PRD".into(),
        db_host: "10.0.1.10".into(),
        database_health,
        instance,
    }
}

fn register(instance: ApplicationInstance) -> SapSystemCommand {
    register_with(instance, None)
}

fn instance_registered(instance: ApplicationInstance) -> SapSystemEvent {
    SapSystemEvent::ApplicationInstanceRegistered(ApplicationInstanceRegistered {
        sap_system_id: system(),
        database_id: database(),
        sid: "HA1".into(),
        tenant: "PRD".into(),
        instance,
    })
}

fn system_registered(health: Health, database_health: Option<Health>, ensa: EnsaVersion) -> SapSystemEvent {
    SapSystemEvent::SapSystemRegistered(SapSystemRegistered {
        sap_system_id: system(),
        database_id: database(),
        sid: "HA1".into(),
        tenant: "PRD".into(),
        db_host: "10.0.1.10".into(),
        health,
        database_health,
        ensa_version: ensa,
    })
}

fn health_changed(health: Health) -> SapSystemEvent {
    SapSystemEvent::SapSystemHealthChanged(SapSystemHealthChanged { sap_system_id: system(), health })
}

fn database_health_changed(health: Health) -> SapSystemEvent {
    SapSystemEvent::SapSystemDatabaseHealthChanged(SapSystemDatabaseHealthChanged {
        sap_system_id: system(),
        database_health: health,
    })
}

fn instance_deregistered(host_id: Uuid, number: &str) -> SapSystemEvent {
    SapSystemEvent::ApplicationInstanceDeregistered(ApplicationInstanceDeregistered {
        sap_system_id: system(),
        host_id,
        instance_number: number.into(),
        deregistered_at: at(),
    })
}

fn system_deregistered() -> SapSystemEvent {
    SapSystemEvent::SapSystemDeregistered(SapSystemDeregistered { sap_system_id: system(), deregistered_at: at() })
}

fn marked_absent(host_id: Uuid, number: &str) -> SapSystemEvent {
    SapSystemEvent::ApplicationInstanceMarkedAbsent(ApplicationInstanceMarkedAbsent {
        sap_system_id: system(),
        host_id,
        instance_number: number.into(),
    })
}

/// ASCS, then PAS: a registered system (passing, database health unknown, ENSA2).
fn registered_system() -> Vec<SapSystemEvent> {
    vec![
        instance_registered(ascs()),
        instance_registered(pas()),
        system_registered(Health::Passing, None, EnsaVersion::Ensa2),
    ]
}

fn deregister(host_id: Uuid, number: &str) -> SapSystemCommand {
    SapSystemCommand::DeregisterApplicationInstance { host_id, instance_number: number.into(), at: at() }
}

#[test]
fn the_sap_system_id_is_trentos() {
    // Computed independently with Python's uuid.uuid5, the database id as namespace.
    assert_eq!(sap_system_id(database(), "PRD"), system());
}

#[test]
fn a_message_server_alone_does_not_make_a_system() {
    assert_eq!(given_when::<SapSystem>(&[], register(ascs())).unwrap(), vec![instance_registered(ascs())]);
}

#[test]
fn an_abap_instance_alone_does_not_make_a_system() {
    assert_eq!(given_when::<SapSystem>(&[], register(pas())).unwrap(), vec![instance_registered(pas())]);
}

#[test]
fn a_message_server_and_an_abap_instance_make_a_system() {
    // The system registers with the ENSA version of its (A)SCS even when the ABAP instance,
    // which runs no enqueue process, completes it.
    let given = [instance_registered(ascs())];
    assert_eq!(
        given_when::<SapSystem>(&given, register(pas())).unwrap(),
        vec![instance_registered(pas()), system_registered(Health::Passing, None, EnsaVersion::Ensa2)]
    );
}

#[test]
fn a_j2ee_instance_and_a_message_server_make_a_system() {
    let given = [instance_registered(java())];
    let scs = instance(host(3), "81", "GATEWAY|MESSAGESERVER|ENQUE", EnsaVersion::Ensa1);
    assert_eq!(
        given_when::<SapSystem>(&given, register(scs.clone())).unwrap(),
        vec![instance_registered(scs), system_registered(Health::Passing, None, EnsaVersion::Ensa1)]
    );
}

#[test]
fn an_enqueue_replicator_does_not_make_a_system() {
    let given = [instance_registered(ers())];
    assert_eq!(given_when::<SapSystem>(&given, register(pas())).unwrap(), vec![instance_registered(pas())]);
}

#[test]
fn an_identical_registration_decides_nothing() {
    let given = registered_system();
    assert_eq!(given_when::<SapSystem>(&given, register(ascs())).unwrap(), vec![]);
    assert_eq!(given_when::<SapSystem>(&given, register(pas())).unwrap(), vec![]);
}

#[test]
fn the_system_health_is_the_worst_of_its_instances_and_its_database() {
    let mut given = registered_system();
    let events = given_when::<SapSystem>(&given, register(with_health(pas(), Health::Warning))).unwrap();
    assert_eq!(
        events,
        vec![
            SapSystemEvent::ApplicationInstanceHealthChanged(ApplicationInstanceHealthChanged {
                sap_system_id: system(),
                host_id: host(3),
                instance_number: "01".into(),
                health: Health::Warning,
            }),
            health_changed(Health::Warning)
        ]
    );
    given.extend(events);

    // The database turns critical: worse than any instance.
    let events =
        given_when::<SapSystem>(&given, SapSystemCommand::UpdateDatabaseHealth { health: Health::Critical }).unwrap();
    assert_eq!(events, vec![database_health_changed(Health::Critical), health_changed(Health::Critical)]);
    given.extend(events);
    assert_eq!(
        given_when::<SapSystem>(&given, SapSystemCommand::UpdateDatabaseHealth { health: Health::Critical }).unwrap(),
        vec![],
        "unchanged"
    );

    // The database recovers: the warning instance is now the worst.
    assert_eq!(
        given_when::<SapSystem>(&given, SapSystemCommand::UpdateDatabaseHealth { health: Health::Passing }).unwrap(),
        vec![database_health_changed(Health::Passing), health_changed(Health::Warning)]
    );
}

#[test]
fn a_known_database_health_counts_from_the_registration() {
    let given = [instance_registered(ascs())];
    assert_eq!(
        given_when::<SapSystem>(&given, register_with(pas(), Some(Health::Warning))).unwrap(),
        vec![
            instance_registered(pas()),
            database_health_changed(Health::Warning),
            system_registered(Health::Warning, Some(Health::Warning), EnsaVersion::Ensa2)
        ]
    );
}

#[test]
fn a_system_not_yet_registered_follows_its_database_health_silently() {
    let given = [instance_registered(ascs())];
    let events =
        given_when::<SapSystem>(&given, SapSystemCommand::UpdateDatabaseHealth { health: Health::Critical }).unwrap();
    assert_eq!(events, vec![database_health_changed(Health::Critical)]);
    let mut given = given.to_vec();
    given.extend(events);
    assert_eq!(
        given_when::<SapSystem>(&given, register(pas())).unwrap(),
        vec![
            instance_registered(pas()),
            system_registered(Health::Critical, Some(Health::Critical), EnsaVersion::Ensa2)
        ]
    );
}

#[test]
fn the_ensa_version_follows_the_enqueue_instances() {
    let given = registered_system();
    let ensa1_ascs = instance(host(1), "00", "MESSAGESERVER|ENQUE", EnsaVersion::Ensa1);
    assert_eq!(
        given_when::<SapSystem>(&given, register(ensa1_ascs)).unwrap(),
        vec![SapSystemEvent::SapSystemUpdated(SapSystemUpdated {
            sap_system_id: system(),
            ensa_version: EnsaVersion::Ensa1
        })]
    );
    // An instance without an enqueue process says nothing of the version.
    let aas = instance(host(4), "02", "ABAP|GATEWAY|ICMAN|IGS", EnsaVersion::NoEnsa);
    assert_eq!(given_when::<SapSystem>(&given, register(aas.clone())).unwrap(), vec![instance_registered(aas)]);
}

#[test]
fn an_instance_no_longer_discovered_is_absent_until_discovered_again() {
    let mut given = registered_system();
    let absent = SapSystemCommand::MarkApplicationInstanceAbsent { host_id: host(3), instance_number: "01".into() };
    let events = given_when::<SapSystem>(&given, absent.clone()).unwrap();
    assert_eq!(events, vec![marked_absent(host(3), "01")]);
    given.extend(events);
    assert_eq!(given_when::<SapSystem>(&given, absent).unwrap(), vec![], "already absent");
    assert_eq!(
        given_when::<SapSystem>(&given, register(pas())).unwrap(),
        vec![SapSystemEvent::ApplicationInstanceMarkedPresent(ApplicationInstanceMarkedPresent {
            sap_system_id: system(),
            host_id: host(3),
            instance_number: "01".into(),
        })]
    );
}

#[test]
fn commands_other_than_registration_need_a_known_system() {
    for command in [
        SapSystemCommand::MarkApplicationInstanceAbsent { host_id: host(1), instance_number: "00".into() },
        deregister(host(1), "00"),
        SapSystemCommand::DeleteAbsentApplicationInstance { host_id: host(1), instance_number: "00".into(), at: at() },
        SapSystemCommand::MarkApplicationInstancesStale { host_id: host(1) },
        SapSystemCommand::UpdateDatabaseHealth { health: Health::Passing },
        SapSystemCommand::DeregisterSapSystem { at: at() },
        SapSystemCommand::RestoreSapSystem,
    ] {
        assert_eq!(
            given_when::<SapSystem>(&[], command.clone()).unwrap_err(),
            SapSystemRejection::NotRegistered,
            "{command:?}"
        );
    }
}

#[test]
fn a_present_instance_cannot_be_deleted() {
    let mut given = registered_system();
    let delete =
        SapSystemCommand::DeleteAbsentApplicationInstance { host_id: host(1), instance_number: "00".into(), at: at() };
    let err = given_when::<SapSystem>(&given, delete.clone()).unwrap_err();
    assert_eq!(
        err,
        SapSystemRejection::InstanceStillPresent {
            sap_system_id: system(),
            host_id: host(1),
            instance_number: "00".into()
        }
    );
    assert!(err.to_string().contains("is present and cannot be deleted"), "{err}");

    // Once absent it can be; without its message server the system is deregistered.
    given.push(marked_absent(host(1), "00"));
    assert_eq!(
        given_when::<SapSystem>(&given, delete).unwrap(),
        vec![instance_deregistered(host(1), "00"), system_deregistered()]
    );
}

#[test]
fn the_system_is_deregistered_when_its_instances_no_longer_make_one() {
    let mut given = registered_system();
    given.push(instance_registered(ers()));
    assert_eq!(
        given_when::<SapSystem>(&given, deregister(host(2), "10")).unwrap(),
        vec![instance_deregistered(host(2), "10")],
        "the ERS is not needed"
    );
    let events = given_when::<SapSystem>(&given, deregister(host(3), "01")).unwrap();
    assert_eq!(events, vec![instance_deregistered(host(3), "01"), system_deregistered()]);
    given.extend(events);

    // The remaining instances go too: no further system event.
    let events = given_when::<SapSystem>(&given, deregister(host(1), "00")).unwrap();
    assert_eq!(events, vec![instance_deregistered(host(1), "00")]);
    given.extend(events);
    let events = given_when::<SapSystem>(&given, deregister(host(2), "10")).unwrap();
    assert_eq!(events, vec![instance_deregistered(host(2), "10")]);
    given.extend(events);
    assert!(matches!(
        given_when::<SapSystem>(&given, deregister(host(2), "10")).unwrap_err(),
        SapSystemRejection::InstanceNotRegistered { .. }
    ));
}

#[test]
fn removing_the_worst_instance_improves_the_system_health() {
    let mut given = registered_system();
    given.extend([instance_registered(with_health(ers(), Health::Critical)), health_changed(Health::Critical)]);
    assert_eq!(
        given_when::<SapSystem>(&given, deregister(host(2), "10")).unwrap(),
        vec![instance_deregistered(host(2), "10"), health_changed(Health::Passing)]
    );
}

#[test]
fn the_system_is_deregistered_with_its_database_and_restored_by_a_registration() {
    let mut given = registered_system();
    let events = given_when::<SapSystem>(&given, SapSystemCommand::DeregisterSapSystem { at: at() }).unwrap();
    assert_eq!(events, vec![system_deregistered()]);
    given.extend(events);
    assert_eq!(
        given_when::<SapSystem>(&given, SapSystemCommand::DeregisterSapSystem { at: at() }).unwrap(),
        vec![],
        "already deregistered"
    );

    // The next registration of one of its instances, even unchanged, restores it.
    assert_eq!(
        given_when::<SapSystem>(&given, register(with_health(pas(), Health::Warning))).unwrap(),
        vec![
            SapSystemEvent::ApplicationInstanceHealthChanged(ApplicationInstanceHealthChanged {
                sap_system_id: system(),
                host_id: host(3),
                instance_number: "01".into(),
                health: Health::Warning,
            }),
            SapSystemEvent::SapSystemRestored(SapSystemRestored { sap_system_id: system(), health: Health::Warning })
        ]
    );
    // So does the database's restoration.
    assert_eq!(
        given_when::<SapSystem>(&given, SapSystemCommand::RestoreSapSystem).unwrap(),
        vec![SapSystemEvent::SapSystemRestored(SapSystemRestored { sap_system_id: system(), health: Health::Passing })]
    );
}

#[test]
fn a_system_deregistered_for_lack_of_instances_is_restored_when_they_return() {
    let mut given = registered_system();
    given.extend([instance_deregistered(host(3), "01"), system_deregistered()]);
    assert_eq!(
        given_when::<SapSystem>(&given, SapSystemCommand::RestoreSapSystem).unwrap(),
        vec![],
        "its instances do not make a system"
    );
    assert_eq!(
        given_when::<SapSystem>(&given, register(pas())).unwrap(),
        vec![
            instance_registered(pas()),
            SapSystemEvent::SapSystemRestored(SapSystemRestored { sap_system_id: system(), health: Health::Passing })
        ]
    );
}

#[test]
fn a_system_never_registered_is_not_deregistered_with_its_database() {
    let given = [instance_registered(ascs())];
    assert_eq!(given_when::<SapSystem>(&given, SapSystemCommand::DeregisterSapSystem { at: at() }).unwrap(), vec![]);
}

#[test]
fn stale_instances_are_cleared_by_their_next_registration() {
    let mut given = registered_system();
    let stale = SapSystemEvent::ApplicationInstanceDataMarkedStale(ApplicationInstanceDataMarkedStale {
        sap_system_id: system(),
        host_id: host(1),
        instance_number: "00".into(),
    });
    let mark = SapSystemCommand::MarkApplicationInstancesStale { host_id: host(1) };
    let events = given_when::<SapSystem>(&given, mark.clone()).unwrap();
    assert_eq!(events, vec![stale], "only the instances of that host");
    given.extend(events);
    assert_eq!(given_when::<SapSystem>(&given, mark).unwrap(), vec![]);
    assert_eq!(
        given_when::<SapSystem>(&given, register(ascs())).unwrap(),
        vec![SapSystemEvent::ApplicationInstanceDataMarkedInSync(ApplicationInstanceDataMarkedInSync {
            sap_system_id: system(),
            host_id: host(1),
            instance_number: "00".into(),
        })]
    );
}

#[test]
fn database_events_become_commands_for_its_systems() {
    let health_changed = DatabaseEvent::DatabaseHealthChanged(DatabaseHealthChanged {
        database_id: database(),
        health: Health::Critical,
    });
    assert_eq!(
        react_to_database(&health_changed),
        vec![SapSystemCommand::UpdateDatabaseHealth { health: Health::Critical }]
    );
    let deregistered =
        DatabaseEvent::DatabaseDeregistered(DatabaseDeregistered { database_id: database(), deregistered_at: at() });
    assert_eq!(react_to_database(&deregistered), vec![SapSystemCommand::DeregisterSapSystem { at: at() }]);
    let restored =
        DatabaseEvent::DatabaseRestored(DatabaseRestored { database_id: database(), health: Health::Warning });
    assert_eq!(
        react_to_database(&restored),
        vec![SapSystemCommand::UpdateDatabaseHealth { health: Health::Warning }, SapSystemCommand::RestoreSapSystem]
    );
}

#[test]
fn resolution_finds_the_database_by_address_and_tenant() {
    let registration = ApplicationInstanceRegistration {
        sid: "HA1".into(),
        tenant: "PRD".into(),
        db_host: "10.0.1.10".into(),
        instance: pas(),
    };
    let directory = InMemoryDatabaseDirectory::new()
        .with(KnownDatabase {
            database_id: Uuid::from_u128(1),
            host_addresses: vec!["10.0.1.10/24".into()],
            tenants: vec!["QAS".into()],
            health: None,
        })
        .with(KnownDatabase {
            database_id: database(),
            host_addresses: vec!["127.0.0.1/8".into(), "10.0.1.10/24".into()],
            tenants: vec!["PRD".into()],
            health: Some(Health::Warning),
        });
    assert_eq!(
        resolve(registration.clone(), &directory).unwrap(),
        LandscapeCommand::SapSystem { sap_system_id: system(), command: register_with(pas(), Some(Health::Warning)) }
    );

    let nowhere = ApplicationInstanceRegistration { db_host: "10.0.1.11".into(), ..registration };
    let err = resolve(nowhere.clone(), &directory).unwrap_err();
    assert_eq!((err.db_host(), err.tenant()), ("10.0.1.11", "PRD"));
    assert_eq!(*err.registration, nowhere, "handed back for a later retry");
    assert_eq!(err.to_string(), "no database with host 10.0.1.11 and tenant PRD for instance 01 of HA1");
}

/// The stored shape of each event type is a contract: a change here breaks every stored
/// event. Add a new schema version and an upcaster instead of editing these.
#[test]
fn golden_event_json() {
    let meta = EventMetadata { time: at(), source: "/test".into(), correlation_id: None, causation_id: None };
    let ids = json!({"sap_system_id": system(), "host_id": host(1), "instance_number": "00"});
    let with_ids = |extra: serde_json::Value| {
        let mut data = ids.clone();
        data.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        data
    };
    let instance_key = || (system(), host(1), "00".to_owned());
    let cases = [
        (
            instance_registered(ascs()),
            json!({"sap_system_id": system(), "database_id": database(), "sid": "HA1", "tenant": "PRD",
                   "host_id": host(1), "instance_number": "00", "instance_hostname": "sapha100",
                   "features": "MESSAGESERVER|ENQUE", "http_port": 50013, "https_port": 50014,
                   "start_priority": "1", "health": "passing", "ensa_version": "ensa2"}),
        ),
        (
            SapSystemEvent::ApplicationInstanceHealthChanged(ApplicationInstanceHealthChanged {
                sap_system_id: system(),
                host_id: host(1),
                instance_number: "00".into(),
                health: Health::Critical,
            }),
            with_ids(json!({"health": "critical"})),
        ),
        (marked_absent(host(1), "00"), ids.clone()),
        (
            {
                let (sap_system_id, host_id, instance_number) = instance_key();
                SapSystemEvent::ApplicationInstanceMarkedPresent(ApplicationInstanceMarkedPresent {
                    sap_system_id,
                    host_id,
                    instance_number,
                })
            },
            ids.clone(),
        ),
        (instance_deregistered(host(1), "00"), with_ids(json!({"deregistered_at": "2026-01-01T00:00:00Z"}))),
        (
            {
                let (sap_system_id, host_id, instance_number) = instance_key();
                SapSystemEvent::ApplicationInstanceDataMarkedStale(ApplicationInstanceDataMarkedStale {
                    sap_system_id,
                    host_id,
                    instance_number,
                })
            },
            ids.clone(),
        ),
        (
            {
                let (sap_system_id, host_id, instance_number) = instance_key();
                SapSystemEvent::ApplicationInstanceDataMarkedInSync(ApplicationInstanceDataMarkedInSync {
                    sap_system_id,
                    host_id,
                    instance_number,
                })
            },
            ids.clone(),
        ),
        (
            system_registered(Health::Warning, None, EnsaVersion::NoEnsa),
            json!({"sap_system_id": system(), "database_id": database(), "sid": "HA1", "tenant": "PRD",
                   "db_host": "10.0.1.10", "health": "warning", "database_health": null,
                   "ensa_version": "no_ensa"}),
        ),
        (
            SapSystemEvent::SapSystemUpdated(SapSystemUpdated {
                sap_system_id: system(),
                ensa_version: EnsaVersion::Ensa1,
            }),
            json!({"sap_system_id": system(), "ensa_version": "ensa1"}),
        ),
        (health_changed(Health::Unknown), json!({"sap_system_id": system(), "health": "unknown"})),
        (database_health_changed(Health::Passing), json!({"sap_system_id": system(), "database_health": "passing"})),
        (system_deregistered(), json!({"sap_system_id": system(), "deregistered_at": "2026-01-01T00:00:00Z"})),
        (
            SapSystemEvent::SapSystemRestored(SapSystemRestored { sap_system_id: system(), health: Health::Passing }),
            json!({"sap_system_id": system(), "health": "passing"}),
        ),
    ];
    let types: std::collections::BTreeSet<&str> = cases.iter().map(|(e, _)| e.event_type()).collect();
    assert_eq!(types.len(), 13, "one case per event type");
    for (event, expected) in cases {
        let stored = NewEvent::encode(&event, &system().to_string(), &meta, Uuid::nil());
        assert_eq!(stored.schema_version, 1);
        let data: serde_json::Value = serde_json::from_str(&stored.data).unwrap();
        assert_eq!(data, expected, "{}", stored.event_type);
        let recorded =
            RecordedEvent { position: 1, stream_id: "sap_system-x".into(), stream_version: 1, event: stored };
        assert_eq!(recorded.decode::<SapSystemEvent>().unwrap(), event, "must read back as written");
    }
}
