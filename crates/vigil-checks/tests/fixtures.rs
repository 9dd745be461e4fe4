//! The whole shipped catalog against every cluster and host of the Trento scenarios. The
//! expected statuses were read off the payloads (CIB properties, resource parameters, SBD
//! configuration, saptune status) and, for the checks with facts, off the agent's captured
//! fixtures the facts are gathered from, so each would fail if a check or the input builder
//! read the wrong field.

mod common;

use std::collections::BTreeMap;

use common::CapturedNode;
use serde_json::json;
use uuid::Uuid;
use vigil_checks::facts::HostFacts;
use vigil_checks::{Catalog, CheckInput, CheckResult, Evaluation, Health, Selection, Status};

/// The angi scale-up scenario's nodes (agent ids), vmangi01 the designated controller.
const VMANGI01: Uuid = Uuid::from_u128(0x851a4dd3_9693_44c3_a40b_b32d22872e74);
const VMANGI02: Uuid = Uuid::from_u128(0x4b67842f_ccf7_46a4_a344_9e918648b117);

/// The checks on the resource defaults, read from each node's CIB (`cibadmin`).
const RSC_DEFAULTS_CHECKS: [&str; 4] =
    ["resource_stickiness", "migration_threshold", "ascs_ers_resource_stickiness", "ascs_ers_migration_threshold"];

fn statuses(evaluation: &Evaluation) -> BTreeMap<&str, Status> {
    evaluation.results.iter().map(|r| (r.check_id.as_str(), r.status)).collect()
}

fn by_scenario() -> BTreeMap<String, (Vec<CheckInput>, Vec<CheckInput>)> {
    common::scenario_inputs().into_iter().map(|(name, clusters, hosts)| (name, (clusters, hosts))).collect()
}

/// Compiled once for every test of this file.
fn shipped() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(Catalog::shipped)
}

fn evaluate(input: &CheckInput) -> Evaluation {
    shipped().evaluate(input, &Selection::default(), &BTreeMap::new())
}

fn result<'a>(evaluation: &'a Evaluation, id: &str) -> &'a CheckResult {
    evaluation.results.iter().find(|r| r.check_id == id).unwrap_or_else(|| panic!("no {id}"))
}

/// The angi scenario's cluster input and its two host inputs (vmangi01, vmangi02).
fn angi() -> (CheckInput, Vec<CheckInput>) {
    let (mut clusters, hosts) = by_scenario().remove("hana-scale-up-angi").unwrap();
    assert_eq!(clusters.len(), 1);
    let mut hosts = hosts;
    hosts.sort_by_key(|h| h.target.id != VMANGI01.to_string());
    (clusters.remove(0), hosts)
}

/// The captured node as each angi node: vmangi01 lists both nodes in /etc/hosts; vmangi02
/// keeps the captured file (which names the capture's hana01/hana02 only), has its token
/// edited to 5000 without a reload (the running token stays 30000), and has no sbd package.
fn angi_nodes() -> (CapturedNode, CapturedNode) {
    let mut vmangi01 = CapturedNode::hana01();
    vmangi01.files.get_mut("/etc/hosts").unwrap().push_str("10.70.1.4\tvmangi01\n10.70.1.5\tvmangi02\n");
    // chronyd is not in the systemctl capture: its block written the way systemctl prints it.
    vmangi01.systemctl.push_str("\nId=chronyd.service\nDescription=NTP client/server\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nUnitFilePreset=disabled\nNeedDaemonReload=no\n");
    let mut vmangi02 = CapturedNode::hana01();
    let conf = vmangi02.files.get_mut("/etc/corosync/corosync.conf").unwrap();
    assert!(conf.contains("\ttoken: 30000\n"));
    *conf = conf.replace("\ttoken: 30000\n", "\ttoken: 5000\n");
    let sbd = "sbd\t(none)\t1.5.2+20240105.a4d1a3a\t150600.1.4\tx86_64\n";
    assert!(vmangi02.rpm.contains(sbd));
    vmangi02.rpm = vmangi02.rpm.replace(sbd, "package sbd is not installed\n");
    // An unknown unit, as systemctl prints one.
    vmangi02.systemctl.push_str("\nId=chronyd.service\nDescription=chronyd.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nUnitFileState=\nUnitFilePreset=\nNeedDaemonReload=no\n");
    (vmangi01, vmangi02)
}

