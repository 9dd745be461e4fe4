//! `vigil bench actions`, tiny: every event appended triggers one signed webhook, the
//! receiver has each exactly once, the store shows every execution succeeded, and the
//! figures the benchmark reports count what was sent.

use std::process::Command;

use serde_json::Value;

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

#[test]
fn a_tiny_run_delivers_every_event_once_and_its_counts_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let result = dir.path().join("result.json");
    let run = Command::new(VIGIL)
        .args(["bench", "actions", "--events", "60", "--batch", "7", "--rate", "100", "--seconds", "0.4"])
        .args(["--runs", "1", "--baseline-seconds", "0.1", "--raw-rows", "1000", "--dir"])
        .arg(dir.path())
        .arg("--json")
        .arg(&result)
        .env("VIGIL_LOG", "warn")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let result: Value = serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    assert_eq!(result["benchmark"], "actions");
    assert_eq!(result["durability"], "full");
    assert_eq!(result["duplicates"], 0);
    assert_eq!(result["rejected"], 0);
    for baseline in result["baselines"].as_array().unwrap() {
        assert!(baseline["median"].as_f64().unwrap() > 0.0, "{baseline}");
    }

    // 60 events in batches of 7 (the last one of 4): 60 executions, 60 deliveries.
    let throughput = &result["throughput"]["runs"][0];
    assert_eq!(throughput["events"], 60);
    assert_eq!(throughput["executions"], 60, "{throughput}");
    assert_eq!(throughput["statuses"], serde_json::json!({"succeeded": 60}), "{throughput}");
    let receiver = &throughput["receiver"];
    assert_eq!(receiver["deliveries"], 60, "{receiver}");
    assert_eq!(receiver["distinct"], 60, "{receiver}");
    assert_eq!(receiver["duplicates"], 0, "{receiver}");
    assert_eq!(receiver["rejected"], 0, "{receiver}");
    let (delivered, succeeded) =
        (throughput["delivered_s"].as_f64().unwrap(), throughput["succeeded_s"].as_f64().unwrap());
    assert!(0.0 < delivered && delivered <= succeeded, "{throughput}");

    // 100 events/s: a warm-up second (100 events) and 0.4 s measured (40 events).
    let latency = &result["latency"]["runs"][0];
    assert_eq!(latency["events"], 40, "{latency}");
    assert_eq!(latency["append_to_arrival"]["count"], 40, "{latency}");
    assert_eq!(latency["statuses"], serde_json::json!({"succeeded": 140}), "{latency}");
    assert_eq!(latency["receiver"]["distinct"], 140, "{latency}");
    assert_eq!(latency["receiver"]["deliveries"], 140, "{latency}");
    for (stage, figures) in latency["stages"].as_object().unwrap() {
        assert_eq!(figures["count"], 40, "{stage}: {figures}");
    }
    let (p50, p99) = (
        latency["append_to_arrival"]["p50_ms"].as_f64().unwrap(),
        latency["append_to_arrival"]["p99_ms"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99, "{latency}");
}

#[test]
fn its_help_says_what_it_measures() {
    let help = Command::new(VIGIL).args(["bench", "actions", "--help"]).output().unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    for needle in ["webhook", "whsec_", "--events", "--rate", "--durability", "--json", "duplicates"] {
        assert!(text.contains(needle), "`vigil bench actions --help` does not mention {needle}:\n{text}");
    }
}
