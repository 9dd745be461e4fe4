//! Every `sap_system_discovery*.json` of the shared Trento corpus and of its scenarios,
//! through the ScenarioDetector, and the single-hana-single-app scenario through resolution
//! and both deciders. Expected values are read off the payload files by hand.

use std::path::{Path, PathBuf};

use uuid::Uuid;
use vigil_kernel::decider::{Decider, given_when};
use vigil_landscape::LandscapeCommand;
use vigil_landscape::database::{
    self, Database, DatabaseCommand, DatabaseEvent, DatabaseInstance, ReplicationRole, SystemReplication, Tenant,
    database_id,
};
use vigil_landscape::discovery::{Discovery, DiscoveryContext, DiscoveryType, InstanceRef, ScenarioDetector};
use vigil_landscape::health::Health;
use vigil_landscape::host::HostCommand;
use vigil_landscape::sap_system::{
    ApplicationInstance, ApplicationInstanceRegistration, EnsaVersion, InMemoryDatabaseDirectory, KnownDatabase,
    SapSystem, SapSystemCommand, SapSystemEvent, resolve, sap_system_id,
};

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// The agent id and the payload (as JSON text) of a discovery file.
fn read(path: &Path) -> (Uuid, String) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    (envelope["agent_id"].as_str().unwrap().parse().unwrap(), envelope["payload"].to_string())
}

fn detect_file(path: &Path, discovery_type: DiscoveryType, context: &DiscoveryContext) -> Vec<LandscapeCommand> {
    let (agent_id, payload) = read(path);
    ScenarioDetector::detect(&Discovery { agent_id, discovery_type, payload: &payload }, context)
        .unwrap_or_else(|e| panic!("{} must be accepted: {e}", path.display()))
}

fn detect_payload(payload: &str) -> Result<Vec<LandscapeCommand>, String> {
    ScenarioDetector::detect(
        &Discovery { agent_id: Uuid::nil(), discovery_type: DiscoveryType::SapSystem, payload },
        &DiscoveryContext::default(),
    )
    .map_err(|e| e.to_string())
}

/// The table-driven check: `fixture` (a file of the corpus's `discovery/`) means exactly
/// `expected`, given what `context` says is on the host now.
fn check(fixture: &str, context: &DiscoveryContext, expected: Vec<LandscapeCommand>) {
    let commands = detect_file(&fixtures().join("discovery").join(fixture), DiscoveryType::SapSystem, context);
    assert_eq!(commands, expected, "{fixture}");
}

const HANA_HOST: &str = "779cdd70-e9e2-58ca-b18a-bf3eb3f71244";
const MULTI_TENANT_HOST: &str = "6a5dc5da-e28b-5b3c-8808-8dc88714720d";
const NWQ_HOST: &str = "9cd46919-5f19-59aa-993e-cf3736c71053";

fn uuid(text: &str) -> Uuid {
    text.parse().unwrap()
}

/// A `RegisterDatabaseInstance` of the entry `entry_id`.
fn database_instance(entry_id: &str, sid: &str, tenants: &[&str], instance: DatabaseInstance) -> LandscapeCommand {
    LandscapeCommand::Database {
        database_id: database_id(entry_id),
        command: DatabaseCommand::RegisterDatabaseInstance {
            database_id: database_id(entry_id),
            sid: sid.into(),
            tenants: tenants.iter().map(|t| Tenant::new(*t)).collect(),
            instance,
        },
    }
}

/// A HANA instance: features `HDB|HDB_WORKER` and start priority 0.3 in every fixture.
fn hana(host: &str, number: &str, hostname: &str, ports: (u16, u16), health: Health) -> DatabaseInstance {
    DatabaseInstance {
        host_id: uuid(host),
        instance_number: number.into(),
        instance_hostname: Some(hostname.into()),
        features: "HDB|HDB_WORKER".into(),
        http_port: Some(ports.0),
        https_port: Some(ports.1),
        start_priority: Some("0.3".into()),
        health,
        system_replication: SystemReplication::default(),
    }
}

fn replicating(instance: DatabaseInstance, system_replication: SystemReplication) -> DatabaseInstance {
    DatabaseInstance { system_replication, ..instance }
}

