//! `GET /api/v1/stream`: the live event feed over a WebSocket (`crate::stream`).
//!
//! A browser cannot set headers on a WebSocket, and a token in the URL ends up in access
//! logs, so the token may come as a subprotocol: `Sec-WebSocket-Protocol: vigil.stream.v1,
//! vigil.token.<token>` (the server answers with `vigil.stream.v1` only). Other clients may
//! send `Authorization: Bearer <token>` as on every other route. Everything is checked
//! before the upgrade, so a refusal is an ordinary 4xx with the API's error body.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use vigil_reactions::topic::Pattern;

use super::error::ApiError;
use super::extract::QueryParams;
use crate::app::App;
use crate::stream::Session;
use vigil_gate::principal::Principal;

/// The subprotocol the server speaks (and answers with).
pub const PROTOCOL: &str = "vigil.stream.v1";
/// The prefix of the subprotocol that carries the token.
pub const TOKEN_PROTOCOL_PREFIX: &str = "vigil.token.";

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct StreamParams {
    /// First send every stored event after this position (the last one the client saw),
    /// then the live ones: nothing is missed across a reconnect. Without it, only events
    /// stored from now on.
    #[param(maximum = 9007199254740991.0)]
    from: Option<u64>,
    /// Only these topics, comma-separated (`hosts,heartbeats`, `external.*`); all without
    /// it. A client can change them later with `{"type": "subscribe", "topics": [...]}`.
    topics: Option<String>,
}

/// The live event feed (WebSocket).
///
/// Messages are JSON text: `{"type": "welcome", "principal", "head", "from", "topics"}`
/// first, then `{"type": "event", "position", "topic", "event"}` for each event in store
/// order (the CloudEvent as `GET /api/v1/events` lists it), `{"type": "caught_up",
/// "position"}` once the stored events after `from` are sent, `{"type": "subscribed"}` and
/// `{"type": "error", "message"}` in answer to the client's messages. A client that falls
/// behind by more than `stream.queue` events is closed with code 4008 and a reason saying
/// `reconnect with from=<position>`; one that is silent past `stream.idle_timeout` (the
/// server pings every `stream.ping_interval`) with 4000; server shutdown is 1001.
#[utoipa::path(get, path = "/api/v1/stream", tag = "events", params(StreamParams,
        ("Sec-WebSocket-Protocol" = Option<String>, Header,
            description = "`vigil.stream.v1, vigil.token.<token>`: the token for a browser, which cannot set `Authorization`")),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol (`vigil.stream.v1`)"),
        (status = 400, description = "Not a WebSocket upgrade, a bad `from` (beyond the store) or topic", body = super::error::ErrorBody),
        (status = 503, description = "`stream.max_clients` clients are connected", body = super::error::ErrorBody),
    ))]
pub(super) async fn stream(State(app): State<Arc<App>>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let principal = authenticate(&app, &parts).await?;
    app.gate.authorize_read(&principal, "ReadEvents", None).await?;
    let QueryParams(params) = QueryParams::<StreamParams>::from_request_parts(&mut parts, &()).await?;
    let head = *app.store.head().borrow();
    if let Some(from) = params.from
        && from > head
    {
        return Err(ApiError::BadRequest(format!("from must be at most the store's head {head}, not {from}")));
    }
    let topics = match params.topics.as_deref() {
        None => Vec::new(),
        Some(list) => {
            list.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| Pattern::from(t.to_owned())).collect()
        }
    };
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .map_err(|rejection| ApiError::BadRequest(format!("not a WebSocket upgrade: {}", rejection.body_text())))?;
    let Some(slot) = app.stream.admit() else {
        return Err(ApiError::Unavailable(format!(
            "the stream has its limit of {} clients connected; retry later",
            app.stream.config().max_clients
        )));
    };
    let limits = app.stream.config();
    let mut upgrade = upgrade.max_message_size(limits.max_message_bytes).max_frame_size(limits.max_message_bytes);
    let offered = upgrade.requested_protocols().any(|p| p.as_bytes() == PROTOCOL.as_bytes());
    if offered {
        upgrade.set_selected_protocol(HeaderValue::from_static(PROTOCOL));
    }
    let (feed, store, shutdown) = (app.stream.clone(), app.store.clone(), app.stopping());
    Ok(upgrade
        .on_failed_upgrade(|error| tracing::debug!(%error, "a stream upgrade failed"))
        .on_upgrade(move |socket| {
            Session { socket, principal, from: params.from, topics, slot }.run(feed, store, shutdown)
        })
        .into_response())
}

/// The caller, from `Authorization: Bearer` or the token subprotocol.
async fn authenticate(app: &App, parts: &axum::http::request::Parts) -> Result<Principal, ApiError> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    let protocol = parts
        .headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(TOKEN_PROTOCOL_PREFIX).map(str::to_owned));
    let Some(token) = bearer.or(protocol) else {
        return Err(super::extract::auth_failure(
            app,
            parts,
            "token",
            "missing token: send `Sec-WebSocket-Protocol: vigil.stream.v1, vigil.token.<token>` or `Authorization: Bearer <token>`",
        )
        .await);
    };
    match vigil_gate::tokens::authenticate(&app.db, token.trim(), chrono::Utc::now()).await? {
        Some(principal) => Ok(principal),
        None => Err(super::extract::auth_failure(app, parts, "token", "invalid, expired or revoked token").await),
    }
}
