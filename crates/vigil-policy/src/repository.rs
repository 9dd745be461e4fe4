//! The live revision: an atomically swappable compiled policy set, and reloading it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::{CompiledPolicies, PolicyError, PolicySet, Revision};

/// Holds the compiled revision every evaluation uses, and swaps in new ones.
///
/// Readers take an `Arc` snapshot with [`PolicyRepository::current`] and evaluate against
/// it without a lock, so a swap never waits for evaluations nor they for it, and one
/// request always sees one revision. A set that fails to compile is rejected and the
/// previous revision stays active: a bad policy push must not take authorization down.
#[derive(Debug)]
pub struct PolicyRepository {
    current: ArcSwap<CompiledPolicies>,
}

impl PolicyRepository {
    /// A repository whose first revision is `set`.
    pub fn new(set: PolicySet) -> Result<Self, PolicyError> {
        Ok(Self { current: ArcSwap::from_pointee(CompiledPolicies::compile(set)?) })
    }

    /// A repository whose first revision is already compiled (see
    /// [`CompiledPolicies::compile_with`]).
    pub fn from_compiled(compiled: CompiledPolicies) -> Self {
        Self { current: ArcSwap::from_pointee(compiled) }
    }

    /// A repository starting on the shipped default bundle.
    pub fn with_default_bundle() -> Result<Self, PolicyError> {
        Self::new(PolicySet::default_bundle())
    }

    /// A repository starting on the `*.rego` files under `dir` (see [`PolicySet::from_dir`]).
    pub fn from_dir(dir: impl AsRef<std::path::Path>) -> Result<Self, PolicyError> {
        Self::new(PolicySet::from_dir(dir)?)
    }

    /// The active revision. Hold the `Arc` for the whole of one request.
    pub fn current(&self) -> Arc<CompiledPolicies> {
        self.current.load_full()
    }

    /// The active revision's id.
    pub fn revision(&self) -> Revision {
        self.current.load().revision().clone()
    }

    /// Compile `set` and make it the active revision.
    ///
    /// Returns the new revision, or the compile error with the previous revision still
    /// active. Replacing with the active revision's own sources changes nothing and does
    /// not recompile.
    pub fn replace(&self, set: PolicySet) -> Result<Revision, PolicyError> {
        let revision = set.revision();
        if *self.current.load().revision() == revision {
            return Ok(revision);
        }
        let compiled = CompiledPolicies::compile(set)?;
        self.current.store(Arc::new(compiled));
        tracing::info!(revision = %revision, "Policy revision activated.");
        Ok(revision)
    }

    /// Make an already compiled revision the active one (compile it with
    /// [`CompiledPolicies::compile_with`] to choose the limits). Returns its revision.
    pub fn activate(&self, compiled: CompiledPolicies) -> Revision {
        let revision = compiled.revision().clone();
        if *self.current.load().revision() != revision {
            self.current.store(Arc::new(compiled));
            tracing::info!(revision = %revision, "Policy revision activated.");
        }
        revision
    }

    /// [`PolicyRepository::replace`] with the `*.rego` files under `dir`.
    pub fn load_dir(&self, dir: impl AsRef<std::path::Path>) -> Result<Revision, PolicyError> {
        self.replace(PolicySet::from_dir(dir)?)
    }
}

/// Reload `dir` into `repository` whenever its `.rego` files change, checking every
/// `interval`.
///
/// It polls: each tick reads the files and compares the revision hash with the last one
/// it saw. That is simple, portable and cheap for bundles of a few dozen files, and it
/// catches changes a file-event API misses (network file systems, atomic renames of
/// whole directories). A revision that fails to load is logged once and retried only when
/// the files change again; the repository keeps its previous revision meanwhile.
///
/// The task runs until aborted through the returned handle. Must be called within a
/// Tokio runtime; reading and compiling happen on the blocking pool.
pub fn watch_dir(
    repository: Arc<PolicyRepository>,
    dir: impl Into<PathBuf>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    let dir = dir.into();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_seen = Some(repository.revision());
        loop {
            ticker.tick().await;
            let repository = Arc::clone(&repository);
            let dir = dir.clone();
            let previous = last_seen.clone();
            let checked = tokio::task::spawn_blocking(move || reload(&repository, &dir, previous)).await;
            match checked {
                Ok(seen) => last_seen = seen,
                Err(error) => {
                    tracing::error!(error = %error, "Policy reload task failed.");
                }
            }
        }
    })
}

/// One poll of [`watch_dir`]: returns the revision now seen on disk (`None` if the
/// directory could not be read, so the next readable state is always tried).
fn reload(repository: &PolicyRepository, dir: &std::path::Path, last_seen: Option<Revision>) -> Option<Revision> {
    let set = match PolicySet::from_dir(dir) {
        Ok(set) => set,
        Err(error) => {
            if last_seen.is_some() {
                tracing::warn!(error = %error, dir = %dir.display(), "Cannot read policy directory; keeping the active revision.");
            }
            return None;
        }
    };
    let revision = set.revision();
    if last_seen.as_ref() == Some(&revision) {
        return last_seen;
    }
    if let Err(error) = repository.replace(set) {
        tracing::warn!(
            error = %error,
            revision = %revision,
            active_revision = %repository.revision(),
            "Policy change rejected; keeping the active revision."
        );
    }
    Some(revision)
}