/// Every host's answers to the catalog's requests for `input`.
fn gathered(input: &CheckInput, nodes: &[(Uuid, &CapturedNode)]) -> BTreeMap<Uuid, HostFacts> {
    let requests = shipped().fact_requests(input, &Selection::default());
    nodes.iter().map(|(id, node)| (*id, HostFacts::Gathered(node.answer(&requests)))).collect()
}

#[test]
fn no_check_errors_on_any_fixture_and_checks_without_their_facts_are_not_gathered() {
    let catalog = shipped();
    let mut evaluated = 0;
    for (name, clusters, hosts) in common::scenario_inputs() {
        for input in clusters.iter().chain(&hosts) {
            let evaluation = catalog.evaluate(input, &Selection::default(), &BTreeMap::new());
            assert!(!evaluation.results.is_empty(), "{name}: no check applies to {:?}", input.target);
            for result in &evaluation.results {
                let context = format!("{name} {}: {}", result.check_id, result.message);
                assert_ne!(result.status, Status::Error, "{context}");
                let needs_facts = !catalog.get(&result.check_id).unwrap().metadata().facts.is_empty();
                assert_eq!(result.status == Status::NotGathered, needs_facts, "{context}");
                if needs_facts {
                    // Every host named, each with why.
                    assert_eq!(result.hosts.len(), input.document["hosts"].as_array().map_or(1, Vec::len), "{context}");
                    assert!(
                        result.message.contains(": facts not gathered: nothing was gathered from this host"),
                        "{context}"
                    );
                }
            }
            evaluated += evaluation.results.len();
        }
    }
    assert!(evaluated > 300, "{evaluated}");
}

#[test]
fn production_bytecode_agrees_with_the_interpreter_the_unit_tests_ran_on() {
    let catalog = shipped();
    for check in catalog.checks() {
        assert!(check.runs_bytecode(), "{} falls back to the interpreter", check.metadata().id);
    }
    let interpreted = catalog.interpreted();
    let mut inputs: Vec<CheckInput> =
        common::scenario_inputs().into_iter().flat_map(|(_, c, h)| c.into_iter().chain(h)).collect();
    inputs.push(common::discovery_cluster("ha_cluster_discovery_ascs_ers.json"));
    for input in &inputs {
        assert_eq!(
            catalog.evaluate(input, &Selection::default(), &BTreeMap::new()),
            interpreted.evaluate(input, &Selection::default(), &BTreeMap::new()),
            "{:?}",
            input.target
        );
    }
    // And the checks with facts, on the facts the agent gathers.
    let (cluster, hosts) = angi();
    let (vmangi01, vmangi02) = angi_nodes();
    for input in std::iter::once(&cluster).chain(&hosts) {
        let facts = gathered(input, &[(VMANGI01, &vmangi01), (VMANGI02, &vmangi02)]);
        let production = catalog.evaluate(input, &Selection::default(), &facts);
        assert!(production.results.iter().any(|r| !r.hosts.is_empty() && r.status != Status::NotGathered));
        assert_eq!(production, interpreted.evaluate(input, &Selection::default(), &facts), "{:?}", input.target);
    }
}

