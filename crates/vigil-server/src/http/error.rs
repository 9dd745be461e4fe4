//! The API's error type and its one mapping to HTTP statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything a request can fail with. Bad input is always a 4xx naming what is wrong;
/// a 5xx means the server failed and the client may retry.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed (bad query, bad id).
    #[error("{0}")]
    BadRequest(String),
    /// No or a wrong credential.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but the policy says no (its reasons are the message).
    #[error("{0}")]
    Forbidden(String),
    /// The target does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The body did not arrive within `body_read_timeout`.
    #[error("{0}")]
    Timeout(String),
    /// The body is larger than allowed.
    #[error("request body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The request conflicts with what is there (a second rule for an event type).
    #[error("{0}")]
    Conflict(String),
    /// The body is well-formed but its content is wrong; names the field.
    #[error("{0}")]
    Unprocessable(String),
    /// The body's `Content-Type` is none the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A dependency (the store) is not available; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// Our fault; details are logged, not sent.
    #[error("internal error")]
    Internal(String),
}

/// The body of every error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody<'a> {
    /// A stable, machine-readable code (`bad_request`, `unauthorized`, ...).
    code: &'a str,
    /// What is wrong, for a person.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable"),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        (status, Json(ErrorBody { code, message: self.to_string() })).into_response()
    }
}

/// A 503 that tells the client when to retry: the server is busy, not broken.
pub fn retry_later(message: String, retry_after_seconds: u64) -> Response {
    let mut response = ApiError::Unavailable(message).into_response();
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, retry_after_seconds.into());
    response
}

impl From<vigil_store::sqlite::DbError> for ApiError {
    fn from(e: vigil_store::sqlite::DbError) -> Self {
        ApiError::Unavailable(format!("storage is unavailable: {}", e.0))
    }
}

impl From<vigil_readmodel::port::ReadError> for ApiError {
    fn from(e: vigil_readmodel::port::ReadError) -> Self {
        ApiError::Unavailable(format!("storage is unavailable: {}", e.0))
    }
}

impl From<vigil_kernel::store::StoreError> for ApiError {
    fn from(e: vigil_kernel::store::StoreError) -> Self {
        ApiError::Unavailable(format!("storage is unavailable: {}", e.0))
    }
}

/// A panic in a handler becomes a plain 500 (the panic is logged), never a dropped
/// connection.
pub fn panic_response(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = cause
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| cause.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    ApiError::Internal(format!("handler panicked: {message}")).into_response()
}

impl From<vigil_gate::gate::GateError> for ApiError {
    fn from(e: vigil_gate::gate::GateError) -> Self {
        use vigil_gate::commands::DispatchError;
        use vigil_gate::gate::GateError;
        match e {
            denied @ GateError::Denied { .. } => ApiError::Forbidden(denied.to_string()),
            GateError::Dispatch(DispatchError::NotFound(refusal)) => ApiError::NotFound(refusal.message),
            GateError::Dispatch(DispatchError::Rejected(refusal)) => ApiError::Unprocessable(refusal.message),
            GateError::Dispatch(DispatchError::Failed(m)) | GateError::Unavailable(m) => ApiError::Unavailable(m),
        }
    }
}
