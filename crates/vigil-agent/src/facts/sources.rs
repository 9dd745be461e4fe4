//! The thin I/O under every gatherer: reading a file and running a program, each with a
//! timeout and a cap on what is read, each failure a [`FactError`].
//!
//! Files are read under a root (`/` on a live machine, a captured tree in tests and with
//! `vigil agent facts --root`). Programs are found on `PATH`, run without a shell (arguments
//! are never interpreted), with `LC_ALL=C` so their output is the one the parsers expect, and
//! killed when they outlive their time or print too much.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};

use super::error::{FactError, FactErrorKind};

/// Where facts come from, and the limits on reading them.
#[derive(Clone, Debug)]
pub struct Sources {
    /// Files are read under this directory (`/` on a live machine).
    pub root: PathBuf,
    /// Programs are run from this directory instead of `PATH`: a captured machine's tools
    /// (recorded outputs) beside its captured files. `None` on a live machine.
    pub programs: Option<PathBuf>,
    /// Longest wait for one program or one file.
    pub timeout: Duration,
    /// Largest output or file accepted, in bytes.
    pub max_output_bytes: usize,
    /// No program starts, and no read waits, past this instant: the whole execution's budget.
    pub deadline: Option<Instant>,
}

/// What a program printed and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolOutput {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, lossily UTF-8.
    pub stdout: String,
    /// Standard error, lossily UTF-8.
    pub stderr: String,
}

impl ToolOutput {
    /// Whether the program exited with 0.
    pub fn succeeded(&self) -> bool {
        self.code == Some(0)
    }

    /// The failure as a fact error naming the command and quoting its standard error.
    pub fn failure(&self, command: &str) -> FactError {
        let said = first_line(if self.stderr.trim().is_empty() { &self.stdout } else { &self.stderr });
        let code = self.code.map_or_else(|| "was killed by a signal".to_owned(), |c| format!("exited with {c}"));
        FactError::new(FactErrorKind::ToolFailed, format!("`{command}` {code}: {said}"))
    }
}

impl Default for Sources {
    fn default() -> Self {
        Sources::local()
    }
}

impl Sources {
    /// This machine: root `/`, 10 s per program or file, 4 MiB of output.
    pub fn local() -> Self {
        Sources {
            root: PathBuf::from("/"),
            programs: None,
            timeout: Duration::from_secs(10),
            max_output_bytes: 4 << 20,
            deadline: None,
        }
    }

    /// The same sources under another root.
    pub fn under(root: impl Into<PathBuf>) -> Self {
        Sources { root: root.into(), ..Sources::local() }
    }

    /// How long the next program or read may take: the timeout, shortened by the deadline.
    fn budget(&self) -> Result<Duration, FactError> {
        let Some(deadline) = self.deadline else { return Ok(self.timeout) };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(FactError::new(FactErrorKind::Timeout, "the execution's time for gathering facts ran out"));
        }
        Ok(left.min(self.timeout))
    }

    /// The path of the absolute `path` under the root.
    pub fn path_of(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// Reads the text of `path` (absolute, taken under the root), at most `max_output_bytes`.
    pub async fn read_file(&self, path: &str) -> Result<String, FactError> {
        let budget = self.budget()?;
        let full = self.path_of(path);
        let cap = self.max_output_bytes;
        let shown = path.to_owned();
        let read = tokio::task::spawn_blocking(move || read_capped(&full, cap));
        // A read that hangs (a dead NFS mount) leaves its thread blocked, but the fact answers.
        match tokio::time::timeout(budget, read).await {
            Err(_) => {
                Err(FactError::new(FactErrorKind::Timeout, format!("reading {shown} took longer than {budget:?}")))
            }
            Ok(Err(join)) => Err(FactError::new(FactErrorKind::FileUnreadable, format!("{shown}: {join}"))),
            Ok(Ok(Err(Capped::TooLarge))) => {
                Err(FactError::new(FactErrorKind::OutputTooLarge, format!("{shown} is larger than {cap} bytes")))
            }
            Ok(Ok(Err(Capped::Io(e)))) => Err(file_error(&shown, &e)),
            Ok(Ok(Ok(bytes))) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// Runs `program` with `args` (no shell), with the timeout and the output cap. A non-zero
    /// exit is an answer, not an error: some tools (saptune, rpm -q) report through it.
    pub async fn run(&self, program: &str, args: &[&str]) -> Result<ToolOutput, FactError> {
        let budget = self.budget()?;
        let command = std::iter::once(program).chain(args.iter().copied()).collect::<Vec<_>>().join(" ");
        let executable = match &self.programs {
            Some(dir) => dir.join(program),
            None => PathBuf::from(program),
        };
        let mut child = tokio::process::Command::new(executable)
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => FactError::new(
                    FactErrorKind::ToolNotFound,
                    format!("{program} is not installed (not found on PATH)"),
                ),
                _ => FactError::new(FactErrorKind::ToolFailed, format!("cannot run {program}: {e}")),
            })?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(FactError::new(FactErrorKind::ToolFailed, format!("cannot read the output of {program}")));
        };
        let cap = self.max_output_bytes;
        let finished = async {
            // Whichever stream passes the cap ends the wait at once; the child is then killed
            // when it is dropped.
            let (out, err) = tokio::try_join!(read_stream(stdout, cap), read_stream(stderr, cap))?;
            let status = child.wait().await.map_err(Capped::Io)?;
            Ok::<_, Capped>((status, out, err))
        };
        match tokio::time::timeout(budget, finished).await {
            Err(_) => Err(FactError::new(FactErrorKind::Timeout, format!("`{command}` took longer than {budget:?}"))),
            Ok(Err(Capped::TooLarge)) => {
                Err(FactError::new(FactErrorKind::OutputTooLarge, format!("`{command}` printed more than {cap} bytes")))
            }
            Ok(Err(Capped::Io(e))) => Err(FactError::new(FactErrorKind::ToolFailed, format!("`{command}`: {e}"))),
            Ok(Ok((status, out, err))) => Ok(ToolOutput {
                code: status.code(),
                stdout: String::from_utf8_lossy(&out).into_owned(),
                stderr: String::from_utf8_lossy(&err).into_owned(),
            }),
        }
    }
}

