//! Read-your-writes: `?min_position=N` on any read (`GET`) route answers only once every
//! read model shows the events up to `N` (the `last_position` of a 202) and what the process
//! manager did in reaction to them, such as a parked discovery it applied when its
//! prerequisite arrived. Past `read_wait` it answers 503 with `Retry-After`; a position
//! beyond every stored event is a 400. One layer on the router, so every read route has it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, retry_later};
use crate::app::App;

/// The query parameter.
pub const MIN_POSITION: &str = "min_position";

/// Seconds a client is told to wait before retrying a read that timed out.
const RETRY_AFTER_SECONDS: u64 = 1;

/// The middleware: waits for `min_position` before passing a `GET` on.
pub async fn min_position(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    // A query that does not parse at all is the handler's to refuse.
    let raw = Query::<HashMap<String, String>>::try_from_uri(request.uri())
        .ok()
        .and_then(|Query(params)| params.get(MIN_POSITION).cloned());
    let Some(raw) = raw else {
        return next.run(request).await;
    };
    let position: u64 = match raw.trim().parse() {
        Ok(position) if position <= super::MAX_POSITION => position,
        _ => {
            return ApiError::BadRequest(format!(
                "{MIN_POSITION} must be an integer from 0 to {}, not `{raw}`",
                super::MAX_POSITION
            ))
            .into_response();
        }
    };
    // Position 0 asks for nothing: answering at once keeps it from chasing a busy head.
    if position == 0 {
        return next.run(request).await;
    }
    if let Some(refusal) = beyond_the_store(&app, position).await {
        return refusal.into_response();
    }
    let wait = app.config.read_wait;
    if !app.wait_for_position(position, wait).await {
        return retry_later(
            format!("the read models have not reached position {position} within {wait:?}; retry later"),
            RETRY_AFTER_SECONDS,
        );
    }
    next.run(request).await
}

/// A position no event has yet can only be reached by writes nobody has acknowledged: the
/// client made it up, or read a 202 of another store. Say so at once instead of waiting.
/// The store is asked, not this process's cached head, so a write acknowledged by another
/// node of the same store is waited for.
async fn beyond_the_store(app: &App, position: u64) -> Option<ApiError> {
    let head = *app.store.head().borrow();
    if position <= head {
        return None;
    }
    match app.store.read_all(position - 1, 1).await {
        Ok(events) if events.is_empty() => {
            Some(ApiError::BadRequest(format!("{MIN_POSITION} {position} is beyond the last stored event ({head})")))
        }
        // Stored already (the head is about to move), or the store cannot say: wait.
        _ => None,
    }
}
