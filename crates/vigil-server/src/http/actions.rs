//! The actions service's API: rules, executions, dead letters and redrive, and "why did or
//! didn't this event fire".

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_reactions::book::{AddError, RuleSource};
use vigil_reactions::execution::Status;
use vigil_reactions::rule::{Rule, RuleError};
use vigil_reactions::store::{ExecutionFilter, ExecutionView};

use super::error::{ApiError, ErrorBody};
use super::extract::{Caller, JsonBody, QueryParams, parse_id};
use super::{DECISION_HEADER, authorize_read};
use crate::app::App;

type Decided<T> = ([(HeaderName, String); 1], Json<T>);

/// A rule in force and where it came from. Secrets (webhook signing keys, passwords) are
/// shown as `***`.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct RuleView {
    /// The rule as written.
    #[schema(value_type = Object)]
    rule: Rule,
    /// `default`, `file` or `api`.
    #[schema(value_type = String)]
    source: RuleSource,
}

/// The rules in force.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct RulesView {
    items: Vec<RuleView>,
    /// The rules file, if one is configured.
    file: Option<String>,
    /// Why the file's last change was refused (the rules before it stay in force).
    file_error: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/actions/rules", tag = "actions",
    responses((status = 200, description = "The rules in force, one per event type", body = RulesView)))]
pub(super) async fn rules(State(app): State<Arc<App>>, caller: Caller) -> Result<Decided<RulesView>, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadActions").await?;
    let book = &app.actions.book;
    let items =
        book.current().iter().map(|armed| RuleView { rule: armed.rule.clone(), source: armed.source }).collect();
    let file = book.file().map(|path| path.display().to_string());
    Ok((decision, Json(RulesView { items, file, file_error: book.file_error() })))
}

#[utoipa::path(post, path = "/api/v1/actions/rules", tag = "actions",
    request_body(content = Object, description = "A rule, with the fields of an `[[rule]]` table of actions.toml"),
    responses(
        (status = 201, description = "The rule is stored and in force", body = RuleView),
        (status = 409, description = "The event type already has a rule, or the name is taken", body = ErrorBody),
    ))]
pub(super) async fn add_rule(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<RuleView>), ApiError> {
    let rule: Rule = serde_path_to_error::deserialize(&body)
        .map_err(|e| ApiError::Unprocessable(format!("rule.{}: {}", e.path(), e.inner())))?;
    let masked = serde_json::to_value(&rule).unwrap_or(Value::Null);
    let decision =
        app.gate.authorize_crud(&caller.0, "AddActionRule", ("action_rule", rule.name.clone()), masked).await?;
    let stored = app.actions.executions.clone();
    let text = body.to_string();
    let added = app
        .actions
        .book
        .add(rule.clone(), |rule| async move { stored.store_rule(rule.name, text, Utc::now()).await })
        .await;
    match added {
        Ok(()) => Ok((
            StatusCode::CREATED,
            [(DECISION_HEADER, decision.to_string())],
            Json(RuleView { rule, source: RuleSource::Api }),
        )),
        Err(AddError::Rule(error @ (RuleError::SecondRuleForType { .. } | RuleError::DuplicateName(_)))) => {
            Err(ApiError::Conflict(error.to_string()))
        }
        Err(AddError::Rule(error)) => Err(ApiError::Unprocessable(error.to_string())),
        Err(AddError::NotRemovable { .. } | AddError::NoSuchRule(_)) => {
            Err(ApiError::Conflict("the rule cannot be changed here".into()))
        }
        Err(AddError::Store(error)) => Err(error.into()),
    }
}

#[utoipa::path(delete, path = "/api/v1/actions/rules/{name}", tag = "actions",
    params(("name" = String, Path, description = "The rule's name")),
    responses(
        (status = 204, description = "The rule is removed; executions it left pending are cancelled"),
        (status = 409, description = "The rule comes from the rules file or the defaults", body = ErrorBody),
    ))]
