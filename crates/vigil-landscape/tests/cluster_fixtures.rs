//! Every `ha_cluster_discovery*.json` of the shared Trento corpus, and every scenario's
//! cluster discovery, through the ScenarioDetector. Expected values are read off the payload
//! files by hand; the cluster ids are computed here from each payload's `Id`.

use std::path::PathBuf;

use uuid::Uuid;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::rules::discovered_health;
use vigil_landscape::cluster::{
    AscsErsInstance, AscsErsRole, ClusterCommand, ClusterDetails, ClusterNode, ClusterResource, ClusterType,
    DiscoveredHealth, HanaArchitecture, HanaScenario, HanaSite, HanaStatus, InstanceMount, NodeStatus, Provider,
    ResourceStatus, SbdDeviceStatus, StoppedResource,
};
use vigil_landscape::discovery::{Discovery, DiscoveryContext, DiscoveryType, InvalidDiscovery, ScenarioDetector};
use vigil_landscape::health::Health::{self, *};

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// The agent id and the payload (as JSON text) of a discovery file.
fn read(path: PathBuf) -> (Uuid, String) {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(envelope["discovery_type"], "ha_cluster_discovery", "{}", path.display());
    (envelope["agent_id"].as_str().unwrap().parse().unwrap(), envelope["payload"].to_string())
}

fn detect_payload(
    agent_id: Uuid,
    payload: &str,
    context: &DiscoveryContext,
) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    ScenarioDetector::detect(&Discovery { agent_id, discovery_type: DiscoveryType::HaCluster, payload }, context)
}

fn detect_in(name: &str, context: &DiscoveryContext) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let (agent_id, payload) = read(fixtures().join("discovery").join(name));
    detect_payload(agent_id, &payload, context)
}

fn agent_of(name: &str) -> Uuid {
    read(fixtures().join("discovery").join(name)).0
}

/// Trento's cluster id: UUIDv5 of the payload `Id` in Trento's namespace.
fn id_of(payload_id: &str) -> Uuid {
    Uuid::new_v5(&vigil_landscape::TRENTO_NAMESPACE, payload_id.as_bytes())
}

fn in_cluster(current: Uuid) -> DiscoveryContext {
    DiscoveryContext { current_cluster_id: Some(current), ..Default::default() }
}

/// What an online fixture must register.
struct Expected {
    payload_id: &'static str,
    name: Option<&'static str>,
    designated_controller: bool,
    cluster_type: ClusterType,
    sid: Option<&'static str>,
    additional_sids: &'static [&'static str],
    provider: Provider,
    fencing_type: Option<&'static str>,
    /// `(sr_health_state, secondary_sync_state)` of a HANA cluster.
    replication: Option<(&'static str, &'static str)>,
    /// `(sid, distributed)` of each ASCS/ERS system.
    sap_systems: &'static [(&'static str, bool)],
    /// The health parts these inputs grade to.
    health: (Option<Health>, Option<Health>, Health),
}

/// A single `RegisterOnlineClusterHost` for the right cluster and host, and its details.
fn check(fixture: &str, expected: &Expected) -> ClusterDetails {
    let commands =
        detect_in(fixture, &DiscoveryContext::default()).unwrap_or_else(|e| panic!("{fixture} must be accepted: {e}"));
    let [
        LandscapeCommand::Cluster {
            cluster_id,
            command:
                ClusterCommand::RegisterOnlineClusterHost {
                    cluster_id: command_cluster_id,
                    host_id,
                    name,
                    designated_controller,
                    details,
                    ..
                },
        },
    ] = commands.as_slice()
    else {
        panic!("{fixture}: expected one RegisterOnlineClusterHost, got {commands:?}");
    };
    let expected_id = id_of(expected.payload_id);
    assert_eq!((*cluster_id, *command_cluster_id), (expected_id, expected_id), "{fixture}");
    assert_eq!(*host_id, agent_of(fixture), "{fixture}");
    assert_eq!(name.as_deref(), expected.name, "{fixture}: name");
    assert_eq!(*designated_controller, expected.designated_controller, "{fixture}: DC");
    assert_eq!(details.cluster_type, expected.cluster_type, "{fixture}: type");
    assert_eq!(details.sid.as_deref(), expected.sid, "{fixture}: sid");
    assert_eq!(details.additional_sids, expected.additional_sids, "{fixture}: additional sids");
    assert_eq!(details.provider, expected.provider, "{fixture}: provider");
    assert_eq!(details.fencing_type.as_deref(), expected.fencing_type, "{fixture}: fencing");
    assert_eq!(
        details.hana.as_ref().map(|h| (h.sr_health_state.as_str(), h.secondary_sync_state.as_str())),
        expected.replication,
        "{fixture}: replication"
    );
    let sap_systems: Vec<(&str, bool)> = details.sap_systems.iter().map(|s| (s.sid.as_str(), s.distributed)).collect();
    assert_eq!(sap_systems, expected.sap_systems, "{fixture}: sap systems");
    let (replication, distributed, sbd) = expected.health;
    assert_eq!(discovered_health(details), DiscoveredHealth { replication, distributed, sbd }, "{fixture}: health");
    details.as_ref().clone()
}

const HANA_ID: &str = "47d1190ffb4f781974c8356d7f863b03";
const NETWEAVER_ID: &str = "8bca366a6cb7816555538092a1ddd5aa";