#[test]
fn the_angi_cluster_on_the_facts_its_agents_gather() {
    let (input, _) = angi();
    let (vmangi01, vmangi02) = angi_nodes();
    let requests = shipped().fact_requests(&input, &Selection::default());
    assert!(requests.iter().any(|r| (r.check_id.as_str(), r.argument.as_str()) == ("corosync_token", "totem.token")));
    assert!(!requests.iter().any(|r| r.check_id == "package_sap_suse_cluster_connector"), "an ASCS/ERS check");
    let facts = gathered(&input, &[(VMANGI01, &vmangi01), (VMANGI02, &vmangi02)]);
    let evaluation = shipped().evaluate(&input, &Selection::default(), &facts);
    let status = |id: &str| result(&evaluation, id).status;
    let message = |id: &str| result(&evaluation, id).message.clone();

    // corosync.conf: token 30000 (Azure's) on vmangi01, 5000 on vmangi02.
    assert_eq!(status("corosync_token"), Status::Critical);
    assert_eq!(message("corosync_token"), "vmangi02: corosync totem.token is 5000 ms; 30000 ms is recommended");
    let hosts: Vec<(Uuid, &str, Status)> = result(&evaluation, "corosync_token")
        .hosts
        .iter()
        .map(|h| (h.host_id, h.hostname.as_str(), h.status))
        .collect();
    // In the document's order: the members by agent id.
    assert_eq!(hosts, [(VMANGI02, "vmangi02", Status::Critical), (VMANGI01, "vmangi01", Status::Passing)]);
    // The running token (cmapctl) is the captured 30000: vmangi02's edit was never applied.
    assert_eq!(status("corosync_runtime_token"), Status::Warning);
    assert_eq!(
        message("corosync_runtime_token"),
        "vmangi02: the running totem.token is 30000; corosync.conf makes it 5000"
    );
    // consensus 36000 is 1.2 × 30000, not 1.2 × 5000.
    assert_eq!(status("corosync_consensus"), Status::Warning);
    assert!(message("corosync_consensus").starts_with("vmangi02: "), "{}", message("corosync_consensus"));
    // token_retransmits_before_loss_const: 6 on both, 10 recommended.
    assert_eq!(
        message("corosync_token_retransmits"),
        "vmangi02, vmangi01: corosync totem.token_retransmits_before_loss_const is 6; 10 is recommended"
    );
    assert_eq!(status("corosync_token_retransmits"), Status::Warning);
    // join 60, max_messages 20, udpu, secauth on with aes256, two_node 1, expected_votes 2.
    for id in ["corosync_join", "corosync_max_messages", "corosync_transport", "corosync_crypto", "corosync_two_node"] {
        assert_eq!(status(id), Status::Passing, "{id}: {}", message(id));
    }
    assert_eq!(status("corosync_expected_votes"), Status::Passing);
    assert_eq!(result(&evaluation, "corosync_expected_votes").observed, json!(2));

    // rpm: corosync 2.4.6, resource-agents 4.13.0+git30, SAPHanaSR-angi 1.2.7 (SAPHanaSR not
    // installed); sbd 1.5.2 on vmangi01 and not installed on vmangi02, an SBD-fenced cluster.
    assert_eq!(status("package_corosync"), Status::Passing);
    assert_eq!(result(&evaluation, "package_corosync").observed, json!("2.4.6"));
    assert_eq!(status("package_resource_agents"), Status::Passing);
    assert_eq!(status("saphanasr_package"), Status::Passing);
    assert_eq!(message("saphanasr_package"), "vmangi02, vmangi01: SAPHanaSR not installed, SAPHanaSR-angi 1.2.7");
    assert_eq!(status("package_sbd"), Status::Critical);
    assert_eq!(message("package_sbd"), "vmangi02: sbd is not installed, and the cluster fences with SBD");

    // /etc/hosts: vmangi01 lists both nodes, vmangi02's only the capture's hana01 and hana02.
    assert_eq!(status("cluster_nodes_in_hosts_file"), Status::Warning);
    assert_eq!(message("cluster_nodes_in_hosts_file"), "vmangi02: nodes missing from /etc/hosts: vmangi01, vmangi02");
    assert_eq!(result(&evaluation, "cluster_nodes_in_hosts_file").hosts[1].status, Status::Passing, "vmangi01");

    // cibadmin: the captured CIB's rsc_defaults, resource-stickiness 1000 and
    // migration-threshold 5000, on both nodes.
    for id in ["resource_stickiness", "migration_threshold"] {
        assert_eq!(status(id), Status::Passing, "{id}: {}", message(id));
        assert_eq!(result(&evaluation, id).hosts.len(), 2, "{id} is judged on each node's CIB");
    }
    assert_eq!(result(&evaluation, "resource_stickiness").observed, json!(1000));
    assert!(!evaluation.results.iter().any(|r| r.check_id.starts_with("ascs_ers_")), "ASCS/ERS checks on HANA");
    assert!(evaluation.results.iter().all(|r| r.status != Status::Error), "{:#?}", evaluation.results);
    assert_eq!(evaluation.health, Health::Critical);
}

#[test]
fn the_angi_hosts_time_sync_from_systemd() {
    let (_, hosts) = angi();
    let (vmangi01, vmangi02) = angi_nodes();
    let nodes = [(VMANGI01, &vmangi01), (VMANGI02, &vmangi02)];
    let expected = [
        (Status::Passing, "vmangi01: chronyd.service is active (running)"),
        (Status::Warning, "vmangi02: chronyd.service is not installed (systemd knows no such unit)"),
    ];
    for (input, (status, message)) in hosts.iter().zip(expected) {
        let requests = shipped().fact_requests(input, &Selection::default());
        assert_eq!(requests.len(), 1, "time_sync_active alone has facts among the host checks: {requests:?}");
        let evaluation = shipped().evaluate(input, &Selection::default(), &gathered(input, &nodes));
        let time_sync = result(&evaluation, "time_sync_active");
        assert_eq!((time_sync.status, time_sync.message.as_str()), (status, message));
    }
}

