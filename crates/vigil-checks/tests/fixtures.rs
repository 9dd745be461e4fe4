//! The whole shipped catalog against every cluster and host of the Trento scenarios. The
//! expected statuses were read off the payloads (CIB properties, resource parameters, SBD
//! configuration, saptune status), so each would fail if a check or the input builder read
//! the wrong field.

mod common;

use std::collections::BTreeMap;

use serde_json::json;
use vigil_checks::{Catalog, CheckInput, Evaluation, Health, Selection, Status, cluster_input};

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

#[test]
fn no_check_errors_on_any_fixture_and_fact_checks_say_facts_were_not_gathered() {
    let catalog = shipped();
    let mut evaluated = 0;
    for (name, clusters, hosts) in common::scenario_inputs() {
        for input in clusters.iter().chain(&hosts) {
            let evaluation = catalog.evaluate(input, &Selection::default(), &BTreeMap::new());
            assert!(!evaluation.results.is_empty(), "{name}: no check applies to {:?}", input.target);
            for result in &evaluation.results {
                assert_ne!(result.status, Status::Error, "{name} {}: {}", result.check_id, result.message);
                let needs_facts = !catalog.get(&result.check_id).unwrap().metadata().facts.is_empty();
                assert_eq!(
                    result.status == Status::NotGathered,
                    needs_facts,
                    "{name} {}: {}",
                    result.check_id,
                    result.message
                );
                if needs_facts {
                    assert!(result.message.starts_with("facts not gathered: "), "{}", result.message);
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
fn gathered_facts_are_read_and_a_gatherers_error_is_reported() {
    let scenarios = by_scenario();
    let (clusters, _) = &scenarios["hana-scale-up-angi"];
    let members = common::clusters_of(&common::hosts_of(&common::fixtures().join("scenarios/hana-scale-up-angi")))
        .into_values()
        .next()
        .unwrap();
    let facts = json!({
        "corosync_conf": {"totem": {"token": "30000", "consensus": "36000", "max_messages": "20", "transport": "udpu"}, "quorum": {"two_node": "1"}},
        "packages": {"error": {"type": "command_not_found", "message": "rpm: not found"}},
    });
    let input = cluster_input(&members, facts).unwrap();
    assert_eq!(input.target, clusters[0].target);
    let evaluation = evaluate(&input);
    let result = |id: &str| evaluation.results.iter().find(|r| r.check_id == id).unwrap().clone();
    assert_eq!(result("corosync_token").status, Status::Passing, "30000 ms is Azure's value");
    assert_eq!(result("corosync_consensus").status, Status::Passing);
    assert_eq!(result("corosync_two_node").status, Status::Passing);
    assert_eq!(result("corosync_join").status, Status::Warning, "join not set");
    let packages = result("package_corosync");
    assert_eq!(packages.status, Status::NotGathered);
    assert!(packages.message.contains("command_not_found: rpm: not found"), "{}", packages.message);
    // A customised value moves the expectation: a 5000 ms token expected on this cluster.
    let custom = Selection {
        checks: Some(vec!["corosync_token".to_owned()]),
        values: BTreeMap::from([("corosync_token".to_owned(), BTreeMap::from([("token".to_owned(), json!(5000))]))]),
    };
    let narrowed = shipped().evaluate(&input, &custom, &BTreeMap::new());
    assert_eq!(narrowed.results.len(), 1);
    assert_eq!((narrowed.results[0].status, &narrowed.results[0].expected), (Status::Critical, &json!(5000)));
    assert_eq!(narrowed.health, Health::Critical);
}
