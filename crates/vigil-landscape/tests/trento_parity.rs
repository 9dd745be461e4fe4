//! The values Trento derives that Vigil once did not (issue #18, finding 6), checked on every
//! fixture of the shared corpus's `discovery/` folder (and the scenarios' host payloads,
//! which carry the loopback and IPv6 addresses the single fixtures lack):
//!
//! * hosts: Trento lists only the IPv4 addresses that are not loopback;
//! * clusters: each node's attributes (a scale-up's `lpa_<sid>_lpt` left out), the crm_mon
//!   summary's last change as `cib_last_written`, the clustered `sap_instances`, and a
//!   cluster whose every member's stack is stopped being `stopped` with unknown health;
//! * databases: an instance that does not replicate has no replication role (`null`).
//!
//! Expected values are read off the payload files by hand. `docs/trento-parity.md` lists
//! every field Trento derives and where Vigil has it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use uuid::Uuid;
use vigil_kernel::decider::Decider;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::cluster::rules::stopped_health;
use vigil_landscape::cluster::{
    Cluster, ClusterCommand, ClusterDetails, ClusterEvent, ClusterRunState, ClusterSapInstance, ClusterState,
    SapInstanceResourceType::{self, SapHanaTopology, SapInstance},
};
use vigil_landscape::database::{DatabaseCommand, ReplicationRole};
use vigil_landscape::discovery::{Discovery, DiscoveryContext, DiscoveryType, ScenarioDetector};
use vigil_landscape::health::Health;
use vigil_landscape::host::HostCommand;

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// The envelope of a fixture under `discovery/` (or of a path below the corpus).
fn envelope(path: &str) -> Value {
    let path = if path.contains('/') { fixtures().join(path) } else { fixtures().join("discovery").join(path) };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn detect(agent_id: Uuid, discovery_type: DiscoveryType, payload: &Value) -> Vec<LandscapeCommand> {
    let payload = payload.to_string();
    ScenarioDetector::detect(&Discovery { agent_id, discovery_type, payload: &payload }, &DiscoveryContext::default())
        .unwrap_or_else(|e| panic!("{payload:.80}: {e}"))
}

fn agent_of(envelope: &Value) -> Uuid {
    envelope["agent_id"].as_str().unwrap().parse().unwrap()
}

// ---------------------------------------------------------------------------------------
// Hosts

/// Each host payload and the addresses Trento lists for it.
const HOSTS: &[(&str, &[&str])] = &[
    ("host_discovery.json", &["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]),
    ("host_discovery_with_installation_source.json", &["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]),
    ("host_discovery_with_last_boot_timestamp.json", &["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]),
    ("host_discovery_with_prometheus_mode_pull.json", &["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]),
    ("host_discovery_with_prometheus_mode_push.json", &["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]),
    ("host_discovery_without_arch.json", &["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]),
    (
        "scenarios/hana-diskless-sbd/0f6e6491-21f2-495e-9f2d-bc50b872efaf_host_discovery.json",
        &["10.110.1.11/24", "10.110.1.14/24", "10.110.1.15/24"],
    ),
    ("scenarios/hana-scale-up-angi/4b67842f-ccf7-46a4-a344-9e918648b117_host_discovery.json", &["10.70.1.5/24"]),
    (
        "scenarios/hana-scale-up-cost-opt/fa7a5602-232b-5389-96a6-f5f5de6ff9a2_host_discovery.json",
        &["10.90.100.101/24", "10.90.100.103/24"],
    ),
    (
        "scenarios/hana-scale-up-multi-tier/219bf05b-c6a7-4de3-bcf8-852b42fc6a4f_host_discovery.json",
        &["192.168.244.128/24", "192.168.244.130/24"],
    ),
    ("scenarios/sap-system-java/a18a203d-4f2f-4d21-b9a5-e300a9c5eeee_host_discovery.json", &["10.23.0.6/24"]),
    (
        "scenarios/single-hana-single-app/e77ab524-c4e4-5381-bb59-5af8639d52a4_host_discovery.json",
        &["10.0.2.30/16", "192.168.1.30/24", "192.168.1.31/24", "172.17.0.1/24", "172.18.0.1/24"],
    ),
];

/// Host payloads the detector refuses (a wrong timestamp or Prometheus mode): no addresses.
const REFUSED_HOSTS: &[&str] =
    &["host_discovery_with_last_boot_timestamp_wrong.json", "host_discovery_with_prometheus_mode_invalid.json"];

#[test]
fn hosts_list_the_ipv4_addresses_that_are_not_loopback() {
    for (fixture, expected) in HOSTS {
        let envelope = envelope(fixture);
        let commands = detect(agent_of(&envelope), DiscoveryType::Host, &envelope["payload"]);
        let [LandscapeCommand::Host { command: HostCommand::RegisterHost { details, .. }, .. }] = commands.as_slice()
        else {
            panic!("{fixture}: expected one RegisterHost, got {commands:?}");
        };
        assert_eq!(details.trento_ip_addresses(), *expected, "{fixture}");
        // The details keep every address reported, one per address sent.
        let n_reported = envelope["payload"]["ip_addresses"].as_array().unwrap().len();
        assert_eq!(details.ip_addresses.len(), n_reported, "{fixture}");
    }
}

// ---------------------------------------------------------------------------------------
// Clusters

/// `(name, sid, instance_number, hostname, resource type)` of a clustered SAP instance.
type SapInstanceRow = (&'static str, &'static str, &'static str, Option<&'static str>, SapInstanceResourceType);

/// What an online cluster fixture derives.
struct ClusterExpected {
    fixture: &'static str,
    /// The crm_mon summary's `LastChange.Time`.
    cib_last_written: &'static str,
    sap_instances: &'static [SapInstanceRow],
    /// The attribute a HANA scale-up cluster leaves out of its nodes (Trento's strip).
    dropped: Option<&'static str>,
    /// A few `(node, attribute, value)` read off the payload.
    attributes: &'static [(&'static str, &'static str, &'static str)],
}

const HDB00_PRD: SapInstanceRow = ("HDB00", "PRD", "00", None, SapHanaTopology);
const ASCS00_NWP: SapInstanceRow = ("ASCS00", "NWP", "00", Some("sapnwpas"), SapInstance);
const ERS10_NWP: SapInstanceRow = ("ERS10", "NWP", "10", Some("sapnwper"), SapInstance);

/// The classic scale-up fixtures built on the same node01/node02 payload.
const NODE01_PRIMARY: &[(&str, &str, &str)] = &[
    ("node01", "hana_prd_roles", "4:P:master1:master:worker:master"),
    ("node01", "hana_prd_clone_state", "PROMOTED"),
    ("node02", "hana_prd_roles", "4:S:master1:master:worker:master"),
    ("node02", "hana_prd_sync_state", "SOK"),
];

const CLUSTERS: &[ClusterExpected] = &[
    ClusterExpected {
        fixture: "ha_cluster_discovery_angi_hana_scale_up.json",
        cib_last_written: "Mon Jun 10 13:03:57 2024",
        sap_instances: &[("HDB09", "HN9", "09", None, SapHanaTopology)],
        dropped: None,
        attributes: &[
            ("vmhana01", "hana_hn9_clone_state", "PROMOTED"),
            ("vmhana01", "hana_hn9_roles", "master1:master:worker:master"),
            ("vmhana01", "master-rsc_SAPHanaCon_HN9_HDB09", "150"),
        ],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_angi_hana_scale_up_failover.json",
        cib_last_written: "Mon Jun 10 13:06:54 2024",
        sap_instances: &[("HDB09", "HN9", "09", None, SapHanaTopology)],
        dropped: None,
        attributes: &[
            ("vmhana01", "hana_hn9_clone_state", "UNDEFINED"),
            ("vmhana01", "hana_hn9_roles", "master1::worker:"),
        ],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_ascs_ers.json",
        cib_last_written: "Tue Jan 11 13:43:06 2022",
        sap_instances: &[ASCS00_NWP, ERS10_NWP],
        dropped: None,
        attributes: &[("vmnwprd02", "runs_ers_NWP", "1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_ascs_ers_invalid.json",
        cib_last_written: "Tue Jan 11 13:43:06 2022",
        sap_instances: &[ASCS00_NWP],
        dropped: None,
        attributes: &[("vmnwprd02", "runs_ers_NWP", "1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_ascs_ers_maintenance.json",
        cib_last_written: "Tue Jan 11 13:43:06 2022",
        sap_instances: &[ASCS00_NWP, ERS10_NWP],
        dropped: None,
        attributes: &[("vmnwprd02", "runs_ers_NWP", "1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_ascs_ers_multi_sid.json",
        cib_last_written: "Tue Jan 11 13:43:06 2022",
        sap_instances: &[
            ASCS00_NWP,
            ERS10_NWP,
            ("ASCS01", "NWD", "01", Some("sapnwpas"), SapInstance),
            ("ERS11", "NWD", "11", Some("sapnwper"), SapInstance),
        ],
        dropped: None,
        attributes: &[("vmnwprd02", "runs_ers_NWP", "1"), ("vmnwprd02", "runs_ers_NWD", "1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_ascs_ers_simple_mount.json",
        cib_last_written: "Tue Jan 11 13:43:06 2022",
        sap_instances: &[ASCS00_NWP, ERS10_NWP],
        dropped: None,
        attributes: &[("vmnwprd02", "runs_ers_NWP", "1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_ascs_ers_unmounted.json",
        cib_last_written: "Tue Jan 11 13:43:06 2022",
        sap_instances: &[ASCS00_NWP, ERS10_NWP],
        dropped: None,
        attributes: &[("vmnwprd02", "runs_ers_NWP", "1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_aws.json",
        cib_last_written: "Wed Apr 27 07:42:23 2022",
        sap_instances: &[HDB00_PRD],
        dropped: Some("lpa_prd_lpt"),
        attributes: &[("vmhana01", "hana_prd_sync_state", "PRIM"), ("vmhana01", "hana_prd_remoteHost", "vmhana02")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_gcp.json",
        cib_last_written: "Wed Apr 27 07:02:35 2022",
        sap_instances: &[HDB00_PRD],
        dropped: Some("lpa_prd_lpt"),
        attributes: &[
            ("vmhana01", "hana_prd_sync_state", "SFAIL"),
            ("vmhana01", "hana_prd_roles", "1:P:master1::worker:"),
        ],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_ascs_ers.json",
        cib_last_written: "Fri Oct 18 11:48:22 2019",
        sap_instances: &[HDB00_PRD, ASCS00_NWP, ERS10_NWP],
        dropped: Some("lpa_prd_lpt"),
        attributes: NODE01_PRIMARY,
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_out.json",
        cib_last_written: "Thu Feb 23 15:59:56 2023",
        sap_instances: &[HDB00_PRD],
        dropped: None,
        attributes: &[("vmhana01", "hana_prd_gra", "2.0"), ("vmhana01", "hana_prd_site", "Site1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_out_maintenance.json",
        cib_last_written: "Thu Feb 23 15:59:56 2023",
        sap_instances: &[HDB00_PRD],
        dropped: None,
        attributes: &[("vmhana01", "hana_prd_clone_state", "PROMOTED")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_out_multitarget.json",
        cib_last_written: "Tue Jan 23 12:49:07 2024",
        sap_instances: &[HDB00_PRD],
        dropped: None,
        attributes: &[("vmhana11", "hana_prd_clone_state", "DEMOTED"), ("vmhana11", "hana_prd_gsh", "2.2")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_out_no_srhooks.json",
        cib_last_written: "Mon Apr 22 15:55:13 2024",
        sap_instances: &[("HDB04", "PRD", "04", None, SapHanaTopology)],
        dropped: None,
        attributes: &[("hana-s1-db1", "hana_prd_site", "HANA_S1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_out_with_majority_maker.json",
        cib_last_written: "Fri Apr 17 09:52:36 2026",
        sap_instances: &[("HDB04", "HN2", "04", None, SapHanaTopology)],
        dropped: None,
        attributes: &[("hana-s-mm", "maintenance", "off")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_up.json",
        cib_last_written: "Fri Oct 18 11:48:22 2019",
        sap_instances: &[HDB00_PRD],
        dropped: Some("lpa_prd_lpt"),
        attributes: NODE01_PRIMARY,
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_up_cost_opt.json",
        cib_last_written: "Mon Aug 26 14:52:19 2024",
        sap_instances: &[
            ("HDB10", "HDQ", "10", None, SapHanaTopology),
            ("HDB20", "QAS", "20", Some("node02"), SapInstance),
        ],
        dropped: Some("lpa_hdq_lpt"),
        attributes: &[("node01", "hana_hdq_sra", "-"), ("node01", "maintenance", "off")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_up_diskless_sbd.json",
        cib_last_written: "Fri Oct 18 11:48:22 2019",
        sap_instances: &[HDB00_PRD],
        dropped: Some("lpa_prd_lpt"),
        attributes: NODE01_PRIMARY,
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_up_empty_nodes_history.json",
        cib_last_written: "Thu Oct  2 12:28:30 2025",
        sap_instances: &[
            ("HDB10", "PRD", "10", None, SapHanaTopology),
            ("HDB20", "QAS", "20", Some("node02"), SapInstance),
        ],
        dropped: Some("lpa_prd_lpt"),
        attributes: &[("node02", "hana_prd_site", "Site2"), ("node02", "master-rsc_SAPHana_PRD_HDB10", "5")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_up_maintenance.json",
        cib_last_written: "Fri Oct 18 11:48:22 2019",
        sap_instances: &[HDB00_PRD],
        dropped: Some("lpa_prd_lpt"),
        attributes: NODE01_PRIMARY,
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_hana_scale_up_node_status.json",
        cib_last_written: "Fri Oct 18 11:48:22 2019",
        sap_instances: &[HDB00_PRD],
        dropped: Some("lpa_prd_lpt"),
        attributes: NODE01_PRIMARY,
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_legacy_no_online_field.json",
        cib_last_written: "Fri Oct 18 11:48:22 2019",
        sap_instances: &[HDB00_PRD, ASCS00_NWP, ERS10_NWP],
        dropped: Some("lpa_prd_lpt"),
        attributes: NODE01_PRIMARY,
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_malformed_resources_null.json",
        cib_last_written: "Wed Jul 16 08:14:36 2025",
        sap_instances: &[
            ("HDB00", "BPH", "00", None, SapHanaTopology),
            ("ASCS01", "BPS", "01", Some("lascsbps"), SapInstance),
            ("ERS02", "BPS", "02", Some("lersbps"), SapInstance),
        ],
        dropped: Some("lpa_bph_lpt"),
        attributes: &[("node1", "hana_bph_roles", "4:P:master1:master:worker:master"), ("node1", "runs_ers_BPS", "1")],
    },
    ClusterExpected {
        fixture: "ha_cluster_discovery_unnamed.json",
        cib_last_written: "Fri Oct 18 11:48:22 2019",
        sap_instances: &[HDB00_PRD],
        dropped: Some("lpa_prd_lpt"),
        attributes: NODE01_PRIMARY,
    },
];

/// Cluster payloads that register no online host: the offline ones (checked by
/// [`every_member_offline_stops_the_cluster`] as the offline half) and `null`.
const OFFLINE_OR_NO_CLUSTER: &[&str] = &[
    "ha_cluster_discovery_host_offline.json",
    "ha_cluster_discovery_host_offline_unnamed.json",
    "ha_cluster_discovery_unclustered.json",
];

/// The online registration a fixture detects, and its details and CIB time.
fn online_registration(
    agent_id: Uuid,
    payload: &Value,
    fixture: &str,
) -> (Uuid, ClusterCommand, ClusterDetails, Option<String>) {
    let commands = detect(agent_id, DiscoveryType::HaCluster, payload);
    let [LandscapeCommand::Cluster { cluster_id, command }] = commands.as_slice() else {
        panic!("{fixture}: expected one cluster command, got {commands:?}");
    };
    let ClusterCommand::RegisterOnlineClusterHost { details, cib_last_written, .. } = command else {
        panic!("{fixture}: expected RegisterOnlineClusterHost, got {command:?}");
    };
    (*cluster_id, command.clone(), details.as_ref().clone(), cib_last_written.clone())
}

/// A node's attributes as the payload's `Crmmon.NodeAttributes` lists them.
fn reported_attributes(payload: &Value, node: &str) -> BTreeMap<String, String> {
    payload["Crmmon"]["NodeAttributes"]["Nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["Name"] == node)
        .flat_map(|n| n["Attributes"].as_array().cloned().unwrap_or_default())
        .map(|a| (a["Name"].as_str().unwrap().to_owned(), a["Value"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn clusters_keep_node_attributes_cib_last_written_and_sap_instances() {
    for expected in CLUSTERS {
        let fixture = expected.fixture;
        let envelope = envelope(fixture);
        let payload = &envelope["payload"];
        let (_, _, details, cib_last_written) = online_registration(agent_of(&envelope), payload, fixture);

        assert_eq!(cib_last_written.as_deref(), Some(expected.cib_last_written), "{fixture}: cib_last_written");

        let sap_instances: Vec<ClusterSapInstance> = expected
            .sap_instances
            .iter()
            .map(|(name, sid, number, hostname, resource_type)| ClusterSapInstance {
                name: (*name).to_owned(),
                sid: (*sid).to_owned(),
                instance_number: (*number).to_owned(),
                hostname: hostname.map(str::to_owned),
                resource_type: *resource_type,
            })
            .collect();
        assert_eq!(details.sap_instances, sap_instances, "{fixture}: sap_instances");

        let n_nodes = payload["Crmmon"]["Nodes"].as_array().unwrap().len();
        assert_eq!(details.nodes.len(), n_nodes, "{fixture}: nodes");
        for node in &details.nodes {
            let mut reported = reported_attributes(payload, &node.name);
            if let Some(dropped) = expected.dropped {
                // Only the nodes SAPHanaSR stamps carry it.
                reported.remove(dropped);
                assert!(!node.attributes.contains_key(dropped), "{fixture}: {} keeps {dropped}", node.name);
            }
            assert_eq!(node.attributes, reported, "{fixture}: attributes of {}", node.name);
        }
        for (node, name, value) in expected.attributes {
            let node = details.nodes.iter().find(|n| n.name == *node).unwrap();
            assert_eq!(node.attributes.get(*name).map(String::as_str), Some(*value), "{fixture}: {name}");
        }
        if let Some(dropped) = expected.dropped {
            let stamped = payload["Crmmon"]["NodeAttributes"]["Nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["Attributes"].as_array().into_iter().flatten().any(|a| a["Name"] == dropped));
            assert!(stamped, "{fixture}: the payload has {dropped}, which the details leave out");
        }
    }
}

/// Registers every node of the fixture's cluster (the fixture's agent as itself, the other
/// nodes as made-up members sending the same payload as not the designated controller),
/// then takes each member's stack down with the payload the agent sends then (`"Online":
/// false` with the cluster's `Id` and `Name`). Returns the state after each offline report.
fn stop_every_member(fixture: &str) -> (Value, ClusterState, Vec<(ClusterState, Vec<ClusterEvent>)>) {
    let envelope = envelope(fixture);
    let payload = &envelope["payload"];
    let agent = agent_of(&envelope);
    let n_nodes = payload["Crmmon"]["Nodes"].as_array().unwrap().len();
    let others: Vec<Uuid> = (1..n_nodes as u128).map(Uuid::from_u128).collect();

    let mut state = ClusterState::default();
    let apply = |state: &mut ClusterState, command: ClusterCommand| -> Vec<ClusterEvent> {
        let events = Cluster::decide(state, command).unwrap();
        for event in &events {
            *state = Cluster::evolve(state.clone(), event);
        }
        events
    };
    let (_, register, _, _) = online_registration(agent, payload, fixture);
    apply(&mut state, register);
    let mut as_member = payload.clone();
    as_member["DC"] = Value::Bool(false);
    for other in &others {
        let (_, register, _, _) = online_registration(*other, &as_member, fixture);
        apply(&mut state, register);
    }
    let running = state.clone();

    let offline = serde_json::json!({"Online": false, "Id": payload["Id"], "Name": payload["Name"]});
    let mut steps = Vec::new();
    for host in std::iter::once(agent).chain(others) {
        let commands = detect(host, DiscoveryType::HaCluster, &offline);
        let [LandscapeCommand::Cluster { command, .. }] = commands.as_slice() else {
            panic!("{fixture}: expected one cluster command, got {commands:?}");
        };
        assert_eq!(command.name(), "RegisterOfflineClusterHost", "{fixture}");
        let events = apply(&mut state, command.clone());
        steps.push((state.clone(), events));
    }
    (payload.clone(), running, steps)
}

#[test]
fn every_member_offline_stops_the_cluster() {
    for expected in CLUSTERS {
        let fixture = expected.fixture;
        let (payload, running, steps) = stop_every_member(fixture);
        let (last, others) = steps.split_last().unwrap();
        for (state, _) in others {
            assert_ne!(state.run_state, ClusterRunState::Stopped, "{fixture}: a member is still online");
            assert_eq!(state.health, running.health, "{fixture}: health before the last member stops");
        }
        let (stopped, events) = last;
        assert_eq!(stopped.run_state, ClusterRunState::Stopped, "{fixture}");
        assert_eq!(stopped.discovered_health, stopped_health(&running.discovered_health), "{fixture}");
        assert_eq!(stopped.health, Health::Unknown, "{fixture}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ClusterEvent::ClusterStateChanged(c) if c.state == ClusterRunState::Stopped)),
            "{fixture}: {events:?}"
        );
        if running.details.is_some() {
            // What the designated controller reported is known again only when it reports.
            let discovered = stopped.discovered_health;
            assert!(discovered.replication.is_none_or(|h| h == Health::Unknown), "{fixture}");
            assert!(discovered.distributed.is_none_or(|h| h == Health::Unknown), "{fixture}");
            assert_eq!(discovered.sbd, Health::Unknown, "{fixture}");
            // Every fixture but the legacy one (no `State`) reports `S_IDLE`, Trento's `idle`.
            let reported = if payload["State"] == "S_IDLE" { ClusterRunState::Idle } else { ClusterRunState::Unknown };
            assert_eq!(running.run_state, reported, "{fixture}: state while running");
        }
    }
}

#[test]
fn the_legacy_payload_without_state_is_of_unknown_state() {
    let envelope = envelope("ha_cluster_discovery_legacy_no_online_field.json");
    let (_, _, details, _) = online_registration(agent_of(&envelope), &envelope["payload"], "legacy");
    assert_eq!(details.state, None);
    assert_eq!(details.reported_state(), ClusterRunState::Unknown);
}

// ---------------------------------------------------------------------------------------
// SAP systems and databases

/// `(instance number, role)` of each HANA instance a payload registers; `None` is Trento's
/// `system_replication: null`.
type Roles = &'static [(&'static str, Option<ReplicationRole>)];

/// Each SAP system payload and the replication roles it registers.
const SAP_SYSTEMS: &[(&str, Roles)] = &[
    ("sap_system_discovery_application.json", &[]),
    ("sap_system_discovery_application_diagnostics.json", &[]),
    ("sap_system_discovery_database.json", &[("00", Some(ReplicationRole::Primary))]),
    // `hdbnsutil -sr_state` says `mode: none`.
    ("sap_system_discovery_database_multi_tenant.json", &[("56", None)]),
    ("sap_system_discovery_database_secondary.json", &[("00", Some(ReplicationRole::Secondary))]),
    ("sap_system_discovery_database_stopped_instance.json", &[("10", Some(ReplicationRole::Primary))]),
    ("sap_system_discovery_empty.json", &[]),
    ("sap_system_discovery_empty_application_instances.json", &[]),
];

#[test]
fn database_instances_without_replication_have_no_role() {
    for (fixture, expected) in SAP_SYSTEMS {
        let envelope = envelope(fixture);
        let commands = detect(agent_of(&envelope), DiscoveryType::SapSystem, &envelope["payload"]);
        let roles: Vec<(&str, Option<ReplicationRole>)> = commands
            .iter()
            .filter_map(|c| match c {
                LandscapeCommand::Database {
                    command: DatabaseCommand::RegisterDatabaseInstance { instance, .. },
                    ..
                } => Some((instance.instance_number.as_str(), instance.system_replication.role)),
                _ => None,
            })
            .collect();
        assert_eq!(roles, *expected, "{fixture}");
    }
}

// ---------------------------------------------------------------------------------------

/// The cloud, saptune and subscription fixtures derive nothing this file checks; their
/// derived values are checked in `host_extended_fixtures.rs`.
const NOTHING_NEW: &[&str] = &["cloud_discovery_", "saptune_discovery", "subscriptions_discovery"];

#[test]
fn every_discovery_fixture_is_checked() {
    let mut unchecked = Vec::new();
    for entry in std::fs::read_dir(fixtures().join("discovery")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let checked = HOSTS.iter().any(|(f, _)| *f == name)
            || REFUSED_HOSTS.contains(&name.as_str())
            || CLUSTERS.iter().any(|c| c.fixture == name)
            || OFFLINE_OR_NO_CLUSTER.contains(&name.as_str())
            || SAP_SYSTEMS.iter().any(|(f, _)| *f == name)
            || NOTHING_NEW.iter().any(|prefix| name.starts_with(prefix));
        if !checked {
            unchecked.push(name);
        }
    }
    assert!(unchecked.is_empty(), "fixtures no parity check covers: {unchecked:?}");
}

#[test]
fn the_offline_fixtures_register_offline_hosts_and_the_null_one_none() {
    for fixture in OFFLINE_OR_NO_CLUSTER {
        let envelope = envelope(fixture);
        let commands = detect(agent_of(&envelope), DiscoveryType::HaCluster, &envelope["payload"]);
        let names: Vec<&str> = commands.iter().map(LandscapeCommand::name).collect();
        let expected: &[&str] = if envelope["payload"].is_null() { &[] } else { &["RegisterOfflineClusterHost"] };
        assert_eq!(names, expected, "{fixture}");
    }
}