/// `ha_cluster_discovery_hana_scale_up.json`: node01 (DC) primary `4:P`/`PRIM`, node02
/// secondary `4:S`/`SOK`, two healthy SBD devices.
const HANA_SCALE_UP: Expected = Expected {
    payload_id: HANA_ID,
    name: Some("hana_cluster"),
    designated_controller: true,
    cluster_type: ClusterType::HanaScaleUp,
    sid: Some("PRD"),
    additional_sids: &[],
    provider: Provider::Azure,
    fencing_type: Some("external/sbd"),
    replication: Some(("4", "SOK")),
    sap_systems: &[],
    health: (Some(Passing), None, Passing),
};

/// `ha_cluster_discovery_ascs_ers.json`: a non-DC member; NWP's ASCS runs on vmnwprd01 and
/// its ERS on vmnwprd02.
const ASCS_ERS: Expected = Expected {
    payload_id: NETWEAVER_ID,
    name: Some("netweaver_cluster"),
    designated_controller: false,
    cluster_type: ClusterType::AscsErs,
    sid: None,
    additional_sids: &["NWP"],
    provider: Provider::Azure,
    fencing_type: Some("external/sbd"),
    replication: None,
    sap_systems: &[("NWP", true)],
    health: (None, Some(Passing), Passing),
};

/// HANA scale-out with all data in cluster properties: `glob_prim` Site1, secondary Site2
/// with `site_lss_Site2` 4 and `glob_sync_state` SOK.
const HANA_SCALE_OUT: Expected = Expected {
    payload_id: "d0a0d4caff6a5f4cba70d47e9cd12889",
    name: Some("hana_cluster"),
    designated_controller: true,
    cluster_type: ClusterType::HanaScaleOut,
    sid: Some("PRD"),
    additional_sids: &[],
    provider: Provider::Kvm,
    fencing_type: Some("external/sbd"),
    replication: Some(("4", "SOK")),
    sap_systems: &[],
    health: (Some(Passing), None, Passing),
};

/// HANA scale-up in the same cluster as NWP's ASCS/ERS pair.
const HANA_ASCS_ERS: Expected = Expected {
    cluster_type: ClusterType::HanaAscsErs,
    additional_sids: &["NWP"],
    sap_systems: &[("NWP", true)],
    health: (Some(Passing), Some(Passing), Passing),
    ..HANA_SCALE_UP
};

/// The online fixtures and what each must register.
fn online_fixtures() -> Vec<(&'static str, Expected)> {
    vec![
        ("ha_cluster_discovery_hana_scale_up.json", HANA_SCALE_UP),
        // `maintenance-mode` true; no `Online` field (online).
        ("ha_cluster_discovery_hana_scale_up_maintenance.json", HANA_SCALE_UP),
        // Eight nodes in every state; the replication attributes are node01's and node02's.
        ("ha_cluster_discovery_hana_scale_up_node_status.json", HANA_SCALE_UP),
        // `"Name": ""`: the cluster has no name.
        ("ha_cluster_discovery_unnamed.json", Expected { name: None, ..HANA_SCALE_UP }),
        // No stonith resource, SBD with a watchdog but no devices.
        (
            "ha_cluster_discovery_hana_scale_up_diskless_sbd.json",
            Expected { fencing_type: Some("Diskless SBD"), health: (Some(Passing), None, Unknown), ..HANA_SCALE_UP },
        ),
        // A QAS `HDB20` SAPInstance next to the replicated HDQ: cost optimized.
        (
            "ha_cluster_discovery_hana_scale_up_cost_opt.json",
            Expected {
                payload_id: "81237d528fa520f993b5d6e1cd8e7138",
                sid: Some("HDQ"),
                additional_sids: &["QAS"],
                ..HANA_SCALE_UP
            },
        ),
        // node01 is offline and has no attributes, node02 has no roles: no secondary known.
        (
            "ha_cluster_discovery_hana_scale_up_empty_nodes_history.json",
            Expected {
                additional_sids: &["QAS"],
                replication: Some(("Unknown", "Unknown")),
                health: (Some(Critical), None, Passing),
                ..HANA_SCALE_UP
            },
        ),
        // vmhana01 is `1:P:…` with `SFAIL`: a failed primary is read as the secondary.
        (
            "ha_cluster_discovery_gcp.json",
            Expected {
                payload_id: "986ded1c87d1b24ec731b009adf679f4",
                provider: Provider::Gcp,
                fencing_type: Some("fence_gce"),
                replication: Some(("1", "SFAIL")),
                health: (Some(Critical), None, Unknown),
                ..HANA_SCALE_UP
            },
        ),
        (
            "ha_cluster_discovery_aws.json",
            Expected {
                payload_id: "60461ddbd879923a43e8a6aa5d6bd0a2",
                provider: Provider::Aws,
                fencing_type: Some("external/ec2"),
                health: (Some(Passing), None, Unknown),
                ..HANA_SCALE_UP
            },
        ),
        // SAPHanaSR-angi (`hana_hn9_glob_topology` ScaleUp): `glob_sec` ROT, lss 4, srPoll SOK.
        ("ha_cluster_discovery_angi_hana_scale_up.json", Expected { sid: Some("HN9"), ..HANA_SCALE_UP }),
        // After a takeover: `glob_sec` is `-` (no landscape status), WDF's srPoll is SFAIL.
        (
            "ha_cluster_discovery_angi_hana_scale_up_failover.json",
            Expected {
                sid: Some("HN9"),
                replication: Some(("Unknown", "SFAIL")),
                health: (Some(Critical), None, Passing),
                ..HANA_SCALE_UP
            },
        ),
        ("ha_cluster_discovery_hana_ascs_ers.json", HANA_ASCS_ERS),
        // The same cluster from an agent that sends no `State`.
        ("ha_cluster_discovery_legacy_no_online_field.json", HANA_ASCS_ERS),
        ("ha_cluster_discovery_hana_scale_out.json", HANA_SCALE_OUT),
        ("ha_cluster_discovery_hana_scale_out_maintenance.json", HANA_SCALE_OUT),
        // Not the DC; `glob_prim` Site2, `glob_sec` Site1; no srmode/op_mode properties.
        (
            "ha_cluster_discovery_hana_scale_out_multitarget.json",
            Expected {
                payload_id: "72624160ba9290ae3768c52d8ea485e3",
                designated_controller: false,
                provider: Provider::Azure,
                ..HANA_SCALE_OUT
            },
        ),
        // No `glob_sec`: the secondary is the other site with a landscape status, HANA_S2.
        (
            "ha_cluster_discovery_hana_scale_out_no_srhooks.json",
            Expected {
                payload_id: "9379d9d590876eae02a63616181c5374",
                name: Some("hacluster"),
                provider: Provider::Azure,
                fencing_type: Some("Diskless SBD"),
                health: (Some(Passing), None, Unknown),
                ..HANA_SCALE_OUT
            },
        ),
        (
            "ha_cluster_discovery_hana_scale_out_with_majority_maker.json",
            Expected {
                payload_id: "422417ce72a8f4d4e99d93c83610a257",
                name: Some("hacluster"),
                sid: Some("HN2"),
                provider: Provider::Azure,
                fencing_type: Some("Diskless SBD"),
                health: (Some(Passing), None, Unknown),
                ..HANA_SCALE_OUT
            },
        ),
        ("ha_cluster_discovery_ascs_ers.json", ASCS_ERS),
        ("ha_cluster_discovery_ascs_ers_maintenance.json", ASCS_ERS),
        ("ha_cluster_discovery_ascs_ers_simple_mount.json", ASCS_ERS),
        ("ha_cluster_discovery_ascs_ers_unmounted.json", ASCS_ERS),
        (
            "ha_cluster_discovery_ascs_ers_multi_sid.json",
            Expected { additional_sids: &["NWP", "NWD"], sap_systems: &[("NWP", true), ("NWD", true)], ..ASCS_ERS },
        ),
        // Decision, as Trento: a single SAPInstance group is not an ASCS/ERS pair. The
        // payload is valid, so the cluster registers with unknown type, no SIDs and (having
        // neither replication nor distribution) unknown health, not a rejection.
        (
            "ha_cluster_discovery_ascs_ers_invalid.json",
            Expected {
                cluster_type: ClusterType::Unknown,
                additional_sids: &[],
                sap_systems: &[],
                health: (None, None, Passing),
                ..ASCS_ERS
            },
        ),
        // Decision, as Trento (which turns `null` lists into empty ones): a clone whose
        // `Resources` is `null` has no resources, and `"Provider": ""` is unknown. The
        // cluster runs HANA BPH and BPS's ASCS/ERS; the reporting host is not the DC.
        (
            "ha_cluster_discovery_malformed_resources_null.json",
            Expected {
                payload_id: "d541b3029265844c4dd85d82afcd6dca",
                name: Some("hacluster"),
                designated_controller: false,
                cluster_type: ClusterType::HanaAscsErs,
                sid: Some("BPH"),
                additional_sids: &["BPS"],
                provider: Provider::Unknown,
                fencing_type: Some("external/sbd"),
                replication: Some(("4", "SOK")),
                sap_systems: &[("BPS", true)],
                health: (Some(Passing), Some(Passing), Passing),
            },
        ),
    ]
}

