//! The actions engine end to end on a real SQLite file: dispatch, leases, retries, dead
//! letters, redrive, restarts, admission and rules changing while events flow. The action
//! kind here is a scripted one that counts its runs (the real kinds have tests of their own
//! against a real SMTP server and HTTP receivers); everything else is the real thing.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use uuid::Uuid;
use vigil_kernel::envelope::{NewEvent, RecordedEvent};
use vigil_kernel::projection::ProjectionRunner;
use vigil_kernel::store::{EventStore, ExpectedVersion};
use vigil_policy::{AdmissionInput, PolicyLimits, PolicyRepository, PolicySet};
use vigil_reactions::action::{Action, ActionError, ActionOutput, ActionRequest};
use vigil_reactions::book::RuleBook;
use vigil_reactions::dispatch::Dispatcher;
use vigil_reactions::execution::Status;
use vigil_reactions::ports::{ActionKinds, Admission, AdmissionDecision, AuditTrail, Commands, Lookup, Ports};
use vigil_reactions::rule::{ActionSpec, Rule, RuleSet};
use vigil_reactions::store::{ExecutionFilter, ExecutionStore};
use vigil_reactions::worker::{Worker, WorkerConfig};
use vigil_store::sqlite::{Db, DbOptions};
use vigil_store::{Durability, SqliteEventStore};

/// Every run of the scripted kind: (execution, attempt).
type Runs = Arc<Mutex<Vec<(Uuid, u32)>>>;

/// A webhook whose URL says how it behaves: `test://ok`, `test://fail` (always, retryable),
/// `test://fail-once` (the first attempt of each execution), `test://permanent`,
/// `test://slow` (sleeps a minute).
struct Scripted {
    url: String,
    runs: Runs,
    urls: Urls,
}

/// Every URL run, in order (to tell workflow steps apart).
type Urls = Arc<Mutex<Vec<String>>>;

#[async_trait]
impl Action for Scripted {
    async fn run(&self, request: &ActionRequest<'_>) -> Result<ActionOutput, ActionError> {
        self.runs.lock().unwrap().push((request.execution_id, request.attempt));
        self.urls.lock().unwrap().push(self.url.clone());
        match self.url.as_str() {
            "test://ok" => Ok(ActionOutput { detail: json!({"status": 200}) }),
            "test://fail" => Err(ActionError::Retryable("receiver answered 500".into())),
            "test://fail-once" if request.attempt == 1 => Err(ActionError::Retryable("receiver answered 503".into())),
            "test://fail-once" => Ok(ActionOutput { detail: json!({"status": 200}) }),
            "test://permanent" => Err(ActionError::Permanent("receiver answered 404".into())),
            "test://slow" => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(ActionOutput::default())
            }
            other => Err(ActionError::Permanent(format!("unknown script {other}"))),
        }
    }
}

struct Kinds {
    runs: Runs,
    urls: Urls,
}

#[async_trait]
impl ActionKinds for Kinds {
    fn build(&self, spec: &ActionSpec) -> Result<Arc<dyn Action>, String> {
        match spec {
            ActionSpec::Webhook(hook) => {
                Ok(Arc::new(Scripted { url: hook.url.clone(), runs: self.runs.clone(), urls: self.urls.clone() }))
            }
            other => Err(format!("{} is not scripted here", other.kind())),
        }
    }

    async fn enrich_http(&self, _: &str, _: Duration, _: &Value) -> Result<Value, ActionError> {
        Err(ActionError::Permanent("no HTTP enrichment here".into()))
    }
}

/// The real admission policy (the default bundle plus whatever a test adds).
struct Policy(PolicyRepository);

#[async_trait]
impl Admission for Policy {
    async fn admit(&self, input: AdmissionInput) -> Result<AdmissionDecision, String> {
        let decision = self.0.current().admit(&input).map_err(|e| e.to_string())?;
        Ok(AdmissionDecision {
            allow: decision.allow == Some(true),
            reasons: decision.reasons,
            decision_id: decision.decision_id,
        })
    }
}

