//! End-to-end tests that start the real `vigil` binary.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[allow(dead_code)]
mod support {
    pub mod serve;
}
use support::serve::{Server, VIGIL, dechunk, fixtures, free_port, get};

// The real SMTP server of the action kinds' tests (aiosmtpd, from PyPI); `smtp` finds
// `python` as `super::python`.
#[allow(dead_code)]
#[path = "../../vigil-reactions/tests/support/python.rs"]
mod python;
#[allow(dead_code)]
#[path = "../../vigil-reactions/tests/support/smtp.rs"]
mod smtp;
#[allow(dead_code)]
#[path = "../../vigil-reactions/tests/support/standard_webhooks.rs"]
mod standard_webhooks;

/// Kills a child process when dropped, so a failing test leaves nothing running.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Waits until every projection has caught up with the last event.
    fn settle(&self) {
        let started = Instant::now();
        loop {
            let head = last_position(self);
            if self.get("/readyz")["projections"]["hosts"].as_u64() == Some(head) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "projections did not catch up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn all_hosts(&self) -> Vec<Value> {
        let page = self.get("/api/v1/hosts?limit=1000");
        let mut hosts = page["items"].as_array().unwrap().clone();
        hosts.sort_by_key(|h| h["id"].as_str().unwrap().to_owned());
        hosts
    }
}

fn wait_with_output(mut child: Reaper) -> std::process::Output {
    use std::io::Read;
    let mut stdout = Vec::new();
    child.0.stdout.take().unwrap().read_to_end(&mut stdout).unwrap();
    let status = child.0.wait().unwrap();
    std::process::Output { status, stdout, stderr: Vec::new() }
}

fn last_position(server: &Server) -> u64 {
    let mut after = 0;
    loop {
        let page = server.get(&format!("/api/v1/events?limit=1000&after={after}"));
        match page["items"].as_array().unwrap().last() {
            Some(e) => after = e["position"].as_u64().unwrap(),
            None => return after,
        }
    }
}

/// A scenario directory of `n` hosts built from the corpus's host discovery.
fn host_scenario(dir: &Path, n: usize) -> Vec<String> {
    let template: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("discovery/host_discovery.json")).unwrap())
            .unwrap();
    (0..n)
        .map(|i| {
            let agent_id = uuid::Uuid::from_u128(0x5eed_0000 + i as u128).to_string();
            let mut discovery = template.clone();
            discovery["agent_id"] = json!(agent_id);
            discovery["payload"]["hostname"] = json!(format!("host-{i:04}"));
            std::fs::write(dir.join(format!("{agent_id}_host_discovery.json")), discovery.to_string()).unwrap();
            agent_id
        })
        .collect()
}

#[test]
fn kill_9_in_the_middle_of_a_replay_loses_no_acknowledged_discovery() {
    let data = tempfile::tempdir().unwrap();
    let scenario = tempfile::tempdir().unwrap();
    let agents = host_scenario(scenario.path(), 400);
    let port = free_port();
    let server = Server::start(data.path(), port, &[]);

    let replay = Command::new(VIGIL)
        .args(["replay", "--json", "--retry-for", "60s", "--server-url", &server.base.clone(), "--data-dir"])
        .arg(data.path())
        .arg(scenario.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let replay = Reaper(replay);

    // Kill the server once part of the replay is acknowledged.
    let started = Instant::now();
    while last_position(&server) < 50 {
        assert!(started.elapsed() < Duration::from_secs(60), "the replay made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill_9();
    std::thread::sleep(Duration::from_millis(300));
    let server = Server::start(data.path(), port, &[]);

    let output = wait_with_output(replay);
    let summary: Value = serde_json::from_slice(&output.stdout).expect("replay prints its JSON summary");
    assert_eq!(summary["failed"], 0, "the replay retries across the restart: {summary}");
    let acknowledged: Vec<String> = summary["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["http_status"] == 202)
        .map(|f| f["file"].as_str().unwrap()[..36].to_owned())
        .collect();
    assert_eq!(acknowledged.len(), agents.len());

    server.settle();
    let hosts = server.all_hosts();
    let stored: Vec<&str> = hosts.iter().map(|h| h["id"].as_str().unwrap()).collect();
    for agent in &acknowledged {
        assert!(stored.contains(&agent.as_str()), "acknowledged discovery of {agent} was lost");
    }
    assert_eq!(hosts.len(), agents.len());
    // Exactly one HostRegistered per host: a retried discovery never appends twice.
    let events = server.get("/api/v1/events?type=HostRegistered&limit=1000");
    assert_eq!(events["items"].as_array().unwrap().len(), agents.len());

    // The read model equals one rebuilt from the events.
    server.terminate();
    let rebuild =
        Command::new(VIGIL).args(["projections", "rebuild", "hosts", "--data-dir"]).arg(data.path()).output().unwrap();
    assert!(rebuild.status.success(), "{}", String::from_utf8_lossy(&rebuild.stderr));
    let server = Server::start(data.path(), port, &[]);
    server.settle();
    assert_eq!(server.all_hosts(), hosts, "the read model must equal its rebuild");
}

#[test]
fn the_agent_registers_its_host_and_keeps_it_alive_and_waits_for_a_server_that_is_down() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    // Create the data dir and key without a server running.
    let key = Command::new(VIGIL).args(["keys", "rotate", "--data-dir"]).arg(data.path()).output().unwrap();
    assert!(key.status.success());
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    let agent_id = uuid::Uuid::now_v7().to_string();

    let agent = Command::new(VIGIL)
        .args(["agent", "--server-url", &format!("http://127.0.0.1:{port}"), "--agent-id", &agent_id])
        .args(["--discovery-interval", "300ms", "--heartbeat-interval", "100ms"])
        .env("VIGIL_API_KEY", &key)
        .env("VIGIL_LOG", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let agent = Reaper(agent);
    // The server comes up after the agent has failed a few times.
    std::thread::sleep(Duration::from_millis(1500));
    let server = Server::start(data.path(), port, &[]);

    let started = Instant::now();
    let host = loop {
        if let Some(host) = get(&format!("{}/api/v1/hosts/{agent_id}", server.base), Some(&server.token))
            && host["heartbeat"] == "passing"
        {
            break host;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the agent's host never became passing");
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(agent);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(host["hostname"], hostname.trim());
    assert!(host["cpu_count"].as_u64().unwrap() >= 1);
    // Trento lists only the IPv4 addresses that are not loopback; the agent reports them all.
    let addresses: Vec<&str> = host["ip_addresses"].as_array().unwrap().iter().map(|ip| ip.as_str().unwrap()).collect();
    assert!(!addresses.contains(&"127.0.0.1/8"), "{addresses:?}");
    assert!(addresses.iter().all(|ip| !ip.contains(':') && ip.contains('/')), "{addresses:?}");
    assert_eq!(host["netmasks"].as_array().unwrap().len(), addresses.len());
    assert!(host["last_heartbeat_timestamp"].is_string());
}

#[test]
fn settings_come_from_the_file_then_the_environment_then_flags() {
    let data = tempfile::tempdir().unwrap();
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    let config = data.path().join("vigil.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndata_dir = {:?}\nlisten = \"127.0.0.1:{file_port}\"\nheartbeat_interval = \"2s\"\n",
            data.path()
        ),
    )
    .unwrap();
    let serve = |env_listen: Option<u16>, flag_listen: Option<u16>| {
        let mut command = Command::new(VIGIL);
        command.args(["serve", "--config"]).arg(&config).env("VIGIL_LOG", "warn").stdout(Stdio::null());
        if let Some(p) = env_listen {
            command.env("VIGIL_LISTEN", format!("127.0.0.1:{p}"));
        }
        if let Some(p) = flag_listen {
            command.args(["--listen", &format!("127.0.0.1:{p}")]);
        }
        command.spawn().unwrap()
    };
    for (env_listen, flag_listen, expected) in
        [(None, None, file_port), (Some(env_port), None, env_port), (Some(env_port), Some(flag_port), flag_port)]
    {
        let child = serve(env_listen, flag_listen);
        let server = Server { child, base: format!("http://127.0.0.1:{expected}"), token: String::new() };
        server.wait_healthy();
        server.terminate();
    }

    std::fs::write(&config, "[server]\nlisten_on = \"nowhere\"\n").unwrap();
    let bad = Command::new(VIGIL).args(["serve", "--config"]).arg(&config).output().unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("listen_on"), "a bad setting is named: {stderr}");
}

#[test]
fn keys_show_and_rotate() {
    let data = tempfile::tempdir().unwrap();
    let show = || Command::new(VIGIL).args(["keys", "show", "--data-dir"]).arg(data.path()).output().unwrap();
    let none = show();
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("vigil serve"));

    let server = Server::start(data.path(), free_port(), &[]);
    let first = show();
    assert!(first.status.success());
    let first = String::from_utf8(first.stdout).unwrap();
    assert!(first.starts_with("vigil_"));
    let rotated = Command::new(VIGIL).args(["keys", "rotate", "--data-dir"]).arg(data.path()).output().unwrap();
    let rotated = String::from_utf8(rotated.stdout).unwrap();
    assert_ne!(rotated, first);
    assert_eq!(String::from_utf8(show().stdout).unwrap(), rotated);
    server.terminate();
}

#[test]
fn a_rebuild_is_refused_while_the_server_runs() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), free_port(), &[]);
    let rebuild =
        Command::new(VIGIL).args(["projections", "rebuild", "hosts", "--data-dir"]).arg(data.path()).output().unwrap();
    assert!(!rebuild.status.success());
    assert!(String::from_utf8_lossy(&rebuild.stderr).contains("in use by another vigil process"));
    server.terminate();
}

