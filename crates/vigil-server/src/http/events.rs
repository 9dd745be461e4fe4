//! `GET /api/v1/events`: the stored events as CloudEvents, paged by position, each with its
//! topic; outside events as they were sent. `POST /api/v1/events`: CloudEvents from outside
//! providers, in the HTTP binding's structured, binary and batch modes.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::store::EventQuery;
use vigil_reactions::cloudevents::{self, Listed, Refusal};
use vigil_reactions::topic::{Pattern, topic_of};

use super::error::ApiError;
use super::extract::{Caller, QueryParams, RawBody};
use super::{DECISION_HEADER, authorize_read};
use crate::app::App;
use vigil_reactions::external::{self, PublishError};

/// A page of events.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct EventPage<'a> {
    /// CloudEvents 1.0 in JSON.
    #[schema(value_type = Vec<Object>)]
    items: Vec<Listed<'a>>,
    /// Where the next page starts (`after`); `null` at the end.
    next_after: Option<u64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Only events after this position.
    #[serde(default)]
    #[param(maximum = 9007199254740991.0)]
    after: u64,
    subject: Option<String>,
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// Only events of this topic (`hosts`, `external.ci.example.com`), or of the topics that
    /// start with it when it ends in `*` (`external.*`). A page may then hold fewer than
    /// `limit` events: follow `next_after` until it is `null`.
    topic: Option<String>,
    /// At most this many events (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
}

/// Positions a page with a topic filter looks through at most, in pages of `limit`: a rare
/// topic costs bounded work per request, and `next_after` carries the scan on.
const TOPIC_SCAN_PAGES: usize = 10;

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(ListParams),
    responses((status = 200, description = "One page of events in store order", body = EventPage)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, ApiError> {
    let decision = authorize_read(&app, &caller, "ReadEvents").await?;
    if params.after > super::MAX_POSITION {
        return Err(ApiError::BadRequest(format!(
            "after must be at most {}, not {}",
            super::MAX_POSITION,
            params.after
        )));
    }
    let limit = super::page_limit(params.limit);
    let topic = params.topic.map(Pattern::from);
    let query = |after_position| EventQuery {
        after_position,
        subject: params.subject.clone(),
        event_type: params.event_type.clone(),
        limit,
    };
    let mut events: Vec<RecordedEvent> = Vec::new();
    let mut next = None;
    let mut after = params.after;
    for _ in 0..TOPIC_SCAN_PAGES {
        let page = app.store.query(query(after)).await?;
        let full = page.len() == limit;
        let last = page.last().map(|e| e.position);
        match &topic {
            None => events = page,
            Some(topic) => events.extend(page.into_iter().filter(|e| topic.matches(&topic_of_event(e)))),
        }
        if events.len() >= limit {
            events.truncate(limit);
            next = events.last().map(|e| e.position);
            break;
        }
        next = None;
        let (true, Some(last), Some(_)) = (full, last, &topic) else { break };
        // A full page looked through, and too few of its events of the topic: the next
        // round (or, past the last, the client with `next_after`) goes on after it.
        after = last;
        next = Some(last);
    }
    let items: Vec<Listed<'_>> = events.iter().map(cloudevents::listed).collect();
    // Serialised as it is, not through a `Value`, so no stored event data can fail the answer.
    Ok((decision, Json(EventPage { items, next_after: next })).into_response())
}

fn topic_of_event(e: &RecordedEvent) -> String {
    topic_of(&e.stream_id, &e.event.event_type, &e.event.source)
}

/// A CloudEvent in the JSON format (documentation of the body; the handler reads the body
/// itself, by its content type). Extension attributes, named with lowercase letters and
/// digits, hold a string, a 32-bit integer or a boolean.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct StructuredCloudEvent {
    /// `1.0`.
    #[schema(pattern = r"^1\.0$")]
    specversion: String,
    /// Unique within its source: (`source`, `id`) is stored once.
    #[schema(min_length = 1)]
    id: String,
    /// A URI-reference naming the producer; the event's topic is `external.<source>`.
    #[schema(min_length = 1)]
    source: String,
    /// The event type rules react to.
    #[schema(min_length = 1)]
    r#type: String,
    #[schema(min_length = 1)]
    subject: Option<String>,
    /// RFC 3339.
    #[schema(min_length = 1)]
    time: Option<String>,
    /// A media type (RFC 2046).
    #[schema(min_length = 1)]
    datacontenttype: Option<String>,
    /// An absolute URI.
    #[schema(min_length = 1)]
    dataschema: Option<String>,
    /// Any JSON when `datacontenttype` is JSON or absent, else a string.
    data: Option<serde_json::Value>,
    /// Binary data, base64; not with `data`.
    data_base64: Option<String>,
}

