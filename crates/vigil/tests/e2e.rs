//! End-to-end tests that start the real `vigil` binary.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data_dir: &Path, port: u16, extra: &[&str]) -> Server {
        let child = Command::new(VIGIL)
            .args(["serve", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("VIGIL_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&self) {
        let started = Instant::now();
        while get(&format!("{}/healthz", self.base)).is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "vigil serve did not come up"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill_9(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    fn terminate(mut self) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        assert!(status.success(), "vigil serve must exit cleanly on SIGTERM: {status}");
    }

    fn get(&self, path: &str) -> Value {
        get(&format!("{}{path}", self.base)).unwrap_or_else(|| panic!("GET {path} failed"))
    }

    /// Waits until every projection has caught up with the last event.
    fn settle(&self) {
        let started = Instant::now();
        loop {
            let head = last_position(self);
            if self.get("/readyz")["projections"]["hosts"].as_u64() == Some(head) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "projections did not catch up"
            );
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

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

/// A tiny blocking HTTP GET, so these tests need no client runtime.
fn get(url: &str) -> Option<Value> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}")))?;
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 2") {
        return None;
    }
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    serde_json::from_str(&body).ok()
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
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
            std::fs::write(
                dir.join(format!("{agent_id}_host_discovery.json")),
                discovery.to_string(),
            )
            .unwrap();
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
        .args([
            "replay",
            "--json",
            "--retry-for",
            "60s",
            "--server-url",
            &server.base.clone(),
            "--data-dir",
        ])
        .arg(data.path())
        .arg(scenario.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Kill the server once part of the replay is acknowledged.
    let started = Instant::now();
    while last_position(&server) < 50 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the replay made no progress"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill_9();
    std::thread::sleep(Duration::from_millis(300));
    let server = Server::start(data.path(), port, &[]);

    let output = replay.wait_with_output().unwrap();
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
        assert!(
            stored.contains(&agent.as_str()),
            "acknowledged discovery of {agent} was lost"
        );
    }
    assert_eq!(hosts.len(), agents.len());
    // Exactly one HostRegistered per host: a retried discovery never appends twice.
    let events = server.get("/api/v1/events?type=HostRegistered&limit=1000");
    assert_eq!(events["items"].as_array().unwrap().len(), agents.len());

    // The read model equals one rebuilt from the events.
    server.terminate();
    let rebuild = Command::new(VIGIL)
        .args(["projections", "rebuild", "hosts", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
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
    let key = Command::new(VIGIL)
        .args(["keys", "rotate", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(key.status.success());
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    let agent_id = uuid::Uuid::now_v7().to_string();

    let mut agent = Command::new(VIGIL)
        .args([
            "agent",
            "--server-url",
            &format!("http://127.0.0.1:{port}"),
            "--agent-id",
            &agent_id,
        ])
        .args(["--discovery-interval", "300ms", "--heartbeat-interval", "100ms"])
        .env("VIGIL_API_KEY", &key)
        .env("VIGIL_LOG", "error")
        .spawn()
        .unwrap();
    // The server comes up after the agent has failed a few times.
    std::thread::sleep(Duration::from_millis(1500));
    let server = Server::start(data.path(), port, &[]);

    let started = Instant::now();
    let host = loop {
        if let Some(host) = get(&format!("{}/api/v1/hosts/{agent_id}", server.base))
            && host["heartbeat"] == "passing"
        {
            break host;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the agent's host never became passing"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    agent.kill().unwrap();
    agent.wait().unwrap();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(host["hostname"], hostname.trim());
    assert!(host["cpu_count"].as_u64().unwrap() >= 1);
    assert!(
        host["ip_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ip| ip == "127.0.0.1/8")
    );
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
        command
            .args(["serve", "--config"])
            .arg(&config)
            .env("VIGIL_LOG", "warn")
            .stdout(Stdio::null());
        if let Some(p) = env_listen {
            command.env("VIGIL_LISTEN", format!("127.0.0.1:{p}"));
        }
        if let Some(p) = flag_listen {
            command.args(["--listen", &format!("127.0.0.1:{p}")]);
        }
        command.spawn().unwrap()
    };
    for (env_listen, flag_listen, expected) in [
        (None, None, file_port),
        (Some(env_port), None, env_port),
        (Some(env_port), Some(flag_port), flag_port),
    ] {
        let child = serve(env_listen, flag_listen);
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{expected}"),
        };
        server.wait_healthy();
        server.terminate();
    }

    std::fs::write(&config, "[server]\nlisten_on = \"nowhere\"\n").unwrap();
    let bad = Command::new(VIGIL)
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("listen_on"), "a bad setting is named: {stderr}");
}

#[test]
fn keys_show_and_rotate() {
    let data = tempfile::tempdir().unwrap();
    let show = || {
        Command::new(VIGIL)
            .args(["keys", "show", "--data-dir"])
            .arg(data.path())
            .output()
            .unwrap()
    };
    let none = show();
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("vigil serve"));

    let server = Server::start(data.path(), free_port(), &[]);
    let first = show();
    assert!(first.status.success());
    let first = String::from_utf8(first.stdout).unwrap();
    assert!(first.starts_with("vigil_"));
    let rotated = Command::new(VIGIL)
        .args(["keys", "rotate", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    let rotated = String::from_utf8(rotated.stdout).unwrap();
    assert_ne!(rotated, first);
    assert_eq!(String::from_utf8(show().stdout).unwrap(), rotated);
    server.terminate();
}

#[test]
fn a_rebuild_is_refused_while_the_server_runs() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), free_port(), &[]);
    let rebuild = Command::new(VIGIL)
        .args(["projections", "rebuild", "hosts", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!rebuild.status.success());
    assert!(String::from_utf8_lossy(&rebuild.stderr).contains("in use by another vigil process"));
    server.terminate();
}