#[test]
fn audit_verify_detects_a_flipped_byte_and_a_truncated_tail() {
    let data = tempfile::tempdir().unwrap();
    let scenario = tempfile::tempdir().unwrap();
    host_scenario(scenario.path(), 5);
    let server = Server::start(data.path(), free_port(), &[]);
    let replay = Command::new(VIGIL)
        .args(["replay", "--server-url", &server.base.clone(), "--data-dir"])
        .arg(data.path())
        .arg(scenario.path())
        .output()
        .unwrap();
    assert!(replay.status.success());
    server.settle();
    std::thread::sleep(Duration::from_millis(300));
    server.terminate(); // signs a last head

    let vigil = |args: &[&str]| Command::new(VIGIL).args(args).arg("--data-dir").arg(data.path()).output().unwrap();
    let head = vigil(&["audit", "head"]);
    assert!(head.status.success(), "{}", String::from_utf8_lossy(&head.stderr));
    let head_file = data.path().join("head.json");
    std::fs::write(&head_file, &head.stdout).unwrap();
    let saved: Value = serde_json::from_slice(&head.stdout).unwrap();
    let size = saved["tree_size"].as_u64().unwrap();
    assert!(size > 10, "commands, events and policy publications are audited: {saved}");

    let verify = || vigil(&["audit", "verify", "--head", head_file.to_str().unwrap()]);
    let ok = verify();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok:"));

    let conn = rusqlite::Connection::open(data.path().join("vigil.db")).unwrap();
    let original: Vec<u8> = conn.query_row("SELECT record FROM audit_records WHERE idx = 3", [], |r| r.get(0)).unwrap();
    let mut flipped = original.clone();
    flipped[10] ^= 0x01;
    conn.execute("UPDATE audit_records SET record = ?1 WHERE idx = 3", [&flipped]).unwrap();
    let tampered = verify();
    assert!(!tampered.status.success());
    assert!(
        String::from_utf8_lossy(&tampered.stdout).contains("first bad record index 3"),
        "{}",
        String::from_utf8_lossy(&tampered.stdout)
    );
    conn.execute("UPDATE audit_records SET record = ?1 WHERE idx = 3", [&original]).unwrap();
    assert!(verify().status.success(), "restoring the byte restores the log");

    conn.execute("DELETE FROM audit_heads", []).unwrap();
    conn.execute("DELETE FROM audit_records WHERE idx >= ?1", [size as i64 - 2]).unwrap();
    let truncated = verify();
    assert!(!truncated.status.success(), "a truncated tail is caught by the saved head");
    assert!(String::from_utf8_lossy(&truncated.stdout).contains("TAMPERED"));
}