#[test]
fn a_node_without_corosync_conf_is_not_gathered_with_the_gatherers_error() {
    let (input, _) = angi();
    let (vmangi01, mut vmangi02) = angi_nodes();
    vmangi02.files.remove("/etc/corosync/corosync.conf");
    let facts = gathered(&input, &[(VMANGI01, &vmangi01), (VMANGI02, &vmangi02)]);
    let evaluation = shipped().evaluate(&input, &Selection::default(), &facts);
    let token = result(&evaluation, "corosync_token");
    assert_eq!(token.status, Status::NotGathered);
    assert_eq!(
        token.message,
        "vmangi02: facts not gathered: token: file_not_found: /etc/corosync/corosync.conf does not exist"
    );
    assert_eq!(
        (token.hosts[1].hostname.as_str(), token.hosts[1].status),
        ("vmangi01", Status::Passing),
        "still checked"
    );
    // The checks on other sources are unaffected.
    assert_eq!(result(&evaluation, "package_corosync").status, Status::Passing);
    // A customised value moves the expectation: a 5000 ms token expected on this cluster,
    // which vmangi01's 30000 now fails.
    let custom = Selection {
        checks: Some(vec!["corosync_token".to_owned()]),
        values: BTreeMap::from([("corosync_token".to_owned(), BTreeMap::from([("token".to_owned(), json!(5000))]))]),
    };
    let facts = gathered(&input, &[(VMANGI01, &vmangi01), (VMANGI02, &angi_nodes().1)]);
    let narrowed = shipped().evaluate(&input, &custom, &facts);
    assert_eq!(narrowed.results.len(), 1);
    let token = &narrowed.results[0];
    assert_eq!((token.status, &token.expected), (Status::Critical, &json!(5000)));
    assert_eq!(token.message, "vmangi01: corosync totem.token is 30000 ms; 5000 ms is recommended");
    assert_eq!(narrowed.health, Health::Critical);
}

#[test]
fn the_angi_scale_up_cluster() {
    let scenarios = by_scenario();
    let (clusters, _) = &scenarios["hana-scale-up-angi"];
    assert_eq!(clusters.len(), 1);
    let input = &clusters[0];
    assert_eq!(
        (input.target.cluster_type.as_deref(), input.target.provider.as_str()),
        (Some("hana_scale_up"), "azure")
    );
    let evaluation = evaluate(input);
    let s = statuses(&evaluation);
    assert_eq!(s["stonith_enabled"], Status::Passing);
    // stonith-timeout 150 s against Azure's 144 s and 1.2 × msgwait 120 s.
    assert_eq!(s["stonith_timeout"], Status::Passing);
    assert_eq!(s["stonith_timeout_vs_sbd_msgwait"], Status::Passing);
    assert_eq!(s["sbd_msgwait_vs_watchdog"], Status::Passing);
    // SBD_STARTMODE=clean.
    assert_eq!(s["sbd_startmode"], Status::Warning);
    // AUTOMATED_REGISTER=false, PREFER_SITE_TAKEOVER=true, DUPLICATE_PRIMARY_TIMEOUT=7200.
    assert_eq!(s["saphana_automated_register"], Status::Passing);
    assert_eq!(s["saphana_prefer_site_takeover"], Status::Passing);
    assert_eq!(s["saphana_duplicate_primary_timeout"], Status::Passing);
    assert_eq!(s["saphana_operation_timeouts"], Status::Passing);
    // priority-fencing-delay=30, and priority=100 on the SAPHanaController primitive.
    assert_eq!(s["priority_fencing_delay"], Status::Passing);
    assert_eq!(s["saphana_priority"], Status::Passing);
    assert_eq!(s["fencing_race_delay"], Status::Passing);
    assert_eq!(s["concurrent_fencing"], Status::Warning);
    assert_eq!(s["corosync_token"], Status::NotGathered);
    assert!(!s.contains_key("ascs_ers_groups"), "an ASCS/ERS check on a HANA cluster");
    assert_eq!(evaluation.health, Health::Critical, "facts not gathered count as critical");
}