/// Replication as read from `hdbnsutil`: role, site, mode, operation mode, source, tier;
/// the status from `SystemReplication.overall_replication_status`.
fn sr(
    role: Option<ReplicationRole>,
    status: Option<&str>,
    site: Option<&str>,
    mode: Option<&str>,
    operation_mode: Option<&str>,
    source_site: Option<&str>,
    tier: Option<u32>,
) -> SystemReplication {
    SystemReplication {
        role,
        status: status.map(Into::into),
        site: site.map(Into::into),
        mode: mode.map(Into::into),
        operation_mode: operation_mode.map(Into::into),
        source_site: source_site.map(Into::into),
        tier,
    }
}

struct App {
    host: &'static str,
    number: &'static str,
    hostname: &'static str,
    features: &'static str,
    ports: (u16, u16),
    start_priority: &'static str,
    health: Health,
    ensa: EnsaVersion,
}

fn application_instance(sid: &str, tenant: &str, db_host: &str, app: App) -> LandscapeCommand {
    LandscapeCommand::ResolveApplicationInstance(ApplicationInstanceRegistration {
        sid: sid.into(),
        tenant: tenant.into(),
        db_host: db_host.into(),
        instance: ApplicationInstance {
            host_id: uuid(app.host),
            instance_number: app.number.into(),
            instance_hostname: Some(app.hostname.into()),
            features: app.features.into(),
            http_port: Some(app.ports.0),
            https_port: Some(app.ports.1),
            start_priority: Some(app.start_priority.into()),
            health: app.health,
            ensa_version: app.ensa,
        },
    })
}

/// The D02 instance of HA1 on the application fixtures' host (`Type` 2): the AAS whose
/// SAPControl entry is the one marked `currentInstance`, running no enqueue process.
fn ha1_aas() -> LandscapeCommand {
    application_instance(
        "HA1",
        "PRD",
        "10.74.1.12",
        App {
            host: HANA_HOST,
            number: "02",
            hostname: "sapha1aas1",
            features: "ABAP|GATEWAY|ICMAN|IGS",
            ports: (50213, 50214),
            start_priority: "3",
            health: Health::Passing,
            ensa: EnsaVersion::NoEnsa,
        },
    )
}

