//! `service`: call an action implementation service (workflow engine, automation) over HTTP
//! and record its answer.
//!
//! The request is `POST url` with `{event, enrichment, rule, execution_id, attempt}` and an
//! `Idempotency-Key` (the execution's id, the same on every attempt), so a service that
//! honours it runs a repeated delivery once. Its answer (JSON, or text when it is not) is
//! the attempt's detail.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::http;
use crate::action::{Action, ActionError, ActionOutput, ActionRequest};

/// A service action.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Where to POST `{event, enrichment, rule, execution_id, attempt}`.
    pub url: String,
    /// How long one attempt may take.
    #[serde(default = "super::default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

/// How much of the service's answer is kept: it is stored with every attempt.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A configured service call.
#[derive(Clone, Debug)]
pub struct ServiceAction {
    client: reqwest::Client,
    url: Url,
    timeout: Duration,
}

impl ServiceAction {
    /// Checks the spec and builds the action on `client`.
    pub fn new(spec: &ServiceSpec, client: reqwest::Client) -> Result<Self, String> {
        let url = check(spec)?;
        Ok(ServiceAction { client, url, timeout: spec.timeout })
    }
}

#[async_trait]
impl Action for ServiceAction {
    async fn run(&self, request: &ActionRequest<'_>) -> Result<ActionOutput, ActionError> {
        let body = serde_json::to_vec(&request.template_context())
            .map_err(|e| ActionError::Permanent(format!("cannot encode the request: {e}")))?;
        let builder = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .header("idempotency-key", request.execution_id.to_string())
            .body(body);
        let answer = http::send(builder, &self.url, self.timeout, MAX_ANSWER_BYTES).await?;
        answer.check(&self.url)?;
        let recorded = match serde_json::from_slice::<Value>(&answer.body) {
            _ if answer.body.is_empty() => Value::Null,
            Ok(value) if !answer.truncated => value,
            _ => Value::String(http::snippet(&answer.body, MAX_ANSWER_BYTES)),
        };
        let mut detail = json!({"status": answer.status.as_u16(), "answer": recorded});
        if answer.truncated {
            detail["truncated"] = Value::Bool(true);
        }
        Ok(ActionOutput { detail })
    }
}

pub(super) fn check(spec: &ServiceSpec) -> Result<Url, String> {
    if spec.timeout.is_zero() {
        return Err("timeout must be above zero".to_owned());
    }
    http::check_url(&spec.url)
}