#[test]
fn every_online_fixture_registers_what_its_payload_says() {
    for (fixture, expected) in online_fixtures() {
        check(fixture, &expected);
    }
}

#[test]
fn every_cluster_fixture_in_the_corpus_is_covered() {
    let covered: Vec<&str> = online_fixtures()
        .into_iter()
        .map(|(f, _)| f)
        .chain([
            "ha_cluster_discovery_host_offline.json",
            "ha_cluster_discovery_host_offline_unnamed.json",
            "ha_cluster_discovery_unclustered.json",
        ])
        .collect();
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures().join("discovery")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("ha_cluster_discovery") {
            continue;
        }
        seen += 1;
        assert!(covered.contains(&name.as_str()), "{name} has no expectation");
        detect_in(&name, &DiscoveryContext::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(seen, covered.len(), "the corpus has {seen} cluster fixtures");
    assert_eq!(seen, 28);
}

fn node<'a>(details: &'a ClusterDetails, name: &str) -> &'a ClusterNode {
    details.nodes.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
}

#[test]
fn hana_scale_up_details() {
    let d = check("ha_cluster_discovery_hana_scale_up.json", &HANA_SCALE_UP);
    assert_eq!(d.state.as_deref(), Some("S_IDLE"));
    assert_eq!((d.hosts_number, d.resources_number), (2, 8));
    assert!(!d.maintenance_mode);
    assert_eq!(
        d.sbd_devices.iter().map(|s| (s.device.as_str(), s.status)).collect::<Vec<_>>(),
        [("/dev/vdc", SbdDeviceStatus::Healthy), ("/dev/vdb", SbdDeviceStatus::Healthy)]
    );
    let stopped =
        |id: &str, agent: &str| StoppedResource { id: id.into(), agent: agent.into(), role: "Stopped".into() };
    assert_eq!(
        d.stopped_resources,
        [
            stopped("test-stop", "ocf::heartbeat:Dummy"),
            stopped("clusterfs", "ocf::heartbeat:Filesystem"),
            stopped("clusterfs", "ocf::heartbeat:Filesystem"),
        ]
    );
    let hana = d.hana.as_ref().unwrap();
    assert_eq!(hana.architecture, HanaArchitecture::Classic);
    assert_eq!(hana.scenario, HanaScenario::PerformanceOptimized);
    assert_eq!(
        (hana.system_replication_mode.as_str(), hana.system_replication_operation_mode.as_str()),
        ("sync", "logreplay")
    );
    let site = |name: &str, state| HanaSite { name: name.into(), state, sr_health_state: "4".into() };
    assert_eq!(
        hana.sites,
        [site("PRIMARY_SITE_NAME", HanaStatus::Primary), site("SECONDARY_SITE_NAME", HanaStatus::Secondary)]
    );

    let node01 = node(&d, "node01");
    assert_eq!(node01.status, NodeStatus::Online);
    assert!(node01.designated_controller);
    assert_eq!(node01.site.as_deref(), Some("PRIMARY_SITE_NAME"));
    assert_eq!(node01.hana_status, Some(HanaStatus::Primary));
    assert_eq!(node01.nameserver_actual_role.as_deref(), Some("master"));
    assert_eq!(node01.indexserver_actual_role.as_deref(), Some("master"));
    // The first IPaddr2 primitive with the running resource's id is the top-level one.
    assert_eq!(node01.virtual_ip.as_deref(), Some("192.168.123.200"));
    assert!(!node01.majority_maker);
    let resource = |id: &str, agent: &str, role: &str, fail_count: Option<u64>, parent: Option<&str>| ClusterResource {
        id: id.into(),
        agent: agent.into(),
        role: role.into(),
        status: ResourceStatus::Active,
        fail_count,
        managed: true,
        parent: parent.map(Into::into),
    };
    assert_eq!(
        node01.resources,
        [
            resource("stonith-sbd", "stonith:external/sbd", "Started", Some(0), None),
            resource("rsc_ip_PRD_HDB00", "ocf::heartbeat:IPaddr2", "Started", Some(2), None),
            resource(
                "rsc_SAPHana_PRD_HDB00",
                "ocf::suse:SAPHana",
                "Master",
                Some(1_000_000),
                Some("msl_SAPHana_PRD_HDB00")
            ),
            resource(
                "rsc_SAPHanaTopology_PRD_HDB00",
                "ocf::suse:SAPHanaTopology",
                "Started",
                Some(0),
                Some("cln_SAPHanaTopology_PRD_HDB00")
            ),
            // Not in node01's history.
            resource("clusterfs", "ocf::heartbeat:Filesystem", "Started", None, Some("c-clusterfs")),
        ]
    );
    let node02 = node(&d, "node02");
    assert!(!node02.designated_controller);
    assert_eq!(node02.hana_status, Some(HanaStatus::Secondary));
    assert_eq!(node02.virtual_ip, None);
    assert_eq!(
        node02.resources.iter().map(|r| (r.id.as_str(), r.fail_count)).collect::<Vec<_>>(),
        [
            ("test", Some(0)),
            ("rsc_SAPHana_PRD_HDB00", Some(300)),
            ("rsc_SAPHanaTopology_PRD_HDB00", Some(0)),
            ("clusterfs", None)
        ]
    );
}

