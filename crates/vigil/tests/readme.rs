//! The README is checked against the binary, so that it cannot drift from it again: its
//! configuration example loads, every `vigil` command it shows exists, and the Quick
//! start's commands run against a scratch data directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap()
}

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// The fenced code blocks of `text` in `language`.
fn blocks<'a>(text: &'a str, language: &str) -> Vec<&'a str> {
    let fence = format!("```{language}\n");
    text.split(fence.as_str()).skip(1).map(|rest| rest.split("```").next().unwrap()).collect()
}

fn vigil(args: &[&str]) -> Output {
    Command::new(VIGIL).args(args).env("VIGIL_LOG", "warn").stdin(Stdio::null()).output().unwrap()
}

fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

// Regression: the configuration example had `parked_expiry` and `deregistration_debounce`
// twice, so copied into a file and passed with `--config` it failed with "duplicate key".
#[test]
fn every_toml_block_of_the_readme_is_a_configuration_the_binary_accepts() {
    let text = readme();
    let tomls = blocks(&text, "toml");
    assert!(!tomls.is_empty(), "the README shows its configuration");
    let dir = tempfile::tempdir().unwrap();
    for (i, block) in tomls.iter().enumerate() {
        let file = dir.path().join(format!("readme-{i}.toml"));
        std::fs::write(&file, block).unwrap();
        // A rules file, not a configuration: checked as the server loads it.
        let rules_file = block.lines().any(|l| matches!(l.trim(), "[[rule]]" | "[[operation]]"));
        if rules_file {
            let output = vigil(&["actions", "check", file.to_str().unwrap()]);
            succeeded(&output, &format!("vigil actions check with the README's block {i}:\n{block}"));
            continue;
        }
        // Every command loads the file before it does anything else.
        let data = dir.path().join(format!("data-{i}"));
        let output =
            vigil(&["--config", file.to_str().unwrap(), "keys", "rotate", "--data-dir", data.to_str().unwrap()]);
        succeeded(&output, &format!("vigil --config with the README's block {i}:\n{block}"));
    }
}

/// The subcommand words of a shell line that runs `vigil` (`vigil events list --type X` →
/// `["events", "list"]`), up to the first flag or argument.
fn subcommand_of(line: &str) -> Option<Vec<String>> {
    let at = line.find("vigil ")?;
    if at > 0 && !line[..at].ends_with([' ', '(', '$']) {
        return None;
    }
    let words: Vec<String> = line[at + "vigil ".len()..]
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !w.starts_with('-'))
        .take(2)
        .map(str::to_owned)
        .collect();
    (!words.is_empty()).then_some(words)
}

#[test]
fn every_vigil_command_the_readme_shows_exists() {
    let text = readme();
    let mut seen = Vec::new();
    for block in blocks(&text, "sh") {
        for line in block.lines().map(|l| l.split(" #").next().unwrap().trim()) {
            if let Some(words) = subcommand_of(line) {
                seen.push(words);
            }
        }
    }
    // The command table: `| `vigil keys show\|rotate` | …`.
    for row in text.lines().filter(|l| l.starts_with("| `vigil ")) {
        let cell = row.split('`').nth(1).unwrap();
        let mut words = cell.split_whitespace().skip(1);
        let first = words.next().unwrap();
        match words.next().filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_lowercase())) {
            Some(alternatives) => {
                for second in alternatives.split("\\|") {
                    seen.push(vec![first.to_owned(), second.to_owned()]);
                }
            }
            None => seen.push(vec![first.to_owned()]),
        }
    }
    assert!(seen.len() >= 10, "the README shows its commands: {seen:?}");
    seen.sort();
    seen.dedup();
    for words in &seen {
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        succeeded(&vigil(&args), &format!("vigil {}", args.join(" ")));
    }
}

#[test]
fn the_quick_start_runs_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("vigil-data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let data_arg = data.to_str().unwrap();
    // `vigil serve &`
    let server = Command::new(VIGIL)
        .args(["serve", "--data-dir", data_arg, "--listen", &format!("127.0.0.1:{port}")])
        .env("VIGIL_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Reaper(std::process::Child);
    impl Drop for Reaper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Reaper(server);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "vigil serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    // `vigil keys show`
    let key = succeeded(&vigil(&["keys", "show", "--data-dir", data_arg]), "vigil keys show");
    assert!(key.trim().starts_with("vigil_"), "{key}");
    // `TOKEN=$(vigil tokens create --role admin --name me)`
    let token = succeeded(
        &vigil(&["tokens", "create", "--role", "admin", "--name", "me", "--data-dir", data_arg]),
        "vigil tokens create",
    );
    assert!(token.trim().starts_with("vgt_"), "{token}");
    // `vigil replay ../shared/fixtures/trento/scenarios/hana-scale-up-angi`
    let scenario = fixtures().join("scenarios/hana-scale-up-angi");
    let n_files = std::fs::read_dir(&scenario).unwrap().count();
    let replay = succeeded(
        &vigil(&["replay", scenario.to_str().unwrap(), "--server-url", &url, "--api-key", key.trim(), "--json"]),
        "vigil replay",
    );
    let summary: serde_json::Value = serde_json::from_str(&replay).unwrap();
    assert_eq!(summary["files"].as_array().unwrap().len(), n_files, "{summary}");
    assert_eq!(
        summary["accepted"].as_u64().unwrap() as usize,
        n_files,
        "a recorded landscape is accepted whole: {summary}"
    );
    assert_eq!(summary["parked"], serde_json::json!([]), "{summary}");
    // `vigil events list --type HostRegistered`
    let events = succeeded(&vigil(&["events", "list", "--type", "HostRegistered", "--data-dir", data_arg]), "events");
    let hosts = std::fs::read_dir(&scenario)
        .unwrap()
        .filter(|f| f.as_ref().unwrap().file_name().to_string_lossy().ends_with("_host_discovery.json"))
        .count();
    assert_eq!(events.lines().count(), hosts, "one HostRegistered per host discovery:\n{events}");
    for line in events.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["type"], "HostRegistered");
        assert_eq!(event["specversion"], "1.0");
    }
}
