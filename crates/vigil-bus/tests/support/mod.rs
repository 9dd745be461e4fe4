//! A nats-server of the test's own (`/usr/sbin/nats-server -js` on a free loopback port with
//! its own store directory), which the test can stop and start again on the same port and
//! store, without touching the machine's shared server.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs it; `VIGIL_NATS_SERVER` overrides.
fn binary() -> PathBuf {
    std::env::var_os("VIGIL_NATS_SERVER").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server"))
}

pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl NatsServer {
    /// A running server; `None` (having said on stderr that `test` is skipped and why) when
    /// there is no nats-server binary.
    pub fn start(test: &str) -> Option<NatsServer> {
        let binary = binary();
        if !binary.exists() {
            eprintln!("skipped: {test} because {} is not installed (apt-get install nats-server)", binary.display());
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = NatsServer { child: None, port, dir: tempfile::tempdir().unwrap() };
        server.run();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn store_dir(&self) -> &Path {
        self.dir.path()
    }

    fn run(&mut self) {
        let child = Command::new(binary())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen on {} within 10 s", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (SIGKILL: no goodbye to the clients) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and store directory.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