#[test]
fn tokens_and_policy_commands() {
    let data = tempfile::tempdir().unwrap();
    let vigil = |args: &[&str]| Command::new(VIGIL).args(args).arg("--data-dir").arg(data.path()).output().unwrap();
    let created = vigil(&["tokens", "create", "--role", "viewer", "--name", "grafana", "--service"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("vgt_"));
    let id = token.split('_').nth(1).unwrap().to_owned();
    let listed = String::from_utf8(vigil(&["tokens", "list"]).stdout).unwrap();
    assert!(listed.contains(&id) && listed.contains("viewer") && listed.contains("active"), "{listed}");
    assert!(!listed.contains(token.split('_').nth(2).unwrap()), "secrets are never listed");
    assert!(vigil(&["tokens", "revoke", &id]).status.success());
    assert!(String::from_utf8(vigil(&["tokens", "list"]).stdout).unwrap().contains("revoked"));
    assert!(!vigil(&["tokens", "create", "--role", "root"]).status.success());

    let bundle = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigil-policy/policies/default");
    let tested = Command::new(VIGIL).args(["policy", "test"]).arg(&bundle).output().unwrap();
    let out = String::from_utf8_lossy(&tested.stdout);
    assert!(tested.status.success(), "{out}");
    assert!(out.lines().last().unwrap().ends_with(" passed, 0 failed"), "{out}");
    let failing = tempfile::tempdir().unwrap();
    std::fs::write(failing.path().join("x_test.rego"), "package x\n\ntest_fails if { 1 == 2 }\n").unwrap();
    assert!(!Command::new(VIGIL).args(["policy", "test"]).arg(failing.path()).output().unwrap().status.success());
    let deep = tempfile::tempdir().unwrap();
    let nested = format!("package fuzz.deep\nx := {}1{}\n", "[".repeat(22), "]".repeat(22));
    std::fs::write(deep.path().join("deep.rego"), nested).unwrap();
    let started = Instant::now();
    let refused = Command::new(VIGIL).args(["policy", "test"]).arg(deep.path()).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nest 22 deep"), "{refused:?}");
    let refused = Command::new(VIGIL).args(["policy", "eval", "data.fuzz", "--dir"]).arg(deep.path()).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nest 22 deep"), "{refused:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused at once, not after compiling: {:?}",
        started.elapsed()
    );

    let input = data.path().join("input.json");
    std::fs::write(&input, r#"{"principal": {"kind": "user", "id": "ada", "roles": ["viewer"]}, "command": {"type": "DeregisterHost", "body": {}}}"#).unwrap();
    let eval =
        Command::new(VIGIL).args(["policy", "eval", "data.vigil.authz.allow", "--input"]).arg(&input).output().unwrap();
    assert!(eval.status.success(), "{}", String::from_utf8_lossy(&eval.stderr));
    let result: Value = serde_json::from_slice(&eval.stdout).unwrap();
    assert_eq!(result["result"][0]["expressions"][0]["value"], false, "a viewer may not deregister: {result}");
}

/// `vigil replay` ends once what it sent has been applied, parked discoveries it woke
/// included: a cloud discovery posted before its host's (file-name order) parks, and the
/// host's provider shows as soon as the replay exits. What cannot be applied (a cloud
/// discovery whose host never comes) is listed as still parked, with its agent, type and
/// reason, in the text and the JSON summaries.
#[test]
fn replay_waits_for_woken_discoveries_and_lists_what_is_still_parked() {
    let source = fixtures().join("scenarios/hana-diskless-sbd");
    let agent = "0f6e6491-21f2-495e-9f2d-bc50b872efaf";
    let cloud_file = format!("{agent}_cloud_discovery.json");
    let sent = |file: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap() };

    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), free_port(), &[]);
    let replay = |dir: &Path, json: bool| {
        let mut command = Command::new(VIGIL);
        command.args(["replay", "--server-url", &server.base.clone(), "--data-dir"]).arg(data.path()).arg(dir);
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };

    // Only the cloud discovery of one node: its host never registers.
    let alone = tempfile::tempdir().unwrap();
    std::fs::copy(source.join(&cloud_file), alone.path().join(&cloud_file)).unwrap();
    let text = replay(alone.path(), false);
    let line = text
        .lines()
        .find(|l| l.starts_with("parked") && l.contains(agent))
        .unwrap_or_else(|| panic!("the still-parked cloud discovery is listed: {text}"));
    assert!(line.contains("cloud_discovery"), "{line}");
    assert!(line.contains('(') && !line.ends_with("()"), "with its reason: {line}");
    assert!(text.contains("1 files: 1 accepted"), "the summary is kept: {text}");
    let summary: Value = serde_json::from_str(&replay(alone.path(), true)).unwrap();
    let parked = summary["parked"].as_array().unwrap();
    assert_eq!(parked.len(), 1, "{summary}");
    assert_eq!(parked[0]["agent_id"], agent);
    assert_eq!(parked[0]["discovery_type"], "cloud_discovery");
    assert!(!parked[0]["reason"].as_str().unwrap().is_empty(), "{summary}");
    assert_eq!(summary["files"].as_array().unwrap().len(), 1, "the files are kept: {summary}");

    // The whole scenario: every cloud discovery comes before its host's and parks, the host
    // wakes it, and the replay returns only once it is applied.
    let summary: Value = serde_json::from_str(&replay(&source, true)).unwrap();
    assert_eq!(summary["parked"], json!([]), "everything applied: {summary}");
    let hosts = server.all_hosts();
    let clouds: Vec<PathBuf> = std::fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_cloud_discovery.json"))
        .collect();
    assert_eq!(hosts.len(), clouds.len(), "{hosts:?}");
    for cloud in &clouds {
        let cloud = sent(cloud);
        let host = hosts.iter().find(|h| h["id"] == cloud["agent_id"]).expect("the cloud discovery's host");
        let provider = cloud["payload"]["Provider"].as_str().unwrap().to_lowercase();
        assert_eq!(host["provider"], provider.as_str(), "read right after the replay: {host}");
    }
    server.terminate();
}

// Regression: `vigil agent` against a fresh server logged an ERROR on its first heartbeat
// ("host … is not registered", 404), which raced the first host discovery. The agent now
// sends its host discovery first and starts heartbeats once the host is registered.
#[test]
fn the_agents_first_heartbeat_on_a_fresh_server_logs_no_error() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = Server::start(data.path(), port, &[]);
    let key = Command::new(VIGIL).args(["keys", "show", "--data-dir"]).arg(data.path()).output().unwrap();
    assert!(key.status.success());
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    let agent_id = uuid::Uuid::now_v7().to_string();
    let log = data.path().join("agent.log");
    let agent = Command::new(VIGIL)
        .args(["agent", "--server-url", &server.base, "--agent-id", &agent_id])
        .args(["--discovery-interval", "300ms", "--heartbeat-interval", "50ms"])
        .env("VIGIL_API_KEY", &key)
        .env("VIGIL_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let agent = Reaper(agent);
    let started = Instant::now();
    loop {
        if let Some(host) = get(&format!("{}/api/v1/hosts/{agent_id}", server.base), Some(&server.token))
            && host["heartbeat"] == "passing"
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the agent's host never became passing");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A few more heartbeats, then stop.
    std::thread::sleep(Duration::from_millis(300));
    drop(agent);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.contains("ERROR") && !logged.contains("WARN"), "the agent logged:\n{logged}");
}

/// Schemathesis from PyPI, installed once into the target directory. `None` (the test says
/// it is skipped, and why) only where there is no Python at all or `VIGIL_SKIP_SCHEMATHESIS`
/// is set; a failed install is a failure, not a skip.
fn schemathesis() -> Option<PathBuf> {
    const VERSION: &str = "4.32.5";
    if std::env::var_os("VIGIL_SKIP_SCHEMATHESIS").is_some() {
        eprintln!("SKIPPED: VIGIL_SKIP_SCHEMATHESIS is set, the API is not checked against its OpenAPI document");
        return None;
    }
    let requirement = format!("schemathesis=={VERSION}");
    // The environment's Python, which runs `schemathesis.cli` (its `st` script is not used:
    // the environment is made under another name and renamed, which its shebang does not follow).
    python::venv(&[&requirement], "the check of the API against its OpenAPI document")
}