#[test]
fn node_states_follow_trentos_order() {
    let d = check("ha_cluster_discovery_hana_scale_up_node_status.json", &HANA_SCALE_UP);
    let statuses: Vec<(&str, NodeStatus)> = d.nodes.iter().map(|n| (n.name.as_str(), n.status)).collect();
    assert_eq!(
        statuses,
        [
            ("node01", NodeStatus::Offline),
            ("node02", NodeStatus::Unclean),
            ("node03", NodeStatus::Standby),
            ("node04", NodeStatus::Maintenance),
            ("node05", NodeStatus::Shutdown),
            ("node06", NodeStatus::Pending),
            ("node07", NodeStatus::StandbyOnFail),
            ("node08", NodeStatus::Online),
        ]
    );
    // node08 has HANA attributes but neither roles nor a site.
    assert_eq!(node(&d, "node08").hana_status, Some(HanaStatus::Unknown));
    assert_eq!(node(&d, "node08").site, None);
    assert!(!node(&d, "node08").majority_maker, "scale-up has no majority maker");
}

#[test]
fn maintenance_mode_comes_from_the_cluster_property() {
    for (fixture, expected) in [
        ("ha_cluster_discovery_hana_scale_up_maintenance.json", &HANA_SCALE_UP),
        ("ha_cluster_discovery_hana_scale_out_maintenance.json", &HANA_SCALE_OUT),
        ("ha_cluster_discovery_ascs_ers_maintenance.json", &ASCS_ERS),
    ] {
        assert!(check(fixture, expected).maintenance_mode, "{fixture}");
    }
    for (fixture, expected) in [
        ("ha_cluster_discovery_hana_scale_up.json", &HANA_SCALE_UP),
        ("ha_cluster_discovery_hana_scale_out.json", &HANA_SCALE_OUT),
        ("ha_cluster_discovery_ascs_ers.json", &ASCS_ERS),
    ] {
        assert!(!check(fixture, expected).maintenance_mode, "{fixture}");
    }
}

#[test]
fn a_qas_hana_next_to_the_replicated_one_is_cost_optimized() {
    let cost = online_fixtures()
        .into_iter()
        .find(|(f, _)| *f == "ha_cluster_discovery_hana_scale_up_cost_opt.json")
        .unwrap()
        .1;
    let d = check("ha_cluster_discovery_hana_scale_up_cost_opt.json", &cost);
    let hana = d.hana.unwrap();
    assert_eq!(hana.scenario, HanaScenario::CostOptimized);
    // node02 is the DC and the secondary.
    assert!(node(&check("ha_cluster_discovery_hana_scale_up_cost_opt.json", &cost), "node02").designated_controller);
    assert_eq!(
        hana.sites.iter().map(|s| (s.name.as_str(), s.state)).collect::<Vec<_>>(),
        [("PRIMARY_SITE_NAME", HanaStatus::Primary), ("SECONDARY_SITE_NAME", HanaStatus::Secondary)]
    );
}

