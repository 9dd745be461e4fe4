//! The worker: runs due executions under a lease, one attempt at a time each.
//!
//! A claim leases a batch of due executions in one durable write. Each attempt enriches,
//! asks the admission policy, runs the rule's steps from the first one not yet done, and
//! records the attempt together with what follows (success, the next attempt's time, the
//! dead letters) in one durable write, and then an audit record. An attempt is bounded by
//! the lease minus a margin, so it ends (as a failure) before its lease does; a lease that
//! runs out anyway (the process died) is found by the sweep and counted as a failed
//! attempt, which the history shows as `lease_expired`. At start every running execution
//! is such a one: the data directory's lock says no other process works on this file.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, Semaphore, watch};
use uuid::Uuid;
use vigil_policy::{ActionInput, AdmissionInput};

use crate::action::{ActionError, ActionOutput, ActionRequest};
use crate::book::{ArmedRule, RuleBook, Step};
use crate::execution::{AttemptEnd, Next, after_attempt};
use crate::ports::Ports;
use crate::rule::Enrichment;
use crate::store::{AttemptRecord, Claimed, ExecutionStore, Outcome};

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// How long a claimed execution is leased; an attempt is cut off a tenth before.
    pub lease: Duration,
    /// Attempts running at once.
    pub concurrency: usize,
    /// How often the worker looks for due executions when nothing wakes it (redrives by
    /// the CLI, retries coming due are found this way or by their due time).
    pub poll: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig { lease: Duration::from_secs(300), concurrency: 256, poll: Duration::from_secs(1) }
    }
}

/// The worker.
pub struct Worker {
    store: ExecutionStore,
    book: Arc<RuleBook>,
    ports: Ports,
    config: WorkerConfig,
    wake: Arc<Notify>,
    slots: Arc<Semaphore>,
}

impl Worker {
    /// A worker over `store` running `book`'s rules.
    pub fn new(
        store: ExecutionStore,
        book: Arc<RuleBook>,
        ports: Ports,
        config: WorkerConfig,
        wake: Arc<Notify>,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
        Worker { store, book, ports, config, wake, slots }
    }

