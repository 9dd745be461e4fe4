//! `vigil agent facts` on this (Debian) machine, the real binary against the real files and
//! tools: expected values are read here from the sources directly (the dpkg database,
//! `/etc/hosts`, `/proc/sys`), not through the agent's gatherers.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

fn facts(args: &[&str]) -> (Output, Value) {
    let output = Command::new(VIGIL).arg("agent").arg("facts").args(args).output().expect("vigil runs");
    let printed = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, printed)
}

/// The version of `package` in dpkg's own database.
fn dpkg_status_version(package: &str) -> Option<String> {
    let status = std::fs::read_to_string("/var/lib/dpkg/status").ok()?;
    let stanza = status.split("\n\n").find(|s| s.lines().any(|l| l == format!("Package: {package}")))?;
    stanza.lines().find_map(|l| l.strip_prefix("Version: ")).map(str::to_owned)
}

#[test]
fn the_package_version_of_an_installed_package_is_dpkg_s() {
    let Some(version) = dpkg_status_version("dpkg") else {
        eprintln!("skipped: no dpkg database on this machine (/var/lib/dpkg/status), so no dpkg package to ask about");
        return;
    };
    let (output, printed) = facts(&["--gatherer", "package_version", "--argument", "dpkg"]);
    assert!(output.status.success(), "{printed}");
    assert_eq!(printed["gatherer"], "package_version");
    let value = &printed["value"];
    assert_eq!(value["manager"], "dpkg");
    assert_eq!(value["name"], "dpkg");
    let (upstream, revision) = version.rsplit_once('-').unwrap_or((&version, ""));
    assert_eq!(value["version"], upstream, "dpkg {version}");
    assert_eq!(value["release"], revision);
    assert_eq!(value["installed_versions"], json!([version]));
}