pub(super) async fn remove_rule(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<(StatusCode, [(HeaderName, String); 1]), ApiError> {
    let decision =
        app.gate.authorize_crud(&caller.0, "RemoveActionRule", ("action_rule", name.clone()), json!({})).await?;
    let stored = app.actions.executions.clone();
    let removed =
        app.actions.book.remove(&name, |name| async move { stored.delete_rule(name).await.map(|_| ()) }).await;
    match removed {
        Ok(()) => Ok((StatusCode::NO_CONTENT, [(DECISION_HEADER, decision.to_string())])),
        Err(AddError::NoSuchRule(rule)) => Err(ApiError::NotFound(format!("there is no rule {rule}"))),
        Err(error @ AddError::NotRemovable { .. }) => Err(ApiError::Conflict(error.to_string())),
        Err(AddError::Rule(error)) => Err(ApiError::Conflict(error.to_string())),
        Err(AddError::Store(error)) => Err(error.into()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ExecutionParams {
    /// Only this status.
    #[param(schema_with = super::reference::execution_status)]
    status: Option<String>,
    /// Only this rule.
    rule: Option<String>,
    /// At most this many (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
    /// Skip this many.
    #[serde(default)]
    #[param(maximum = 4294967295.0)]
    offset: u32,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeadLetterParams {
    /// Only this rule.
    rule: Option<String>,
    /// At most this many (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
    /// Skip this many.
    #[serde(default)]
    #[param(maximum = 4294967295.0)]
    offset: u32,
}

/// A page of executions.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ExecutionPage {
    #[schema(value_type = Vec<Object>)]
    items: Vec<ExecutionView>,
    total: u64,
    offset: usize,
    limit: usize,
}

async fn page(app: &App, params: ExecutionParams, status: Option<Status>) -> Result<ExecutionPage, ApiError> {
    let status = match (status, params.status.as_deref()) {
        (Some(status), _) => Some(status),
        (None, None) => None,
        (None, Some(text)) => Some(Status::parse(text).ok_or_else(|| {
            let known: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::BadRequest(format!("status `{text}` is none of {}", known.join(", ")))
        })?),
    };
    let limit = super::page_limit(params.limit);
    let offset = params.offset as usize;
    let filter = ExecutionFilter { status, rule: params.rule, limit, offset };
    let (items, total) = app.actions.executions.list(filter).await?;
    Ok(ExecutionPage { items, total, offset, limit })
}

#[utoipa::path(get, path = "/api/v1/actions/executions", tag = "actions", params(ExecutionParams),
    responses((status = 200, description = "Executions, most recently changed first", body = ExecutionPage)))]
pub(super) async fn executions(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<ExecutionParams>,
) -> Result<Decided<ExecutionPage>, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadActions").await?;
    Ok((decision, Json(page(&app, params, None).await?)))
}

#[utoipa::path(get, path = "/api/v1/actions/executions/{id}", tag = "actions",
    params(("id" = uuid::Uuid, Path, description = "The execution id")),
    responses((status = 200, description = "One execution with every attempt", body = Object)))]
pub(super) async fn execution(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Decided<ExecutionView>, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadActions").await?;
    let id = parse_id("execution id", &id)?;
    let view = app.actions.executions.get(id).await?;
    Ok((decision, Json(view.ok_or_else(|| ApiError::NotFound(format!("there is no execution {id}")))?)))
}

#[utoipa::path(get, path = "/api/v1/actions/dead_letters", tag = "actions", params(DeadLetterParams),
    responses((status = 200, description = "Executions whose last attempt failed, waiting for a redrive", body = ExecutionPage)))]
pub(super) async fn dead_letters(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<DeadLetterParams>,
) -> Result<Decided<ExecutionPage>, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadActions").await?;
    let params = ExecutionParams { status: None, rule: params.rule, limit: params.limit, offset: params.offset };
    Ok((decision, Json(page(&app, params, Some(Status::Dead)).await?)))
}

