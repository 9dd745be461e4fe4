//! The domain stays pure: the landscape and the kernel's pure half depend on no async or
//! I/O crate, and their sources read no clock and draw no random ids. Time and ids arrive
//! on the command (`EventMetadata`, `NewEvent::encode`'s id), from the adapters.
//!
//! Both checks look at the crates as written, not at this test binary, so they fail as soon
//! as someone adds such a dependency or call, before any code uses it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates that do I/O, run an async runtime or serve or call over the network. A domain
/// crate that needs one is an architecture change (see `docs/ARCHITECTURE.md`).
const FORBIDDEN_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "async-std",
    "rusqlite",
    "libsqlite3-sys",
    "sqlx",
    "postgres",
    "tokio-postgres",
    "axum",
    "hyper",
    "reqwest",
    "async-nats",
];

/// Calls that read a clock, draw randomness (a UUIDv7 does both) or touch the world.
const FORBIDDEN_CALLS: &[&str] = &[
    "now_v7",
    "new_v4",
    "Utc::now",
    "Local::now",
    "SystemTime::now",
    "Instant::now",
    "thread_rng",
    "rand::",
    "getrandom",
    "std::fs",
    "std::env",
    "std::process",
];

#[test]
fn the_domain_crates_depend_on_no_async_or_io_crate() {
    // The kernel as the domain crates use it: without its `runtime` feature.
    for (package, flags) in [("vigil-landscape", &[][..]), ("vigil-kernel", &["--no-default-features"][..])] {
        let dependencies = normal_dependencies(package, flags);
        assert!(
            dependencies.iter().any(|name| name == "serde"),
            "cargo tree of {package} looks wrong (no serde): {dependencies:?}"
        );
        let forbidden: Vec<&String> =
            dependencies.iter().filter(|name| FORBIDDEN_CRATES.contains(&name.as_str())).collect();
        assert!(
            forbidden.is_empty(),
            "{package} (a domain crate) depends on {forbidden:?}; see `cargo tree -p {package} -e normal -i <crate>`"
        );
    }
}

#[test]
fn the_domain_crates_read_no_clock_and_draw_no_random_ids() {
    let landscape = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crates = landscape.parent().expect("the crate lives in crates/");
    let mut sources = rust_files(&landscape.join("src"));
    let kernel = crates.join("vigil-kernel/src");
    let runtime = runtime_modules(&kernel.join("lib.rs"));
    assert!(runtime.contains(&"command".to_owned()), "the kernel's runtime modules not found: {runtime:?}");
    sources.extend(rust_files(&kernel).into_iter().filter(|path| {
        let module = path.strip_prefix(&kernel).unwrap().components().next().unwrap();
        let module = module.as_os_str().to_string_lossy();
        !runtime.iter().any(|name| module == *name || module == format!("{name}.rs"))
    }));
    assert!(sources.iter().any(|path| path.ends_with("envelope.rs")), "the kernel's envelope is scanned");

    let mut found = Vec::new();
    for path in &sources {
        for (number, line) in non_test_code(&std::fs::read_to_string(path).unwrap()) {
            for call in FORBIDDEN_CALLS.iter().filter(|call| line.contains(*call)) {
                found.push(format!("{}:{number}: {call}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "clock, randomness or I/O in the domain (it arrives on the command):\n{}",
        found.join("\n")
    );
}

/// The names of every crate `package` depends on when built, build and dev dependencies left out.
fn normal_dependencies(package: &str, flags: &[&str]) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .args(flags)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree -p {package} failed: {}", String::from_utf8_lossy(&output.stderr));
    // Each line is `name vX.Y.Z` with an optional path or `(*)` after it.
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The modules `lib.rs` declares behind `#[cfg(feature = "runtime")]`.
fn runtime_modules(lib: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(lib).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|pair| pair[0] == r#"#[cfg(feature = "runtime")]"#)
        .filter_map(|pair| pair[1].strip_prefix("pub mod ").or_else(|| pair[1].strip_prefix("mod ")))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

/// Every `.rs` file under `dir`, except test modules kept in their own `tests.rs` files.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") && !path.ends_with("tests.rs") {
            files.push(path);
        }
    }
    files
}

/// The numbered lines of `source` with comments cut off, up to an inline
/// `#[cfg(test)] mod … {`, which by the house's habit ends a file.
fn non_test_code(source: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = source.lines().collect();
    let mut code = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let next = lines.get(index + 1).map(|next| next.trim()).unwrap_or_default();
        if trimmed == "#[cfg(test)]" && next.starts_with("mod ") && next.ends_with('{') {
            break;
        }
        let without_comment = line.split("//").next().unwrap_or_default();
        code.push((index + 1, without_comment));
    }
    code
}
