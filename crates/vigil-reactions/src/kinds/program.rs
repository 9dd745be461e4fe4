//! `program`: run a local program with the event on stdin. Off unless the configuration
//! enables it, and admitted by policy like every action.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
