//! `webhook`: POST the CloudEvent, signed per Standard Webhooks.
//!
//! The body is the event in CloudEvents' structured JSON mode. `webhook-id` is the
//! execution's id, the same on every attempt, so a receiver drops a repeated delivery;
//! `webhook-timestamp` is the attempt's own time, so a receiver's replay window (five
//! minutes, usually) still admits a retry sent an hour later; `webhook-signature` is
//! `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under the secret's bytes.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Secret, http};
use crate::action::{Action, ActionError, ActionOutput, ActionRequest};

/// A webhook action.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// Where to POST the event (structured-mode CloudEvents JSON).
    pub url: String,
    /// The Standard Webhooks signing secret (`whsec_<base64>`); none: unsigned.
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// How long one attempt may take.
    #[serde(default = "super::default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
}

/// The media type of a structured-mode CloudEvent.
pub const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// How much of the receiver's answer is kept as the attempt's detail.
pub const MAX_ANSWER_BYTES: usize = 1024;

/// A configured webhook. Holds the signing key, so it has no `Debug`.
pub struct WebhookAction {
    client: reqwest::Client,
    url: Url,
    headers: HeaderMap,
    key: Option<SigningKey>,
    timeout: Duration,
}

/// The secret's bytes, decoded once.
pub(super) struct SigningKey(Vec<u8>);

/// Headers Vigil sets itself; a rule may not replace them.
const OWN_HEADERS: [&str; 5] =
    ["content-type", "content-length", "webhook-id", "webhook-timestamp", "webhook-signature"];

impl WebhookAction {
    /// Checks the spec (URL, headers, secret) and builds the action on `client`.
    pub fn new(spec: &WebhookSpec, client: reqwest::Client) -> Result<Self, String> {
        let (url, headers, key) = check(spec)?;
        Ok(WebhookAction { client, url, headers, key, timeout: spec.timeout })
    }
}

#[async_trait]
impl Action for WebhookAction {
    async fn run(&self, request: &ActionRequest<'_>) -> Result<ActionOutput, ActionError> {
        let body = serde_json::to_vec(request.event)
            .map_err(|e| ActionError::Permanent(format!("cannot encode the event: {e}")))?;
        let id = request.execution_id.to_string();
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let mut builder = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .header(reqwest::header::CONTENT_TYPE, CLOUDEVENTS_JSON)
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string());
        if let Some(key) = &self.key {
            builder = builder.header("webhook-signature", sign(key, &id, timestamp, &body));
        }
        let answer = http::send(builder.body(body), &self.url, self.timeout, MAX_ANSWER_BYTES).await?;
        answer.check(&self.url)?;
        Ok(ActionOutput {
            detail: json!({
                "status": answer.status.as_u16(),
                "answer": http::snippet(&answer.body, MAX_ANSWER_BYTES),
            }),
        })
    }
}

/// The Standard Webhooks signature of one delivery.
fn sign(key: &SigningKey, id: &str, timestamp: u64, body: &[u8]) -> String {
    // HMAC accepts a key of any length, so this cannot fail.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key.0).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let signature = mac.finalize().into_bytes();
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(signature))
}

/// The secret's bytes: base64 after the `whsec_` prefix, padded or not (as the reference
/// libraries accept it).
fn decode_secret(secret: &Secret) -> Result<SigningKey, String> {
    let encoded = secret.expose().strip_prefix("whsec_").unwrap_or(secret.expose());
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    // The decoder's error could quote a character of the secret; say only what is wrong.
    let bytes = engine.decode(encoded).map_err(|_| "the webhook secret is not whsec_ followed by base64".to_owned())?;
    if bytes.is_empty() {
        return Err("the webhook secret is empty".to_owned());
    }
    Ok(SigningKey(bytes))
}

pub(super) fn check(spec: &WebhookSpec) -> Result<(Url, HeaderMap, Option<SigningKey>), String> {
    let url = http::check_url(&spec.url)?;
    let mut headers = HeaderMap::new();
    for (name, value) in &spec.headers {
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("header name {name:?} is not valid"))?;
        if OWN_HEADERS.contains(&header.as_str()) {
            return Err(format!("header {name} is set by Vigil and cannot be configured"));
        }
        let mut value = HeaderValue::from_str(value).map_err(|_| format!("the value of header {name} is not valid"))?;
        // Configured headers often carry credentials (`Authorization`); keep them out of
        // any debug print of the request.
        value.set_sensitive(true);
        headers.insert(header, value);
    }
    let key = spec.secret.as_ref().map(decode_secret).transpose()?;
    if spec.timeout.is_zero() {
        return Err("timeout must be above zero".to_owned());
    }
    Ok((url, headers, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn the_signature_matches_the_reference_example() {
        let key = decode_secret(&Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap();
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_decode_with_or_without_prefix_and_padding() {
        let padded = decode_secret(&Secret::new("whsec_c2VjcmV0")).unwrap();
        let bare = decode_secret(&Secret::new("c2VjcmV0")).unwrap();
        let unpadded = decode_secret(&Secret::new("whsec_c2VjcmV0MQ")).unwrap();
        assert_eq!(padded.0, b"secret");
        assert_eq!(bare.0, b"secret");
        assert_eq!(unpadded.0, b"secret1");
        let error = decode_secret(&Secret::new("whsec_not base64!")).err().unwrap();
        assert!(!error.contains("base64!"), "{error}");
        assert!(decode_secret(&Secret::new("whsec_")).is_err());
    }

    #[test]
    fn vigil_s_own_headers_cannot_be_configured() {
        let spec = |name: &str| WebhookSpec {
            url: "http://127.0.0.1:1/".into(),
            secret: None,
            headers: [(name.to_owned(), "x".to_owned())].into(),
            timeout: Duration::from_secs(1),
        };
        assert!(check(&spec("Webhook-Signature")).is_err());
        assert!(check(&spec("content-type")).is_err());
        assert!(check(&spec("bad header")).is_err());
        assert!(check(&spec("authorization")).is_ok());
    }
}
