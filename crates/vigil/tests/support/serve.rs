//! `vigil serve` as the end-to-end tests run it: the real binary on a data directory and a
//! free loopback port, with an admin token made by the CLI, and a tiny blocking HTTP GET so
//! the tests need no client runtime. Shared by `e2e.rs` and `lake.rs`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

/// The Trento fixtures beside the repository (or `VIGIL_FIXTURES`).
pub fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Server {
    pub child: Child,
    pub base: String,
    /// An admin token for reads.
    pub token: String,
}

/// An admin token for `data_dir`, made once per data directory with the CLI.
pub fn admin_token(data_dir: &Path) -> String {
    let saved = data_dir.join("test-admin-token");
    if let Ok(token) = std::fs::read_to_string(&saved) {
        return token;
    }
    let created =
        Command::new(VIGIL).args(["tokens", "create", "--role", "admin", "--data-dir"]).arg(data_dir).output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    std::fs::write(&saved, &token).unwrap();
    token
}

impl Server {
    pub fn start(data_dir: &Path, port: u16, extra: &[&str]) -> Server {
        Server::spawn(data_dir, port, extra, |command| {
            command.env("VIGIL_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null());
        })
    }

    /// A server logging at `debug` to `log` (standard output and error both), with `env` set.
    pub fn start_logged(data_dir: &Path, port: u16, extra: &[&str], env: &[(&str, &str)], log: &Path) -> Server {
        let file = std::fs::File::create(log).unwrap();
        Server::spawn(data_dir, port, extra, |command| {
            command.env("VIGIL_LOG", "debug").envs(env.iter().copied());
            command.stdout(file.try_clone().unwrap()).stderr(file);
        })
    }

    fn spawn(data_dir: &Path, port: u16, extra: &[&str], configure: impl FnOnce(&mut Command)) -> Server {
        std::fs::create_dir_all(data_dir).unwrap();
        let token = admin_token(data_dir);
        let mut command = Command::new(VIGIL);
        command
            .args(["serve", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra);
        configure(&mut command);
        let child = command.spawn().unwrap();
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), token };
        server.wait_healthy();
        server
    }

    pub fn wait_healthy(&self) {
        let started = Instant::now();
        while get(&format!("{}/healthz", self.base), None).is_none() {
            assert!(started.elapsed() < Duration::from_secs(20), "vigil serve did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill_9(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    pub fn terminate(mut self) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        assert!(status.success(), "vigil serve must exit cleanly on SIGTERM: {status}");
    }

    pub fn get(&self, path: &str) -> Value {
        get(&format!("{}{path}", self.base), Some(&self.token)).unwrap_or_else(|| panic!("GET {path} failed"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny blocking HTTP GET, so these tests need no client runtime.
pub fn get(url: &str, token: Option<&str>) -> Option<Value> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}")))?;
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 2") {
        return None;
    }
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.to_owned() };
    serde_json::from_str(&body).ok()
}

/// A chunked body decoded; a truncated one decodes as far as it goes.
pub fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
