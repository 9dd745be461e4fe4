//! Commands over NATS request/reply: `vigil-commands.<command>` with a JSON body and
//! `Authorization: Bearer <token>`, answered with what the HTTP API answers.
//!
//! Each command stands for one call of the HTTP API (`DELETE /api/v1/hosts/{id}` for
//! `deregister_host`, ...), and the server answers it by making that call on its own router,
//! in process. So a command over NATS is authenticated, authorized (the gate, Rego), audited
//! and refused exactly as over HTTP: one definition of what each command means, two ways in.
//! The reply is `{"status": <HTTP status>, "body": <the HTTP answer's JSON, null if none>}`
//! plus `decision_id` when the gate let it through; its headers repeat the status
//! (`Vigil-Status`). Several servers share the subjects as one queue group.

use std::sync::Arc;

use async_nats::{Client, HeaderMap, Message};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

use crate::settings::BusSettings;

/// The queue group every server's command subscription joins.
pub const QUEUE_GROUP: &str = "vigil-commands";

/// The commands, each with the API call it stands for.
pub const COMMANDS: &[(&str, &str)] = &[
    ("deregister_host", "DELETE /api/v1/hosts/{host_id}"),
    ("request_operation", "POST /api/v1/{hosts|clusters}/{target_id}/operations/{operation} with params"),
    (
        "delete_absent_database_instance",
        "DELETE /api/v1/databases/{database_id}/hosts/{host_id}/instances/{instance_number}",
    ),
    (
        "delete_absent_application_instance",
        "DELETE /api/v1/sap_systems/{sap_system_id}/hosts/{host_id}/instances/{instance_number}",
    ),
    ("publish_policy", "POST /api/v1/policies with {path, source}"),
    ("retire_policy", "POST /api/v1/policies/{path}/retire"),
];

/// An HTTP method a command uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
}

/// One call of the HTTP API, as a command stands for it.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiCall {
    /// The method.
    pub method: Method,
    /// The path, its segments percent-encoded.
    pub path: String,
    /// The `Authorization` header as the request carried it.
    pub authorization: Option<String>,
    /// A JSON body, if the call has one.
    pub body: Option<Vec<u8>>,
}

/// What the API answered.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The answer's JSON (null when it had no body).
    pub body: Value,
    /// The decision that let the command through, if any.
    pub decision_id: Option<String>,
}

impl ApiAnswer {
    /// An error answer of the API's shape (`{"code", "message"}`).
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiAnswer { status, body: json!({ "code": code, "message": message.into() }), decision_id: None }
    }

    /// The reply's JSON.
    pub fn to_json(&self) -> Value {
        let mut reply = json!({ "status": self.status, "body": self.body });
        if let Some(id) = &self.decision_id {
            reply["decision_id"] = json!(id);
        }
        reply
    }
}

/// The port the server implements: makes an API call and answers what the API answered.
#[async_trait::async_trait]
pub trait CommandApi: Send + Sync + 'static {
    /// Makes `call`.
    async fn call(&self, call: ApiCall) -> ApiAnswer;
}

