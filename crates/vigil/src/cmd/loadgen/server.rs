//! The server under load: one `vigil serve` that the load generator starts on a scratch data
//! directory (or one already running), and what `/proc` says it costs.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;

/// A server to load.
pub struct Target {
    pub base: String,
    pub api_key: String,
    pub token: String,
    pub pid: Option<u32>,
    /// The server this process started, stopped when dropped.
    child: Option<tokio::process::Child>,
    _data: Option<tempfile::TempDir>,
}

impl Target {
    /// An existing server.
    pub fn external(base: String, api_key: String, token: String, pid: Option<u32>) -> Target {
        Target { base: base.trim_end_matches('/').to_owned(), api_key, token, pid, child: None, _data: None }
    }

    /// Starts `vigil serve` (this same binary) on a fresh data directory under `dir`, with
    /// the action rules of `actions_file` if given.
    pub async fn start(dir: Option<&Path>, durability: &str, actions_file: Option<&Path>) -> anyhow::Result<Target> {
        Target::start_with(dir, durability, actions_file, &[]).await
    }

    /// [`Target::start`] with more `vigil serve` flags.
    pub async fn start_with(
        dir: Option<&Path>,
        durability: &str,
        actions_file: Option<&Path>,
        extra: &[String],
    ) -> anyhow::Result<Target> {
        let data = crate::cmd::bench::scratch(&dir.map(Path::to_owned))?;
        // A token for checking the read model, made before the server holds the directory.
        let config = vigil_server::config::ServerConfig { data_dir: data.path().to_owned(), ..Default::default() };
        let db = vigil_server::app::open_db(&config)?;
        let (token, _) = vigil_gate::tokens::create(
            &db,
            "loadgen",
            vigil_gate::principal::PrincipalKind::Service,
            "viewer",
            None,
            Utc::now(),
        )
        .await?;
        drop(db);
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command.args(["serve", "--data-dir"]).arg(data.path()).args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--durability",
            durability,
        ]);
        if let Some(file) = actions_file {
            command.arg("--actions-file").arg(file);
        }
        command.args(extra);
        let child = command
            .env("VIGIL_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start `vigil serve`")?;
        let pid = child.id();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "the server did not become ready in 60 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let db = vigil_server::app::open_db(&config)?;
        let api_key = vigil_discovery::keys::show(&db, data.path()).await?.context("the server made no agent key")?;
        Ok(Target { base, api_key, token, pid, child: Some(child), _data: Some(data) })
    }

    /// Stops the server this process started, and waits for it.
    pub async fn stop(mut self) {
        if let (Some(child), Some(pid)) = (self.child.as_mut(), self.pid) {
            // SIGTERM: a graceful stop, as an operator would.
            unsafe { libc::kill(pid as i32, libc::SIGTERM) };
            if tokio::time::timeout(Duration::from_secs(30), child.wait()).await.is_err() {
                let _ = child.kill().await;
            }
        }
    }
}

/// What the kernel has counted for a process.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// User and system CPU time, in seconds.
    pub cpu_seconds: f64,
    /// Resident set size, in MiB.
    pub rss_mib: f64,
    /// Peak resident set size, in MiB.
    pub peak_rss_mib: f64,
}

/// Reads `/proc/<pid>`; `None` where there is no such process (or no `/proc`).
pub fn usage(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let cpu_seconds = (fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / ticks;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| -> Option<f64> {
        status.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    Some(Usage { cpu_seconds, rss_mib: kib("VmRSS:")? / 1024.0, peak_rss_mib: kib("VmHWM:")? / 1024.0 })
}