#[test]
fn a_cluster_whose_first_node_is_down_still_reads_its_modes() {
    let expected = online_fixtures()
        .into_iter()
        .find(|(f, _)| *f == "ha_cluster_discovery_hana_scale_up_empty_nodes_history.json")
        .unwrap()
        .1;
    let d = check("ha_cluster_discovery_hana_scale_up_empty_nodes_history.json", &expected);
    assert_eq!(node(&d, "node01").status, NodeStatus::Offline);
    assert_eq!(node(&d, "node02").status, NodeStatus::Online);
    let hana = d.hana.as_ref().unwrap();
    // Trento reads these from the first node (node01, no attributes) and gets ""; node02
    // has them.
    assert_eq!(hana.system_replication_mode, "sync");
    assert_eq!(hana.system_replication_operation_mode, "logreplay");
    assert_eq!(hana.scenario, HanaScenario::CostOptimized);
    // node02 names its site but has no roles or sync state.
    assert_eq!(
        hana.sites,
        [HanaSite { name: "Site2".into(), state: HanaStatus::Unknown, sr_health_state: "Unknown".into() }]
    );
    // Everything is stopped and there is no node history.
    assert_eq!(d.stopped_resources.len(), 8);
    assert!(d.nodes.iter().all(|n| n.resources.is_empty()));
}

#[test]
fn diskless_sbd_is_a_fencing_type_without_devices() {
    let d = online_fixtures()
        .into_iter()
        .find(|(f, _)| *f == "ha_cluster_discovery_hana_scale_up_diskless_sbd.json")
        .map(|(f, e)| check(f, &e))
        .unwrap();
    assert_eq!(d.fencing_type.as_deref(), Some("Diskless SBD"));
    assert!(d.sbd_devices.is_empty());
}

#[test]
fn cloud_clusters_read_their_fencing_agent_and_virtual_ip() {
    let by_name =
        |fixture: &str| online_fixtures().into_iter().find(|(f, _)| *f == fixture).map(|(f, e)| check(f, &e)).unwrap();
    let aws = by_name("ha_cluster_discovery_aws.json");
    // On AWS the virtual IP is an aws-vpc-move-ip resource.
    assert_eq!(node(&aws, "vmhana01").virtual_ip.as_deref(), Some("192.168.1.10"));
    assert_eq!(node(&aws, "vmhana02").virtual_ip, None);
    assert!(aws.stopped_resources.is_empty());

    let gcp = by_name("ha_cluster_discovery_gcp.json");
    assert_eq!(node(&gcp, "vmhana01").virtual_ip.as_deref(), Some("10.0.0.12"));
    assert_eq!(node(&gcp, "vmhana01").hana_status, Some(HanaStatus::Failed));
    assert_eq!(node(&gcp, "vmhana02").hana_status, Some(HanaStatus::Primary));
    assert_eq!(
        gcp.stopped_resources.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [
            "rsc_gcp_stonith_PRD_HDB00_vmhana01",
            "rsc_exporter_PRD_HDB00",
            "rsc_gcp_stonith_PRD_HDB00_vmhana02",
            "rsc_SAPHana_PRD_HDB00"
        ]
    );
    assert_eq!(
        node(&gcp, "vmhana01").resources.iter().map(|r| (r.id.as_str(), r.fail_count)).collect::<Vec<_>>(),
        [("rsc_SAPHanaTopology_PRD_HDB00", Some(0)), ("rsc_ip_PRD_HDB00", Some(0)), ("rsc_socat_PRD_HDB00", Some(0))]
    );
}

#[test]
fn angi_reads_replication_from_site_properties() {
    let angi = Expected { sid: Some("HN9"), ..HANA_SCALE_UP };
    let d = check("ha_cluster_discovery_angi_hana_scale_up.json", &angi);
    let hana = d.hana.as_ref().unwrap();
    assert_eq!(hana.architecture, HanaArchitecture::Angi);
    assert_eq!(hana.scenario, HanaScenario::PerformanceOptimized);
    assert_eq!(
        (hana.system_replication_mode.as_str(), hana.system_replication_operation_mode.as_str()),
        ("sync", "logreplay")
    );
    let site = |name: &str, state| HanaSite { name: name.into(), state, sr_health_state: "4".into() };
    assert_eq!(hana.sites, [site("WDF", HanaStatus::Primary), site("ROT", HanaStatus::Secondary)]);
    // vmhana02 is the designated controller in crm_mon.
    assert!(node(&d, "vmhana02").designated_controller);
    assert_eq!(node(&d, "vmhana01").hana_status, Some(HanaStatus::Primary));
    assert_eq!(node(&d, "vmhana02").hana_status, Some(HanaStatus::Secondary));
    assert_eq!(node(&d, "vmhana01").nameserver_actual_role.as_deref(), Some("master"));
    assert_eq!(node(&d, "vmhana01").virtual_ip.as_deref(), Some("10.70.1.13"));

    let failover =
        Expected { replication: Some(("Unknown", "SFAIL")), health: (Some(Critical), None, Passing), ..angi };
    let d = check("ha_cluster_discovery_angi_hana_scale_up_failover.json", &failover);
    let hana = d.hana.as_ref().unwrap();
    // ROT took over; WDF is a primary whose srPoll is SFAIL.
    assert_eq!(
        hana.sites,
        [
            HanaSite { name: "ROT".into(), state: HanaStatus::Primary, sr_health_state: "4".into() },
            HanaSite { name: "WDF".into(), state: HanaStatus::Failed, sr_health_state: "1".into() },
        ]
    );
    let vmhana01 = node(&d, "vmhana01");
    assert_eq!((vmhana01.nameserver_actual_role.as_deref(), vmhana01.indexserver_actual_role.as_deref()), (None, None));
}

