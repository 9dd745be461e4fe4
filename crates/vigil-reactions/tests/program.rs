//! The program kind with real programs: shell scripts written by each test, run by
//! `/bin/sh` (the script is the program's first argument, so no test execs a file another
//! thread may still hold open for writing).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;
use vigil_reactions::action::{Action, ActionError, ActionRequest};
use vigil_reactions::kinds::{ProgramAction, ProgramSpec, Programs};

fn event() -> Value {
    json!({
        "specversion": "1.0",
        "id": "0190f0e0-0000-7000-8000-00000000f00d",
        "source": "/vigil/hosts",
        "type": "OperationRequested",
        "subject": "host-1",
        "data": {"operation": "saptune_apply", "text": "a b; $(touch /tmp/pwned) `id` \"q\" 'q'"},
    })
}

struct Script {
    dir: tempfile::TempDir,
}

impl Script {
    fn new(body: &str) -> Script {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("action.sh"), body).unwrap();
        Script { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("action.sh")
    }

    fn spec(&self, args: &[&str], timeout: Duration) -> ProgramSpec {
        let mut all = vec![self.path().display().to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        ProgramSpec { program: "/bin/sh".into(), args: all, timeout }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

async fn run_with(spec: &ProgramSpec, event: &Value, execution_id: Uuid) -> Result<Value, ActionError> {
    let action = ProgramAction::new(spec, Programs::Enabled).unwrap();
    let enrichment = json!({});
    let request = ActionRequest { execution_id, attempt: 3, rule: "operate", event, enrichment: &enrichment };
    action.run(&request).await.map(|output| output.detail)
}

async fn run(spec: &ProgramSpec) -> Result<Value, ActionError> {
    run_with(spec, &event(), Uuid::now_v7()).await
}

#[tokio::test]
async fn exit_0_succeeds_with_the_event_on_stdin_each_rendered_argument_whole_and_the_output_kept() {
    let script = Script::new(
        "for arg in \"$@\"; do printf '<%s>\\n' \"$arg\"; done\n\
         cat > \"$(dirname \"$0\")/stdin.json\"\n\
         echo \"id=$VIGIL_EXECUTION_ID attempt=$VIGIL_ATTEMPT rule=$VIGIL_RULE\"\n\
         echo 'a warning' >&2\n",
    );
    let execution = Uuid::now_v7();
    let spec = script.spec(
        &["{{ event.subject }}", "{{ event.data.text }}", "--op={{ event.data.operation }}"],
        Duration::from_secs(5),
    );
    let detail = run_with(&spec, &event(), execution).await.unwrap();

    let text = event()["data"]["text"].as_str().unwrap().to_owned();
    assert_eq!(detail["exit_code"], 0);
    assert_eq!(
        detail["stdout"],
        format!("<host-1>\n<{text}>\n<--op=saptune_apply>\nid={execution} attempt=3 rule=operate\n")
    );
    assert_eq!(detail["stderr"], "a warning\n");
    assert_eq!(detail.get("truncated"), None);
    let stdin: Value = serde_json::from_str(&std::fs::read_to_string(script.file("stdin.json")).unwrap()).unwrap();
    assert_eq!(stdin, event());
    assert!(!Path::new("/tmp/pwned").exists());
}

#[tokio::test]
async fn a_non_zero_exit_is_worth_retrying_and_says_the_status_and_stderr() {
    let script = Script::new("echo 'disk full on /hana/data' >&2\nexit 3\n");
    let error = run(&script.spec(&[], Duration::from_secs(5))).await.unwrap_err();
    assert!(
        matches!(&error, ActionError::Retryable(m) if m.contains("status 3") && m.contains("disk full on /hana/data")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_program_killed_by_a_signal_is_worth_retrying() {
    let script = Script::new("kill -TERM $$\n");
    let error = run(&script.spec(&[], Duration::from_secs(5))).await.unwrap_err();
    assert!(matches!(&error, ActionError::Retryable(m) if m.contains("signal 15")), "{error:?}");
}

/// The script leaves a child behind it; at the timeout both are killed, and the attempt
/// ends within its timeout and a short margin.
#[tokio::test]
async fn a_program_past_its_timeout_is_killed_with_its_process_group() {
    let script = Script::new("sleep 30 &\necho $! > \"$(dirname \"$0\")/child.pid\"\necho started\nwait\n");
    let started = Instant::now();
    let error = run(&script.spec(&[], Duration::from_millis(500))).await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(&error, ActionError::Retryable(m) if m.contains("killed")), "{error:?}");
    assert!(took >= Duration::from_millis(490) && took < Duration::from_millis(2000), "{took:?}");

    let child: i32 = std::fs::read_to_string(script.file("child.pid")).unwrap().trim().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(child) {
        assert!(Instant::now() < deadline, "the script's child {child} outlived the timeout");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` runs (a zombie waiting for its reaper does not).
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
    }
}

#[tokio::test]
async fn a_chatty_program_is_not_blocked_and_its_output_is_cut_at_the_cap() {
    let script = Script::new("head -c 1000000 /dev/zero | tr '\\0' x\nhead -c 300000 /dev/zero | tr '\\0' e >&2\n");
    let detail = run(&script.spec(&[], Duration::from_secs(10))).await.unwrap();
    assert_eq!(detail["stdout"].as_str().unwrap().len(), 16 * 1024);
    assert_eq!(detail["truncated"], json!({"stdout_bytes": 1_000_000, "stderr_bytes": 300_000}));
}

#[tokio::test]
async fn a_program_that_does_not_read_its_input_still_succeeds() {
    let script = Script::new("exit 0\n");
    let mut event = event();
    event["data"]["padding"] = json!("p".repeat(1_000_000));
    let detail = run_with(&script.spec(&[], Duration::from_secs(5)), &event, Uuid::now_v7()).await.unwrap();
    assert_eq!(detail["exit_code"], 0);
}

#[tokio::test]
async fn the_server_s_environment_is_not_passed_on() {
    let script = Script::new("env\n");
    let detail = run(&script.spec(&[], Duration::from_secs(5))).await.unwrap();
    let names: Vec<&str> =
        detail["stdout"].as_str().unwrap().lines().filter_map(|line| line.split('=').next()).collect();
    // Cargo runs tests with CARGO_* and HOME set; the program sees none of them.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    for name in &names {
        assert!(
            ["PATH", "PWD", "VIGIL_EXECUTION_ID", "VIGIL_ATTEMPT", "VIGIL_RULE"].contains(name),
            "the program saw {name}: {names:?}"
        );
    }
    assert!(names.contains(&"VIGIL_EXECUTION_ID"));
}

#[tokio::test]
async fn a_program_that_is_missing_or_not_executable_fails_for_good() {
    let missing =
        ProgramSpec { program: "/nonexistent/vigil-action".into(), args: vec![], timeout: Duration::from_secs(1) };
    assert!(matches!(run(&missing).await, Err(ActionError::Permanent(m)) if m.contains("/nonexistent/vigil-action")));
    let script = Script::new("exit 0\n");
    let not_executable = ProgramSpec { program: script.path(), args: vec![], timeout: Duration::from_secs(1) };
    assert!(matches!(run(&not_executable).await, Err(ActionError::Permanent(_))));
}

#[tokio::test]
async fn an_argument_naming_a_missing_field_fails_for_good_and_runs_nothing() {
    let script = Script::new("touch \"$(dirname \"$0\")/ran\"\n");
    let error = run(&script.spec(&["{{ event.data.nope }}"], Duration::from_secs(5))).await.unwrap_err();
    assert!(
        matches!(&error, ActionError::Permanent(m) if m.contains("args[1]") && m.contains("event.data.nope")),
        "{error:?}"
    );
    assert!(!script.file("ran").exists());
}

#[test]
fn programs_are_refused_when_disabled_and_relative_paths_or_bad_templates_always() {
    let spec = ProgramSpec { program: "/bin/true".into(), args: vec![], timeout: Duration::from_secs(1) };
    let refused = ProgramAction::new(&spec, Programs::Disabled).err().unwrap();
    assert!(refused.contains("disabled"), "{refused}");
    ProgramAction::new(&spec, Programs::Enabled).unwrap();
    let relative = ProgramSpec { program: "bin/true".into(), ..spec.clone() };
    assert!(ProgramAction::new(&relative, Programs::Enabled).err().unwrap().contains("absolute"));
    let bad = ProgramSpec { args: vec!["{{ unclosed".into()], ..spec };
    assert!(ProgramAction::new(&bad, Programs::Enabled).err().unwrap().contains("args[0]"));
}