/// What became of each event of the request, in its order.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Published {
    events: Vec<PublishedEvent>,
    /// The highest position among them, for `min_position`; `null` for an empty batch.
    last_position: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct PublishedEvent {
    /// The CloudEvents `id`.
    id: String,
    /// The CloudEvents `source`.
    source: String,
    /// The id Vigil stores it under: UUIDv5 of (`source`, `id`).
    event_id: Uuid,
    /// Stored before, by an earlier request or earlier in this batch; nothing new was stored.
    duplicate: bool,
    /// Its position in the event store (the original's, for a duplicate).
    position: u64,
}

/// Publishes CloudEvents 1.0 from an outside provider.
///
/// The `Content-Type` chooses the mode:
/// `application/cloudevents+json` one event, `application/cloudevents-batch+json` an array of
/// them, any other type binary mode, where `ce-specversion`, `ce-id`, `ce-source`, `ce-type`
/// and the other attributes are headers (percent-encoded) and the body is the data; a plain
/// `application/json` body without `ce-` headers is one event. Every event is validated
/// first: one invalid event refuses the request (400, naming the event and attribute, e.g.
/// `[3].time: "yesterday" is not an RFC 3339 timestamp`). 202 means every event is stored
/// durably; one whose (`source`, `id`) was stored before is answered `duplicate` and not
/// stored again. A batch is stored source by source, each source's events in their order.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    request_body(description = "A CloudEvent, a batch of them, or (binary mode) the data of one", content(
        (StructuredCloudEvent = "application/cloudevents+json"),
        (Vec<StructuredCloudEvent> = "application/cloudevents-batch+json"),
        (StructuredCloudEvent = "application/json"),
    )),
    responses(
        (status = 202, description = "Every event is stored (now, or before: `duplicate`)", body = Published),
        (status = 400, description = "An invalid event, or a body not of its mode (not JSON, not UTF-8, a batch \
            that is not an array): the message names the event, attribute or header", body = super::error::ErrorBody),
        (status = 415, description = "No CloudEvents mode Vigil reads (a structured format other than JSON, \
            another charset, or neither a CloudEvents type nor `ce-` headers)", body = super::error::ErrorBody),
    ))]
pub(super) async fn publish(
    State(app): State<Arc<App>>,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let events = cloudevents::from_http(headers.iter().map(|(name, value)| (name.as_str(), value.as_bytes())), &body)
        .map_err(|refusal| match refusal {
        Refusal::UnsupportedMediaType(message) => ApiError::UnsupportedMediaType(message),
        Refusal::Invalid(violation) => ApiError::BadRequest(violation.to_string()),
    })?;
    // What the policy may weigh: how many, from where, of what types.
    let sources: BTreeSet<&str> = events.iter().map(|e| e.source()).collect();
    let types: BTreeSet<&str> = events.iter().map(|e| e.event_type()).collect();
    let body = json!({ "count": events.len(), "sources": sources, "types": types });
    let decision = app.gate.authorize_crud(&caller.0, "PublishEvents", ("events", "external".to_owned()), body).await?;

    let answers: Vec<(String, String)> = events.iter().map(|e| (e.id().to_owned(), e.source().to_owned())).collect();
    let stored =
        external::publish(app.store.as_ref(), events, Utc::now(), Uuid::now_v7()).await.map_err(|e| match e {
            PublishError::Store(e) => ApiError::from(e),
            PublishError::Inconsistent(message) => ApiError::Internal(message),
        })?;
    let n_new = stored.iter().filter(|s| !s.duplicate).count() as u64;
    metrics::counter!("vigil_external_events_total", "outcome" => "stored").increment(n_new);
    metrics::counter!("vigil_external_events_total", "outcome" => "duplicate").increment(stored.len() as u64 - n_new);
    let last_position = stored.iter().map(|s| s.position).max();
    let events = answers
        .into_iter()
        .zip(stored)
        .map(|((id, source), s)| PublishedEvent {
            id,
            source,
            event_id: s.event_id,
            duplicate: s.duplicate,
            position: s.position,
        })
        .collect();
    Ok((StatusCode::ACCEPTED, [(DECISION_HEADER, decision.to_string())], Json(Published { events, last_position }))
        .into_response())
}