#[test]
fn hana_scale_out_details_and_majority_makers() {
    let d = check("ha_cluster_discovery_hana_scale_out.json", &HANA_SCALE_OUT);
    let hana = d.hana.as_ref().unwrap();
    assert_eq!(hana.architecture, HanaArchitecture::Classic);
    assert_eq!(hana.scenario, HanaScenario::Unknown);
    assert_eq!(
        (hana.system_replication_mode.as_str(), hana.system_replication_operation_mode.as_str()),
        ("syncmem", "delta_datashipping")
    );
    let site = |name: &str, state| HanaSite { name: name.into(), state, sr_health_state: "4".into() };
    assert_eq!(hana.sites, [site("Site1", HanaStatus::Primary), site("Site2", HanaStatus::Secondary)]);
    assert_eq!(d.hosts_number, 6);
    assert!(d.nodes.iter().all(|n| !n.majority_maker));
    let vmhana03 = node(&d, "vmhana03");
    assert_eq!(vmhana03.site.as_deref(), Some("Site1"));
    assert_eq!(vmhana03.hana_status, Some(HanaStatus::Primary));
    assert_eq!(
        (vmhana03.nameserver_actual_role.as_deref(), vmhana03.indexserver_actual_role.as_deref()),
        (Some("slave"), Some("standby"))
    );
    assert_eq!(node(&d, "vmhana04").hana_status, Some(HanaStatus::Secondary));

    let majority_makers = |fixture: &str| -> Vec<String> {
        let (_, expected) = online_fixtures().into_iter().find(|(f, _)| *f == fixture).unwrap();
        check(fixture, &expected).nodes.into_iter().filter(|n| n.majority_maker).map(|n| n.name).collect()
    };
    assert_eq!(majority_makers("ha_cluster_discovery_hana_scale_out_with_majority_maker.json"), ["hana-s-mm"]);
    assert_eq!(majority_makers("ha_cluster_discovery_hana_scale_out_no_srhooks.json"), ["hana-s-mm"]);
    assert_eq!(majority_makers("ha_cluster_discovery_hana_scale_out_multitarget.json"), ["vmhanamm"]);
}

#[test]
fn scale_out_without_hooks_and_multitarget_sites() {
    let fixture =
        |name: &str| online_fixtures().into_iter().find(|(f, _)| *f == name).map(|(f, e)| check(f, &e)).unwrap();
    // No srHook properties: the secondary's state is the global sync state (SOK), the
    // primary's PRIM; modes take the resource agent's defaults.
    let no_hooks = fixture("ha_cluster_discovery_hana_scale_out_no_srhooks.json");
    let hana = no_hooks.hana.as_ref().unwrap();
    assert_eq!(
        (hana.system_replication_mode.as_str(), hana.system_replication_operation_mode.as_str()),
        ("sync", "logreplay")
    );
    assert_eq!(
        hana.sites.iter().map(|s| (s.name.as_str(), s.state)).collect::<Vec<_>>(),
        [("HANA_S1", HanaStatus::Primary), ("HANA_S2", HanaStatus::Secondary)]
    );
    // The reporting host is the DC; in crm_mon that is hana-s2-db2.
    assert!(node(&no_hooks, "hana-s2-db2").designated_controller);

    let multitarget = fixture("ha_cluster_discovery_hana_scale_out_multitarget.json");
    let hana = multitarget.hana.as_ref().unwrap();
    assert_eq!(
        hana.sites.iter().map(|s| (s.name.as_str(), s.state)).collect::<Vec<_>>(),
        [("Site2", HanaStatus::Primary), ("Site1", HanaStatus::Secondary)]
    );
    assert_eq!(node(&multitarget, "vmhana21").virtual_ip.as_deref(), Some("10.0.0.10"));
}

fn instance(
    role: AscsErsRole,
    instance_name: &str,
    instance_number: &str,
    node: &str,
    virtual_ip: &str,
    mount: InstanceMount,
    filesystem: Option<&str>,
) -> AscsErsInstance {
    AscsErsInstance {
        role,
        instance_number: instance_number.into(),
        instance_name: instance_name.into(),
        node: Some(node.into()),
        virtual_ip: Some(virtual_ip.into()),
        mount,
        filesystem: filesystem.map(Into::into),
    }
}