/// The running binary answers as `GET /api/openapi.json` says: schemathesis generates
/// requests from the document (valid and invalid ones, with an admin token and the agent
/// key, over a replayed landscape) and checks every answer: no server error, a documented
/// status and content type, a body that validates against the response schema, invalid
/// input refused and valid input accepted (`tests/schemathesis.toml` lists the exceptions
/// and why). A CI-sized run; `VIGIL_SCHEMATHESIS_EXAMPLES` and `_SEED` change it.
#[test]
fn the_api_answers_as_its_openapi_document_says() {
    let Some(python) = schemathesis() else { return };
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), free_port(), &["--read-wait", "200ms"]);
    replay_into(&server, data.path(), &fixtures().join("scenarios/hana-scale-up-angi"));
    let key = agent_key(data.path());
    assert!(key.starts_with("vigil_"), "{key}");

    let examples = std::env::var("VIGIL_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "20".into());
    let seed = std::env::var("VIGIL_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".into());
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let output = Command::new(&python)
        .args(["-m", "schemathesis.cli"])
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/api/openapi.json", server.base)])
        .args(["-H", &format!("Authorization: Bearer {}", server.token)])
        .args(["-H", &format!("X-Trento-Apikey: {key}")])
        .args(["--max-examples", &examples, "--seed", &seed, "--workers", "1", "--request-timeout", "30"])
        .arg("--no-color")
        // Schemathesis keeps a cache of what it found in its working directory.
        .current_dir(data.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "schemathesis found answers that break the document:\n{report}");
    assert!(report.contains("passed"), "{report}");
    // Every operation was tested, not skipped for want of a schema.
    let operations = report.lines().find(|l| l.trim_start().starts_with("Tested:")).unwrap_or_default();
    let document = get(&format!("{}/api/openapi.json", server.base), None).unwrap();
    let methods = ["get", "put", "post", "delete", "patch"];
    let n: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().keys().filter(|k| methods.contains(&k.as_str())).count())
        .sum();
    // All but `GET /api/openapi.json`, which schemathesis reads rather than tests.
    assert_eq!(operations.trim(), format!("Tested: {}", n - 1), "{report}");
    server.terminate();
}

/// The reference page renders in a real browser from what the binary serves alone, under
/// its Content-Security-Policy: headless Chromium loads `/api/docs` and the rendered page
/// lists every path of the document. Skipped, saying so, where Chromium is not installed
/// (`.ci/run` installs Debian's `chromium`).
#[test]
fn the_reference_page_renders_every_operation_in_a_real_browser() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(chromium) = chromium else {
        eprintln!("SKIPPED: no chromium on this machine to render /api/docs (apt-get install chromium)");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), free_port(), &[]);
    let profile = tempfile::tempdir().unwrap();
    let rendered = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=10000"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", &format!("{}/api/docs", server.base)])
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{}", String::from_utf8_lossy(&rendered.stderr));
    let dom = String::from_utf8_lossy(&rendered.stdout);
    let log = String::from_utf8_lossy(&rendered.stderr);
    assert!(!log.contains("Content Security Policy"), "the page broke its own policy: {log}");
    let document = get(&format!("{}/api/openapi.json", server.base), None).unwrap();
    let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert!(paths.len() >= 30, "{paths:?}");
    for path in paths {
        assert!(dom.contains(&format!("data-path=\"{path}\"")), "{path} is not on the rendered page");
    }
    server.terminate();
}

/// Sends one heartbeat as the agent `agent_id`; whether it was accepted.
fn heartbeat(base: &str, key: &str, agent_id: &str) -> bool {
    use std::io::{Read, Write};
    let host = base.strip_prefix("http://").unwrap();
    let Ok(mut stream) = std::net::TcpStream::connect(host) else { return false };
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "POST /api/v1/hosts/{agent_id}/heartbeat HTTP/1.1\r\nHost: {host}\r\nX-Trento-Apikey: {key}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 2")
}