/// The API call `command` with `body` stands for, or the answer that refuses it: 404 for a
/// command that does not exist, 422 for a body that is not the command's JSON (naming what
/// is wrong), as the API refuses a body.
pub fn api_call(command: &str, body: &[u8]) -> Result<(Method, String, Option<Vec<u8>>), ApiAnswer> {
    fn parse<'a, T: Deserialize<'a>>(command: &str, body: &'a [u8]) -> Result<T, ApiAnswer> {
        serde_json::from_slice(body)
            .map_err(|e| ApiAnswer::error(422, "unprocessable", format!("the body of {command} does not read: {e}")))
    }
    let call = match command {
        "deregister_host" => {
            let b: HostTarget = parse(command, body)?;
            (Method::Delete, format!("/api/v1/hosts/{}", segment(&b.host_id)), None)
        }
        "request_operation" => {
            let b: OperationRequest = parse(command, body)?;
            let collection = match b.target.as_str() {
                "host" => "hosts",
                "cluster" => "clusters",
                other => {
                    return Err(ApiAnswer::error(
                        422,
                        "unprocessable",
                        format!("target `{other}`: an operation runs on a `host` or a `cluster`"),
                    ));
                }
            };
            let params = serde_json::to_vec(&b.params.unwrap_or_else(|| json!({}))).unwrap_or_default();
            let path = format!("/api/v1/{collection}/{}/operations/{}", segment(&b.target_id), segment(&b.operation));
            (Method::Post, path, Some(params))
        }
        "delete_absent_database_instance" => {
            let b: DatabaseInstance = parse(command, body)?;
            let path = format!(
                "/api/v1/databases/{}/hosts/{}/instances/{}",
                segment(&b.database_id),
                segment(&b.host_id),
                segment(&b.instance_number)
            );
            (Method::Delete, path, None)
        }
        "delete_absent_application_instance" => {
            let b: ApplicationInstance = parse(command, body)?;
            let path = format!(
                "/api/v1/sap_systems/{}/hosts/{}/instances/{}",
                segment(&b.sap_system_id),
                segment(&b.host_id),
                segment(&b.instance_number)
            );
            (Method::Delete, path, None)
        }
        "publish_policy" => {
            // The API reads and checks the body itself (its 422s name the field).
            let _: Value = parse(command, body)?;
            (Method::Post, "/api/v1/policies".to_owned(), Some(body.to_vec()))
        }
        "retire_policy" => {
            let b: PolicyPath = parse(command, body)?;
            (Method::Post, format!("/api/v1/policies/{}/retire", segment(&b.path)), None)
        }
        other => {
            let known: Vec<&str> = COMMANDS.iter().map(|(name, _)| *name).collect();
            return Err(ApiAnswer::error(
                404,
                "not_found",
                format!("there is no command `{other}`; the commands are {}", known.join(", ")),
            ));
        }
    };
    Ok(call)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostTarget {
    host_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperationRequest {
    target: String,
    target_id: String,
    operation: String,
    params: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseInstance {
    database_id: String,
    host_id: String,
    instance_number: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicationInstance {
    sap_system_id: String,
    host_id: String,
    instance_number: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyPath {
    path: String,
}

/// `value` as one path segment: everything but RFC 3986's unreserved characters escaped.
fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    // `.` and `..` alone would be path steps, not names.
    if out == "." || out == ".." { out.replace('.', "%2E") } else { out }
}

/// Answers commands on `<commands_subject>.*` until `shutdown` turns true.
pub async fn serve(
    client: Client,
    settings: BusSettings,
    api: Arc<dyn CommandApi>,
    mut shutdown: watch::Receiver<bool>,
) {
    let subject = format!("{}.*", settings.commands_subject);
    let mut subscription = loop {
        match client.queue_subscribe(subject.clone(), QUEUE_GROUP.to_owned()).await {
            Ok(subscription) => break subscription,
            Err(error) => {
                tracing::warn!(%error, %subject, "cannot subscribe to the command subjects; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    };
    tracing::info!(%subject, "taking commands over NATS");
    let slots = Arc::new(Semaphore::new(settings.max_inflight_commands));
    let settings = Arc::new(settings);
    loop {
        let message = tokio::select! {
            message = subscription.next() => message,
            _ = shutdown.changed() => break,
        };
        let Some(message) = message else { break };
        let Some(reply) = message.reply.clone() else {
            tracing::debug!(subject = %message.subject, "a command without a reply subject is ignored");
            continue;
        };
        let (client, api, settings) = (client.clone(), api.clone(), settings.clone());
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                tokio::spawn(async move {
                    let answer = handle(&settings, api.as_ref(), &message).await;
                    respond(&client, reply, &command_of(&settings, &message), &answer).await;
                    drop(slot);
                });
            }
            Err(_) => {
                let answer = ApiAnswer::error(503, "unavailable", "too many commands at once; retry later");
                respond(&client, reply, &command_of(&settings, &message), &answer).await;
            }
        }
    }
    let _ = subscription.unsubscribe().await;
}

fn command_of(settings: &BusSettings, message: &Message) -> String {
    let subject = message.subject.as_str();
    subject
        .strip_prefix(settings.commands_subject.as_str())
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(subject)
        .to_owned()
}

/// The answer to one command message.
async fn handle(settings: &BusSettings, api: &dyn CommandApi, message: &Message) -> ApiAnswer {
    if message.payload.len() > settings.max_command_bytes {
        let limit = settings.max_command_bytes;
        return ApiAnswer::error(
            413,
            "payload_too_large",
            format!("the command is larger than the limit of {limit} bytes"),
        );
    }
    let command = command_of(settings, message);
    let (method, path, body) = match api_call(&command, &message.payload) {
        Ok(call) => call,
        Err(refusal) => return refusal,
    };
    let authorization = message.headers.as_ref().and_then(authorization);
    let call = ApiCall { method, path, authorization, body };
    match tokio::time::timeout(settings.command_timeout, api.call(call)).await {
        Ok(answer) => answer,
        Err(_) => {
            ApiAnswer::error(503, "unavailable", format!("the command took longer than {:?}", settings.command_timeout))
        }
    }
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers.get("Authorization").or_else(|| headers.get("authorization")).map(|v| v.as_str().to_owned())
}

async fn respond(client: &Client, reply: async_nats::Subject, command: &str, answer: &ApiAnswer) {
    let label = if COMMANDS.iter().any(|(name, _)| *name == command) { command.to_owned() } else { "unknown".into() };
    metrics::counter!("vigil_bus_commands_total", "command" => label, "status" => answer.status.to_string())
        .increment(1);
    let mut headers = HeaderMap::new();
    headers.insert("Content-Type", "application/json");
    headers.insert("Vigil-Status", answer.status.to_string().as_str());
    let payload = serde_json::to_vec(&answer.to_json()).unwrap_or_default();
    if let Err(error) = client.publish_with_headers(reply, headers, payload.into()).await {
        tracing::warn!(%error, command, "could not answer a command");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_command_is_the_api_call_it_stands_for() {
        let host = "0a4a2e7e-31a1-4a6b-9a56-2c8a3a5a0c11";
        assert_eq!(
            api_call("deregister_host", format!(r#"{{"host_id":"{host}"}}"#).as_bytes()).unwrap(),
            (Method::Delete, format!("/api/v1/hosts/{host}"), None)
        );
        let (method, path, body) = api_call(
            "request_operation",
            br#"{"target":"cluster","target_id":"c1","operation":"restart","params":{"force":true}}"#,
        )
        .unwrap();
        assert_eq!((method, path.as_str()), (Method::Post, "/api/v1/clusters/c1/operations/restart"));
        assert_eq!(serde_json::from_slice::<Value>(&body.unwrap()).unwrap(), json!({ "force": true }));
        let (_, _, body) =
            api_call("request_operation", br#"{"target":"host","target_id":"h","operation":"o"}"#).unwrap();
        assert_eq!(body.as_deref(), Some(&b"{}"[..]));
        assert_eq!(
            api_call("delete_absent_database_instance", br#"{"database_id":"d","host_id":"h","instance_number":"00"}"#)
                .unwrap()
                .1,
            "/api/v1/databases/d/hosts/h/instances/00"
        );
        assert_eq!(
            api_call("retire_policy", br#"{"path":"site/extra.rego"}"#).unwrap().1,
            "/api/v1/policies/site%2Fextra.rego/retire"
        );
        let publish = br#"{"path":"a.rego","source":"package a"}"#;
        assert_eq!(api_call("publish_policy", publish).unwrap().2.as_deref(), Some(&publish[..]));
    }

    #[test]
    fn bad_input_is_a_4xx_naming_what_is_wrong() {
        let refused = |command: &str, body: &[u8]| api_call(command, body).unwrap_err();
        let unknown = refused("shutdown_everything", b"{}");
        assert_eq!((unknown.status, unknown.body["code"].as_str()), (404, Some("not_found")));
        assert!(unknown.body["message"].as_str().unwrap().contains("deregister_host"));
        for body in [&b"not json"[..], b"", b"[]", br#"{"host_id":7}"#, br#"{"host_id":"x","extra":1}"#, b"\xff\xfe"] {
            let answer = refused("deregister_host", body);
            assert_eq!((answer.status, answer.body["code"].as_str()), (422, Some("unprocessable")), "{body:?}");
        }
        let target = refused("request_operation", br#"{"target":"database","target_id":"d","operation":"o"}"#);
        assert!(target.body["message"].as_str().unwrap().contains("`host` or a `cluster`"));
    }

    #[test]
    fn a_value_cannot_leave_its_path_segment() {
        assert_eq!(segment("../../admin"), "..%2F..%2Fadmin");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("a b?c#d"), "a%20b%3Fc%23d");
        let (_, path, _) = api_call("deregister_host", br#"{"host_id":"x/../../policies"}"#).unwrap();
        assert_eq!(path, "/api/v1/hosts/x%2F..%2F..%2Fpolicies");
    }

    #[test]
    fn a_reply_carries_the_status_and_the_api_body() {
        let answer = ApiAnswer {
            status: 202,
            body: json!({ "status": "deregistration_requested" }),
            decision_id: Some("d".into()),
        };
        assert_eq!(
            answer.to_json(),
            json!({ "status": 202, "body": { "status": "deregistration_requested" }, "decision_id": "d" })
        );
        assert_eq!(ApiAnswer::error(401, "unauthorized", "no").to_json()["body"]["code"], "unauthorized");
    }
}
