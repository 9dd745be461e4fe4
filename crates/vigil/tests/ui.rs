//! The web UI in a real browser: the real `vigil serve` binary, Debian's `chromium` driven
//! headless by `playwright-core` (npm) with the script `tests/ui/ui.test.mjs`. It replays a
//! shared scenario and watches the hosts appear live, stops heartbeats and sees the host turn
//! stale, adds a tag, has a deregistration refused while the host is alive, drops the
//! WebSocket and sees the missed update arrive, selects and runs a cluster's best-practice
//! checks and reads their results (with facts from two running `vigil agent`s answering
//! from captured files), and takes screenshots of the main pages into
//! `target/ui-screenshots/`. Skipped, saying so, where chromium, node or the npm install is
//! not available (`.ci/run` installs them).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

fn ui_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ui")
}

/// Where the screenshots go: `<target dir>/ui-screenshots`.
fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("ui-screenshots")
}

/// The browser, node and playwright-core, or why the test cannot run.
fn browser_setup() -> Result<(PathBuf, PathBuf), String> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|c| c.exists())
        .ok_or("no /usr/bin/chromium (apt-get install chromium)")?;
    let node = Command::new("node").arg("--version").output().map_err(|e| format!("no node ({e})"))?;
    if !node.status.success() {
        return Err("node does not run".into());
    }
    let modules = ui_dir().join("node_modules/playwright-core");
    if !modules.exists() {
        // What `.ci/run` does; here too, so that `cargo test` alone works where npm does.
        let installed = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(ui_dir())
            .output()
            .map_err(|e| format!("no npm to install playwright-core ({e})"))?;
        if !installed.status.success() || !modules.exists() {
            return Err(format!("npm ci failed: {}", String::from_utf8_lossy(&installed.stderr)));
        }
    }
    Ok((chromium, PathBuf::from("node")))
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `vigil agent`, stopped when dropped.
struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn token(data_dir: &Path, role: &str) -> String {
    let created = Command::new(VIGIL)
        .args(["tokens", "create", "--role", role, "--name", &format!("ui-{role}"), "--data-dir"])
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    String::from_utf8(created.stdout).unwrap().trim().to_owned()
}

fn healthy(base: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(base.trim_start_matches("http://")) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(stream, "GET /healthz HTTP/1.1\r\nHost: vigil\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}

#[test]
fn the_ui_shows_a_replayed_landscape_live_and_acts_through_the_gate_in_a_real_browser() {
    let (chromium, node) = match browser_setup() {
        Ok(found) => found,
        Err(why) => {
            eprintln!("SKIPPED: {why}; the web UI is not tested in a browser");
            return;
        }
    };
    let data = tempfile::tempdir().unwrap();
    let operator = token(data.path(), "operator");
    let viewer = token(data.path(), "viewer");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(VIGIL)
        .args(["serve", "--data-dir"])
        .arg(data.path())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        // A host is stale 2 s after its last heartbeat; deregistration stays refused for two
        // minutes after it, so the refusal is seen while the host is alive.
        .args(["--heartbeat-interval", "2s", "--heartbeat-allowed-missed", "0", "--heartbeat-tolerance", "0s"])
        .args(["--deregistration-debounce", "120s"])
        .env("VIGIL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let started = Instant::now();
    while !healthy(&server.base) {
        assert!(started.elapsed() < Duration::from_secs(20), "vigil serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let key = Command::new(VIGIL).args(["keys", "show", "--data-dir"]).arg(data.path()).output().unwrap();
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    let shots = screenshots();
    let _ = std::fs::remove_dir_all(&shots);
    // The scenario's two nodes answer checks' facts from captured files, as running agents
    // that leave the discoveries to the replay: vmangi01 has Azure's 30000 ms token, vmangi02
    // 5000 ms.
    let mut agents = Vec::new();
    for (agent_id, token) in
        [("851a4dd3-9693-44c3-a40b-b32d22872e74", 30000), ("4b67842f-ccf7-46a4-a344-9e918648b117", 5000)]
    {
        let root = data.path().join(format!("node-{agent_id}"));
        std::fs::create_dir_all(root.join("etc/corosync")).unwrap();
        std::fs::write(
            root.join("etc/corosync/corosync.conf"),
            format!("totem {{\n\tversion: 2\n\ttoken: {token}\n}}\n"),
        )
        .unwrap();
        let child = Command::new(VIGIL)
            .args(["agent", "--server-url", &server.base, "--api-key", &key, "--agent-id", agent_id])
            .args(["--discovery", "false", "--facts-root"])
            .arg(&root)
            .env("VIGIL_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        agents.push(Agent(child));
    }

    let run = Command::new(node)
        .arg(ui_dir().join("ui.test.mjs"))
        .current_dir(ui_dir())
        .env("VIGIL_BASE", &server.base)
        .env("VIGIL_BIN", VIGIL)
        .env("VIGIL_DATA_DIR", data.path())
        .env("VIGIL_SCENARIO", fixtures().join("scenarios/hana-scale-up-angi"))
        .env("VIGIL_OPERATOR", &operator)
        .env("VIGIL_VIEWER", &viewer)
        .env("VIGIL_AGENT_KEY", &key)
        .env("VIGIL_SCREENSHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "the browser test failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("PASSED: every UI check"), "{stdout}");
    // The main pages were photographed.
    for name in [
        "03-hosts-live",
        "04-host-detail-refused",
        "05-hosts-stale",
        "08-cluster-detail",
        "cluster-checks",
        "cluster-checks-facts",
        "16-events",
    ] {
        let shot = shots.join(format!("{name}.png"));
        let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} is missing or empty ({size} bytes)", shot.display());
    }
}
