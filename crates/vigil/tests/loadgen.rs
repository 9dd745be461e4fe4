//! `vigil loadgen` against the server it starts: a small fleet registers the landscape it
//! simulates, every request succeeds, and changed host discoveries reach the read model.

use std::process::Command;

use serde_json::Value;

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

#[test]
fn a_small_fleet_builds_its_landscape_and_changes_reach_the_read_model() {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("result.json");
    // 8 agents: two copies of the HANA cluster (2 hosts each) and two of the HANA host with
    // its application server. Every host discovery changes, so each one is a probe.
    let run = Command::new(VIGIL)
        .args(["loadgen", "--agents", "8", "--warmup", "1s", "--duration", "8s", "--change-share", "1", "--dir"])
        .arg(dir.path())
        .arg("--json")
        .arg(&result)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    let step = &result["result"];
    assert_eq!(step["agents"], 8);
    assert_eq!(step["errors"], 0, "{}", step["statuses"]);
    let landscape = &step["landscape"];
    assert_eq!(landscape["hosts"], 8, "{landscape}");
    assert_eq!(landscape["clusters"], 2, "{landscape}");
    assert_eq!(landscape["databases"], 4, "{landscape}");
    assert_eq!(landscape["sap_systems"], 2, "{landscape}");
    assert!(step["statuses"]["host_discovery 202 applied"].as_u64().unwrap_or(0) > 0, "{}", step["statuses"]);
    assert!(step["statuses"]["heartbeat 204"].as_u64().unwrap_or(0) > 0, "{}", step["statuses"]);
    let read_model = &step["read_model"];
    assert!(read_model["count"].as_u64().unwrap() > 0, "{read_model}");
    assert_eq!(read_model["mismatches"], 0, "{read_model}");
    assert_eq!(read_model["timeouts"], 0, "{read_model}");
    let server = &step["server"];
    assert!(server["cpu_seconds"].as_f64().unwrap() > 0.0, "{server}");
    assert!(server["rss_mib"].as_f64().unwrap() > 1.0, "{server}");
    // Whether the bounds held depends on the machine's load: only that a verdict is given.
    assert!(step["verdict"]["sustained"].is_boolean(), "{}", step["verdict"]);
}

#[test]
fn with_an_actions_file_the_server_it_starts_calls_the_webhook_receiver_once_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("result.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let rules = dir.path().join("actions.toml");
    // Each host's first heartbeat makes a HeartbeatSucceeded; with every host discovery
    // changed, each one makes a HostDetailsUpdated.
    std::fs::write(
        &rules,
        format!(
            "[[rule]]\nname = \"heartbeats\"\non = \"HeartbeatSucceeded\"\naction = {{ kind = \"webhook\", url = \"http://127.0.0.1:{port}/hook\", secret = \"whsec_c2VjcmV0\" }}\n\n\
             [[rule]]\nname = \"host-details\"\non = \"HostDetailsUpdated\"\naction = {{ kind = \"webhook\", url = \"http://127.0.0.1:{port}/hook\" }}\n"
        ),
    )
    .unwrap();
    let run = Command::new(VIGIL)
        .args(["loadgen", "--agents", "4", "--warmup", "1s", "--duration", "12s", "--change-share", "1", "--dir"])
        .arg(dir.path())
        .arg("--actions-file")
        .arg(&rules)
        .args(["--webhook-receiver", &format!("127.0.0.1:{port}")])
        .arg("--json")
        .arg(&result)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    let step = &result["result"];
    assert_eq!(step["errors"], 0, "{}", step["statuses"]);
    assert_eq!(step["landscape"]["hosts"], 4, "{}", step["landscape"]);
    let hooks = &step["webhooks"];
    // At least the 4 first heartbeats and a changed host discovery in the measured 12 s.
    assert!(hooks["deliveries"].as_u64().unwrap() >= 5, "{hooks}");
    assert!(hooks["measured"].as_u64().unwrap() >= 1, "{hooks}");
    assert_eq!(hooks["duplicates"], 0, "{hooks}");
}
