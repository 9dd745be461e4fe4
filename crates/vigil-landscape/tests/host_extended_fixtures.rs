//! Every cloud, subscription and saptune fixture of the shared Trento corpus, through the
//! ScenarioDetector, and every such payload of the scenarios. Expected values are read off
//! the payload files by hand.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use uuid::Uuid;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::discovery::{Discovery, DiscoveryType, InvalidDiscovery, ScenarioDetector};
use vigil_landscape::host::{
    AwsProvider, AzureProvider, GcpProvider, HostCommand, Provider, SaptuneNote, SaptuneService, SaptuneSolution,
    SaptuneStaging, SaptuneStatus, SaptuneTuning, SlesSubscription, TuningState,
};

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// A discovery file: its agent, type and payload. One scenario file carries its envelope
/// fields inside the payload; as the replayer does, they are taken from there (or the
/// agent id from the file name) and the payload is passed on as it is.
struct Envelope {
    agent_id: Uuid,
    discovery_type: DiscoveryType,
    payload: String,
}

fn read_envelope(path: &Path) -> Envelope {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    let payload = &envelope["payload"];
    let field =
        |name: &str| envelope.get(name).or_else(|| payload.get(name)).and_then(|v| v.as_str()).map(str::to_owned);
    let agent_id = field("agent_id")
        .or_else(|| {
            let name = path.file_name()?.to_str()?;
            Some(name.get(..36)?.to_owned())
        })
        .expect("an agent id")
        .parse()
        .unwrap();
    let discovery_type = field("discovery_type").expect("a discovery type").parse().unwrap();
    Envelope { agent_id, discovery_type, payload: payload.to_string() }
}

fn detect_file(path: &Path) -> (Uuid, Result<Vec<LandscapeCommand>, InvalidDiscovery>) {
    let envelope = read_envelope(path);
    let result = ScenarioDetector::detect(
        &Discovery { agent_id: envelope.agent_id, discovery_type: envelope.discovery_type, payload: &envelope.payload },
        &Default::default(),
    );
    (envelope.agent_id, result)
}

/// The fixture must mean exactly `expected`, for the host of its agent.
fn check(fixture: &str, expected: HostCommand) {
    let (agent_id, result) = detect_file(&fixtures().join("discovery").join(fixture));
    let commands = result.unwrap_or_else(|e| panic!("{fixture} must be accepted: {e}"));
    assert_eq!(expected.host_id(), agent_id, "{fixture}: the command is for the agent's host");
    assert_eq!(commands, vec![LandscapeCommand::Host { host_id: agent_id, command: expected }], "{fixture}");
}

fn refused(fixture: &str) -> InvalidDiscovery {
    let (_, result) = detect_file(&fixtures().join("discovery").join(fixture));
    result.expect_err(fixture)
}

fn fixture_agent() -> Uuid {
    "0a055c90-4cb6-54ce-ac9c-ae3fedaf40d4".parse().unwrap()
}

