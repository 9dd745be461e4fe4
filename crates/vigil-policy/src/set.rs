//! Policy sets: the Rego sources of one revision, and where they come from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::PolicyError;

/// A set of Rego modules, keyed by path, that is compiled and evaluated as one revision.
///
/// Paths are labels: they appear in compile errors and decide the revision, but nothing
/// is read from them. A `BTreeMap` keeps them sorted, which is what makes the revision a
/// function of the contents alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicySet {
    modules: BTreeMap<String, String>,
}

/// The identity of a [`PolicySet`]: SHA-256, in lowercase hex, over its sorted
/// `(path, source)` pairs.
///
/// Each path and source is hashed after its length (8 bytes, big-endian), so no two
/// different sets hash the same input bytes: `("a", "bc")` and `("ab", "c")` differ.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Revision(String);

/// The bundle shipped with Vigil, embedded so a fresh install has working policies without
/// a policy directory. Test modules are included so `vigil policy test` can check it.
const DEFAULT_BUNDLE: [(&str, &str); 7] = [
    ("default/admission.rego", include_str!("../policies/default/admission.rego")),
    ("default/admission_test.rego", include_str!("../policies/default/admission_test.rego")),
    ("default/audit.rego", include_str!("../policies/default/audit.rego")),
    ("default/audit_test.rego", include_str!("../policies/default/audit_test.rego")),
    ("default/authz.rego", include_str!("../policies/default/authz.rego")),
    ("default/authz_test.rego", include_str!("../policies/default/authz_test.rego")),
    ("default/sla.rego", include_str!("../policies/default/sla.rego")),
];

impl PolicySet {
    /// An empty set. Compiled, it denies every command (no `allow` rule) and admits no
    /// action; it is mostly useful as a start for [`PolicySet::insert`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A set from `(path, source)` pairs. A repeated path keeps its last source.
    pub fn from_modules<P, S>(modules: impl IntoIterator<Item = (P, S)>) -> Self
    where
        P: Into<String>,
        S: Into<String>,
    {
        Self { modules: modules.into_iter().map(|(path, source)| (path.into(), source.into())).collect() }
    }

    /// The default bundle shipped in this crate (`policies/default/`), tests included.
    pub fn default_bundle() -> Self {
        Self::from_modules(DEFAULT_BUNDLE)
    }

    /// Every `*.rego` file under `dir`, recursively, keyed by its path relative to `dir`
    /// with `/` separators.
    ///
    /// Test modules (`*_test.rego`) are loaded too: the same set then serves
    /// [`crate::run_tests`] and the repository, and the revision names exactly what is on
    /// disk. Entries whose name starts with `.` are skipped, since editors write their
    /// temporary and lock files that way. A directory without any `.rego` file is an error
    /// rather than an empty set, because swapping in nothing would deny every command.
    /// A file whose label does not follow [`crate::validate_policy_path`] (a space, a
    /// non-ASCII letter) is [`PolicyError::InvalidPath`].
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let dir = dir.as_ref();
        let mut set = Self::new();
        collect_rego_files(dir, dir, &mut set)?;
        if set.is_empty() {
            return Err(PolicyError::EmptyDirectory { dir: dir.to_path_buf() });
        }
        Ok(set)
    }

    /// Add or replace one module.
    pub fn insert(&mut self, path: impl Into<String>, source: impl Into<String>) {
        self.modules.insert(path.into(), source.into());
    }

    /// The modules, sorted by path.
    pub fn modules(&self) -> impl Iterator<Item = (&str, &str)> {
        self.modules.iter().map(|(path, source)| (path.as_str(), source.as_str()))
    }

    /// The source of the module at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.modules.get(path).map(String::as_str)
    }

    /// How many modules the set holds.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the set holds no module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The revision id of this set; see [`Revision`].
    pub fn revision(&self) -> Revision {
        let mut hasher = Sha256::new();
        for (path, source) in &self.modules {
            for part in [path, source] {
                hasher.update((part.len() as u64).to_be_bytes());
                hasher.update(part.as_bytes());
            }
        }
        Revision(hex::encode(hasher.finalize()))
    }
}

impl Revision {
    /// The revision as lowercase hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn collect_rego_files(root: &Path, dir: &Path, set: &mut PolicySet) -> Result<(), PolicyError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PolicyError::Io { path, source }
    };
    let entries = std::fs::read_dir(dir).map_err(io_error(dir))?;
    for entry in entries {
        let entry = entry.map_err(io_error(dir))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // `metadata` follows symlinks, so a bundle may link shared modules in.
        let metadata = std::fs::metadata(&path).map_err(io_error(&path))?;
        if metadata.is_dir() {
            collect_rego_files(root, &path, set)?;
        } else if metadata.is_file() && path.extension().is_some_and(|ext| ext == "rego") {
            let bytes = std::fs::read(&path).map_err(io_error(&path))?;
            let source = String::from_utf8(bytes).map_err(|_| PolicyError::NotUtf8 { path: path.clone() })?;
            let label = relative_label(root, &path);
            crate::validate_policy_path(&label)?;
            set.insert(label, source);
        }
    }
    Ok(())
}

/// The module label of a file: its path under the bundle root with `/` separators, so a
/// bundle has the same revision on every platform and wherever it is checked out.
fn relative_label(root: &Path, path: &Path) -> String {
    let relative: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    relative.components().map(|component| component.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
