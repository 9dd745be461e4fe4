//! A webhook receiver that checks signatures with an implementation Vigil does not share:
//! the Standard Webhooks reference library for Python (`standardwebhooks` from PyPI),
//! behind Python's own HTTP server. A delivery that verifies (signature, and a timestamp
//! within five minutes) is answered 204 and recorded; one that does not is answered 401
//! with the library's reason, and recorded as rejected.
//!
//! Uses std and serde_json only, with `python.rs` beside it (as `super::python`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::python;

/// The pinned library.
pub const STANDARDWEBHOOKS: &str = "standardwebhooks==1.1.0";

/// A running verifier; stopped when dropped, or when the test process ends however it ends
/// (the verifier leaves when its stdin closes).
pub struct Verifier {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// One delivery as the verifier judged it.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Whether the library accepted it.
    pub verified: bool,
    /// Why not, when it did not.
    pub reason: Option<String>,
    /// The `webhook-id` header.
    pub id: Option<String>,
    /// The `content-type` header.
    pub content_type: Option<String>,
    /// The body, parsed as JSON when it is.
    pub body: serde_json::Value,
}

impl Verifier {
    /// A verifier for deliveries signed with `secret` (`whsec_…`); `None` when Python cannot
    /// run here (the message on stderr says why).
    pub fn start(secret: &str) -> Option<Verifier> {
        let python = python::venv(&[STANDARDWEBHOOKS], "the test of webhook signatures")?;
        let dir = python::scratch_dir("webhook-verifier");
        let script = dir.join("verifier.py");
        std::fs::write(&script, VERIFIER).unwrap();
        let log = std::fs::File::create(dir.join("verifier.log")).unwrap();
        let mut child = Command::new(python)
            .arg(&script)
            .arg(dir.join("deliveries.jsonl"))
            .env("WEBHOOK_SECRET", secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let Some(port) = line.strip_prefix("READY ").and_then(|p| p.trim().parse().ok()) else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(dir.join("verifier.log")).unwrap_or_default();
            panic!("the webhook verifier did not start (said {line:?}):\n{log}");
        };
        Some(Verifier { child, port, dir })
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The deliveries so far, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        let text = std::fs::read_to_string(self.dir.join("deliveries.jsonl")).unwrap_or_default();
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let record: serde_json::Value = serde_json::from_str(line).unwrap();
                let text = |name: &str| record[name].as_str().map(str::to_owned);
                Delivery {
                    verified: record["verified"] == true,
                    reason: text("reason"),
                    id: text("id"),
                    content_type: text("content_type"),
                    body: record["body"].clone(),
                }
            })
            .collect()
    }

    /// Waits until at least `n` deliveries arrived; panics after `timeout`.
    pub fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let started = Instant::now();
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= n {
                return deliveries;
            }
            assert!(started.elapsed() < timeout, "{} deliveries in {timeout:?}, not {n}", deliveries.len());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const VERIFIER: &str = r#"
import json, os, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from standardwebhooks.webhooks import Webhook

record_path = sys.argv[1]
webhook = Webhook(os.environ["WEBHOOK_SECRET"])
lock = threading.Lock()


def exit_with_the_test():
    # The test holds this process's stdin; at its end, even a killed one, the pipe closes.
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=exit_with_the_test, daemon=True).start()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {name: value for name, value in self.headers.items()}
        try:
            webhook.verify(body, headers)
            verified, reason, status = True, None, 204
        except Exception as error:
            verified, reason, status = False, f"{type(error).__name__}: {error}", 401
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = body.decode("utf-8", errors="replace")
        record = {
            "verified": verified,
            "reason": reason,
            "id": self.headers.get("webhook-id"),
            "content_type": self.headers.get("content-type"),
            "body": parsed,
        }
        with lock, open(record_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        self.send_response(status)
        message = (reason or "").encode()
        self.send_header("content-length", str(len(message)))
        self.end_headers()
        self.wfile.write(message)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("READY", server.server_address[1], flush=True)
server.serve_forever()
"#;