struct Nothing;

#[async_trait]
impl Lookup for Nothing {
    async fn lookup(&self, _: &str, _: &str) -> Result<Option<Value>, String> {
        Ok(None)
    }
}

#[async_trait]
impl Commands for Nothing {
    async fn submit(&self, command: &str, _: Value, _: Uuid, _: &Value) -> Result<Value, ActionError> {
        Err(ActionError::Permanent(format!("no command {command} here")))
    }
}

#[derive(Default)]
struct Audit(Mutex<Vec<Value>>);

#[async_trait]
impl AuditTrail for Audit {
    async fn record(&self, _: &str, body: Value) -> Result<(), String> {
        self.0.lock().unwrap().push(body);
        Ok(())
    }
}

/// One running actions service on a data file.
struct Service {
    store: Arc<dyn EventStore>,
    executions: ExecutionStore,
    book: Arc<RuleBook>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    audit: Arc<Audit>,
}

fn rule(name: &str, on: &str, url: &str, extra: &str) -> Rule {
    let text = format!(
        "[[rule]]\nname = \"{name}\"\non = \"{on}\"\nmax_attempts = 3\nbackoff = {{ initial = \"20ms\", max = \"100ms\" }}\n{extra}\n[rule.action]\nkind = \"webhook\"\nurl = \"{url}\"\n"
    );
    RuleSet::from_toml(&text).unwrap().iter().next().unwrap().clone()
}

async fn start(
    path: &Path,
    rules: Vec<Rule>,
    file: Option<std::path::PathBuf>,
    runs: &Runs,
    policies: PolicySet,
) -> Service {
    start_with(path, rules, file, runs, &Urls::default(), policies).await
}

async fn start_with(
    path: &Path,
    rules: Vec<Rule>,
    file: Option<std::path::PathBuf>,
    runs: &Runs,
    urls: &Urls,
    policies: PolicySet,
) -> Service {
    let db = Db::open(path, DbOptions { durability: Durability::Full, ..DbOptions::default() }).unwrap();
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(db.clone()).await.unwrap());
    let executions = ExecutionStore::open(db).await.unwrap();
    executions.start_at(*store.head().borrow()).await.unwrap();
    let kinds = Arc::new(Kinds { runs: runs.clone(), urls: urls.clone() });
    let book = Arc::new(RuleBook::open(Vec::new(), file, rules, PolicyLimits::default(), kinds.clone()).unwrap());
    let audit = Arc::new(Audit::default());
    let ports = Ports {
        admission: Arc::new(Policy(PolicyRepository::new(policies).unwrap())),
        lookup: Arc::new(Nothing),
        commands: Arc::new(Nothing),
        audit: audit.clone(),
        kinds,
    };
    let wake = Arc::new(Notify::new());
    let encode: vigil_reactions::dispatch::Encoder =
        Arc::new(|e: &RecordedEvent| serde_json::to_string(&e.to_cloud_event()).unwrap());
    let dispatcher = Dispatcher::new(executions.clone(), book.clone(), wake.clone(), encode);
    let runner = ProjectionRunner::new(store.clone(), Arc::new(dispatcher), 256);
    let config = WorkerConfig { lease: Duration::from_secs(5), concurrency: 64, poll: Duration::from_millis(50) };
    let worker = Arc::new(Worker::new(executions.clone(), book.clone(), ports, config, wake));
    let (stop, stopped) = watch::channel(false);
    let tasks = vec![tokio::spawn(runner.run(stopped.clone())), tokio::spawn(worker.run(stopped))];
    Service { store, executions, book, stop, tasks, audit }
}

impl Service {
    async fn stop(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
    }

    /// Stops at once, as a crash would: attempts in flight never finish.
    async fn kill(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }

    async fn append(&self, event_type: &str, data: Value) -> Uuid {
        let id = Uuid::now_v7();
        let subject = Uuid::now_v7().to_string();
        let event = NewEvent {
            id,
            event_type: event_type.to_owned(),
            schema_version: 1,
            source: "vigil".into(),
            subject: subject.clone(),
            time: Utc::now(),
            data: data.to_string(),
            correlation_id: None,
            causation_id: None,
        };
        self.store.append(&format!("host-{subject}"), ExpectedVersion::Any, vec![event]).await.unwrap();
        id
    }

    async fn count(&self, status: Status) -> u64 {
        let filter = ExecutionFilter { status: Some(status), limit: 1, ..Default::default() };
        self.executions.list(filter).await.unwrap().1
    }

    async fn wait_for(&self, status: Status, n: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.count(status).await < n {
            assert!(tokio::time::Instant::now() < deadline, "{n} executions never reached {status:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn runs_per_execution(runs: &Runs) -> HashMap<Uuid, Vec<u32>> {
    let mut per = HashMap::<Uuid, Vec<u32>>::new();
    for (id, attempt) in runs.lock().unwrap().iter() {
        per.entry(*id).or_default().push(*attempt);
    }
    per
}

#[tokio::test]
async fn near_simultaneous_events_each_run_once_and_a_redelivery_runs_nothing_again() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Runs::default();
    let service = start(
        &dir.path().join("v.db"),
        vec![rule("hook", "HostHealthChanged", "test://ok", "")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    let appends: Vec<_> =
        (0..100).map(|_| service.append("HostHealthChanged", json!({"health": "critical"}))).collect();
    let ids = futures_join(appends).await;
    service.append("HostRegistered", json!({})).await;
    service.wait_for(Status::Succeeded, 100).await;
    let per = runs_per_execution(&runs);
    assert_eq!(per.len(), 100, "one execution per event, none collapsed");
    assert!(per.values().all(|attempts| attempts == &[1]), "each ran once: {per:?}");
    for id in &ids {
        assert_eq!(service.executions.for_event(*id).await.unwrap().len(), 1);
    }
    assert_eq!(service.audit.0.lock().unwrap().len(), 100, "every execution is an audit record");

    // Redelivery: the dispatcher's checkpoint goes back to where it started.
    let (_, first) = service.executions.positions().await.unwrap();
    service.stop().await;
    let db = Db::open(&dir.path().join("v.db"), DbOptions::default()).unwrap();
    db.write(move |conn| {
        conn.execute("UPDATE projection_checkpoints SET position = ?1 WHERE name = 'actions'", [first as i64])
    })
    .await
    .unwrap()
    .unwrap();
    drop(db);
    let service = start(
        &dir.path().join("v.db"),
        vec![rule("hook", "HostHealthChanged", "test://ok", "")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while service.executions.positions().await.unwrap().0 < first + 101 {
        assert!(tokio::time::Instant::now() < deadline, "the dispatcher never caught up again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(runs.lock().unwrap().len(), 100, "a redelivered event runs nothing twice");
    service.stop().await;
}

async fn futures_join(futures: Vec<impl std::future::Future<Output = Uuid>>) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for future in futures {
        ids.push(future.await);
    }
    ids
}

#[tokio::test]
async fn a_failing_action_is_retried_then_dead_lettered_and_a_redrive_runs_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Runs::default();
    let service = start(
        &dir.path().join("v.db"),
        vec![rule("hook", "HeartbeatFailed", "test://fail", "")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    let event = service.append("HeartbeatFailed", json!({})).await;
    service.wait_for(Status::Dead, 1).await;
    let history = service.executions.for_event(event).await.unwrap();
    let execution = &history[0];
    assert_eq!(execution.attempts, 3);
    let statuses: Vec<_> = execution.history.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["failed", "failed", "failed"]);
    assert!(execution.reason.as_deref().unwrap().contains("attempt 3 of 3 failed: receiver answered 500"));
    let gaps: Vec<_> = execution.history.windows(2).map(|w| w[1].started_at - w[0].finished_at).collect();
    assert!(gaps.iter().all(|gap| gap.num_milliseconds() >= 10), "each retry waited for its backoff: {gaps:?}");

    assert_eq!(service.executions.redrive(Some(execution.id), 2, Utc::now()).await.unwrap(), 1);
    service.wait_for(Status::Dead, 1).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while runs.lock().unwrap().len() < 5 {
        assert!(tokio::time::Instant::now() < deadline, "the redriven execution did not run twice more");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    service.wait_for(Status::Dead, 1).await;
    let execution = service.executions.get(execution.id).await.unwrap().unwrap();
    assert_eq!(execution.attempts, 5);
    assert_eq!(execution.status, Status::Dead);
    service.stop().await;
}

#[tokio::test]
async fn a_permanent_failure_goes_to_the_dead_letters_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Runs::default();
    let service = start(
        &dir.path().join("v.db"),
        vec![rule("hook", "HeartbeatFailed", "test://permanent", "")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    let event = service.append("HeartbeatFailed", json!({})).await;
    service.wait_for(Status::Dead, 1).await;
    let execution = &service.executions.for_event(event).await.unwrap()[0];
    assert_eq!(execution.attempts, 1);
    assert_eq!(execution.history[0].status, "failed_permanently");
    service.stop().await;
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_backoff_keeps_the_schedule_and_runs_the_retry_once() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Runs::default();
    let slow_backoff = |url: &str| {
        let mut r = rule("hook", "HeartbeatFailed", url, "");
        r.backoff.initial = Duration::from_millis(800);
        r.backoff.max = Duration::from_millis(800);
        r
    };
    let service = start(
        &dir.path().join("v.db"),
        vec![slow_backoff("test://fail-once")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    let event = service.append("HeartbeatFailed", json!({})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while runs.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    service.kill().await;
    let pending = {
        let db = Db::open(&dir.path().join("v.db"), DbOptions::default()).unwrap();
        let executions = ExecutionStore::open(db).await.unwrap();
        executions.for_event(event).await.unwrap().remove(0)
    };
    assert_eq!(pending.status, Status::Pending, "the retry is scheduled in the database");
    assert!(pending.due_at.unwrap() > Utc::now(), "and it is not due yet");

    let service = start(
        &dir.path().join("v.db"),
        vec![slow_backoff("test://fail-once")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    service.wait_for(Status::Succeeded, 1).await;
    let execution = service.executions.for_event(event).await.unwrap().remove(0);
    assert_eq!(execution.attempts, 2);
    assert!(
        execution.history[1].started_at >= pending.due_at.unwrap(),
        "the retry waited for its time across the restart"
    );
    assert_eq!(runs_per_execution(&runs)[&execution.id], [1, 2]);
    service.stop().await;
}

#[tokio::test]
async fn an_attempt_cut_off_by_a_crash_is_recorded_as_lease_expired_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Runs::default();
    let service = start(
        &dir.path().join("v.db"),
        vec![rule("hook", "HeartbeatFailed", "test://slow", "")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    let event = service.append("HeartbeatFailed", json!({})).await;
    service.wait_for(Status::Running, 1).await;
    service.kill().await;
    // The rule is fixed before the restart; the execution is never left running.
    let service = start(
        &dir.path().join("v.db"),
        vec![rule("hook", "HeartbeatFailed", "test://ok", "")],
        None,
        &runs,
        PolicySet::default_bundle(),
    )
    .await;
    service.wait_for(Status::Succeeded, 1).await;
    let execution = service.executions.for_event(event).await.unwrap().remove(0);
    let statuses: Vec<_> = execution.history.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["lease_expired", "succeeded"]);
    assert!(execution.history[0].error.as_deref().unwrap().contains("server stopped"));
    service.stop().await;
}

#[tokio::test]
async fn a_denied_action_is_recorded_and_never_run_and_a_false_condition_skips() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Runs::default();
    let mut policies = PolicySet::default_bundle();
    policies.insert(
        "freeze.rego",
        "package vigil.admission\n\ndeny contains \"webhooks are frozen\" if input.action.name == \"frozen\"\n",
    );
    let rules = vec![
        rule("frozen", "HeartbeatFailed", "test://ok", ""),
        rule("critical-only", "HostHealthChanged", "test://ok", "when = 'input.event.data.health == \"critical\"'"),
    ];
    let service = start(&dir.path().join("v.db"), rules, None, &runs, policies).await;
    let denied = service.append("HeartbeatFailed", json!({})).await;
    let passing = service.append("HostHealthChanged", json!({"health": "passing"})).await;
    let critical = service.append("HostHealthChanged", json!({"health": "critical"})).await;
    service.wait_for(Status::Denied, 1).await;
    service.wait_for(Status::Succeeded, 1).await;
    assert_eq!(runs.lock().unwrap().len(), 1, "only the critical change ran");

    let denied = service.executions.for_event(denied).await.unwrap().remove(0);
    assert!(denied.reason.as_deref().unwrap().contains("webhooks are frozen"));
    assert_eq!(denied.history[0].admission.as_ref().unwrap()["allow"], false);
    let passing = service.executions.for_event(passing).await.unwrap().remove(0);
    assert_eq!(passing.status, Status::Skipped);
    assert_eq!(passing.condition.as_ref().unwrap()["holds"], false);
    let critical = service.executions.for_event(critical).await.unwrap().remove(0);
    assert_eq!(critical.condition.as_ref().unwrap()["holds"], true);
    service.stop().await;
}

#[tokio::test]
async fn rules_reloaded_from_their_file_while_events_flow_lose_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let runs = Runs::default();
    let file = dir.path().join("actions.toml");
    let text = |n: u32| {
        format!(
            "# revision {n}\n[[rule]]\nname = \"hook\"\non = \"HostHealthChanged\"\n[rule.action]\nkind = \"webhook\"\nurl = \"test://ok\"\n"
        )
    };
    std::fs::write(&file, text(0)).unwrap();
    let service =
        start(&dir.path().join("v.db"), Vec::new(), Some(file.clone()), &runs, PolicySet::default_bundle()).await;
    let book = service.book.clone();
    let reloads = tokio::spawn(async move {
        let mut reloaded = 0;
        for n in 1..=40 {
            std::fs::write(&file, text(n)).unwrap();
            // A new modification time for every write, whatever the file system's resolution.
            let later = std::time::SystemTime::now() + Duration::from_secs(u64::from(n));
            std::fs::File::options().write(true).open(&file).unwrap().set_modified(later).unwrap();
            if book.reload_file().await.unwrap() {
                reloaded += 1;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        reloaded
    });
    for _ in 0..200 {
        service.append("HostHealthChanged", json!({})).await;
    }
    assert_eq!(reloads.await.unwrap(), 40, "every rewrite was a reload");
    service.wait_for(Status::Succeeded, 200).await;
    assert_eq!(runs_per_execution(&runs).len(), 200);
    service.stop().await;
}

#[test]
fn a_second_rule_for_one_event_type_is_refused_with_the_first_ones_name() {
    let kinds = Arc::new(Kinds { runs: Runs::default(), urls: Urls::default() });
    let rules = vec![rule("one", "HeartbeatFailed", "test://ok", ""), rule("two", "HeartbeatFailed", "test://ok", "")];
    let error = RuleBook::open(Vec::new(), None, rules, PolicyLimits::default(), kinds).err().unwrap();
    assert_eq!(
        error.to_string(),
        "rule two: event type HeartbeatFailed already has rule one (from the API); each event type triggers exactly one action"
    );
}

fn workflow(second: &str) -> Rule {
    let text = format!(
        "[[rule]]\nname = \"flow\"\non = \"HeartbeatFailed\"\n[rule.action]\nkind = \"workflow\"\n[[rule.action.steps]]\nkind = \"webhook\"\nurl = \"test://ok\"\n[[rule.action.steps]]\nkind = \"webhook\"\nurl = \"{second}\"\n"
    );
    RuleSet::from_toml(&text).unwrap().iter().next().unwrap().clone()
}

#[tokio::test]
async fn a_workflow_cut_off_by_a_crash_resumes_at_the_step_it_stopped_at() {
    let dir = tempfile::tempdir().unwrap();
    let (runs, urls) = (Runs::default(), Urls::default());
    let path = dir.path().join("v.db");
    let service =
        start_with(&path, vec![workflow("test://slow")], None, &runs, &urls, PolicySet::default_bundle()).await;
    let event = service.append("HeartbeatFailed", json!({})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !urls.lock().unwrap().contains(&"test://slow".to_owned()) {
        assert!(tokio::time::Instant::now() < deadline, "the second step never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    service.kill().await;
    // The second step is fixed before the restart; the first one must not run again.
    let service =
        start_with(&path, vec![workflow("test://fail-once")], None, &runs, &urls, PolicySet::default_bundle()).await;
    service.wait_for(Status::Succeeded, 1).await;
    assert_eq!(*urls.lock().unwrap(), ["test://ok", "test://slow", "test://fail-once"]);
    let execution = service.executions.for_event(event).await.unwrap().remove(0);
    let steps: Vec<_> = execution.history.iter().map(|a| (a.attempt, a.step, a.status.as_str())).collect();
    assert_eq!(steps, [(1, 0, "succeeded"), (1, 1, "lease_expired"), (2, 1, "succeeded")]);
    service.stop().await;
}

#[tokio::test]
async fn an_attempt_that_outlived_its_lease_cannot_overwrite_the_attempt_after_it() {
    use vigil_reactions::execution::{Next, execution_id};
    use vigil_reactions::store::{AttemptRecord, NewExecution, Outcome};
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("v.db"), DbOptions::default()).unwrap();
    let store = ExecutionStore::open(db).await.unwrap();
    let event_id = Uuid::now_v7();
    let id = execution_id(event_id, "hook");
    let new = NewExecution {
        id,
        event_id,
        rule: "hook".into(),
        position: 1,
        event_type: "X".into(),
        topic: "other".into(),
        event: "{}".into(),
        status: Status::Pending,
        condition: None,
        max_attempts: 5,
        reason: None,
    };
    let now = Utc::now();
    store.dispatch(vec![new], 1, now).await.unwrap();
    let lease = now + chrono::Duration::seconds(1);
    assert_eq!(store.claim(now, lease, 10).await.unwrap()[0].attempt, 1);
    // The lease runs out: attempt 1 counts as failed, the execution is retried as attempt 2.
    let later = lease + chrono::Duration::seconds(1);
    store.expire_leases(later, false, move |_| Next::RetryAt(later)).await.unwrap();
    assert_eq!(store.claim(later, later + chrono::Duration::seconds(60), 10).await.unwrap()[0].attempt, 2);
    let record = |attempt: u32, status: &str| AttemptRecord {
        attempt,
        step: 0,
        started_at: now,
        finished_at: Utc::now(),
        status: status.into(),
        error: None,
        detail: None,
        admission: None,
        enrichment: None,
    };
    let stale = store.finish(id, record(1, "succeeded"), Outcome::Next(Next::Succeeded)).await.unwrap();
    assert!(!stale, "attempt 1 no longer holds the execution");
    assert_eq!(store.get(id).await.unwrap().unwrap().status, Status::Running, "attempt 2 still runs");
    let held = store.finish(id, record(2, "succeeded"), Outcome::Next(Next::Succeeded)).await.unwrap();
    assert!(held);
    let execution = store.get(id).await.unwrap().unwrap();
    assert_eq!(execution.status, Status::Succeeded);
    let statuses: Vec<_> = execution.history.iter().map(|a| a.status.as_str()).collect();
    assert_eq!(statuses, ["lease_expired", "succeeded"]);
}
