//! Every `host_discovery*.json` of the shared Trento corpus, through the ScenarioDetector.
//! Expected values are read off the payload files by hand.

use std::path::PathBuf;

use vigil_landscape::LandscapeCommand;
use vigil_landscape::discovery::{Discovery, DiscoveryType, InvalidDiscovery, ScenarioDetector};
use vigil_landscape::host::{Architecture, HostCommand, HostDetails, InstallationSource, PrometheusMode};

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

fn detect(name: &str) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let text = std::fs::read_to_string(fixtures().join("discovery").join(name)).expect("fixture exists");
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(envelope["discovery_type"], "host_discovery");
    let payload = envelope["payload"].to_string();
    ScenarioDetector::detect(
        &Discovery {
            agent_id: envelope["agent_id"].as_str().unwrap().parse().unwrap(),
            discovery_type: DiscoveryType::Host,
            payload: &payload,
        },
        &Default::default(),
    )
}

fn details(name: &str) -> HostDetails {
    let commands = detect(name).unwrap_or_else(|e| panic!("{name} must be accepted: {e}"));
    match commands.as_slice() {
        [LandscapeCommand::Host { command: HostCommand::RegisterHost { details, .. }, .. }] => details.clone(),
        other => panic!("{name}: expected one RegisterHost, got {other:?}"),
    }
}

#[test]
fn host_discovery_registers_the_host_with_addresses_zipped_with_netmasks() {
    let d = details("host_discovery.json");
    assert_eq!(d.hostname, "suse");
    assert_eq!(
        d.fully_qualified_domain_name.as_deref(),
        Some("suse.l15cqsinwnpu5gfyrf1r5l51fe.ax.internal.cloudapp.net")
    );
    assert_eq!(d.ip_addresses, ["10.1.1.4/16", "10.1.1.5/24", "10.1.1.6/32"]);
    assert_eq!(d.arch, Architecture::X86_64);
    assert_eq!((d.os_version.as_str(), d.cpu_count, d.socket_count, d.total_memory_mb), ("15-SP2", 2, 1, 4096));
    assert_eq!(d.agent_version, "0.1.0");
    assert_eq!(d.systemd_units.len(), 1);
    assert_eq!(
        (d.systemd_units[0].name.as_str(), d.systemd_units[0].unit_file_state.as_str()),
        ("pacemaker.service", "enabled")
    );
    assert_eq!(d.installation_source, InstallationSource::Unknown);
    assert_eq!(d.prometheus_mode, PrometheusMode::Pull);
    assert_eq!(d.last_boot_timestamp, None);
}

#[test]
fn optional_fields_of_the_other_host_fixtures() {
    assert_eq!(details("host_discovery_without_arch.json").arch, Architecture::Unknown);
    assert_eq!(
        details("host_discovery_with_installation_source.json").installation_source,
        InstallationSource::Community
    );
    let boot = details("host_discovery_with_last_boot_timestamp.json").last_boot_timestamp.unwrap();
    assert_eq!(boot.to_rfc3339(), "2024-06-10T12:34:56+00:00");
    let pull = details("host_discovery_with_prometheus_mode_pull.json");
    assert_eq!(pull.prometheus_mode, PrometheusMode::Pull);
    assert_eq!(pull.prometheus_targets.get("node_exporter").map(String::as_str), Some("10.0.0.1:9100"));
    assert_eq!(pull.prometheus_targets.get("ha_cluster_exporter").map(String::as_str), Some("10.0.0.1:9664"));
    let push = details("host_discovery_with_prometheus_mode_push.json");
    assert_eq!(push.prometheus_mode, PrometheusMode::Push);
    assert_eq!(push.prometheus_targets.get("prometheus_url").map(String::as_str), Some("http://10.1.1.4:9090"));
}

#[test]
fn the_deliberately_wrong_host_fixtures_name_the_field() {
    let err = detect("host_discovery_with_last_boot_timestamp_wrong.json").unwrap_err();
    assert!(err.to_string().starts_with("payload.last_boot_timestamp:"), "{err}");
    assert!(err.to_string().contains("invalid-date"), "{err}");
    let err = detect("host_discovery_with_prometheus_mode_invalid.json").unwrap_err();
    assert!(err.to_string().starts_with("payload.prometheus_mode:"), "{err}");
}

