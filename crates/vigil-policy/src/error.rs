//! The one error type of this crate.

use std::path::PathBuf;

/// Why loading, compiling or evaluating policies failed.
///
/// A compile error leaves the [`crate::PolicyRepository`] on its previous revision, so the
/// caller can report it and carry on; an evaluation error means no decision was reached and
/// the caller must fail closed (deny the command, hold the action).
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The engine rejected the modules. `message` is the engine's own text, which names the
    /// file, line and column and quotes the offending source line.
    #[error("policy does not compile: {message}")]
    Compile {
        /// The engine's message, including `--> file:line:column`.
        message: String,
    },

    /// A module was refused before the engine saw it: its source is too large or its
    /// brackets nest too deep (see [`crate::PolicyLimits`]).
    #[error("policy {path} is refused: {message}")]
    TooComplex {
        /// The module's path, quoted (and shortened).
        path: String,
        /// Which limit it exceeds.
        message: String,
    },

    /// Compiling the set (or running its tests, or a query) took longer than
    /// [`crate::PolicyLimits::timeout`]; it was abandoned.
    #[error("policy compilation did not finish within {timeout:?}; the set is refused")]
    Timeout {
        /// The deadline that passed.
        timeout: std::time::Duration,
    },

    /// Too many engine threads are alive (some possibly abandoned past their deadline).
    #[error("too many policy compilations in progress (at most {max}); try again later")]
    Busy {
        /// [`crate::MAX_ENGINE_THREADS`].
        max: usize,
    },

    /// A module path does not follow the grammar of [`crate::validate_policy_path`].
    #[error("invalid policy path {path}: {reason}")]
    InvalidPath {
        /// The path, quoted (and shortened).
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A policy file or directory could not be read.
    #[error("cannot read policy {path}")]
    Io {
        /// The file or directory that failed.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A policy file is not UTF-8 text.
    #[error("policy {path} is not UTF-8 text")]
    NotUtf8 {
        /// The offending file.
        path: PathBuf,
    },

    /// A directory meant to hold a bundle has no `.rego` file: loading it would silently
    /// replace every rule with nothing, which under default-deny denies everything.
    #[error("no .rego files in {dir}")]
    EmptyDirectory {
        /// The directory that was searched.
        dir: PathBuf,
    },

    /// An input document could not be handed to the engine.
    #[error("invalid policy input: {message}")]
    InvalidInput {
        /// Why the conversion failed.
        message: String,
    },

    /// Evaluating a compiled policy failed at run time (a builtin error, an unknown
    /// function reached for the first time, conflicting rule values).
    #[error("policy {policy} failed to evaluate: {message}")]
    Evaluation {
        /// The package or query being evaluated, e.g. `vigil.authz`.
        policy: String,
        /// The engine's message.
        message: String,
    },

    /// A policy produced a value of the wrong shape, e.g. a non-boolean `allow`.
    #[error("policy {policy} returned an invalid {rule}: {message}")]
    InvalidResult {
        /// The package, e.g. `vigil.authz`.
        policy: String,
        /// The rule whose value is wrong, e.g. `allow`.
        rule: String,
        /// What was expected and what came back.
        message: String,
    },
}

impl PolicyError {
    /// Build a [`PolicyError::Compile`] from an engine error. The engine's alternate form
    /// keeps the whole chain: the location block first, the explanation last.
    pub(crate) fn compile(error: &anyhow::Error) -> Self {
        Self::Compile { message: render(error) }
    }

    /// Build a [`PolicyError::Evaluation`] from an engine error.
    pub(crate) fn evaluation(policy: &str, error: &anyhow::Error) -> Self {
        Self::Evaluation { policy: policy.to_owned(), message: render(error) }
    }
}

/// The engine starts its messages with a newline before the `--> file:line:col` line; a
/// log line or an HTTP body reads better without it.
fn render(error: &anyhow::Error) -> String {
    format!("{error:#}").trim().to_owned()
}