fn provider(provider: Provider) -> HostCommand {
    HostCommand::UpdateProvider { host_id: fixture_agent(), provider }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

#[test]
fn cloud_fixtures() {
    check(
        "cloud_discovery_azure.json",
        provider(Provider::Azure(Some(AzureProvider {
            vm_name: Some("vmhdbdev01".into()),
            resource_group: Some("resourceGroupName".into()),
            location: Some("westeurope".into()),
            vm_size: Some("Standard_E4s_v3".into()),
            // disk-vmhdbdev01-Data01 … Data07.
            data_disk_number: 7,
            offer: Some("sles-sap-15-sp3-byos".into()),
            sku: Some("gen2".into()),
            admin_username: Some("cloudadmin".into()),
        }))),
    );
    check(
        "cloud_discovery_aws.json",
        provider(Provider::Aws(Some(AwsProvider {
            account_id: "12345".into(),
            ami_id: "ami-12345".into(),
            availability_zone: "eu-west-1a".into(),
            data_disk_number: 1,
            instance_id: "i-12345".into(),
            instance_type: "t3.micro".into(),
            region: "eu-west-1".into(),
            vpc_id: "vpc-12345".into(),
        }))),
    );
    check(
        "cloud_discovery_gcp.json",
        provider(Provider::Gcp(Some(GcpProvider {
            disk_number: 4,
            image: Some("sles-15-sp1-sap-byos-v20220126".into()),
            instance_name: "vmhana01".into(),
            machine_type: "n1-highmem-8".into(),
            network: "network".into(),
            project_id: "123456".into(),
            zone: "europe-west1-b".into(),
        }))),
    );
    check("cloud_discovery_kvm.json", provider(Provider::Kvm));
    check("cloud_discovery_nutanix.json", provider(Provider::Nutanix));
    check("cloud_discovery_vmware.json", provider(Provider::Vmware));
    // No `Provider` at all (only an `other_provider` key): Trento's default, unknown.
    check("cloud_discovery_unknown.json", provider(Provider::Unknown));
}

#[test]
fn subscription_fixture() {
    let agent: Uuid = "0fc07435-7ee2-54ca-b0de-fb27ffdc5deb".parse().unwrap();
    let module = |identifier: &str| SlesSubscription {
        identifier: identifier.into(),
        version: "15.3".into(),
        arch: "x86_64".into(),
        status: "Registered".into(),
        subscription_status: None,
        subscription_type: None,
        starts_at: None,
        expires_at: None,
    };
    let product = |identifier: &str| SlesSubscription {
        subscription_status: Some("ACTIVE".into()),
        subscription_type: Some("internal".into()),
        starts_at: Some(Utc.with_ymd_and_hms(2021, 10, 18, 6, 23, 46).unwrap()),
        expires_at: Some(Utc.with_ymd_and_hms(2026, 10, 18, 6, 23, 46).unwrap()),
        ..module(identifier)
    };
    check(
        "subscriptions_discovery.json",
        HostCommand::UpdateSlesSubscriptions {
            host_id: agent,
            subscriptions: vec![
                product("SLES_SAP"),
                module("sle-module-basesystem"),
                module("sle-module-desktop-applications"),
                module("sle-module-server-applications"),
                product("sle-ha"),
                module("sle-module-sap-applications"),
                module("sle-module-public-cloud"),
            ],
        },
    );
}

fn saptune_agent() -> Uuid {
    "9cd46919-5f19-59aa-993e-cf3736c71053".parse().unwrap()
}

fn service(name: &str, state: Option<(&str, &str)>) -> SaptuneService {
    SaptuneService { name: name.into(), enabled: state.map(|s| s.0.to_owned()), active: state.map(|s| s.1.to_owned()) }
}

fn no_staging() -> Option<SaptuneStaging> {
    Some(SaptuneStaging { enabled: false, notes: vec![], solution_ids: vec![] })
}

#[test]
fn saptune_fixture_with_a_netweaver_solution() {
    let netweaver_notes = strings(&["941735", "1771258", "2578899", "2993054", "1656250", "900929"]);
    // 941735 and 1771258 are also listed under "Notes enabled additionally".
    let notes: Vec<SaptuneNote> = netweaver_notes
        .iter()
        .map(|id| SaptuneNote { id: id.clone(), additionally_enabled: id == "941735" || id == "1771258" })
        .collect();
    let solution = SaptuneSolution { id: "NETWEAVER".into(), notes: netweaver_notes.clone(), partial: false };
    check(
        "saptune_discovery.json",
        HostCommand::UpdateSaptuneStatus {
            host_id: saptune_agent(),
            status: SaptuneStatus {
                saptune_installed: true,
                package_version: Some("3.1.0".into()),
                tuning: Some(SaptuneTuning {
                    configured_version: Some("3".into()),
                    tuning_state: TuningState::NotCompliant,
                    services: vec![
                        service("sapconf", None),
                        service("saptune", Some(("enabled", "active"))),
                        service("tuned", None),
                    ],
                    enabled_notes: notes.clone(),
                    applied_notes: notes,
                    enabled_solution: Some(solution.clone()),
                    applied_solution: Some(solution),
                    staging: no_staging(),
                }),
            },
        },
    );
}

#[test]
fn saptune_fixtures_without_configuration_or_status() {
    check(
        "saptune_discovery_not_configured.json",
        HostCommand::UpdateSaptuneStatus {
            host_id: saptune_agent(),
            status: SaptuneStatus {
                saptune_installed: true,
                package_version: Some("3.1.0".into()),
                tuning: Some(SaptuneTuning {
                    configured_version: Some("3".into()),
                    tuning_state: TuningState::NotTuned,
                    services: vec![
                        service("sapconf", None),
                        service("saptune", Some(("disabled", "inactive"))),
                        service("tuned", Some(("disabled", "inactive"))),
                    ],
                    enabled_notes: vec![],
                    applied_notes: vec![],
                    enabled_solution: None,
                    applied_solution: None,
                    staging: no_staging(),
                }),
            },
        },
    );
    // saptune 3.0.0 has no JSON status: the agent sends `status: null`.
    check(
        "saptune_discovery_empty_status.json",
        HostCommand::UpdateSaptuneStatus {
            host_id: saptune_agent(),
            status: SaptuneStatus { saptune_installed: true, package_version: Some("3.0.0".into()), tuning: None },
        },
    );
    // A status without a result is malformed; Trento refuses it ("result can't be blank").
    let err = refused("saptune_discovery_empty_result.json");
    assert!(err.to_string().starts_with("payload.status.result:"), "{err}");
}

#[test]
fn every_cloud_subscription_and_saptune_fixture_is_covered() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("discovery"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("cloud_") || n.starts_with("subscriptions_") || n.starts_with("saptune_"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cloud_discovery_aws.json",
            "cloud_discovery_azure.json",
            "cloud_discovery_gcp.json",
            "cloud_discovery_kvm.json",
            "cloud_discovery_nutanix.json",
            "cloud_discovery_unknown.json",
            "cloud_discovery_vmware.json",
            "saptune_discovery.json",
            "saptune_discovery_empty_result.json",
            "saptune_discovery_empty_status.json",
            "saptune_discovery_not_configured.json",
            "subscriptions_discovery.json",
        ],
        "a new fixture needs its line in the tests above"
    );
}