#[utoipa::path(post, path = "/api/v1/actions/dead_letters/{id}/redrive", tag = "actions",
    params(("id" = uuid::Uuid, Path, description = "The execution id")),
    responses((status = 202, description = "The execution is pending again, with its rule's attempts", body = Object)))]
pub(super) async fn redrive(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<Value>), ApiError> {
    let id = parse_id("execution id", &id)?;
    let decision =
        app.gate.authorize_crud(&caller.0, "RedriveAction", ("action_execution", id.to_string()), json!({})).await?;
    let execution = app
        .actions
        .executions
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("there is no execution {id}")))?;
    if execution.status != Status::Dead {
        return Err(ApiError::Conflict(format!("execution {id} is {}, not dead", execution.status.as_str())));
    }
    let attempts = app.actions.book.current().get(&execution.rule).map_or(1, |r| r.rule.max_attempts);
    let redriven = app.actions.executions.redrive(Some(id), attempts, Utc::now()).await?;
    app.actions.wake();
    Ok((
        StatusCode::ACCEPTED,
        [(DECISION_HEADER, decision.to_string())],
        Json(json!({ "redriven": redriven, "attempts": attempts })),
    ))
}

/// What the actions service did with one event, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct EventActions {
    event_id: Uuid,
    /// Whether the dispatcher has looked at the event yet.
    dispatched: bool,
    /// One sentence: why it did or did not fire.
    explanation: String,
    /// The executions it caused, with their condition, admission and attempts.
    #[schema(value_type = Vec<Object>)]
    executions: Vec<ExecutionView>,
}

#[utoipa::path(get, path = "/api/v1/events/{event_id}/actions", tag = "actions",
    params(("event_id" = uuid::Uuid, Path, description = "The event's id in Vigil (`event_id` in the answer of POST /api/v1/events)")),
    responses((status = 200, description = "Why the event did or did not fire", body = EventActions)))]
pub(super) async fn for_event(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Decided<EventActions>, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadActions").await?;
    let event_id = parse_id("event id", &id)?;
    let executions = app.actions.executions.for_event(event_id).await?;
    let (checkpoint, start) = app.actions.executions.positions().await?;
    let explanation;
    let dispatched;
    if let Some(first) = executions.first() {
        dispatched = true;
        explanation = match first.status {
            Status::Succeeded => format!("rule {} ran its action", first.rule),
            Status::Skipped => format!(
                "rule {} matched the type but did not run: {}",
                first.rule,
                first.reason.clone().unwrap_or_default()
            ),
            Status::Denied => format!(
                "rule {} was refused by the admission policy: {}",
                first.rule,
                first.reason.clone().unwrap_or_default()
            ),
            Status::Dead => format!("rule {} failed: {}", first.rule, first.reason.clone().unwrap_or_default()),
            Status::Cancelled => {
                format!("rule {} was cancelled: {}", first.rule, first.reason.clone().unwrap_or_default())
            }
            Status::Pending | Status::Running => format!(
                "rule {} is {} (attempt {} of {})",
                first.rule,
                first.status.as_str(),
                first.attempts,
                first.max_attempts
            ),
        };
    } else {
        let Some(found) = app.store.event_by_id(event_id).await? else {
            return Err(ApiError::NotFound(format!("there is no event {event_id}")));
        };
        let (position, event_type) = (found.position, found.event.event_type);
        dispatched = position <= checkpoint;
        explanation = if position <= start {
            format!(
                "the event (position {position}) is older than the actions service (started at position {start}); history is not acted on"
            )
        } else if dispatched {
            format!("no rule was in force for event type {event_type} when the event was dispatched")
        } else {
            format!("the event (position {position}) is not dispatched yet (the dispatcher is at {checkpoint})")
        };
    }
    Ok((decision, Json(EventActions { event_id, dispatched, explanation, executions })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_statuses_are_the_engines() {
        let engine: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(engine, super::super::values::EXECUTION_STATUS);
    }
}
