//! The lake and the analytics through the real binary: `vigil serve` killed with `kill -9`
//! while it writes the lake loses and repeats no row (DuckDB reads it back against the SQLite
//! store), `vigil lake snapshot` writes the read models, and an injected flapping host raises
//! an `AnomalyDetected` event that mails an operator (aiosmtpd) through a rule.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

#[allow(dead_code)]
mod support {
    pub mod serve;
}
use support::serve::{Server, VIGIL, dechunk, fixtures, free_port};

#[allow(dead_code)]
#[path = "../../vigil-reactions/tests/support/python.rs"]
mod python;
#[allow(dead_code)]
#[path = "../../vigil-reactions/tests/support/smtp.rs"]
mod smtp;

const DUCKDB: &str = "duckdb==2.0.1";

fn scenario(name: &str) -> PathBuf {
    fixtures().join("scenarios").join(name)
}

/// A blocking HTTP/1.1 request without a body: status and body text.
fn http(method: &str, url: &str, token: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap();
    let Ok(mut stream) = std::net::TcpStream::connect(host) else { return (0, String::new()) };
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let agent_key = token.map(|t| format!("X-Trento-Apikey: {t}\r\n")).unwrap_or_default();
    let headers = if method == "POST" { agent_key + "Content-Length: 0\r\n" } else { auth };
    if write!(stream, "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n").is_err() {
        return (0, String::new());
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let Some((head, body)) = response.split_once("\r\n\r\n") else { return (0, String::new()) };
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    (status, body)
}

fn replay(server: &Server, data_dir: &Path, scenario: &Path) {
    let replayed = Command::new(VIGIL)
        .args(["replay", "--server-url", &server.base, "--data-dir"])
        .arg(data_dir)
        .arg(scenario)
        .output()
        .unwrap();
    assert!(replayed.status.success(), "{}", String::from_utf8_lossy(&replayed.stderr));
}

/// Every (position, event id) of the store, read from the SQLite file.
fn store_rows(data_dir: &Path) -> Vec<(u64, String)> {
    let conn = rusqlite::Connection::open(data_dir.join("vigil.db")).unwrap();
    let mut statement = conn.prepare("SELECT position, event_id FROM events ORDER BY position").unwrap();
    let rows = statement
        .query_map([], |r| {
            let id: Vec<u8> = r.get(1)?;
            Ok((r.get::<_, i64>(0)? as u64, uuid::Uuid::from_slice(&id).unwrap().to_string()))
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn checkpoint(lake: &Path) -> u64 {
    std::fs::read_to_string(lake.join("events/_checkpoint"))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["position"].as_u64())
        .unwrap_or(0)
}

fn wait_for_checkpoint(lake: &Path, position: u64) {
    let started = Instant::now();
    while checkpoint(lake) < position {
        assert!(started.elapsed() < Duration::from_secs(30), "the lake stayed at {} < {position}", checkpoint(lake));
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn duckdb(python: &Path, sql: &str) -> Value {
    let script =
        format!("import duckdb, json\nprint(json.dumps(duckdb.connect().sql({sql:?}).fetchall(), default=str))\n");
    let out = Command::new(python).args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_kill_9_while_the_lake_is_written_loses_and_repeats_no_row_and_snapshots_hold_the_read_models() {
    let Some(python) = python::venv(&[DUCKDB], "the DuckDB read of the lake") else { return };
    let data = tempfile::tempdir().unwrap();
    let lake = data.path().join("lake");
    let args = ["--lake", "true", "--lake-roll-age", "300ms", "--default-rules", "false"];
    let server = Server::start(data.path(), free_port(), &args);
    replay(&server, data.path(), &scenario("hana-diskless-sbd"));
    let head = store_rows(data.path()).last().unwrap().0;
    wait_for_checkpoint(&lake, head);
    // More events, and the process dies while it writes them.
    replay(&server, data.path(), &scenario("hana-scale-up-angi"));
    server.kill_9();
    let server = Server::start(data.path(), free_port(), &args);
    replay(&server, data.path(), &scenario("sap-system-java"));
    let store = store_rows(data.path());
    wait_for_checkpoint(&lake, store.last().unwrap().0);
    let scan = format!("read_parquet('{}/events/*/*/*.parquet', hive_partitioning = true)", lake.display());
    let rows = duckdb(&python, &format!("SELECT position, id FROM {scan} ORDER BY position"));
    let rows: Vec<(u64, String)> =
        rows.as_array().unwrap().iter().map(|r| (r[0].as_u64().unwrap(), r[1].as_str().unwrap().to_owned())).collect();
    assert_eq!(rows.len(), store.len(), "as many rows as events, none twice");
    assert_eq!(rows, store);
    let temps = walk(&lake).into_iter().filter(|p| p.to_string_lossy().ends_with(".tmp")).count();
    assert_eq!(temps, 0, "no half-written file is left");

    let (_, metrics) = http("GET", &format!("{}/metrics", server.base), None);
    for name in [
        "vigil_lake_rows_written_total",
        "vigil_lake_files_written_total",
        "vigil_lake_position",
        "vigil_lake_lag_events",
    ] {
        assert!(metrics.contains(name), "{name} is exported: {metrics}");
    }

    // The read models, as they stand, beside the API's.
    let hosts = server.get("/api/v1/hosts?limit=1000")["items"].as_array().unwrap().len();
    server.terminate();
    let snapshot = Command::new(VIGIL).args(["lake", "snapshot", "--data-dir"]).arg(data.path()).output().unwrap();
    assert!(snapshot.status.success(), "{}", String::from_utf8_lossy(&snapshot.stderr));
    let snapshots =
        format!("read_parquet('{}/snapshots/model=hosts/*/*.parquet', hive_partitioning = true)", lake.display());
    let counted = duckdb(&python, &format!("SELECT count(*), count(DISTINCT id), min(model) FROM {snapshots}"));
    assert_eq!(counted[0][0].as_u64().unwrap() as usize, hosts);
    assert_eq!(counted[0][1].as_u64().unwrap() as usize, hosts);
    assert_eq!(counted[0][2], "hosts");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn an_injected_flapping_host_raises_an_anomaly_that_mails_an_operator_through_a_rule() {
    let Some(sink) = smtp::SmtpSink::start() else { return };
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("vigil.toml");
    std::fs::write(
        &config,
        "[server.analytics]\nenabled = true\n\n[server.analytics.heartbeat_flapping]\nwindow = \"1m\"\nmin_count = 4\n",
    )
    .unwrap();
    let rules = data.path().join("actions.toml");
    std::fs::write(
        &rules,
        r#"[[rule]]
name = "anomaly-mail"
on = "AnomalyDetected"
topic = "analytics"
[rule.action]
kind = "email"
to = ["oncall@example.com"]
subject = "Vigil anomaly: {{ event.data.kind }} of {{ event.data.scope }} {{ event.data.key }}"
body = "observed {{ event.data.observed }} in {{ event.data.window_seconds }} s, threshold {{ event.data.threshold }}, baseline {{ event.data.baseline.mean }}"
"#,
    )
    .unwrap();
    let port = sink.port().to_string();
    let config_arg = config.display().to_string();
    let rules_arg = rules.display().to_string();
    let server = Server::start(
        data.path(),
        free_port(),
        &[
            "--config",
            &config_arg,
            "--actions-file",
            &rules_arg,
            "--default-rules",
            "false",
            "--smtp-server",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--smtp-sender",
            "vigil@example.com",
            "--heartbeat-interval",
            "300ms",
            "--heartbeat-allowed-missed",
            "0",
            "--heartbeat-tolerance",
            "200ms",
        ],
    );
    replay(&server, data.path(), &scenario("hana-diskless-sbd"));
    let key = String::from_utf8(
        Command::new(VIGIL).args(["keys", "show", "--data-dir"]).arg(data.path()).output().unwrap().stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let flapping = "0f6e6491-21f2-495e-9f2d-bc50b872efaf";
    let steady = "43dcb497-2652-4254-b53a-3ff1d3b2a0ff";
    let beat = |agent: &str| {
        let (status, body) = http("POST", &format!("{}/api/v1/hosts/{agent}/heartbeat", server.base), Some(&key));
        assert!((200..300).contains(&status), "heartbeat of {agent}: {status} {body}");
    };
    // The steady host beats all along; the flapping one goes quiet for a second, three
    // times: each pause is a HeartbeatFailed, each return a HeartbeatSucceeded.
    let mut transitions = 0;
    for _ in 0..3 {
        for _ in 0..6 {
            beat(flapping);
            beat(steady);
            std::thread::sleep(Duration::from_millis(100));
        }
        for _ in 0..10 {
            beat(steady);
            std::thread::sleep(Duration::from_millis(100));
        }
        transitions += 2;
    }
    beat(flapping);
    assert!(transitions >= 4);

    let about = |m: &smtp::ReceivedMail| m.header("Subject").is_some_and(|s| s.contains("heartbeat_flapping"));
    let started = Instant::now();
    let mail = loop {
        if let Some(mail) = sink.messages().into_iter().find(about) {
            break mail;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no anomaly mail: {:?}", sink.messages());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(mail.header("Subject").unwrap(), format!("Vigil anomaly: heartbeat_flapping of host {flapping}"));
    assert_eq!(mail.rcpt_tos, ["oncall@example.com"]);
    assert!(mail.body.contains("in 60") && mail.body.contains("threshold 4"), "{}", mail.body);

    // The event: topic analytics, the evidence, about the flapping host only (the steady
    // one fails once when the test stops its heartbeats: below the threshold), once.
    std::thread::sleep(Duration::from_secs(1));
    let anomalies = server.get("/api/v1/events?type=AnomalyDetected");
    let items = anomalies["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{anomalies}");
    let anomaly = &items[0];
    assert_eq!(anomaly["topic"], "analytics");
    assert_eq!(anomaly["subject"], flapping);
    assert_eq!(anomaly["source"], "/vigil/analytics");
    assert_eq!(anomaly["data"]["kind"], "heartbeat_flapping");
    assert_eq!(anomaly["data"]["window_seconds"], 60.0);
    assert!(anomaly["data"]["observed"].as_f64().unwrap() >= 4.0, "{anomaly}");
    assert!(anomaly["data"]["baseline"]["mean"].is_number(), "{anomaly}");
    assert_eq!(sink.messages().iter().filter(|m| about(m)).count(), 1, "one anomaly, one mail");
}
