//! `POST /api/v1/policies/evaluate`: the policies in force asked about a sample input, as
//! `vigil policy eval` asks them, without recording a decision or changing anything. The
//! policies page uses it to show what a policy would say before anyone relies on it.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderName;
use serde::Deserialize;
use serde_json::{Value, json};
use vigil_policy::EvaluationPoint;

use super::authorize_read;
use super::error::ApiError;
use super::extract::{Caller, JsonBody};
use crate::app::App;

/// A trial evaluation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Trial {
    /// `authz` (default), `admission`, `sla` or `audit`.
    #[serde(default)]
    point: Option<String>,
    /// The input document, as the evaluation point documents it
    /// (`crates/vigil-policy/schemas/`).
    #[schema(value_type = Object)]
    input: Value,
}

#[utoipa::path(post, path = "/api/v1/policies/evaluate", tag = "policies", request_body = Trial,
    responses((status = 200, description = "What the policies in force answer; nothing is recorded", body = Object)))]
pub(super) async fn evaluate(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBody(trial): JsonBody<Trial>,
) -> Result<([(HeaderName, String); 1], Json<Value>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadPolicies").await?;
    let point = match trial.point.as_deref().unwrap_or("authz") {
        "authz" => EvaluationPoint::Authz,
        "admission" => EvaluationPoint::Admission,
        "sla" => EvaluationPoint::Sla,
        "audit" => EvaluationPoint::Audit,
        other => {
            return Err(ApiError::Unprocessable(format!(
                "point must be authz, admission, sla or audit, not `{other}`"
            )));
        }
    };
    if !trial.input.is_object() {
        return Err(ApiError::Unprocessable("input must be a JSON object".into()));
    }
    let policies = app.policies.repository().current();
    let result = policies
        .evaluate(point, &trial.input)
        .map_err(|e| ApiError::Unprocessable(format!("the policy could not evaluate this input: {e}")))?;
    Ok((
        decision,
        Json(json!({
            "policy": result.policy,
            "revision": result.revision,
            "allow": result.allow,
            "reasons": result.reasons,
            "result": result.result,
            "latency_us": result.latency_us,
        })),
    ))
}