enum Capped {
    TooLarge,
    Io(std::io::Error),
}

fn read_capped(path: &Path, cap: usize) -> Result<Vec<u8>, Capped> {
    let file = std::fs::File::open(path).map_err(Capped::Io)?;
    let mut bytes = Vec::new();
    file.take(cap as u64 + 1).read_to_end(&mut bytes).map_err(Capped::Io)?;
    if bytes.len() > cap { Err(Capped::TooLarge) } else { Ok(bytes) }
}

async fn read_stream(stream: impl AsyncRead + Unpin, cap: usize) -> Result<Vec<u8>, Capped> {
    let mut bytes = Vec::new();
    stream.take(cap as u64 + 1).read_to_end(&mut bytes).await.map_err(Capped::Io)?;
    if bytes.len() > cap { Err(Capped::TooLarge) } else { Ok(bytes) }
}

fn file_error(path: &str, e: &std::io::Error) -> FactError {
    match e.kind() {
        std::io::ErrorKind::NotFound => FactError::new(FactErrorKind::FileNotFound, format!("{path} does not exist")),
        _ => FactError::new(FactErrorKind::FileUnreadable, format!("cannot read {path}: {e}")),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("(nothing printed)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Sources {
        Sources { timeout: Duration::from_millis(300), max_output_bytes: 64 * 1024, ..Sources::local() }
    }

    #[tokio::test]
    async fn a_program_that_hangs_is_a_timeout() {
        let started = Instant::now();
        let e = quick().run("sleep", &["30"]).await.unwrap_err();
        assert_eq!(e.kind, FactErrorKind::Timeout, "{e}");
        assert!(e.message.contains("sleep 30"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(20), "the wait was not cut short");
    }

    #[tokio::test]
    async fn a_program_that_prints_without_end_is_cut_off() {
        let e = quick().run("yes", &[]).await.unwrap_err();
        assert_eq!(e.kind, FactErrorKind::OutputTooLarge, "{e}");
    }

    #[tokio::test]
    async fn a_missing_program_is_named() {
        let e = quick().run("vigil-no-such-tool", &["--help"]).await.unwrap_err();
        assert_eq!(e.kind, FactErrorKind::ToolNotFound);
        assert!(e.message.contains("vigil-no-such-tool"));
    }

    #[tokio::test]
    async fn a_failing_program_is_an_answer_with_its_exit_code() {
        let out = quick().run("sh", &["-c", "echo out; echo 'it broke' >&2; exit 3"]).await.unwrap();
        assert_eq!(out.code, Some(3));
        assert_eq!(out.stdout, "out\n");
        let e = out.failure("sh");
        assert_eq!(e.kind, FactErrorKind::ToolFailed);
        assert!(e.message.contains("exited with 3: it broke"), "{e}");
    }

    #[tokio::test]
    async fn files_are_read_under_the_root_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/hosts"), "127.0.0.1 localhost\n").unwrap();
        std::fs::write(dir.path().join("etc/big"), vec![b'x'; 64 * 1024 + 1]).unwrap();
        let sources = Sources { root: dir.path().into(), ..quick() };
        assert_eq!(sources.read_file("/etc/hosts").await.unwrap(), "127.0.0.1 localhost\n");
        assert_eq!(sources.read_file("/etc/big").await.unwrap_err().kind, FactErrorKind::OutputTooLarge);
        assert_eq!(sources.read_file("/etc/nothing").await.unwrap_err().kind, FactErrorKind::FileNotFound);
        assert_eq!(sources.read_file("/etc").await.unwrap_err().kind, FactErrorKind::FileUnreadable);
    }

    #[tokio::test]
    async fn nothing_starts_past_the_deadline() {
        let sources = Sources { deadline: Some(Instant::now()), ..quick() };
        assert_eq!(sources.run("true", &[]).await.unwrap_err().kind, FactErrorKind::Timeout);
        assert_eq!(sources.read_file("/etc/hosts").await.unwrap_err().kind, FactErrorKind::Timeout);
    }
}
