//! Python packages from PyPI for tests, installed once into a virtual environment under
//! the target directory. Uses only std, so another crate's tests can include this file as
//! it is (`#[path = "…/python.rs"] mod python;`).
//!
//! Where there is no Python at all, or `VIGIL_SKIP_PYTHON_TESTS` is set, [`venv`] answers
//! `None` and says on stderr that the test is skipped and why; a failed install is a
//! failure, not a skip (as the schemathesis test of the binary does it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The interpreter of a virtual environment holding `requirements` (pinned, `name==version`),
/// made on first use under `CARGO_TARGET_TMPDIR` and reused after; `None` when skipped.
/// `purpose` completes "skipped: … cannot run" in the message.
pub fn venv(requirements: &[&str], purpose: &str) -> Option<PathBuf> {
    if std::env::var_os("VIGIL_SKIP_PYTHON_TESTS").is_some() {
        eprintln!("SKIPPED: VIGIL_SKIP_PYTHON_TESTS is set, so {purpose} cannot run");
        return None;
    }
    // Tests of one binary run on parallel threads; binaries may run in parallel too, so the
    // environment is made under a temporary name and renamed into place.
    static MAKING: Mutex<()> = Mutex::new(());
    let _making = MAKING.lock().unwrap_or_else(|e| e.into_inner());
    let name = requirements.join("+").replace("==", "-");
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("py-{name}"));
    let python = venv.join("bin/python");
    if python.exists() {
        return Some(python);
    }
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIPPED: there is no python3 on this machine, so {purpose} cannot run");
        return None;
    }
    let making = venv.with_file_name(format!("py-{name}.making-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&making);
    let created = Command::new("python3").args(["-m", "venv"]).arg(&making).output().unwrap();
    if !created.status.success() {
        eprintln!(
            "SKIPPED: python3 cannot make a virtual environment (on Debian: apt-get install python3-venv), \
             so {purpose} cannot run: {}",
            String::from_utf8_lossy(&created.stderr).trim()
        );
        return None;
    }
    let installed = Command::new(making.join("bin/python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
        .args(requirements)
        .output()
        .unwrap();
    if !installed.status.success() {
        let _ = std::fs::remove_dir_all(&making);
        panic!(
            "could not install {} from PyPI (set VIGIL_SKIP_PYTHON_TESTS=1 to skip {purpose}): {}",
            requirements.join(" "),
            String::from_utf8_lossy(&installed.stderr)
        );
    }
    // Another process may have finished first; its environment is as good as ours.
    if std::fs::rename(&making, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&making);
    }
    assert!(python.exists(), "{} was not made", venv.display());
    Some(python)
}

/// A fresh, empty directory under `CARGO_TARGET_TMPDIR` for one test's files.
pub fn scratch_dir(prefix: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{prefix}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