#[test]
fn a_package_that_is_not_installed_is_an_error_and_exit_1() {
    let (output, printed) = facts(&["--gatherer", "package_version", "--argument", "pacemaker-not-on-this-machine"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(printed["error"]["type"], "package_not_installed");
    assert!(printed.get("value").is_none());
}

#[test]
fn etc_hosts_lists_what_the_file_says() {
    let text = std::fs::read_to_string("/etc/hosts").expect("/etc/hosts");
    let (address, name) = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").split_whitespace().collect::<Vec<_>>())
        .find(|words| words.len() >= 2 && words[0].parse::<std::net::IpAddr>().is_ok())
        .map(|words| (words[0].parse::<std::net::IpAddr>().unwrap().to_string(), words[1].to_owned()))
        .expect("an entry in /etc/hosts");
    let (output, printed) = facts(&["--gatherer", "hosts", "--argument", &name]);
    assert!(output.status.success(), "{printed}");
    assert!(printed["value"].as_array().unwrap().contains(&json!(address)), "{name} has {address}: {printed}");
    let (_, all) = facts(&["--gatherer", "hosts"]);
    assert!(all["value"][&name].is_array(), "{all}");
}

#[test]
fn sysctl_reads_the_kernel_s_value() {
    let pid_max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max").unwrap().trim().parse().unwrap();
    let (output, printed) = facts(&["--gatherer", "sysctl", "--argument", "kernel.pid_max"]);
    assert!(output.status.success(), "{printed}");
    assert_eq!(printed["value"], json!(pid_max));
    let (output, printed) = facts(&["--gatherer", "sysctl", "--argument", "kernel.no_such_parameter"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(printed["error"]["type"], "value_not_found");
}

#[test]
fn systemd_answers_a_state_where_systemd_runs_and_an_error_where_it_does_not() {
    let (output, printed) = facts(&["--gatherer", "systemd", "--argument", "vigil-test-no-such.service"]);
    let booted_with_systemd = Path::new("/run/systemd/system").is_dir();
    let has_systemctl = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("systemctl").is_file()));
    if booted_with_systemd {
        assert!(output.status.success(), "{printed}");
        assert_eq!(printed["value"]["load_state"], "not-found");
        assert_eq!(printed["value"]["active_state"], "inactive");
    } else {
        // This machine (a container) has no systemd as PID 1: the fact is an error, not a crash.
        assert_eq!(output.status.code(), Some(1), "{printed}");
        let expected = if has_systemctl { "tool_failed" } else { "tool_not_found" };
        assert_eq!(printed["error"]["type"], expected, "{printed}");
        assert!(!printed["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn a_request_file_gets_the_facts_gathered_of_this_agent() {
    let dir = tempfile::tempdir().unwrap();
    let agent_id = "0a055c90-4cb6-54ce-ac9c-ae3fedaf40d4";
    let request = json!({
        "execution_id": "0192e5a4-6c1e-7b0a-9d3f-4a1b2c3d4e5f",
        "group_id": "5d2c0f7e-8a4b-4c1d-9e3f-0a1b2c3d4e5f",
        "targets": [
            {"agent_id": "11111111-2222-4333-8444-555555555555", "fact_requests": [
                {"check_id": "X", "name": "x", "gatherer": "hosts"}]},
            {"agent_id": agent_id, "fact_requests": [
                {"check_id": "C1", "name": "pid_max", "gatherer": "sysctl", "argument": "kernel.pid_max"},
                {"check_id": "C2", "name": "token", "gatherer": "corosync.conf", "argument": "totem.token"},
                {"check_id": "C3", "name": "what", "gatherer": "crm_mon"}]}
        ]
    });
    let path = dir.path().join("request.json");
    std::fs::write(&path, request.to_string()).unwrap();
    // The root is an empty tree, so corosync.conf is missing whatever this machine holds.
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let (output, printed) =
        facts(&["--request", path.to_str().unwrap(), "--agent-id", agent_id, "--root", root.to_str().unwrap()]);
    assert!(output.status.success(), "{printed}");
    assert_eq!(printed["execution_id"], request["execution_id"]);
    assert_eq!(printed["agent_id"], agent_id);
    let facts = printed["facts_gathered"].as_array().unwrap();
    assert_eq!(facts.len(), 3);
    assert_eq!((&facts[0]["check_id"], &facts[0]["name"]), (&json!("C1"), &json!("pid_max")));
    // /proc/sys is read under the root too, so the empty tree has no kernel parameters.
    assert_eq!(facts[0]["error"]["type"], "value_not_found");
    assert_eq!(facts[1]["error"]["type"], "file_not_found");
    assert_eq!(facts[2]["error"]["type"], "unknown_gatherer");

    let stranger = "99999999-2222-4333-8444-555555555555";
    let refused = Command::new(VIGIL)
        .args(["agent", "facts", "--request", path.to_str().unwrap(), "--agent-id", stranger])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains(&format!("asks nothing of agent {stranger}")));

    std::fs::write(&path, "{\"execution_id\": 1}").unwrap();
    let malformed = Command::new(VIGIL).args(["agent", "facts", "--request", path.to_str().unwrap()]).output().unwrap();
    assert!(!malformed.status.success());
    assert!(String::from_utf8_lossy(&malformed.stderr).contains("is not a FactsGatheringRequested"));
}

#[test]
fn the_help_explains_the_subcommand() {
    let help = Command::new(VIGIL).args(["agent", "facts", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for word in ["--gatherer", "--argument", "--request", "corosync.conf", "FactsGathered"] {
        assert!(text.contains(word), "{word} in\n{text}");
    }
    let neither = Command::new(VIGIL).args(["agent", "facts"]).output().unwrap();
    assert_eq!(neither.status.code(), Some(2), "clap refuses a call with neither --gatherer nor --request");
}

/// `vigil agent --facts-channel true` opens the channel to its server and answers on it: a
/// listener here plays the server (the server side is not written yet), refusing the agent's
/// plain HTTP requests (discoveries, heartbeats) and accepting its WebSocket upgrade.
#[test]
fn the_running_agent_answers_facts_over_its_channel() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

    #[allow(clippy::result_large_err)] // the signature of tungstenite's handshake callback
    fn only_the_agent_key(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        let key = request.headers().get("X-Trento-Apikey").and_then(|v| v.to_str().ok());
        if key == Some("the-agent-key") && request.uri().path().ends_with("/facts") {
            return Ok(response);
        }
        let mut refusal = ErrorResponse::new(None);
        *refusal.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
        Err(refusal)
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let agent_id = "0a055c90-4cb6-54ce-ac9c-ae3fedaf40d4";
        let mut agent = tokio::process::Command::new(VIGIL)
            .args(["agent", "--server-url", &url, "--api-key", "the-agent-key", "--agent-id", agent_id])
            .args(["--facts-channel", "true"])
            .env("VIGIL_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let socket = async {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                // A discovery or a heartbeat fails its handshake and is dropped.
                if let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, only_the_agent_key).await {
                    return socket;
                }
            }
        };
        let mut socket = tokio::time::timeout(std::time::Duration::from_secs(60), socket).await.expect("the channel");
        let pid_max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max").unwrap().trim().parse().unwrap();
        let request = json!({
            "specversion": "1.0", "id": "r1", "source": "/test", "type": "vigil.facts.v1.FactsGatheringRequested",
            "data": {"execution_id": "0192e5a4-6c1e-7b0a-9d3f-4a1b2c3d4e5f", "group_id": "5d2c0f7e-8a4b-4c1d-9e3f-0a1b2c3d4e5f",
                     "targets": [{"agent_id": agent_id, "fact_requests": [
                         {"check_id": "C1", "name": "pid_max", "gatherer": "sysctl", "argument": "kernel.pid_max"}]}]}
        });
        socket.send(Message::text(request.to_string())).await.unwrap();
        let frame = tokio::time::timeout(std::time::Duration::from_secs(30), socket.next())
            .await
            .expect("an answer")
            .unwrap()
            .unwrap();
        let answer: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        assert_eq!(answer["type"], "vigil.facts.v1.FactsGathered");
        assert_eq!(answer["data"]["agent_id"], agent_id);
        assert_eq!(answer["data"]["facts_gathered"], json!([{"check_id": "C1", "name": "pid_max", "value": pid_max}]));
        agent.kill().await.unwrap();
    });
}