/// Every scenario's cloud, subscription and saptune payload means one command of the
/// right kind for the agent's host.
#[test]
fn every_scenario_payload_is_accepted() {
    let mut seen = [0; 3];
    for scenario in std::fs::read_dir(fixtures().join("scenarios")).unwrap() {
        for file in std::fs::read_dir(scenario.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let kind = match () {
                _ if name.ends_with("_cloud_discovery.json") => 0,
                _ if name.ends_with("_subscription_discovery.json") => 1,
                _ if name.ends_with("_saptune_discovery.json") => 2,
                _ => continue,
            };
            seen[kind] += 1;
            let (agent_id, result) = detect_file(&path);
            let commands = result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let [LandscapeCommand::Host { host_id, command }] = commands.as_slice() else {
                panic!("{}: expected one host command, got {commands:?}", path.display());
            };
            assert_eq!((*host_id, command.host_id()), (agent_id, agent_id), "{name}");
            let expected = ["UpdateProvider", "UpdateSlesSubscriptions", "UpdateSaptuneStatus"][kind];
            assert_eq!(command.name(), expected, "{name}");
        }
    }
    assert_eq!(seen, [13, 13, 11], "cloud, subscription and saptune payloads of the scenarios");
}

fn scenario_command(scenario: &str, file: &str) -> HostCommand {
    let (_, result) = detect_file(&fixtures().join("scenarios").join(scenario).join(file));
    match result.unwrap().pop() {
        Some(LandscapeCommand::Host { command, .. }) => command,
        other => panic!("{file}: {other:?}"),
    }
}

#[test]
fn scenario_payloads_read_as_written() {
    // AWS, read off single-hana-single-app/c4914bd4…_cloud_discovery.json.
    let HostCommand::UpdateProvider { provider: Provider::Aws(Some(aws)), .. } =
        scenario_command("single-hana-single-app", "c4914bd4-efa3-553a-9a52-e9b562e210e5_cloud_discovery.json")
    else {
        panic!("expected AWS");
    };
    assert_eq!(
        (aws.instance_type.as_str(), aws.data_disk_number, aws.region.as_str()),
        ("r6i.xlarge", 7, "eu-central-1")
    );
    // Azure without data disks: hana-scale-up-angi's storage profile lists none.
    let HostCommand::UpdateProvider { provider: Provider::Azure(Some(azure)), .. } =
        scenario_command("hana-scale-up-angi", "851a4dd3-9693-44c3-a40b-b32d22872e74_cloud_discovery.json")
    else {
        panic!("expected Azure");
    };
    assert_eq!((azure.resource_group.as_deref(), azure.data_disk_number), (Some("hana-scale-up-angi"), 0));
    // The file with its envelope inside the payload: its own agent_id and discovery_type
    // keys are ignored, the status is read.
    let HostCommand::UpdateSaptuneStatus { host_id, status } =
        scenario_command("hana-scale-up-cost-opt", "fa7a5602-232b-5389-96a6-f5f5de6ff9a2_saptune_discovery.json")
    else {
        panic!("expected a saptune status");
    };
    assert_eq!(host_id, "fa7a5602-232b-5389-96a6-f5f5de6ff9a2".parse::<Uuid>().unwrap());
    assert_eq!(status.package_version.as_deref(), Some("3.1.2"));
    let tuning = status.tuning.unwrap();
    assert_eq!(tuning.tuning_state, TuningState::NotCompliant);
    assert_eq!(tuning.applied_solution.map(|s| s.id), Some("HANA".to_owned()));
    // A subscription that is not registered: hana-scale-up-angi lists some.
    let HostCommand::UpdateSlesSubscriptions { subscriptions, .. } =
        scenario_command("hana-scale-up-angi", "851a4dd3-9693-44c3-a40b-b32d22872e74_subscription_discovery.json")
    else {
        panic!("expected subscriptions");
    };
    assert_eq!(subscriptions.len(), 10);
    assert!(subscriptions.iter().any(|s| s.status == "Not Registered"));
}