#[test]
fn ascs_ers_instances_and_how_they_are_mounted() {
    let nwp = |fixture: &str| check(fixture, &ASCS_ERS).sap_systems.remove(0);

    let fs = nwp("ha_cluster_discovery_ascs_ers.json");
    assert!(fs.filesystem_resource_based);
    assert_eq!(
        fs.instances,
        [
            instance(
                AscsErsRole::Ascs,
                "NWP_ASCS00_sapnwpas",
                "00",
                "vmnwprd01",
                "10.80.1.25",
                InstanceMount::FilesystemResource,
                Some("/usr/sap/NWP/ASCS00")
            ),
            instance(
                AscsErsRole::Ers,
                "NWP_ERS10_sapnwper",
                "10",
                "vmnwprd02",
                "10.80.1.26",
                InstanceMount::FilesystemResource,
                Some("/usr/sap/NWP/ERS10")
            ),
        ]
    );

    // Simple mount: SAPStartSrv resources instead of Filesystem ones.
    let simple = nwp("ha_cluster_discovery_ascs_ers_simple_mount.json");
    assert!(!simple.filesystem_resource_based);
    assert_eq!(
        simple.instances.iter().map(|i| i.mount).collect::<Vec<_>>(),
        [InstanceMount::SimpleMount, InstanceMount::SimpleMount]
    );

    // The ERS group neither mounts nor starts sapstartsrv.
    let unmounted = nwp("ha_cluster_discovery_ascs_ers_unmounted.json");
    assert!(!unmounted.filesystem_resource_based);
    assert!(unmounted.distributed);
    assert_eq!(
        unmounted.instances.iter().map(|i| (i.role, i.mount, i.filesystem.as_deref())).collect::<Vec<_>>(),
        [(AscsErsRole::Ascs, InstanceMount::SimpleMount, None), (AscsErsRole::Ers, InstanceMount::Unmanaged, None)]
    );

    let multi = check(
        "ha_cluster_discovery_ascs_ers_multi_sid.json",
        &Expected { additional_sids: &["NWP", "NWD"], sap_systems: &[("NWP", true), ("NWD", true)], ..ASCS_ERS },
    );
    assert_eq!(
        multi.sap_systems[1].instances,
        [
            instance(
                AscsErsRole::Ascs,
                "NWD_ASCS01_sapnwpas",
                "01",
                "vmnwprd01",
                "10.80.2.25",
                InstanceMount::FilesystemResource,
                Some("/usr/sap/NWD/ASCS01")
            ),
            instance(
                AscsErsRole::Ers,
                "NWD_ERS11_sapnwper",
                "11",
                "vmnwprd02",
                "10.80.2.26",
                InstanceMount::FilesystemResource,
                Some("/usr/sap/NWD/ERS11")
            ),
        ]
    );
    // ASCS/ERS clusters have no HANA.
    assert!(multi.hana.is_none());
    assert!(multi.nodes.iter().all(|n| n.hana_status.is_none() && n.site.is_none()));
}

#[test]
fn a_cluster_of_unknown_type_keeps_its_common_details() {
    let invalid =
        online_fixtures().into_iter().find(|(f, _)| *f == "ha_cluster_discovery_ascs_ers_invalid.json").unwrap().1;
    let d = check("ha_cluster_discovery_ascs_ers_invalid.json", &invalid);
    assert!(d.hana.is_none() && d.sap_systems.is_empty());
    assert_eq!(d.nodes.len(), 2);
    assert_eq!((d.hosts_number, d.resources_number), (2, 5));
}

#[test]
fn the_legacy_payload_has_no_controller_state() {
    let d = check("ha_cluster_discovery_legacy_no_online_field.json", &HANA_ASCS_ERS);
    assert_eq!(d.state, None);
    let d = check("ha_cluster_discovery_hana_ascs_ers.json", &HANA_ASCS_ERS);
    assert_eq!(d.state.as_deref(), Some("S_IDLE"));
    assert_eq!(d.hana.unwrap().scenario, HanaScenario::PerformanceOptimized);
}

#[test]
fn an_offline_host_registers_only_its_membership() {
    let agent = agent_of("ha_cluster_discovery_host_offline.json");
    for (fixture, name) in [
        ("ha_cluster_discovery_host_offline.json", Some("ha_cluster".to_owned())),
        ("ha_cluster_discovery_host_offline_unnamed.json", None),
    ] {
        assert_eq!(
            detect_in(fixture, &DiscoveryContext::default()).unwrap(),
            [LandscapeCommand::Cluster {
                cluster_id: id_of(HANA_ID),
                command: ClusterCommand::RegisterOfflineClusterHost {
                    cluster_id: id_of(HANA_ID),
                    host_id: agent,
                    name,
                },
            }],
            "{fixture}"
        );
    }
}

#[test]
fn a_null_payload_removes_the_host_from_its_cluster() {
    let fixture = "ha_cluster_discovery_unclustered.json";
    assert_eq!(detect_in(fixture, &DiscoveryContext::default()).unwrap(), []);
    let current = id_of(HANA_ID);
    assert_eq!(
        detect_in(fixture, &in_cluster(current)).unwrap(),
        [LandscapeCommand::Cluster {
            cluster_id: current,
            command: ClusterCommand::DeregisterClusterHost { cluster_id: current, host_id: agent_of(fixture) },
        }]
    );
}

#[test]
fn a_host_that_moved_leaves_its_previous_cluster_first() {
    let fixture = "ha_cluster_discovery_hana_scale_up.json";
    let agent = agent_of(fixture);
    let previous = id_of(NETWEAVER_ID);
    let commands = detect_in(fixture, &in_cluster(previous)).unwrap();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(
        commands[0],
        LandscapeCommand::Cluster {
            cluster_id: previous,
            command: ClusterCommand::DeregisterClusterHost { cluster_id: previous, host_id: agent },
        }
    );
    assert!(matches!(
        &commands[1],
        LandscapeCommand::Cluster {
            cluster_id,
            command: ClusterCommand::RegisterOnlineClusterHost { .. },
        } if *cluster_id == id_of(HANA_ID)
    ));
    assert_eq!(commands[0].name(), "DeregisterClusterHost");
    assert_eq!(commands[1].name(), "RegisterOnlineClusterHost");

    // Offline in a new cluster: the same.
    let commands = detect_in("ha_cluster_discovery_host_offline.json", &in_cluster(previous)).unwrap();
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[0].name(), "DeregisterClusterHost");

    // Still in the same cluster: only the registration.
    let commands = detect_in(fixture, &in_cluster(id_of(HANA_ID))).unwrap();
    assert_eq!(commands.len(), 1);
    assert_eq!(commands[0].name(), "RegisterOnlineClusterHost");
}