#[test]
fn the_default_rules_mail_a_real_smtp_server_once_when_a_replayed_hosts_heartbeat_fails() {
    let Some(sink) = smtp::SmtpSink::start() else { return };
    let data = tempfile::tempdir().unwrap();
    let port = sink.port().to_string();
    let server = Server::start(
        data.path(),
        free_port(),
        &[
            "--smtp-server",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--smtp-recipients",
            "sap-ops@example.com",
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
    replay_into(&server, data.path(), &fixtures().join("scenarios/hana-diskless-sbd"));
    let key = agent_key(data.path());
    let agent = "0f6e6491-21f2-495e-9f2d-bc50b872efaf";
    for _ in 0..5 {
        assert!(heartbeat(&server.base, &key, agent), "the heartbeat was refused");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The agent goes quiet: within 500 ms its heartbeat fails, and the default rule mails.
    // (The replayed cluster turning critical is mailed too.)
    let about = |m: &smtp::ReceivedMail| m.header("Subject").is_some_and(|s| s.contains(agent));
    let started = Instant::now();
    let mail = loop {
        if let Some(mail) = sink.messages().into_iter().find(about) {
            break mail;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no mail about {agent}: {:?}", sink.messages());
        std::thread::sleep(Duration::from_millis(50));
    };
    // The host's name comes from the hosts read model (the rule's enrichment).
    let hostname = server.get(&format!("/api/v1/hosts/{agent}"))["hostname"].as_str().unwrap().to_owned();
    assert_eq!(mail.header("Subject").unwrap(), format!("Vigil: host {hostname} ({agent}) stopped sending heartbeats"));
    assert_eq!(mail.header("To").unwrap(), "sap-ops@example.com");
    assert!(mail.body.contains("HeartbeatFailed"), "{}", mail.body);

    // The history says why the event fired, and it fired once.
    let failed = server.get(&format!("/api/v1/events?type=HeartbeatFailed&subject={agent}"));
    let event_id = failed["items"][0]["id"].as_str().unwrap().to_owned();
    let history = server.get(&format!("/api/v1/events/{event_id}/actions"));
    assert_eq!(history["dispatched"], true);
    let execution = &history["executions"][0];
    assert_eq!(execution["rule"], "trento-heartbeat-failed");
    assert_eq!(execution["status"], "succeeded", "{history}");
    assert_eq!(execution["history"][0]["admission"]["allow"], true);
    assert_eq!(execution["history"][0]["enrichment"]["host"]["hostname"], hostname.as_str());
    assert!(history["explanation"].as_str().unwrap().contains("ran its action"));
    std::thread::sleep(Duration::from_secs(1));
    let about_agent = sink.messages().iter().filter(|m| about(m)).count();
    assert_eq!(about_agent, 1, "one heartbeat failure, one mail");
    let metrics = raw_get(&format!("{}/metrics", server.base));
    assert!(metrics.contains("vigil_action_attempts_total{kind=\"email\",status=\"succeeded\"}"), "{metrics}");
    assert!(metrics.contains("vigil_action_start_delay_seconds"), "{metrics}");

    // An event no rule names says so.
    let registered = server.get(&format!("/api/v1/events?type=HostRegistered&subject={agent}"));
    let registered = registered["items"][0]["id"].as_str().unwrap().to_owned();
    let history = server.get(&format!("/api/v1/events/{registered}/actions"));
    assert_eq!(history["executions"].as_array().unwrap().len(), 0);
    assert!(
        history["explanation"].as_str().unwrap().contains("no rule was in force for event type HostRegistered"),
        "{history}"
    );
}

/// POSTs `body` with the bearer `token`; the status and the JSON answer.
fn post(base: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    post_raw(base, path, &headers, &body.to_string())
}

#[test]
fn an_operation_on_a_host_runs_its_program_once_and_records_how_it_ended() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let scripts = tempfile::tempdir().unwrap();
    let seen = scripts.path().join("stdin.json");
    let apply = scripts.path().join("apply.sh");
    std::fs::write(&apply, format!("#!/bin/sh\ncat > {}\necho \"applied $1 on $2\"\n", seen.display())).unwrap();
    let broken = scripts.path().join("broken.sh");
    std::fs::write(&broken, "#!/bin/sh\necho 'cluster is busy' >&2\nexit 1\n").unwrap();
    for script in [&apply, &broken] {
        std::fs::set_permissions(script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let rules = scripts.path().join("actions.toml");
    std::fs::write(
        &rules,
        format!(
            r#"
[[operation]]
name = "saptune_apply_solution"
targets = ["host"]
description = "Apply a saptune solution"
[operation.action]
kind = "program"
program = "{}"
args = ["{{{{ event.data.params.solution }}}}", "{{{{ event.data.target_id }}}}"]

[[operation]]
name = "cluster_maintenance"
targets = ["host", "cluster"]
[operation.action]
kind = "program"
program = "{}"
"#,
            apply.display(),
            broken.display()
        ),
    )
    .unwrap();
    let rules_arg = rules.display().to_string();
    let server = Server::start(data.path(), free_port(), &["--actions-file", &rules_arg, "--allow-programs", "true"]);
    replay_into(&server, data.path(), &fixtures().join("scenarios/hana-diskless-sbd"));
    let host = "0f6e6491-21f2-495e-9f2d-bc50b872efaf";

    let catalog = server.get("/api/v1/operations");
    assert_eq!(catalog.as_array().unwrap().len(), 2, "{catalog}");
    let (status, answer) = post(
        &server.base,
        &format!("/api/v1/hosts/{host}/operations/saptune_apply_solution"),
        &server.token,
        &json!({"solution": "HANA"}),
    );
    assert_eq!(status, 202, "{answer}");
    let id = answer["operation_id"].as_str().unwrap().to_owned();
    let wait_for = |status: &str| {
        let started = Instant::now();
        loop {
            let view = server.get(&format!("/api/v1/operations/{id}"));
            if view["status"] == status {
                return view;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "operation never {status}: {view}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let done = wait_for("completed");
    assert!(done["result"].to_string().contains(&format!("applied HANA on {host}")), "{done}");
    let types: Vec<_> = done["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["OperationRequested", "OperationCompleted"]);
    let stdin: Value = serde_json::from_str(&std::fs::read_to_string(&seen).unwrap()).unwrap();
    assert_eq!(stdin["type"], "OperationRequested", "the program gets the event on stdin");
    let requested = done["events"][0]["id"].as_str().unwrap();
    let history = server.get(&format!("/api/v1/events/{requested}/actions"));
    assert_eq!(history["executions"][0]["rule"], "vigil-operations");
    assert_eq!(history["executions"][0]["attempts"], 1, "ran once: {history}");

    // An operation the target kind does not take, one that does not exist, one that fails.
    let (status, _) =
        post(&server.base, &format!("/api/v1/hosts/{host}/operations/no_such"), &server.token, &json!({}));
    assert_eq!(status, 404);
    let (status, answer) =
        post(&server.base, &format!("/api/v1/hosts/{host}/operations/cluster_maintenance"), &server.token, &json!({}));
    assert_eq!(status, 202, "{answer}");
    let id = answer["operation_id"].as_str().unwrap().to_owned();
    let started = Instant::now();
    let failed = loop {
        let view = server.get(&format!("/api/v1/operations/{id}"));
        if view["status"] == "failed" {
            break view;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the broken operation never failed: {view}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(failed["error"].as_str().unwrap().contains("cluster is busy"), "{failed}");
}

/// POSTs raw bytes with the given headers; the status and the JSON answer.
fn post_raw(base: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    request_raw("POST", base, path, headers, body)
}

fn request_raw(method: &str, base: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    use std::io::{Read, Write};
    let host = base.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A webhook rule for outside events of `event_type`.
fn webhook_rule(name: &str, event_type: &str, url: &str, secret: &str, extra: &str) -> String {
    format!(
        "[[rule]]\nname = \"{name}\"\non = \"{event_type}\"\ntopic = \"external.*\"\n{extra}\n[rule.action]\nkind = \"webhook\"\nurl = \"{url}\"\nsecret = \"{secret}\"\n\n"
    )
}

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[test]
fn outside_cloudevents_in_all_three_http_modes_trigger_signed_webhooks_once_each() {
    let Some(verifier) = standard_webhooks::Verifier::start(WEBHOOK_SECRET) else { return };
    let data = tempfile::tempdir().unwrap();
    let rules = data.path().join("actions.toml");
    std::fs::write(
        &rules,
        webhook_rule("build-failed", "com.example.build.failed", &verifier.url("/hooks"), WEBHOOK_SECRET, ""),
    )
    .unwrap();
    let rules_arg = rules.display().to_string();
    let server = Server::start(data.path(), free_port(), &["--actions-file", &rules_arg]);
    let bearer = format!("Bearer {}", server.token);
    let event = |id: &str| json!({"specversion": "1.0", "id": id, "source": "https://ci.example.com", "type": "com.example.build.failed", "data": {"job": id}});

    let structured = event("build-1").to_string();
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/cloudevents+json")];
    assert_eq!(post_raw(&server.base, "/api/v1/events", &headers, &structured).0, 202);
    let binary = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "application/json"),
        ("ce-specversion", "1.0"),
        ("ce-id", "build-2"),
        ("ce-source", "https://ci.example.com"),
        ("ce-type", "com.example.build.failed"),
    ];
    assert_eq!(post_raw(&server.base, "/api/v1/events", &binary, r#"{"job": "build-2"}"#).0, 202);
    let batch = json!([event("build-3"), event("build-4")]).to_string();
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/cloudevents-batch+json")];
    assert_eq!(post_raw(&server.base, "/api/v1/events", &headers, &batch).0, 202);
    // Sent again: a duplicate, stored once, fired once.
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/cloudevents+json")];
    let (status, again) = post_raw(&server.base, "/api/v1/events", &headers, &structured);
    assert_eq!(status, 202);
    assert_eq!(again["events"][0]["duplicate"], true, "{again}");

    let deliveries = verifier.wait_for_deliveries(4, Duration::from_secs(30));
    assert!(deliveries.iter().all(|d| d.verified), "every signature verifies: {deliveries:?}");
    let mut sent: Vec<_> = deliveries.iter().map(|d| d.body["id"].as_str().unwrap().to_owned()).collect();
    sent.sort();
    assert_eq!(sent, ["build-1", "build-2", "build-3", "build-4"]);
    assert!(
        deliveries
            .iter()
            .all(|d| d.body["source"] == "https://ci.example.com"
                && d.body["topic"] == "external.https://ci.example.com")
    );
    assert_eq!(deliveries.iter().find(|d| d.body["id"] == "build-2").unwrap().body["data"]["job"], "build-2");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(verifier.deliveries().len(), 4, "the duplicate fired nothing");
}

/// An HTTP receiver on loopback that answers each request with the next status in line
/// (200 once the line is empty) and records each request's `webhook-id` and status.
struct FlakyReceiver {
    port: u16,
    seen: std::sync::Arc<std::sync::Mutex<Vec<(String, u16)>>>,
}

impl FlakyReceiver {
    fn start(answers: &[u16]) -> FlakyReceiver {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let answers = std::sync::Arc::new(std::sync::Mutex::new(
            answers.iter().copied().collect::<std::collections::VecDeque<_>>(),
        ));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (queue, record) = (answers, seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut length, mut id) = (0usize, String::new());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("webhook-id:") {
                        id = line["webhook-id:".len()..].trim().to_owned();
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let status = queue.lock().unwrap().pop_front().unwrap_or(200);
                record.lock().unwrap().push((id, status));
                let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        FlakyReceiver { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    fn seen(&self) -> Vec<(String, u16)> {
        self.seen.lock().unwrap().clone()
    }

    fn wait_for(&self, what: &str, done: impl Fn(&[(String, u16)]) -> bool) {
        let started = Instant::now();
        while !done(&self.seen()) {
            assert!(started.elapsed() < Duration::from_secs(30), "{what}: {:?}", self.seen());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn a_failing_receiver_gets_retries_across_a_kill_9_then_dead_letters_and_a_redrive_and_nothing_twice() {
    let receiver = FlakyReceiver::start(&[500, 503]);
    let data = tempfile::tempdir().unwrap();
    let rules = data.path().join("actions.toml");
    let backoff = "max_attempts = 4\nbackoff = { initial = \"1500ms\", max = \"1500ms\" }";
    let doomed = "max_attempts = 2\nbackoff = { initial = \"100ms\", max = \"100ms\" }";
    std::fs::write(
        &rules,
        webhook_rule("retried", "com.example.retried", &receiver.url(), WEBHOOK_SECRET, backoff)
            + &webhook_rule("doomed", "com.example.doomed", &closed_port_url(), WEBHOOK_SECRET, doomed),
    )
    .unwrap();
    let rules_arg = rules.display().to_string();
    let port = free_port();
    let server = Server::start(data.path(), port, &["--actions-file", &rules_arg]);
    let bearer = format!("Bearer {}", server.token);
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/cloudevents+json")];
    let event =
        json!({"specversion": "1.0", "id": "r-1", "source": "/tests", "type": "com.example.retried"}).to_string();
    assert_eq!(post_raw(&server.base, "/api/v1/events", &headers, &event).0, 202);
    // The first attempt is refused; during the backoff the server is killed.
    receiver.wait_for("the first attempt", |seen| !seen.is_empty());
    std::thread::sleep(Duration::from_millis(200));
    server.kill_9();
    let server = Server::start(data.path(), port, &["--actions-file", &rules_arg]);
    receiver.wait_for("a successful delivery", |seen| seen.iter().any(|(_, status)| *status == 200));
    std::thread::sleep(Duration::from_secs(2));
    let seen = receiver.seen();
    assert_eq!(seen.iter().filter(|(_, status)| *status == 200).count(), 1, "delivered once: {seen:?}");
    assert!(seen.iter().all(|(id, _)| id == &seen[0].0), "one execution, one webhook-id: {seen:?}");
    assert_eq!(seen.len(), 3, "500, 503, 200: {seen:?}");

    // A receiver that is down: two attempts, then the dead letters; a redrive once it is up.
    let bearer = format!("Bearer {}", server.token);
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/cloudevents+json")];
    let event =
        json!({"specversion": "1.0", "id": "d-1", "source": "/tests", "type": "com.example.doomed"}).to_string();
    assert_eq!(post_raw(&server.base, "/api/v1/events", &headers, &event).0, 202);
    let started = Instant::now();
    let dead = loop {
        let page = server.get("/api/v1/actions/dead_letters");
        if page["total"] == 1 {
            break page["items"][0].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no dead letter: {page}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(dead["rule"], "doomed");
    assert_eq!(dead["attempts"], 2);
    let execution = server.get(&format!("/api/v1/actions/executions/{}", dead["id"].as_str().unwrap()));
    let statuses: Vec<_> =
        execution["history"].as_array().unwrap().iter().map(|a| a["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["failed", "failed"], "{execution}");
    let redrive = Command::new(VIGIL)
        .args(["actions", "redrive", "--all", "--attempts", "1", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(redrive.status.success(), "{}", String::from_utf8_lossy(&redrive.stderr));
    assert!(String::from_utf8_lossy(&redrive.stderr).contains("1 execution(s) redriven"));
    let started = Instant::now();
    loop {
        let execution = server.get(&format!("/api/v1/actions/executions/{}", dead["id"].as_str().unwrap()));
        if execution["attempts"] == 3 && execution["status"] == "dead" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the redrive did not run: {execution}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A URL on which nothing listens.
fn closed_port_url() -> String {
    format!("http://127.0.0.1:{}/hooks", free_port())
}

#[test]
fn a_command_action_deregisters_a_host_whose_heartbeat_failed_through_the_gate() {
    let data = tempfile::tempdir().unwrap();
    let rules = data.path().join("actions.toml");
    std::fs::write(
        &rules,
        r#"
[[rule]]
name = "deregister-silent-hosts"
on = "HeartbeatFailed"
[rule.action]
kind = "command"
command = "RequestHostDeregistration"
params = { host_id = "{{ event.subject }}" }
"#,
    )
    .unwrap();
    let rules_arg = rules.display().to_string();
    let server = Server::start(
        data.path(),
        free_port(),
        &[
            "--actions-file",
            &rules_arg,
            "--heartbeat-interval",
            "300ms",
            "--heartbeat-allowed-missed",
            "0",
            "--heartbeat-tolerance",
            "200ms",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let agents = host_scenario(dir.path(), 2);
    replay_into(&server, data.path(), dir.path());
    let key = agent_key(data.path());
    assert!(heartbeat(&server.base, &key, &agents[0]));
    // The silent host is deregistered by the rule; the other never had a heartbeat to fail.
    let started = Instant::now();
    loop {
        let host = get(&format!("{}/api/v1/hosts/{}", server.base, agents[0]), Some(&server.token));
        if host.as_ref().is_none_or(|h| !h["deregistered_at"].is_null()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the host was never deregistered: {host:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let failed = server.get(&format!("/api/v1/events?type=HeartbeatFailed&subject={}", agents[0]));
    let history = server.get(&format!("/api/v1/events/{}/actions", failed["items"][0]["id"].as_str().unwrap()));
    let attempt = &history["executions"][0]["history"][0];
    assert_eq!(attempt["status"], "succeeded", "{history}");
    assert!(attempt["detail"]["decision_id"].is_string(), "the command went through the gate: {history}");
    let requested = server.get(&format!("/api/v1/events?type=HostDeregistrationRequested&subject={}", agents[0]));
    assert_eq!(requested["items"].as_array().unwrap().len(), 1);
    assert!(get(&format!("{}/api/v1/hosts/{}", server.base, agents[1]), Some(&server.token)).is_some());
}

/// `vigil replay DIR` against `server`, whose data directory holds the agent key.
fn replay_into(server: &Server, data_dir: &Path, dir: &Path) {
    let replayed = Command::new(VIGIL)
        .args(["replay", "--server-url", &server.base, "--data-dir"])
        .arg(data_dir)
        .arg(dir)
        .output()
        .unwrap();
    assert!(replayed.status.success(), "{}", String::from_utf8_lossy(&replayed.stderr));
}

/// The agent key of a data directory.
fn agent_key(data_dir: &Path) -> String {
    let key = Command::new(VIGIL).args(["keys", "show", "--data-dir"]).arg(data_dir).output().unwrap();
    String::from_utf8(key.stdout).unwrap().trim().to_owned()
}

/// The body of a GET that answers text.
fn raw_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() }
}

/// An SMTP setting without an SMTP server is a start-up error naming both, not a setting
/// quietly ignored while the operator believes alert mails are configured.
#[test]
fn an_smtp_setting_without_a_server_stops_the_start_with_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(VIGIL)
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port()), "--data-dir"])
        .arg(data.path())
        .env("VIGIL_SMTP_PASSWORD", "not-to-be-ignored")
        .env_remove("VIGIL_SMTP_SERVER")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve must refuse to start");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--smtp-password") && stderr.contains("--smtp-server"), "{stderr}");
    assert!(!stderr.contains("not-to-be-ignored"), "the password is never printed: {stderr}");
}

/// A captured SLES node for `vigil agent --facts-root/--facts-programs`: the agent's own
/// fixture files (corosync.conf with `token` written in, corosync-cmapctl, sysconfig/sbd),
/// an /etc/hosts naming the scenario's nodes, and `rpm`/`corosync-cmapctl` as recorded
/// outputs, since neither runs on this Debian machine.
fn captured_sles_node(root: &Path, token: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let facts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigil-agent/tests/fixtures/facts");
    let conf = std::fs::read_to_string(facts.join("corosync.conf/hana-two-node-udpu.conf")).unwrap();
    assert!(conf.contains("\ttoken: 30000\n"), "the fixture's token line moved");
    std::fs::create_dir_all(root.join("etc/corosync")).unwrap();
    std::fs::create_dir_all(root.join("etc/sysconfig")).unwrap();
    std::fs::write(
        root.join("etc/corosync/corosync.conf"),
        conf.replace("\ttoken: 30000\n", &format!("\ttoken: {token}\n")),
    )
    .unwrap();
    std::fs::copy(facts.join("sbd_config/disk-based.sbd"), root.join("etc/sysconfig/sbd")).unwrap();
    std::fs::write(root.join("etc/hosts"), "127.0.0.1 localhost\n10.80.1.11 vmangi01\n10.80.1.12 vmangi02\n").unwrap();
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let rpm_output = facts.join("package_version/rpm-q.stdout");
    // `rpm -q --qf FORMAT NAME...`: the recorded line of each name, rpm's words otherwise.
    let rpm = format!(
        "#!/bin/sh\nshift 3\nstatus=0\nfor name in \"$@\"; do\n  line=$(grep \"^$name\t\" '{}')\n  if [ -n \"$line\" ]; then echo \"$line\"; else echo \"package $name is not installed\"; status=1; fi\ndone\nexit $status\n",
        rpm_output.display()
    );
    let cmapctl = format!("#!/bin/sh\ncat '{}'\n", facts.join("corosync-cmapctl/hana-two-node.txt").display());
    // `cibadmin --query --local`: the recorded CIB (rsc_defaults resource-stickiness 1000,
    // migration-threshold 5000), cibadmin's usage error for anything else.
    let cibadmin = format!(
        "#!/bin/sh\n[ \"$*\" = '--query --local' ] || {{ echo \"cibadmin: unexpected arguments: $*\" >&2; exit 64; }}\ncat '{}'\n",
        facts.join("cibadmin/hana-scale-up.xml").display()
    );
    for (name, script) in [("rpm", rpm), ("corosync-cmapctl", cmapctl), ("cibadmin", cibadmin)] {
        std::fs::write(bin.join(name), script).unwrap();
        std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn put(base: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let bearer = format!("Bearer {token}");
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    request_raw("PUT", base, path, &headers, &body.to_string())
}

#[test]
fn a_replayed_scale_up_cluster_is_checked_with_facts_from_running_agents() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let server = Server::start(&data_dir, free_port(), &["--checks-facts-timeout", "10s"]);
    replay_into(&server, &data_dir, &fixtures().join("scenarios/hana-scale-up-angi"));
    server.settle();
    let key = agent_key(&data_dir);
    let clusters = server.get("/api/v1/clusters");
    let cluster_id = clusters["items"][0]["id"].as_str().unwrap().to_owned();
    let cluster = format!("/api/v1/clusters/{cluster_id}");

    // Two running agents, one per node, answering facts only (the scenario's payloads are
    // their discoveries). Azure recommends a token of 30000 ms: vmangi02 has 5000.
    let mut agents = Vec::new();
    for (agent_id, token) in
        [("851a4dd3-9693-44c3-a40b-b32d22872e74", 30000), ("4b67842f-ccf7-46a4-a344-9e918648b117", 5000)]
    {
        let root = dir.path().join(agent_id);
        let bin = captured_sles_node(&root, token);
        let child = Command::new(VIGIL)
            .args(["agent", "--server-url", &server.base, "--api-key", &key, "--agent-id", agent_id])
            .args(["--discovery", "false", "--facts-channel", "true", "--facts-root"])
            .arg(&root)
            .arg("--facts-programs")
            .arg(&bin)
            .env("VIGIL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        agents.push(Reaper(child));
    }

    let checks = [
        "corosync_token",
        "corosync_runtime_token",
        "package_corosync",
        "stonith_enabled",
        "sbd_startmode",
        "resource_stickiness",
    ];
    let (status, selected) =
        put(&server.base, &format!("{cluster}/checks/selection"), &server.token, &json!({ "checks": checks }));
    assert_eq!(status, 200, "{selected}");

    // The agents connect on their own schedule; an execution before that gives "not
    // connected", so run until both answered.
    let started = Instant::now();
    let execution = loop {
        let (status, accepted) =
            post(&server.base, &format!("{cluster}/checks/request_execution"), &server.token, &json!({}));
        assert_eq!(status, 202, "{accepted}");
        let id = accepted["execution_id"].as_str().unwrap().to_owned();
        let execution = loop {
            let execution = server.get(&format!("/api/v1/checks/executions/{id}"));
            if execution["status"] == "completed" {
                break execution;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "no results: {execution}");
            std::thread::sleep(Duration::from_millis(100));
        };
        if execution["facts"].as_object().unwrap().values().all(|f| f.get("gathered").is_some()) {
            break execution;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the agents never answered: {execution}");
        std::thread::sleep(Duration::from_millis(500));
    };
    let result = |check: &str| -> Value {
        execution["results"].as_array().unwrap().iter().find(|r| r["check_id"] == check).cloned().unwrap()
    };
    let token = result("corosync_token");
    assert_eq!(token["status"], "critical", "{token}");
    assert!(token["message"].as_str().unwrap().contains("vmangi02"), "{token}");
    assert_eq!(
        result("package_corosync")["status"],
        "passing",
        "corosync 2.4.6 is recorded: {}",
        result("package_corosync")
    );
    assert_eq!(result("stonith_enabled")["status"], "passing");
    assert_eq!(result("sbd_startmode")["status"], "warning");
    // resource-stickiness 1000 in the CIB each node's cibadmin printed.
    assert_eq!(result("resource_stickiness")["status"], "passing", "{}", result("resource_stickiness"));
    // The running token (30000) differs from vmangi02's file (5000): a reload was missed.
    assert_eq!(result("corosync_runtime_token")["status"], "warning", "{}", result("corosync_runtime_token"));
    assert_eq!(execution["health"], "critical");

    // ChecksExecutionCompleted is stored, and the cluster's checks health follows it.
    let completed = server.get("/api/v1/events?type=ChecksExecutionCompleted&limit=100");
    assert!(
        completed["items"].as_array().unwrap().iter().any(|e| e["data"]["execution_id"] == execution["execution_id"])
    );
    let started = Instant::now();
    while server.get(&cluster)["checks_health"] != "critical" {
        assert!(started.elapsed() < Duration::from_secs(20), "checks health did not reach the cluster");
        std::thread::sleep(Duration::from_millis(100));
    }
    let checks_view = server.get(&format!("{cluster}/checks"));
    assert_eq!(checks_view["last_execution"]["execution_id"], execution["execution_id"]);
    drop(agents);
}

/// A full run at `debug` level with every kind of secret in use (the agent key, API tokens,
/// a wrong key and a wrong token, the SMTP password, a webhook's signing secret, the audit
/// signing key): none of them appears in what the server writes.
#[test]
fn no_secret_reaches_the_logs_of_a_run_at_debug_level() {
    const SMTP_PASSWORD: &str = "smtp-pw-7Hq2LwX9c4";
    let Some(sink) = smtp::SmtpSink::start_with_auth("vigil", SMTP_PASSWORD) else { return };
    let Some(verifier) = standard_webhooks::Verifier::start(WEBHOOK_SECRET) else { return };
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("serve.log");
    let rules = data.path().join("actions.toml");
    std::fs::write(
        &rules,
        webhook_rule("build-failed", "com.example.build.failed", &verifier.url("/hooks"), WEBHOOK_SECRET, ""),
    )
    .unwrap();
    let (rules_arg, smtp_port) = (rules.display().to_string(), sink.port().to_string());
    let server = Server::start_logged(
        data.path(),
        free_port(),
        &[
            "--actions-file",
            &rules_arg,
            "--smtp-server",
            "127.0.0.1",
            "--smtp-port",
            &smtp_port,
            "--smtp-username",
            "vigil",
            "--smtp-recipients",
            "sap-ops@example.com",
        ],
        &[("VIGIL_SMTP_PASSWORD", SMTP_PASSWORD)],
        &log,
    );
    replay_into(&server, data.path(), &fixtures().join("scenarios/hana-diskless-sbd"));
    let key = agent_key(data.path());
    let viewer = Command::new(VIGIL)
        .args(["tokens", "create", "--role", "viewer", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    let viewer = String::from_utf8(viewer.stdout).unwrap().trim().to_owned();
    assert!(!viewer.is_empty());
    const WRONG_KEY: &str = "vigil_wrongkey_Zr8VbN3mQpT5";
    const WRONG_TOKEN: &str = "vgt_wrongtoken_K2jD9sLx7Ye4";

    assert!(heartbeat(&server.base, &key, "0f6e6491-21f2-495e-9f2d-bc50b872efaf"));
    assert!(!heartbeat(&server.base, WRONG_KEY, "0f6e6491-21f2-495e-9f2d-bc50b872efaf"));
    let wrong = format!("Bearer {WRONG_TOKEN}");
    assert_eq!(request_raw("GET", &server.base, "/api/v1/hosts", &[("Authorization", &wrong)], "").0, 401);
    let as_viewer = format!("Bearer {viewer}");
    assert_eq!(request_raw("GET", &server.base, "/api/v1/hosts", &[("Authorization", &as_viewer)], "").0, 200);
    let bearer = format!("Bearer {}", server.token);
    let event = json!({"specversion": "1.0", "id": "build-1", "source": "https://ci.example.com",
        "type": "com.example.build.failed", "data": {"job": 1}});
    let headers = [("Authorization", bearer.as_str()), ("Content-Type", "application/cloudevents+json")];
    assert_eq!(post_raw(&server.base, "/api/v1/events", &headers, &event.to_string()).0, 202);
    assert_eq!(verifier.wait_for_deliveries(1, Duration::from_secs(20)).len(), 1, "the webhook was not delivered");
    // The replayed cluster is critical, and the default rule mails it, logged in with the password.
    assert!(!sink.wait_for_messages(1, Duration::from_secs(20)).is_empty(), "no mail was sent");
    let admin = server.token.clone();
    server.terminate();

    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.lines().count() > 20, "a debug run logs: {written}");
    let signing_key = std::fs::read(data.path().join("audit-signing.key")).unwrap();
    let mut secrets = vec![
        ("the agent key", key.clone()),
        ("the admin token", admin),
        ("a viewer token", viewer),
        ("a wrong agent key", WRONG_KEY.to_owned()),
        ("a wrong token", WRONG_TOKEN.to_owned()),
        ("the SMTP password", SMTP_PASSWORD.to_owned()),
        ("the webhook secret", WEBHOOK_SECRET.to_owned()),
        ("the webhook secret's key", WEBHOOK_SECRET.trim_start_matches("whsec_").to_owned()),
        ("the audit signing key, hex", signing_key.iter().map(|b| format!("{b:02x}")).collect()),
    ];
    if let Ok(text) = std::str::from_utf8(&signing_key) {
        secrets.push(("the audit signing key, as stored", text.trim().to_owned()));
    }
    for (what, secret) in secrets {
        assert!(secret.len() >= 12, "{what} is too short to search for: {secret:?}");
        // A secret's tail is enough to leak it, so search for its second half too.
        let tail = &secret[secret.len() / 2..];
        assert!(!written.contains(tail), "{what} appears in the server's log");
    }
}
