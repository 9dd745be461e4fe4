//! `program`: run a local program with the event on stdin. Off unless the configuration
//! enables it, and admitted by policy like every action.
//!
//! The program is started directly, with no shell, so an argument rendered from event data
//! is one argument whatever it contains. It gets the CloudEvent's JSON on stdin and an
//! environment of its own: `PATH`, `VIGIL_EXECUTION_ID` (the idempotency key, the same on
//! every attempt), `VIGIL_ATTEMPT` and `VIGIL_RULE`. Nothing else of the server's
//! environment is passed on, since that holds the server's secrets (`VIGIL_SMTP_PASSWORD`).
//!
//! It runs in a process group of its own: at the timeout the whole group is killed, so a
//! script's children do not outlive it. The attempt ends when the program has exited and
//! its stdout and stderr are closed: a daemon it starts must let go of them (as daemons
//! do), or it counts as still running. Exit 0 is a success with the captured output as the
//! detail; any other end is retryable, with the status and the start of stderr.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::action::{Action, ActionError, ActionOutput, ActionRequest};
use crate::template::{self, Renderer};

/// A program action.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    /// The executable (an absolute path; no shell is involved).
    pub program: PathBuf,
    /// Its arguments, each a template.
    #[serde(default)]
    pub args: Vec<String>,
    /// How long it may run before it is killed.
    #[serde(default = "super::default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

/// Whether program actions may run (`[actions] programs` in the configuration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Programs {
    /// No program runs; a rule with a program action is refused.
    #[default]
    Disabled,
    /// Program actions run (each still admitted by policy).
    Enabled,
}

/// How much of stdout and of stderr each is kept: the detail is stored with every attempt.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024;

/// How long the program's pipes may stay open once it was killed (a grandchild that left
/// its process group may hold them): the attempt ends regardless.
const AFTER_KILL: Duration = Duration::from_secs(1);

/// A configured program action.
#[derive(Clone, Debug)]
pub struct ProgramAction {
    spec: ProgramSpec,
}

impl ProgramAction {
    /// Checks the spec and builds the action; refused while `programs` is disabled, so a
    /// rule that would run a program is refused when it is loaded.
    pub fn new(spec: &ProgramSpec, programs: Programs) -> Result<Self, String> {
        if programs == Programs::Disabled {
            return Err(format!(
                "program actions are disabled (enable them in the configuration to run {})",
                spec.program.display()
            ));
        }
        check(spec)?;
        Ok(ProgramAction { spec: spec.clone() })
    }
}

/// What a pipe gave: its start, and how much there was.
#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    total: usize,
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.kept).into_owned()
    }

    fn truncated(&self) -> bool {
        self.total > self.kept.len()
    }
}

#[async_trait]
impl Action for ProgramAction {
    async fn run(&self, request: &ActionRequest<'_>) -> Result<ActionOutput, ActionError> {
        let renderer = Renderer::new(request.template_context());
        let args = (self.spec.args.iter().enumerate())
            .map(|(i, arg)| renderer.render(&format!("args[{i}]"), arg))
            .collect::<Result<Vec<_>, _>>()?;
        // A NUL cannot be passed in an argument; the event put it there, so every retry would.
        if let Some(i) = args.iter().position(|arg| arg.contains('\0')) {
            return Err(ActionError::Permanent(format!("template args[{i}]: renders to text holding a NUL byte")));
        }
        let stdin_body = serde_json::to_vec(request.event)
            .map_err(|e| ActionError::Permanent(format!("cannot encode the event: {e}")))?;
        let program = self.spec.program.display().to_string();

        let mut command = tokio::process::Command::new(&self.spec.program);
        command
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()))
            .env("VIGIL_EXECUTION_ID", request.execution_id.to_string())
            .env("VIGIL_ATTEMPT", request.attempt.to_string())
            .env("VIGIL_RULE", request.rule)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| {
            // Missing, not executable, or arguments the kernel refuses (too long): the rule
            // or this event is wrong, not the moment. Anything else (no process slots, no
            // file descriptors left) may pass.
            let permanent = matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied)
                || e.raw_os_error() == Some(libc::E2BIG);
            if permanent {
                ActionError::Permanent(format!("cannot run {program}: {e}"))
            } else {
                ActionError::Retryable(format!("cannot start {program}: {e}"))
            }
        })?;
        let group = child.id();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let mut out = Captured::default();
        let mut err = Captured::default();

        let finished = tokio::time::timeout(self.spec.timeout, async {
            let feed = async {
                if let Some(mut stdin) = stdin {
                    // A program that does not read its input closes the pipe early; that is
                    // its right, not a failure.
                    let _ = stdin.write_all(&stdin_body).await;
                }
            };
            let (status, (), (), ()) =
                tokio::join!(child.wait(), feed, capture(stdout, &mut out), capture(stderr, &mut err));
            status
        })
        .await;

        let status = match finished {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => return Err(ActionError::Retryable(format!("waiting for {program} failed: {e}"))),
            Err(_) => {
                kill_group(group);
                let _ = tokio::time::timeout(AFTER_KILL, child.wait()).await;
                return Err(ActionError::Retryable(format!(
                    "{program} did not finish within {:?} and was killed{}",
                    self.spec.timeout,
                    stderr_snippet(&err)
                )));
            }
        };
        if !status.success() {
            return Err(ActionError::Retryable(format!("{program} {}{}", describe(status), stderr_snippet(&err))));
        }
        let mut detail = json!({"exit_code": 0, "stdout": out.text(), "stderr": err.text()});
        if out.truncated() || err.truncated() {
            detail["truncated"] = json!({"stdout_bytes": out.total, "stderr_bytes": err.total});
        }
        Ok(ActionOutput { detail })
    }
}

/// Reads a pipe to its end, keeping its first [`MAX_OUTPUT_BYTES`]; the rest is read and
/// dropped, so a chatty program never blocks on a full pipe.
async fn capture(pipe: Option<impl AsyncRead + Unpin>, into: &mut Captured) {
    let Some(mut pipe) = pipe else { return };
    let mut buffer = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        let room = MAX_OUTPUT_BYTES - into.kept.len();
        into.kept.extend_from_slice(&buffer[..n.min(room)]);
        into.total += n;
    }
}

/// Kills the program's process group (its id is the program's pid, from `process_group(0)`).
fn kill_group(group: Option<u32>) {
    if let Some(pid) = group.and_then(|pid| i32::try_from(pid).ok()).filter(|pid| *pid > 1) {
        // SAFETY: kill(2) only sends a signal; a negative pid names the process group.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => format!("ended with {status}"),
    }
}

fn stderr_snippet(err: &Captured) -> String {
    let text = String::from_utf8_lossy(&err.kept[..err.kept.len().min(512)]);
    let text = text.trim();
    if text.is_empty() { String::new() } else { format!(": {text}") }
}

pub(super) fn check(spec: &ProgramSpec) -> Result<(), String> {
    if !spec.program.is_absolute() {
        return Err(format!("program {} is not an absolute path", spec.program.display()));
    }
    if spec.timeout.is_zero() {
        return Err("timeout must be above zero".to_owned());
    }
    for (i, arg) in spec.args.iter().enumerate() {
        template::validate(&format!("args[{i}]"), arg).map_err(|e| e.to_string())?;
    }
    Ok(())
}