/// Every scenario's cluster discoveries are accepted; the DC of each scenario is the one
/// whose payload says `"DC": true`.
#[test]
fn every_scenario_cluster_payload_is_accepted() {
    let mut seen = 0;
    let mut designated_controllers = Vec::new();
    for scenario in std::fs::read_dir(fixtures().join("scenarios")).unwrap() {
        for file in std::fs::read_dir(scenario.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if !path.to_string_lossy().ends_with("_ha_cluster_discovery.json") {
                continue;
            }
            seen += 1;
            let (agent_id, payload) = read(path.clone());
            let commands = detect_payload(agent_id, &payload, &DiscoveryContext::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if let [
                LandscapeCommand::Cluster {
                    command: ClusterCommand::RegisterOnlineClusterHost { designated_controller: true, details, .. },
                    ..
                },
            ] = commands.as_slice()
            {
                designated_controllers.push((agent_id.to_string(), details.cluster_type, details.fencing_type.clone()));
            }
        }
    }
    assert_eq!(seen, 10, "the scenarios hold ten cluster discoveries");
    designated_controllers.sort_by(|a, b| a.0.cmp(&b.0));
    let angi_or_classic_up = ClusterType::HanaScaleUp;
    assert_eq!(
        designated_controllers,
        [
            ("219bf05b-c6a7-4de3-bcf8-852b42fc6a4f".to_owned(), angi_or_classic_up, Some("external/sbd".to_owned())),
            ("2372b24f-3d7a-5d01-9b1a-a2c4c95c53d4".to_owned(), angi_or_classic_up, Some("external/sbd".to_owned())),
            ("43dcb497-2652-4254-b53a-3ff1d3b2a0ff".to_owned(), angi_or_classic_up, Some("Diskless SBD".to_owned())),
            ("4b67842f-ccf7-46a4-a344-9e918648b117".to_owned(), angi_or_classic_up, Some("external/sbd".to_owned())),
        ]
    );
}

#[test]
fn the_diskless_sbd_scenario_has_a_failed_secondary() {
    let dir = fixtures().join("scenarios/hana-diskless-sbd");
    let (agent_id, payload) = read(dir.join("43dcb497-2652-4254-b53a-3ff1d3b2a0ff_ha_cluster_discovery.json"));
    let commands = detect_payload(agent_id, &payload, &DiscoveryContext::default()).unwrap();
    let LandscapeCommand::Cluster { command: ClusterCommand::RegisterOnlineClusterHost { details, .. }, .. } =
        &commands[0]
    else {
        panic!("expected a registration, got {commands:?}");
    };
    // vmh3shdb02 is `4:S:…` with `SFAIL`.
    let hana = details.hana.as_ref().unwrap();
    assert_eq!((hana.sr_health_state.as_str(), hana.secondary_sync_state.as_str()), ("4", "SFAIL"));
    assert_eq!(hana.system_replication_operation_mode, "logreplay_readaccess");
    assert_eq!(discovered_health(details).replication, Some(Critical));
    assert_eq!(details.provider, Provider::Vmware);
    assert_eq!(details.sid.as_deref(), Some("H3S"));
}

#[test]
fn bad_payloads_name_the_field() {
    let check = |payload: &str, field: &str| {
        let err = detect_payload(Uuid::nil(), payload, &DiscoveryContext::default()).unwrap_err();
        assert!(err.to_string().starts_with(field), "{payload}: {err}");
    };
    let (_, hana) = read(fixtures().join("discovery/ha_cluster_discovery_hana_scale_up.json"));
    let ok: serde_json::Value = serde_json::from_str(&hana).unwrap();
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut p = ok.clone();
        edit(&mut p);
        p.to_string()
    };
    check(&with(&|p| p["Id"] = "".into()), "payload.Id:");
    check(&with(&|p| p["Online"] = "yes".into()), "payload.Online:");
    check(
        &with(&|p| {
            p.as_object_mut().unwrap().remove("DC");
        }),
        "payload:",
    );
    check(
        &with(&|p| {
            p.as_object_mut().unwrap().remove("Crmmon");
        }),
        "payload:",
    );
    check(
        &with(&|p| {
            p["Crmmon"]["Nodes"][1].as_object_mut().unwrap().remove("Name");
        }),
        "payload.Crmmon.Nodes[1]:",
    );
    check(
        &with(&|p| p["Crmmon"]["NodeHistory"]["Nodes"][0]["ResourceHistory"][0]["FailCount"] = (-1).into()),
        "payload.Crmmon.NodeHistory.Nodes[0].ResourceHistory[0].FailCount:",
    );
    check(&with(&|p| p["Crmmon"]["Summary"]["Nodes"]["Number"] = "two".into()), "payload.Crmmon.Summary.Nodes.Number:");
    // HANA resources without a SID.
    check(
        &with(&|p| {
            p["Cib"]["Configuration"]["Resources"]["Clones"][0]["Primitive"]["InstanceAttributes"] =
                serde_json::json!([])
        }),
        "payload.Cib.Configuration.Resources:",
    );
    // Offline: only the id matters, and it must be there.
    check(r#"{"Name": "c", "Online": false}"#, "payload:");
    check(r#"{"Id": " ", "Online": false}"#, "payload.Id:");
    check("[]", "payload:");
    check("42", "payload:");
}