#[test]
fn bad_payloads_name_the_field() {
    let check = |discovery_type: DiscoveryType, payload: &str, field: &str| {
        let err = ScenarioDetector::detect(
            &Discovery { agent_id: Uuid::nil(), discovery_type, payload },
            &Default::default(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with(field), "{payload}: {err}");
    };
    use DiscoveryType::{Cloud, Saptune, Subscription};
    check(Cloud, r#"{"Provider": "openstack", "Metadata": null}"#, "payload.Provider:");
    check(Cloud, r#"{"Provider": 1}"#, "payload.Provider:");
    check(Cloud, r#"{"Provider": "aws", "Metadata": {"account_id": "1"}}"#, "payload.Metadata:");
    check(Cloud, r#"{"Provider": "gcp", "Metadata": {"disk_number": "four"}}"#, "payload.Metadata.disk_number:");
    check(Cloud, r#"{"Provider": "azure", "Metadata": {}}"#, "payload.Metadata:");
    check(Subscription, r#"{"identifier": "SLES_SAP"}"#, "payload:");
    // The path of a list's element is rendered by the shared `parse_payload` (today
    // `payload.[0]`); only its end is asserted here.
    let element = |payload: &str, field: &str| {
        let err = ScenarioDetector::detect(
            &Discovery { agent_id: Uuid::nil(), discovery_type: Subscription, payload },
            &Default::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("payload") && err.contains(field), "{payload}: {err}");
    };
    element(r#"[{"identifier": "SLES_SAP", "version": "15", "arch": "x86_64"}]"#, "[0]: missing field `status`");
    element(
        r#"[{"identifier": "SLES_SAP", "version": "15", "arch": "x86_64", "status": "Registered",
             "starts_at": "yesterday"}]"#,
        "[0].starts_at: `yesterday` is not a time",
    );
    check(Saptune, r#"{"package_version": "3.1.0", "status": null}"#, "payload:");
    check(
        Saptune,
        r#"{"saptune_installed": true, "package_version": "3.1.0", "status": {"result": {}}}"#,
        "payload.status.result:",
    );
    check(
        Saptune,
        r#"{"saptune_installed": true, "package_version": "3.1.0",
            "status": {"result": {"tuning state": "compliant", "services": {"saptune": ["enabled"]}}}}"#,
        "payload.status.result.services.saptune:",
    );
}

#[test]
fn lenient_where_agents_vary() {
    let detect = |discovery_type: DiscoveryType, payload: &str| match ScenarioDetector::detect(
        &Discovery { agent_id: Uuid::nil(), discovery_type, payload },
        &Default::default(),
    )
    .unwrap()
    .pop()
    {
        Some(LandscapeCommand::Host { command, .. }) => command,
        other => panic!("{other:?}"),
    };
    // The agent sends an empty provider when it recognises none.
    assert_eq!(
        detect(DiscoveryType::Cloud, r#"{"Provider": "", "Metadata": null}"#),
        HostCommand::UpdateProvider { host_id: Uuid::nil(), provider: Provider::Unknown }
    );
    // The agent sends no AWS metadata when it could not read it.
    assert_eq!(
        detect(DiscoveryType::Cloud, r#"{"Provider": "aws", "Metadata": null}"#),
        HostCommand::UpdateProvider { host_id: Uuid::nil(), provider: Provider::Aws(None) }
    );
    // No saptune: nothing but the flag.
    assert_eq!(
        detect(DiscoveryType::Saptune, r#"{"saptune_installed": false, "package_version": "", "status": null}"#),
        HostCommand::UpdateSaptuneStatus {
            host_id: Uuid::nil(),
            status: SaptuneStatus { saptune_installed: false, package_version: None, tuning: None }
        }
    );
    // An empty subscription list is a list.
    assert_eq!(
        detect(DiscoveryType::Subscription, "[]"),
        HostCommand::UpdateSlesSubscriptions { host_id: Uuid::nil(), subscriptions: vec![] }
    );
}