    /// Runs until `shutdown`, then waits for the attempts in flight (up to the lease).
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        if let Err(error) = self.expire(true).await {
            tracing::error!(%error, "cannot end the attempts a previous run left unfinished");
        }
        let mut last_sweep = tokio::time::Instant::now();
        let sweep_every = (self.config.lease / 10).clamp(Duration::from_millis(100), Duration::from_secs(10));
        while !*shutdown.borrow() {
            let Ok(first) = self.slots.clone().acquire_owned().await else { break };
            let mut permits = vec![first];
            while permits.len() < 256 {
                match self.slots.clone().try_acquire_owned() {
                    Ok(permit) => permits.push(permit),
                    Err(_) => break,
                }
            }
            let wanted = permits.len();
            let now = Utc::now();
            let lease_until = now + chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::MAX);
            let claimed = match self.store.claim(now, lease_until, wanted).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim due actions; retrying");
                    drop(permits);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let full = claimed.len() == wanted;
            for (claimed, permit) in claimed.into_iter().zip(permits.drain(..)) {
                let worker = self.clone();
                tokio::spawn(async move {
                    let _slot = permit;
                    worker.attempt(claimed).await;
                });
            }
            drop(permits);
            if last_sweep.elapsed() >= sweep_every {
                last_sweep = tokio::time::Instant::now();
                if let Err(error) = self.expire(false).await {
                    tracing::warn!(%error, "cannot end expired leases");
                }
            }
            if full {
                continue;
            }
            let wait = match self.store.next_due().await {
                Ok(Some(due)) => (due - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(self.config.poll),
                _ => self.config.poll,
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
        let _ = tokio::time::timeout(self.config.lease, self.slots.acquire_many(self.config.concurrency.max(1) as u32))
            .await;
    }

    /// Ends the attempts whose lease ran out (`all`: every running one).
    async fn expire(&self, all: bool) -> Result<(), vigil_store::sqlite::DbError> {
        let book = self.book.clone();
        let expired = self
            .store
            .expire_leases(Utc::now(), all, move |lease| {
                let backoff = book.current().get(&lease.rule).map(|r| r.rule.backoff).unwrap_or_default();
                after_attempt(
                    lease.attempt,
                    lease.max_attempts,
                    &AttemptEnd::LeaseExpired,
                    &backoff,
                    jitter(),
                    Utc::now(),
                )
            })
            .await?;
        for lease in &expired {
            tracing::warn!(execution = %lease.id, rule = %lease.rule, attempt = lease.attempt, "an action attempt did not finish before its lease ran out");
            metrics::counter!("vigil_action_attempts_total", "status" => "lease_expired").increment(1);
            self.audit(lease.id, &lease.rule, lease.attempt, "lease_expired", None, None).await;
        }
        Ok(())
    }

    /// One attempt of one claimed execution, recorded whatever happens.
    async fn attempt(&self, claimed: Claimed) {
        let started = Utc::now();
        if claimed.attempt == 1
            && let Some(time) =
                claimed.event.get("time").and_then(Value::as_str).and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        {
            let delay = (started - time.with_timezone(&Utc)).to_std().unwrap_or(Duration::ZERO);
            metrics::histogram!("vigil_action_start_delay_seconds").record(delay.as_secs_f64());
        }
        let armed = self.book.current();
        let Some(rule) = armed.get(&claimed.rule) else {
            let reason = format!("rule {} was removed before the execution ran", claimed.rule);
            let record = record(&claimed, claimed.step, started, "cancelled", Some(reason.clone()));
            self.finish(&claimed, record, Outcome::Cancelled(reason), None).await;
            return;
        };
        let budget = self.config.lease.mul_f64(0.9);
        let outcome = tokio::time::timeout(budget, self.run_rule(rule, &claimed, started)).await;
        if outcome.is_err() {
            let error = ActionError::Retryable(format!("the attempt took longer than {budget:?}"));
            let next = self.next(rule, &claimed, &AttemptEnd::Failed(error.clone()));
            let record = record(&claimed, claimed.step, started, "failed", Some(error.to_string()));
            self.finish(&claimed, record, Outcome::Next(next), Some(rule)).await;
        }
    }

    async fn run_rule(&self, rule: &ArmedRule, claimed: &Claimed, started: DateTime<Utc>) {
        let enrichment = match self.enrich(rule, &claimed.event).await {
            Ok(enrichment) => enrichment,
            Err(error) => {
                let end = AttemptEnd::Failed(error.clone());
                let next = self.next(rule, claimed, &end);
                let record = record(claimed, claimed.step, started, end.as_str(), Some(format!("enrichment: {error}")));
                self.finish(claimed, record, Outcome::Next(next), Some(rule)).await;
                return;
            }
        };
        let input = AdmissionInput {
            event: claimed.event.clone(),
            action: ActionInput {
                name: rule.rule.name.clone(),
                kind: rule.rule.action.kind().to_owned(),
                params: serde_json::to_value(&rule.rule.action).unwrap_or(Value::Null),
            },
            enrichment: enrichment.clone(),
        };
        let decision = match self.ports.admission.admit(input).await {
            Ok(decision) => decision,
            Err(error) => {
                let end = AttemptEnd::Failed(ActionError::Retryable(format!("admission policy unavailable: {error}")));
                let next = self.next(rule, claimed, &end);
                let mut record =
                    record(claimed, claimed.step, started, end.as_str(), Some(format!("admission: {error}")));
                record.enrichment = Some(enrichment);
                self.finish(claimed, record, Outcome::Next(next), Some(rule)).await;
                return;
            }
        };
        let admission =
            json!({"allow": decision.allow, "reasons": decision.reasons, "decision_id": decision.decision_id});
        if !decision.allow {
            let reason = format!("denied by vigil.admission: {}", decision.reasons.join("; "));
            let mut record = record(claimed, claimed.step, started, "denied", Some(reason.clone()));
            record.admission = Some(admission);
            record.enrichment = Some(enrichment);
            self.finish(claimed, record, Outcome::Denied(reason), Some(rule)).await;
            return;
        }
        let request = ActionRequest {
            execution_id: claimed.id,
            attempt: claimed.attempt,
            rule: &rule.rule.name,
            event: &claimed.event,
            enrichment: &enrichment,
        };
        let last = rule.steps.len().saturating_sub(1);
        let mut step_started = started;
        let mut previous = Value::Null;
        for (index, step) in rule.steps.iter().enumerate().skip(claimed.step as usize) {
            let kind = match step {
                Step::Action(_) => rule.rule.action.kind(),
                Step::Command(_) | Step::OperationOutcome => "command",
                Step::Operation(_) => "operation",
            };
            let result = match step {
                Step::Action(action) => action.run(&request).await,
                Step::Command(command) => match render_params(&command.params, &request) {
                    Ok(params) => self
                        .ports
                        .commands
                        .submit(&command.command, params, claimed.id, &claimed.event)
                        .await
                        .map(|detail| ActionOutput { detail }),
                    Err(error) => Err(error),
                },
                Step::Operation(operations) => {
                    let name = claimed.event.pointer("/data/name").and_then(Value::as_str).unwrap_or("");
                    match operations.get(name) {
                        Some(action) => action.run(&request).await,
                        None => Err(ActionError::Permanent(format!("no operation {name} is configured"))),
                    }
                }
                Step::OperationOutcome => {
                    let params = json!({
                        "operation_id": claimed.event.pointer("/data/operation_id"),
                        "result": previous,
                    });
                    self.ports
                        .commands
                        .submit("CompleteOperation", params, claimed.id, &claimed.event)
                        .await
                        .map(|detail| ActionOutput { detail })
                }
            };
            let seconds = (Utc::now() - step_started).to_std().unwrap_or_default().as_secs_f64();
            metrics::histogram!("vigil_action_attempt_seconds", "kind" => kind).record(seconds);
            let end = match &result {
                Ok(_) => AttemptEnd::Succeeded,
                Err(error) => AttemptEnd::Failed(error.clone()),
            };
            metrics::counter!("vigil_action_attempts_total", "kind" => kind, "status" => end.as_str()).increment(1);
            let mut record = record(claimed, index as u32, step_started, end.as_str(), None);
            record.admission = Some(admission.clone());
            record.enrichment = Some(enrichment.clone());
            match result {
                Ok(output) if index < last => {
                    previous = output.detail.clone();
                    record.detail = Some(output.detail);
                    if let Err(error) = self.store.step_done(claimed.id, record).await {
                        tracing::warn!(%error, execution = %claimed.id, "cannot record a workflow step; the lease will run out and the step run again");
                        return;
                    }
                    step_started = Utc::now();
                }
                Ok(output) => {
                    record.detail = Some(output.detail);
                    self.finish(claimed, record, Outcome::Next(Next::Succeeded), Some(rule)).await;
                    return;
                }
                Err(error) => {
                    record.error = Some(error.to_string());
                    let next = self.next(rule, claimed, &end);
                    self.finish(claimed, record, Outcome::Next(next), Some(rule)).await;
                    return;
                }
            }
        }
    }

    fn next(&self, rule: &ArmedRule, claimed: &Claimed, end: &AttemptEnd) -> Next {
        after_attempt(claimed.attempt, claimed.max_attempts, end, &rule.rule.backoff, jitter(), Utc::now())
    }

    async fn enrich(&self, rule: &ArmedRule, event: &Value) -> Result<Value, ActionError> {
        let mut found = Map::new();
        for enrichment in &rule.rule.enrich {
            let value = match enrichment {
                Enrichment::ReadModel { model, .. } => {
                    let subject = event.get("subject").and_then(Value::as_str).unwrap_or("");
                    self.ports
                        .lookup
                        .lookup(model, subject)
                        .await
                        .map_err(|e| ActionError::Retryable(format!("{model} lookup: {e}")))?
                        .unwrap_or(Value::Null)
                }
                Enrichment::Http { url, timeout, .. } => self.ports.kinds.enrich_http(url, *timeout, event).await?,
            };
            found.insert(enrichment.name().to_owned(), value);
        }
        Ok(Value::Object(found))
    }

    async fn finish(&self, claimed: &Claimed, record: AttemptRecord, outcome: Outcome, rule: Option<&ArmedRule>) {
        let status = match &outcome {
            Outcome::Next(Next::Succeeded) => "succeeded",
            Outcome::Next(Next::RetryAt(_)) => "retry_scheduled",
            Outcome::Next(Next::Dead(_)) => "dead",
            Outcome::Denied(_) => "denied",
            Outcome::Cancelled(_) => "cancelled",
        };
        let error = record.error.clone();
        let decision = record.admission.as_ref().and_then(|a| a.get("decision_id")).cloned();
        let attempt = record.attempt;
        match self.store.finish(claimed.id, record, outcome).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(execution = %claimed.id, attempt, "an action attempt ended after its lease ran out; the outcome recorded since stands");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, execution = %claimed.id, "cannot record an action attempt; its lease will run out and it will be retried");
                return;
            }
        }
        if status == "dead" {
            tracing::warn!(execution = %claimed.id, rule = %claimed.rule, error = error.as_deref().unwrap_or(""), "an action went to the dead letters");
        }
        let operation = rule.is_some_and(|r| matches!(r.rule.action, crate::rule::ActionSpec::Operation(_)));
        if operation && matches!(status, "dead" | "denied") {
            let params = json!({
                "operation_id": claimed.event.pointer("/data/operation_id"),
                "error": error.clone().unwrap_or_else(|| status.to_owned()),
            });
            if let Err(failure) = self.ports.commands.submit("FailOperation", params, claimed.id, &claimed.event).await
            {
                tracing::warn!(error = %failure, execution = %claimed.id, "cannot record an operation's failure");
            }
        }
        self.audit(claimed.id, &claimed.rule, attempt, status, error, decision).await;
    }

    async fn audit(
        &self,
        id: Uuid,
        rule: &str,
        attempt: u32,
        status: &str,
        error: Option<String>,
        decision: Option<Value>,
    ) {
        let body = json!({
            "execution_id": id,
            "rule": rule,
            "attempt": attempt,
            "status": status,
            "error": error,
            "decision_id": decision,
        });
        if let Err(error) = self.ports.audit.record("action_execution", body).await {
            tracing::warn!(%error, execution = %id, "cannot append an action's audit record");
        }
    }
}