#[test]
fn every_host_fixture_in_the_corpus_is_accepted_or_clearly_refused() {
    let mut seen = 0;
    for entry in std::fs::read_dir(fixtures().join("discovery")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("host_discovery") {
            continue;
        }
        seen += 1;
        let deliberately_wrong = name.contains("_wrong") || name.contains("_invalid");
        match detect(&name) {
            Ok(_) => assert!(!deliberately_wrong, "{name} must be refused"),
            Err(e) => assert!(deliberately_wrong, "{name} must be accepted: {e}"),
        }
    }
    assert_eq!(seen, 8, "the corpus has eight host fixtures");
}

/// Regression: the anonymised scenario payloads carry addresses such as
/// `82ef:e867:1dcc:8e1a:50a6` that are not valid IPv6; an early version refused them.
#[test]
fn every_scenario_host_payload_is_accepted() {
    let mut seen = 0;
    for scenario in std::fs::read_dir(fixtures().join("scenarios")).unwrap() {
        for file in std::fs::read_dir(scenario.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if !path.to_string_lossy().ends_with("_host_discovery.json") {
                continue;
            }
            seen += 1;
            let envelope: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let payload = envelope["payload"].to_string();
            let discovery = Discovery {
                agent_id: envelope["agent_id"].as_str().unwrap().parse().unwrap(),
                discovery_type: DiscoveryType::Host,
                payload: &payload,
            };
            ScenarioDetector::detect(&discovery, &Default::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    assert!(seen >= 10, "the scenarios hold host discoveries ({seen})");
}

#[test]
fn scenario_host_payloads_with_string_netmasks_and_ipv6_parse() {
    let dir = fixtures().join("scenarios/single-hana-single-app");
    let text = std::fs::read_to_string(dir.join("e77ab524-c4e4-5381-bb59-5af8639d52a4_host_discovery.json")).unwrap();
    let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
    let payload = envelope["payload"].to_string();
    let commands = ScenarioDetector::detect(
        &Discovery {
            agent_id: envelope["agent_id"].as_str().unwrap().parse().unwrap(),
            discovery_type: DiscoveryType::Host,
            payload: &payload,
        },
        &Default::default(),
    )
    .unwrap();
    let LandscapeCommand::Host { command: HostCommand::RegisterHost { details, .. }, .. } = &commands[0] else {
        panic!("expected RegisterHost, got {commands:?}");
    };
    assert_eq!(details.hostname, "trento-vmnetweaver01");
    assert!(details.ip_addresses.contains(&"127.0.0.1/8".to_owned()));
    assert!(details.ip_addresses.contains(&"::1/128".to_owned()));
}

#[test]
fn bad_payloads_name_the_field() {
    let check = |payload: &str, field: &str| {
        let err = ScenarioDetector::detect(
            &Discovery { agent_id: uuid::Uuid::nil(), discovery_type: DiscoveryType::Host, payload },
            &Default::default(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with(field), "{payload}: {err}");
    };
    let ok = serde_json::json!({"hostname": "h", "ip_addresses": ["10.0.0.1"], "agent_version": "1",
        "os_version": "15", "cpu_count": 1, "socket_count": 1, "total_memory_mb": 1});
    let with = |k: &str, v: serde_json::Value| {
        let mut p = ok.clone();
        p[k] = v;
        p.to_string()
    };
    check(&with("cpu_count", serde_json::json!(-1)), "payload.cpu_count:");
    check(&with("hostname", serde_json::json!("")), "payload.hostname:");
    check(&with("ip_addresses", serde_json::json!(["10.0.0.1", " "])), "payload.ip_addresses[1]:");
    check(&with("netmasks", serde_json::json!([16, 24])), "payload.netmasks:");
    check(&with("netmasks", serde_json::json!([33])), "payload.netmasks[0]:");
    check(r#"{"hostname": "h"}"#, "payload:");
    check("[]", "payload:");
}
