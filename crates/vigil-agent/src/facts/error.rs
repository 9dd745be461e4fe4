//! What a fact is when it could not be gathered: a kind a check can branch on, and a message
//! a person can act on.

use serde::{Deserialize, Serialize};

/// Why a fact has no value. A check reports it as such ("facts not gathered"), so every
/// failure on the agent's side, from a missing tool to a garbled file, ends here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct FactError {
    /// The kind, as `type` on the wire.
    #[serde(rename = "type")]
    pub kind: FactErrorKind,
    /// What happened, naming the file, tool, key or line.
    pub message: String,
}

/// The closed set of failure kinds (snake_case on the wire), so that checks and the server can
/// tell a missing package from a broken agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactErrorKind {
    /// No gatherer of that name.
    UnknownGatherer,
    /// The gatherer needs an argument and got none.
    MissingArgument,
    /// The argument is not one the gatherer accepts (bad characters, unknown sub-command).
    InvalidArgument,
    /// The file does not exist.
    FileNotFound,
    /// The file exists but cannot be read (permissions, a directory, an I/O error).
    FileUnreadable,
    /// The program is not installed (not on `PATH`).
    ToolNotFound,
    /// The program ran and failed (non-zero exit with nothing usable printed).
    ToolFailed,
    /// The program or the read did not finish in time.
    Timeout,
    /// The output or file is larger than the agent accepts.
    OutputTooLarge,
    /// The output or file is not in the expected format.
    ParseError,
    /// The source was read, but the key or path asked for is not in it.
    ValueNotFound,
    /// The package asked for is not installed.
    PackageNotInstalled,
}

impl FactErrorKind {
    /// The wire name (`file_not_found`).
    pub fn as_str(self) -> &'static str {
        match self {
            FactErrorKind::UnknownGatherer => "unknown_gatherer",
            FactErrorKind::MissingArgument => "missing_argument",
            FactErrorKind::InvalidArgument => "invalid_argument",
            FactErrorKind::FileNotFound => "file_not_found",
            FactErrorKind::FileUnreadable => "file_unreadable",
            FactErrorKind::ToolNotFound => "tool_not_found",
            FactErrorKind::ToolFailed => "tool_failed",
            FactErrorKind::Timeout => "timeout",
            FactErrorKind::OutputTooLarge => "output_too_large",
            FactErrorKind::ParseError => "parse_error",
            FactErrorKind::ValueNotFound => "value_not_found",
            FactErrorKind::PackageNotInstalled => "package_not_installed",
        }
    }
}

impl std::fmt::Display for FactErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FactError {
    /// An error of `kind` with `message`.
    pub fn new(kind: FactErrorKind, message: impl Into<String>) -> Self {
        FactError { kind, message: message.into() }
    }
}

/// A parser's refusal: the line (1-based, 0 for the whole text) and why. The gatherer turns
/// it into a [`FactErrorKind::ParseError`] naming the source.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    /// 1-based line number, 0 when the text as a whole is wrong.
    pub line: usize,
    /// What was expected.
    pub reason: String,
}

impl ParseError {
    /// A refusal at `line`.
    pub fn at(line: usize, reason: impl Into<String>) -> Self {
        ParseError { line, reason: reason.into() }
    }

    /// The fact error for this refusal in `source` (a path or a command line).
    pub fn in_source(&self, source: &str) -> FactError {
        FactError::new(FactErrorKind::ParseError, format!("{source}: {self}"))
    }
}
