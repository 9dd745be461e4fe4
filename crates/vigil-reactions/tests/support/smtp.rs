//! A real SMTP server on loopback for tests: Python's `aiosmtpd` from PyPI, with a handler
//! that stores every mail it accepts as a JSON file, decoded by Python's own `email`
//! package (headers unfolded and decoded, the body's transfer encoding undone).
//!
//! Uses std and serde_json only, with `python.rs` beside it (as `super::python`): another
//! crate's tests can include both files as they are.
//!
//! The sink answers like a real server would for some recipients, to inject failures:
//! a local part starting with `reject` is refused with `550 5.1.1` (permanent), one
//! starting with `defer` with `451 4.3.0` (temporary). With credentials, it advertises
//! `AUTH PLAIN LOGIN` on the plain connection and refuses mail until a client logged in
//! with them (`535` for wrong ones).
//!
//! ```ignore
//! let Some(sink) = SmtpSink::start() else { return }; // skipped: said why on stderr
//! // … send to 127.0.0.1:sink.port() …
//! let mails = sink.wait_for_messages(1, Duration::from_secs(10));
//! assert_eq!(mails[0].header("subject").as_deref(), Some("Host h1 is critical"));
//! ```

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::python;

/// The pinned server package.
pub const AIOSMTPD: &str = "aiosmtpd==1.4.6";

/// A running SMTP server; stopped when dropped, or when the test process ends however it
/// ends (the server leaves when its stdin closes).
pub struct SmtpSink {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// One mail the sink accepted.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The envelope's sender (`MAIL FROM`).
    pub mail_from: String,
    /// The envelope's accepted recipients (`RCPT TO`).
    pub rcpt_tos: Vec<String>,
    /// The headers as (lowercase name, decoded value), in order.
    pub headers: Vec<(String, String)>,
    /// The decoded text of the body.
    pub body: String,
    /// The message as received on the wire.
    pub raw: String,
    /// The user the client authenticated as, if it did.
    pub auth_login: Option<String>,
}

impl ReceivedMail {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<String> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
    }
}

impl SmtpSink {
    /// A server accepting mail without authentication; `None` when Python cannot run here
    /// (the message on stderr says why).
    pub fn start() -> Option<SmtpSink> {
        SmtpSink::launch(None)
    }

    /// A server that requires `AUTH` with these credentials, over the plain connection.
    pub fn start_with_auth(username: &str, password: &str) -> Option<SmtpSink> {
        SmtpSink::launch(Some((username, password)))
    }

    fn launch(credentials: Option<(&str, &str)>) -> Option<SmtpSink> {
        let python = python::venv(&[AIOSMTPD], "the test with a real SMTP server")?;
        let dir = python::scratch_dir("smtp-sink");
        let mails = dir.join("mails");
        std::fs::create_dir_all(&mails).unwrap();
        let script = dir.join("sink.py");
        std::fs::write(&script, HANDLER).unwrap();
        let mut command = Command::new(python);
        command.arg(&script).arg(&mails);
        if let Some((username, password)) = credentials {
            // Through the environment, so the password is not on a command line.
            command.env("SINK_USERNAME", username).env("SINK_PASSWORD", password);
        }
        let log = std::fs::File::create(dir.join("sink.log")).unwrap();
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(log).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let port = line.strip_prefix("READY ").and_then(|p| p.trim().parse().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(dir.join("sink.log")).unwrap_or_default();
            panic!("the SMTP sink did not start (said {line:?}):\n{log}");
        };
        Some(SmtpSink { child, port, dir })
    }

    /// The port it listens on, at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mails received so far, in the order they were accepted.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("mails"))
            .unwrap()
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files.iter().map(|path| parse(&std::fs::read_to_string(path).unwrap())).collect()
    }

    /// Waits until at least `n` mails arrived and returns them; panics after `timeout`
    /// with what did arrive.
    pub fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let mails = self.messages();
            if mails.len() >= n {
                return mails;
            }
            assert!(started.elapsed() < timeout, "{} mails arrived in {timeout:?}, not {n}: {mails:#?}", mails.len());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn parse(text: &str) -> ReceivedMail {
    let record: serde_json::Value = serde_json::from_str(text).unwrap();
    let string = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    ReceivedMail {
        mail_from: string(&record["mail_from"]),
        rcpt_tos: record["rcpt_tos"].as_array().unwrap().iter().map(string).collect(),
        headers: (record["headers"].as_array().unwrap().iter())
            .map(|pair| (string(&pair[0]).to_ascii_lowercase(), string(&pair[1])))
            .collect(),
        body: string(&record["body"]),
        raw: string(&record["raw"]),
        auth_login: record["auth_login"].as_str().map(str::to_owned),
    }
}

const HANDLER: &str = r#"
import asyncio, email, email.policy, itertools, json, os, sys, threading
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

out_dir = sys.argv[1]
username = os.environ.get("SINK_USERNAME")
password = os.environ.get("SINK_PASSWORD")
counter = itertools.count()


def exit_with_the_test():
    # The test holds this process's stdin; at its end, even a killed one, the pipe closes.
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=exit_with_the_test, daemon=True).start()


class Sink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("defer"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",)) or message
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": [[name, str(value)] for name, value in message.items()],
            # Lines end in CRLF on the wire; the text as written ends them in LF.
            "body": part.get_content().replace("\r\n", "\n"),
            "raw": raw.decode("utf-8", errors="replace"),
            "auth_login": session.auth_data if session.authenticated else None,
        }
        n = next(counter)
        temporary = os.path.join(out_dir, f".{n:06}.tmp")
        with open(temporary, "w") as f:
            json.dump(record, f)
        os.rename(temporary, os.path.join(out_dir, f"{n:06}.json"))
        return "250 2.0.0 stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == username
        and auth_data.password.decode() == password
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


async def main():
    options = {}
    if username is not None:
        options = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink(), hostname="sink.test", **options), "127.0.0.1", 0)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main())
"#;