#[test]
fn the_cost_optimised_cluster_does_not_prefer_site_takeover() {
    let scenarios = by_scenario();
    let (clusters, _) = &scenarios["hana-scale-up-cost-opt"];
    let s = evaluate(&clusters[0]);
    let s = statuses(&s);
    assert_eq!(s["saphana_prefer_site_takeover"], Status::Warning, "PREFER_SITE_TAKEOVER=False");
    assert_eq!(s["saphana_automated_register"], Status::Passing, "AUTOMATED_REGISTER=False");
    assert_eq!(s["priority_fencing_delay"], Status::Warning, "no priority-fencing-delay");
    assert_eq!(s["stonith_timeout"], Status::Passing, "144 s on Azure");
    assert_eq!(s["sbd_startmode"], Status::Passing);
}

#[test]
fn the_multi_tier_cluster_registers_automatically() {
    let scenarios = by_scenario();
    let (clusters, _) = &scenarios["hana-scale-up-multi-tier"];
    let s = evaluate(&clusters[0]);
    let s = statuses(&s);
    assert_eq!(s["saphana_automated_register"], Status::Warning, "AUTOMATED_REGISTER=true");
    assert_eq!(s["stonith_timeout"], Status::Passing, "83 s against VMware's default minimum of 60 s");
    assert_eq!(s["saphana_clone_interleave"], Status::Passing);
}

#[test]
fn the_diskless_sbd_cluster() {
    let scenarios = by_scenario();
    let (clusters, _) = &scenarios["hana-diskless-sbd"];
    let evaluation = evaluate(&clusters[0]);
    let s = statuses(&evaluation);
    assert_eq!(s["sbd_diskless_node_count"], Status::Passing, "three nodes");
    assert_eq!(s["sbd_diskless_watchdog_timeout"], Status::Passing, "stonith-watchdog-timeout=-1");
    assert_eq!(s["fencing_configured"], Status::Passing, "diskless SBD, no stonith resource");
    assert_eq!(s["sbd_timeout_action"], Status::Warning, "flush,crashdump");
    assert_eq!(s["sbd_startmode"], Status::Passing);
    let timeout = evaluation.results.iter().find(|r| r.check_id == "stonith_timeout").unwrap();
    assert_eq!((timeout.status, &timeout.observed), (Status::Passing, &json!(60)), "Pacemaker's default");
}

#[test]
fn the_untuned_host_of_the_diskless_scenario() {
    let scenarios = by_scenario();
    let (_, hosts) = &scenarios["hana-diskless-sbd"];
    for input in hosts {
        let s = evaluate(input);
        let s = statuses(&s);
        let untuned = input.target.id == "43dcb497-2652-4254-b53a-3ff1d3b2a0ff";
        let expected = |bad| if untuned { bad } else { Status::Passing };
        assert_eq!(s["saptune_solution_applied"], expected(Status::Warning), "{}", input.target.id);
        assert_eq!(s["saptune_compliant"], expected(Status::Warning));
        assert_eq!(s["saptune_service_enabled"], expected(Status::Warning));
        assert_eq!(s["sapconf_inactive"], expected(Status::Critical));
        assert_eq!(s["saptune_installed"], Status::Passing);
        assert_eq!(s["os_version_supported"], Status::Passing, "15-SP4");
        assert!(!s.contains_key("stonith_enabled"), "a cluster check on a host");
    }
}

#[test]
fn the_ascs_ers_cluster_runs_an_old_pacemaker() {
    let input = common::discovery_cluster("ha_cluster_discovery_ascs_ers.json");
    assert_eq!(input.target.cluster_type.as_deref(), Some("ascs_ers"));
    let s = evaluate(&input);
    let s = statuses(&s);
    assert_eq!(s["pacemaker_version"], Status::Warning, "dc-version 2.0.5");
    assert_eq!(s["ascs_ers_groups"], Status::Passing);
    assert_eq!(s["ascs_ers_is_ers"], Status::Passing);
    assert_eq!(s["ascs_ers_automatic_recover"], Status::Passing);
    assert_eq!(s["ascs_ers_group_stickiness"], Status::Warning, "no resource-stickiness on the ASCS group");
    assert_eq!(s["stonith_timeout"], Status::Passing, "144s read with its unit");
    assert!(!s.contains_key("saphana_automated_register"));
}

#[test]
fn the_rsc_defaults_checks_ask_each_node_for_its_cibs_rsc_defaults() {
    for id in RSC_DEFAULTS_CHECKS {
        let facts = &shipped().get(id).unwrap().metadata().facts;
        let declared: Vec<(&str, &str, &str)> =
            facts.iter().map(|f| (f.name.as_str(), f.gatherer.as_str(), f.argument.as_str())).collect();
        assert_eq!(declared, [("rsc_defaults", "cibadmin", "rsc_defaults")], "{id}");
    }
}