#[test]
fn every_sap_system_fixture_means_the_commands_trento_derives() {
    use ReplicationRole::{Primary, Secondary};
    let cases: Vec<(&str, Vec<LandscapeCommand>)> = vec![
        // PRD, the primary of Site1 (tier 1) replicating to Site2; overall status ERROR.
        (
            "sap_system_discovery_database.json",
            vec![database_instance(
                "e06e328f8d6b0f46c1e66ffcd44d0dd7",
                "PRD",
                &["PRD"],
                replicating(
                    hana(HANA_HOST, "00", "vmhana01", (50013, 50014), Health::Passing),
                    sr(Some(Primary), Some("ERROR"), Some("Site1"), Some("primary"), Some("primary"), None, Some(1)),
                ),
            )],
        ),
        // HS6 with two tenants and no system replication (`mode: none`).
        (
            "sap_system_discovery_database_multi_tenant.json",
            vec![database_instance(
                "bf970e0404d21abf439a45bff0e6daa9",
                "HS6",
                &["HS6", "S4TENANT"],
                replicating(
                    hana(MULTI_TENANT_HOST, "56", "vms4cs3", (55613, 55614), Health::Passing),
                    sr(None, None, None, Some("none"), None, None, None),
                ),
            )],
        ),
        // The same PRD seen from its secondary: Site2, sync, fed by Site1, tier 2.
        (
            "sap_system_discovery_database_secondary.json",
            vec![database_instance(
                "e06e328f8d6b0f46c1e66ffcd44d0dd7",
                "PRD",
                &["PRD"],
                replicating(
                    hana(HANA_HOST, "00", "vmhdbdev02", (51013, 51014), Health::Passing),
                    sr(Some(Secondary), None, Some("Site2"), Some("sync"), Some("logreplay"), Some("Site1"), Some(2)),
                ),
            )],
        ),
        // HDP stopped: GRAY is unknown health; primary of site WDF without tier data.
        (
            "sap_system_discovery_database_stopped_instance.json",
            vec![database_instance(
                "1154f7678ac587e5f0f242830a5201f1",
                "HDP",
                &["HDP"],
                replicating(
                    hana(NWQ_HOST, "10", "vmhdbprd01", (51013, 51014), Health::Unknown),
                    sr(Some(Primary), None, Some("WDF"), Some("primary"), Some("unknown"), None, None),
                ),
            )],
        ),
        // HA1's AAS, to be resolved against the database at 10.74.1.12 with tenant PRD.
        ("sap_system_discovery_application.json", vec![ha1_aas()]),
        // The same plus a diagnostics agent (`Type` 3, DAA), which is ignored.
        ("sap_system_discovery_application_diagnostics.json", vec![ha1_aas()]),
        // No SAP system on the host.
        ("sap_system_discovery_empty.json", vec![]),
        // NWQ of unknown type (0) without instances.
        ("sap_system_discovery_empty_application_instances.json", vec![]),
    ];
    let n_fixtures = std::fs::read_dir(fixtures().join("discovery"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("sap_system_discovery"))
        .count();
    assert_eq!(cases.len(), n_fixtures, "every fixture has a case");
    for (fixture, expected) in cases {
        check(fixture, &DiscoveryContext::default(), expected);
    }
}

#[test]
fn instances_the_host_no_longer_runs_are_marked_absent() {
    let prd = database_id("e06e328f8d6b0f46c1e66ffcd44d0dd7");
    let ha1 = Uuid::from_u128(7);
    let context = DiscoveryContext {
        current_cluster_id: None,
        database_instances: vec![InstanceRef { aggregate_id: prd, instance_number: "00".into() }],
        application_instances: vec![InstanceRef { aggregate_id: ha1, instance_number: "02".into() }],
    };
    let absent_database = LandscapeCommand::Database {
        database_id: prd,
        command: DatabaseCommand::MarkDatabaseInstanceAbsent { host_id: uuid(NWQ_HOST), instance_number: "00".into() },
    };
    let absent_application = LandscapeCommand::SapSystem {
        sap_system_id: ha1,
        command: SapSystemCommand::MarkApplicationInstanceAbsent {
            host_id: uuid(NWQ_HOST),
            instance_number: "02".into(),
        },
    };
    check("sap_system_discovery_empty.json", &context, vec![absent_database.clone(), absent_application.clone()]);
    check("sap_system_discovery_empty_application_instances.json", &context, vec![absent_database, absent_application]);

    // The host of the database fixture still runs PRD's instance 00; HA1's 02 is gone.
    let commands = detect_file(
        &fixtures().join("discovery/sap_system_discovery_database.json"),
        DiscoveryType::SapSystem,
        &context,
    );
    match commands.as_slice() {
        [
            LandscapeCommand::SapSystem {
                sap_system_id,
                command: SapSystemCommand::MarkApplicationInstanceAbsent { instance_number, .. },
            },
            LandscapeCommand::Database { command: DatabaseCommand::RegisterDatabaseInstance { .. }, .. },
        ] => assert_eq!((*sap_system_id, instance_number.as_str()), (ha1, "02")),
        other => panic!("expected HA1's absence then PRD's registration, got {other:?}"),
    }

    // An application host listing 02 marks nothing of it absent.
    let commands = detect_file(
        &fixtures().join("discovery/sap_system_discovery_application.json"),
        DiscoveryType::SapSystem,
        &DiscoveryContext { database_instances: vec![], ..context },
    );
    assert_eq!(commands, vec![ha1_aas()]);
}

fn scenario_sap_system_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for scenario in std::fs::read_dir(fixtures().join("scenarios")).unwrap() {
        for file in std::fs::read_dir(scenario.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.to_string_lossy().ends_with("_sap_system_discovery.json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_scenario_sap_system_payload_is_accepted() {
    let files = scenario_sap_system_files();
    assert_eq!(files.len(), 13, "the scenarios hold thirteen SAP system discoveries");
    for path in files {
        detect_file(&path, DiscoveryType::SapSystem, &DiscoveryContext::default());
    }
}

fn scenario(name: &str, agent: &str, discovery_type: DiscoveryType) -> Vec<LandscapeCommand> {
    let file = format!("{agent}_{}.json", discovery_type.as_str());
    detect_file(&fixtures().join("scenarios").join(name).join(file), discovery_type, &DiscoveryContext::default())
}

fn replication_of(command: &LandscapeCommand) -> SystemReplication {
    match command {
        LandscapeCommand::Database { command: DatabaseCommand::RegisterDatabaseInstance { instance, .. }, .. } => {
            instance.system_replication.clone()
        }
        other => panic!("expected RegisterDatabaseInstance, got {other:?}"),
    }
}

#[test]
fn a_multi_tier_replication_names_each_sites_source_and_tier() {
    use ReplicationRole::{Primary, Secondary};
    // siteMapping/SITEB lists both SITEC and SITEA: SITEB feeds both.
    let tiers = [
        (
            "219bf05b-c6a7-4de3-bcf8-852b42fc6a4f",
            sr(Some(Primary), Some("ACTIVE"), Some("SITEB"), Some("primary"), Some("primary"), None, Some(1)),
        ),
        (
            "2b64f956-a49c-4652-ae03-3c24b570eb17",
            sr(Some(Secondary), None, Some("SITEA"), Some("sync"), Some("logreplay"), Some("SITEB"), Some(2)),
        ),
        (
            "42f15836-de3e-4bda-936f-1af85f683c08",
            sr(Some(Secondary), None, Some("SITEC"), Some("async"), Some("logreplay"), Some("SITEB"), Some(2)),
        ),
    ];
    for (agent, expected) in tiers {
        let commands = scenario("hana-scale-up-multi-tier", agent, DiscoveryType::SapSystem);
        assert_eq!(commands.len(), 1, "{agent}");
        assert_eq!(replication_of(&commands[0]), expected, "{agent}");
    }
}

/// Regression: the cost-optimised scenario's HDC10 comes from an agent that does not mark
/// the current SAPControl instance; Trento then takes the one with the instance's own host
/// name and number, and so must Vigil, or the instance has no features and unknown health.
#[test]
fn an_unmarked_current_instance_is_found_by_host_name_and_number() {
    let commands = scenario("hana-scale-up-cost-opt", "2372b24f-3d7a-5d01-9b1a-a2c4c95c53d4", DiscoveryType::SapSystem);
    let host = "2372b24f-3d7a-5d01-9b1a-a2c4c95c53d4";
    assert_eq!(
        commands,
        vec![
            database_instance(
                "0661e352d27724f9ae4c87f5f5136698",
                "HDC",
                &["HDC"],
                replicating(
                    hana(host, "10", "vmhdbcost02", (51013, 51014), Health::Passing),
                    sr(
                        Some(ReplicationRole::Secondary),
                        None,
                        Some("SECONDARY_SITE_NAME"),
                        Some("sync"),
                        Some("logreplay"),
                        Some("PRIMARY_SITE_NAME"),
                        Some(2),
                    ),
                ),
            ),
            database_instance(
                "359b9a561ea0fdac5f52a5014523b7bf",
                "QAS",
                &["QAS"],
                replicating(
                    hana(host, "20", "vmhdbcost02", (52013, 52014), Health::Passing),
                    sr(None, None, None, Some("none"), None, None, None),
                ),
            ),
        ]
    );
}

#[test]
fn a_java_system_reports_its_enqueue_version_from_the_scs() {
    let host = "a18a203d-4f2f-4d21-b9a5-e300a9c5eeee";
    let app = |number, features, ports, start_priority, ensa| App {
        host,
        number,
        hostname: "hsonwjava",
        features,
        ports,
        start_priority,
        health: Health::Passing,
        ensa,
    };
    assert_eq!(
        scenario("sap-system-java", host, DiscoveryType::SapSystem),
        vec![
            application_instance(
                "NWJ",
                "HTJ",
                "10.17.0.4",
                app("80", "J2EE|IGS", (58013, 58014), "3", EnsaVersion::NoEnsa)
            ),
            application_instance(
                "NWJ",
                "HTJ",
                "10.17.0.4",
                app("81", "GATEWAY|MESSAGESERVER|ENQUE", (58113, 58114), "1", EnsaVersion::Ensa1)
            ),
        ]
    );
}

const SINGLE_HANA: &str = "c4914bd4-efa3-553a-9a52-e9b562e210e5";
const SINGLE_APP: &str = "e77ab524-c4e4-5381-bb59-5af8639d52a4";

/// single-hana-single-app: the application's `DBAddress` (10.0.1.10) is an address of the
/// HANA host, whose database PRD holds tenant PRD; resolution finds it, and the two
/// application instances (ASCS00 with the message server, D01 with ABAP) make HA1.
#[test]
fn the_single_hana_single_app_scenario_resolves_and_registers_its_sap_system() {
    let name = "single-hana-single-app";
    let hana_commands = scenario(name, SINGLE_HANA, DiscoveryType::SapSystem);
    let [
        LandscapeCommand::Database {
            database_id: prd,
            command: register_database @ DatabaseCommand::RegisterDatabaseInstance { tenants, .. },
        },
    ] = hana_commands.as_slice()
    else {
        panic!("expected one RegisterDatabaseInstance, got {hana_commands:?}");
    };
    assert_eq!(*prd, database_id("e058aaacf42f039937c4a43bf3df350b"));
    assert_eq!(tenants, &[Tenant::new("PRD")]);

    // The directory as the server would build it from read models: the database's tenants
    // and the addresses of the host running its instance, from that host's discovery.
    let host_commands = scenario(name, SINGLE_HANA, DiscoveryType::Host);
    let [LandscapeCommand::Host { command: HostCommand::RegisterHost { details, .. }, .. }] = host_commands.as_slice()
    else {
        panic!("expected one RegisterHost, got {host_commands:?}");
    };
    assert!(details.ip_addresses.contains(&"10.0.1.10/24".to_owned()));
    let directory = InMemoryDatabaseDirectory::new().with(KnownDatabase {
        database_id: *prd,
        host_addresses: details.ip_addresses.clone(),
        tenants: tenants.iter().map(|t| t.name.clone()).collect(),
        health: Some(Health::Passing),
    });

    let database_events = given_when::<Database>(&[], register_database.clone()).unwrap();
    assert!(matches!(database_events[0], DatabaseEvent::DatabaseRegistered(_)));
    assert_eq!(Database::fold(&database_events).health, Health::Passing);

    let app_commands = scenario(name, SINGLE_APP, DiscoveryType::SapSystem);
    assert_eq!(app_commands.len(), 2, "ASCS00 and D01");
    let ha1 = sap_system_id(*prd, "PRD");
    let mut history: Vec<SapSystemEvent> = Vec::new();
    for command in app_commands {
        let LandscapeCommand::ResolveApplicationInstance(registration) = command else {
            panic!("expected an application instance, got {command:?}");
        };
        assert_eq!(
            (registration.sid.as_str(), registration.tenant.as_str(), registration.db_host.as_str()),
            ("HA1", "PRD", "10.0.1.10")
        );
        let LandscapeCommand::SapSystem { sap_system_id, command } = resolve(registration, &directory).unwrap() else {
            panic!("resolution yields a SAP system command");
        };
        assert_eq!(sap_system_id, ha1);
        let events = given_when::<SapSystem>(&history, command).unwrap();
        history.extend(events);
    }
    let registered: Vec<_> = history
        .iter()
        .filter_map(|e| match e {
            SapSystemEvent::SapSystemRegistered(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(registered.len(), 1, "{history:?}");
    let r = registered[0];
    assert_eq!((r.sap_system_id, r.database_id), (ha1, *prd));
    assert_eq!((r.sid.as_str(), r.tenant.as_str()), ("HA1", "PRD"));
    assert_eq!(r.ensa_version, EnsaVersion::Ensa2, "ASCS00 runs enq_server");
    assert_eq!((r.health, r.database_health), (Health::Passing, Some(Health::Passing)));

    let state = SapSystem::fold(&history);
    let numbers: Vec<&str> = state.instances.iter().map(|i| i.instance.instance_number.as_str()).collect();
    assert_eq!(numbers, ["00", "01"]);

    // Another tenant on the same host is not this database.
    let other = ApplicationInstanceRegistration {
        sid: "HA2".into(),
        tenant: "QAS".into(),
        db_host: "10.0.1.10".into(),
        instance: state.instances[0].instance.clone(),
    };
    let unresolved = resolve(other, &directory).unwrap_err();
    assert_eq!((unresolved.db_host(), unresolved.tenant()), ("10.0.1.10", "QAS"));
}

#[test]
fn the_secondary_discovered_first_is_refused_until_its_primary_registers() {
    let secondary = detect_file(
        &fixtures().join("discovery/sap_system_discovery_database_secondary.json"),
        DiscoveryType::SapSystem,
        &DiscoveryContext::default(),
    );
    let primary = detect_file(
        &fixtures().join("discovery/sap_system_discovery_database.json"),
        DiscoveryType::SapSystem,
        &DiscoveryContext::default(),
    );
    let command = |commands: &[LandscapeCommand]| match commands {
        [LandscapeCommand::Database { command, .. }] => command.clone(),
        other => panic!("expected one database command, got {other:?}"),
    };
    let err = given_when::<Database>(&[], command(&secondary)).unwrap_err();
    assert!(matches!(err, database::DatabaseRejection::SecondaryBeforePrimary { .. }));
    let history = given_when::<Database>(&[], command(&primary)).unwrap();
    // Both fixtures come from the same agent and instance number, so after the primary the
    // secondary's payload reads as that instance having changed role, not as a new instance.
    let events = given_when::<Database>(&history, command(&secondary)).unwrap();
    assert!(matches!(events.as_slice(), [DatabaseEvent::DatabaseInstanceSystemReplicationChanged(_)]), "{events:?}");
}

#[test]
fn bad_payloads_name_the_field() {
    let system = |instance_extra: &str, system_extra: &str| {
        format!(
            r#"[{{"Id": "x", "SID": "PRD", "Type": 1, "Databases": [{{"Database": "PRD"}}], {system_extra}
                "Instances": [{{"Host": "h", "Name": "HDB00", "Type": 1, "SAPControl": {{
                    "Properties": [{{"property": "SAPSYSTEM", "value": "00"}}],
                    "Processes": [],
                    "Instances": [{{"features": "HDB", "hostname": "h", "instanceNr": 0,
                                    "currentInstance": true {instance_extra}}}]}}}}]}}]"#
        )
    };
    assert_eq!(detect_payload(&system("", "")).map(|c| c.len()), Ok(1));
    let cases = [
        (system(r#", "httpPort": "abc""#, ""), "payload.[0].Instances[0].SAPControl.Instances[0].httpPort:"),
        (
            system(r#", "dispstatus": "SAPControl-PURPLE""#, ""),
            "payload.[0].Instances[0].SAPControl.Instances[0].dispstatus:",
        ),
        (r#"[{"Id": "x", "SID": "PRD", "Type": 7}]"#.to_owned(), "payload.[0].Type:"),
        (r#"[{"SID": "PRD", "Type": 1}]"#.to_owned(), "payload.[0]:"),
        (
            r#"[{"Id": "x", "SID": "PRD", "Type": 1, "Instances": [{"SAPControl": {"Properties": []}}]}]"#.to_owned(),
            "payload.[0].Instances[0].SAPControl.Properties:",
        ),
        (
            r#"[{"Id": "x", "SID": "HA1", "Type": 2, "DBAddress": "10.0.0.1", "Profile": {}}]"#.to_owned(),
            "payload.[0].Profile.dbs/hdb/dbname:",
        ),
        (
            r#"[{"Id": "x", "SID": "HA1", "Type": 2, "DBAddress": "", "Profile": {"dbs/hdb/dbname": "PRD"}}]"#
                .to_owned(),
            "payload.[0].DBAddress:",
        ),
        (r#"{"not": "a list"}"#.to_owned(), "payload:"),
    ];
    for (payload, field) in cases {
        let err = detect_payload(&payload).unwrap_err();
        assert!(err.starts_with(field), "{payload}\n→ {err}");
    }
}