fn record(claimed: &Claimed, step: u32, started: DateTime<Utc>, status: &str, error: Option<String>) -> AttemptRecord {
    AttemptRecord {
        attempt: claimed.attempt,
        step,
        started_at: started,
        finished_at: Utc::now(),
        status: status.to_owned(),
        error,
        detail: None,
        admission: None,
        enrichment: None,
    }
}

/// A random number in [0, 1] for the backoff's jitter.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 1.0,
    }
}

/// Renders every string of a command's parameters as a template.
fn render_params(
    params: &std::collections::BTreeMap<String, Value>,
    request: &ActionRequest<'_>,
) -> Result<Value, ActionError> {
    let renderer = crate::template::Renderer::new(request.template_context());
    fn walk(value: &Value, path: &str, renderer: &crate::template::Renderer) -> Result<Value, ActionError> {
        Ok(match value {
            Value::String(source) => Value::String(renderer.render(path, source)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| walk(item, &format!("{path}[{i}]"), renderer))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, field)| Ok((name.clone(), walk(field, &format!("{path}.{name}"), renderer)?)))
                    .collect::<Result<_, ActionError>>()?,
            ),
            other => other.clone(),
        })
    }
    let mut rendered = Map::new();
    for (name, value) in params {
        rendered.insert(name.clone(), walk(value, &format!("params.{name}"), &renderer)?);
    }
    Ok(Value::Object(rendered))
}