/// The resource defaults come from each node's CIB, not from the discovery: a node whose
/// CIB sets none is judged on Pacemaker's defaults, one whose CIB has another value on it.
#[test]
fn the_rsc_defaults_checks_judge_the_cib_each_node_holds() {
    let (input, _) = angi();
    assert!(input.document["cluster"].get("rsc_defaults").is_none(), "one source of rsc_defaults, the CIB");
    let (mut vmangi01, mut vmangi02) = angi_nodes();
    vmangi01.cibadmin = common::agent_fixture("cibadmin/no-defaults.xml");
    vmangi02.cibadmin = common::agent_fixture("cibadmin/ascs-ers.xml");
    let facts = gathered(&input, &[(VMANGI01, &vmangi01), (VMANGI02, &vmangi02)]);
    let evaluation = shipped().evaluate(&input, &Selection::default(), &facts);
    let stickiness = result(&evaluation, "resource_stickiness");
    assert_eq!(stickiness.status, Status::Warning);
    assert_eq!(
        stickiness.message,
        "vmangi02: rsc_defaults resource-stickiness is 1; 1000 is recommended; \
         vmangi01: rsc_defaults sets no resource-stickiness (Pacemaker's default is 0); 1000 is recommended"
    );
    let threshold = result(&evaluation, "migration_threshold");
    let observed: Vec<&serde_json::Value> = threshold.hosts.iter().map(|h| &h.observed).collect();
    assert_eq!(observed, [&json!(3), &json!("INFINITY")], "vmangi02's 3, vmangi01's Pacemaker default");
    assert_eq!(threshold.status, Status::Warning);

    // A node whose pacemaker is down answers no CIB: not gathered, naming the node.
    let (vmangi01, mut vmangi02) = angi_nodes();
    vmangi02.cibadmin = "<cib".to_owned();
    let facts = gathered(&input, &[(VMANGI01, &vmangi01), (VMANGI02, &vmangi02)]);
    let stickiness = shipped().evaluate(&input, &Selection::default(), &facts);
    let stickiness = result(&stickiness, "resource_stickiness");
    assert_eq!(stickiness.status, Status::NotGathered);
    assert!(
        stickiness.message.starts_with("vmangi02: facts not gathered: rsc_defaults: parse_error: "),
        "{}",
        stickiness.message
    );
}

#[test]
fn the_ascs_ers_cluster_on_its_cib() {
    let cluster = common::fixtures().join("discovery/ha_cluster_discovery_ascs_ers.json");
    let envelope: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(cluster).unwrap()).unwrap();
    let host_discovery = common::fixtures().join("discovery/host_discovery.json");
    let host_envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(host_discovery).unwrap()).unwrap();
    let node: Uuid = envelope["agent_id"].as_str().unwrap().parse().unwrap();
    let member = vigil_checks::HostDiscoveries {
        host_id: node,
        payloads: BTreeMap::from([
            ("ha_cluster_discovery".to_owned(), envelope["payload"].clone()),
            ("host_discovery".to_owned(), host_envelope["payload"].clone()),
        ]),
    };
    let input = vigil_checks::cluster_input(&[member], json!({})).unwrap();
    assert_eq!(input.target.cluster_type.as_deref(), Some("ascs_ers"));
    let mut captured = CapturedNode::hana01();
    captured.cibadmin = common::agent_fixture("cibadmin/ascs-ers.xml");
    let evaluation = shipped().evaluate(&input, &Selection::default(), &gathered(&input, &[(node, &captured)]));
    // resource-stickiness=1 and migration-threshold=3, as the ENSA guides set them.
    for id in ["ascs_ers_resource_stickiness", "ascs_ers_migration_threshold"] {
        assert_eq!(result(&evaluation, id).status, Status::Passing, "{id}: {}", result(&evaluation, id).message);
    }
    assert!(!evaluation.results.iter().any(|r| r.check_id == "resource_stickiness"), "a HANA check on ASCS/ERS");
    // The HANA cluster's CIB on the same node fails both.
    captured.cibadmin = common::agent_fixture("cibadmin/hana-scale-up.xml");
    let evaluation = shipped().evaluate(&input, &Selection::default(), &gathered(&input, &[(node, &captured)]));
    let threshold = result(&evaluation, "ascs_ers_migration_threshold");
    assert_eq!(threshold.status, Status::Warning);
    assert!(
        threshold.message.ends_with("rsc_defaults migration-threshold is 5000; 3 is recommended"),
        "{}",
        threshold.message
    );
}
