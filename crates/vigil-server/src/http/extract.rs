//! Extractors whose rejections use the API's error shape.

use std::sync::Arc;

use axum::body::HttpBody;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::app::App;
use vigil_gate::principal::Principal;

/// A JSON body, read up to the configured limit (413 past it) and parsed with the failing
/// field named in the 422. A body that does not arrive within `body_read_timeout` is a 408.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<App>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, ApiError> {
        let RawBody(bytes) = RawBody::from_request(req, app).await?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." || !matches!(inner.classify(), serde_json::error::Category::Data) {
                ApiError::Unprocessable(format!("body is not valid JSON for this endpoint: {inner}"))
            } else {
                ApiError::Unprocessable(format!("{path}: {inner}"))
            }
        })?;
        Ok(JsonBody(value))
    }
}

/// A body as bytes, for an endpoint that reads it by its content type: the same limit (413)
/// and deadline (408) as [`JsonBody`].
pub struct RawBody(pub axum::body::Bytes);

impl FromRequest<Arc<App>> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, ApiError> {
        let limit = app.config.max_body_bytes;
        // A `Content-Length` over the limit is refused before a byte of the body is read
        // (the body's size hint is exactly its announced length).
        if req.body().size_hint().lower() > limit as u64 {
            return Err(ApiError::TooLarge { limit });
        }
        let bytes = axum::body::to_bytes(req.into_body(), limit).await.map_err(|e| {
            let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(c) = cause {
                if c.is::<http_body_util::LengthLimitError>() {
                    return ApiError::TooLarge { limit };
                }
                if let Some(timeout) = c.downcast_ref::<crate::serve::BodyTimeout>() {
                    return ApiError::Timeout(timeout.to_string());
                }
                cause = c.source();
            }
            ApiError::BadRequest(format!("cannot read the request body: {e}"))
        })?;
        if bytes.len() > limit {
            return Err(ApiError::TooLarge { limit });
        }
        Ok(RawBody(bytes))
    }
}

/// Query parameters, with a 400 naming the bad parameter.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded_from_str(query).map(QueryParams).map_err(ApiError::BadRequest)
    }
}

fn serde_urlencoded_from_str<T: DeserializeOwned>(query: &str) -> Result<T, String> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{query}").parse().map_err(|_| "bad query string")?)
        .map(|q| q.0)
        .map_err(|e| format!("invalid query: {}", e.body_text()))
}

/// The agent key from `X-Trento-Apikey`; checked before the body is read, so an
/// unauthenticated client cannot make the server buffer a large body.
pub struct AgentAuth;

impl FromRequestParts<Arc<App>> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("x-trento-apikey") else {
            return Err(ApiError::Unauthorized("missing X-Trento-Apikey header".into()));
        };
        let presented = value.to_str().map_err(|_| ApiError::Unauthorized("invalid API key".into()))?;
        if app.keys.verify(presented.trim()).await {
            Ok(AgentAuth)
        } else {
            Err(auth_failure(app, parts, "agent_api_key", "invalid API key").await)
        }
    }
}

/// A user or service, authenticated by `Authorization: Bearer vgt_...`.
pub struct Caller(pub Principal);

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err(auth_failure(app, parts, "token", "missing `Authorization: Bearer <token>` header").await);
        };
        match vigil_gate::tokens::authenticate(&app.db, token.trim(), chrono::Utc::now()).await? {
            Some(principal) => Ok(Caller(principal)),
            None => Err(auth_failure(app, parts, "token", "invalid, expired or revoked token").await),
        }
    }
}

/// Counts and audits a failed authentication, and says what failed.
pub(super) async fn auth_failure(app: &App, parts: &Parts, credential: &str, message: &str) -> ApiError {
    metrics::counter!("vigil_http_auth_failures_total", "credential" => credential.to_owned()).increment(1);
    let record = serde_json::json!({
        "credential": credential,
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "reason": message,
    });
    if let Err(error) = app.gate.audit_record("auth_failure", record).await {
        tracing::warn!(%error, "could not audit an authentication failure");
    }
    ApiError::Unauthorized(message.to_owned())
}

/// Parses a path id as a UUID, with a 400 naming it.
pub fn parse_id(what: &str, id: &str) -> Result<uuid::Uuid, ApiError> {
    id.parse().map_err(|_| ApiError::BadRequest(format!("{what} `{id}` is not a UUID")))
}
