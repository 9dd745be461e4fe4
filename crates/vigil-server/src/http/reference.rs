//! The API's own description: `GET /api/openapi.json` (OpenAPI 3.1, generated from the
//! handlers and their types) and `GET /api/docs`, a browsable reference page embedded in
//! the binary so that it works on a machine without internet access.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::Modify;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{KnownFormat, ObjectBuilder, OpenApi, RefOr, ResponseBuilder, SchemaFormat, Type};

use super::error::ApiError;

/// The document's fixed parts; the paths come from the router (`super::routes`), so a route
/// cannot be served without being described.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Vigil",
        description = "Vigil's REST API: the Trento agent's ingest paths, the landscape read models, \
            events, the discovery log, policies, decisions and the audit log. Errors are \
            `{\"code\", \"message\"}`; every GET accepts `min_position` (read-your-writes).",
        license(name = "Apache-2.0")
    ),
    security(("bearer_token" = [])),
    components(schemas(super::error::ErrorBody)),
    tags(
        (name = "agents", description = "What a Trento agent sends (`X-Trento-Apikey`)"),
        (name = "landscape", description = "Hosts, clusters, SAP systems and databases, with Trento's field names"),
        (name = "tags", description = "Tags on landscape resources"),
        (name = "events", description = "The event store, as CloudEvents"),
        (name = "discoveries", description = "The discovery log"),
        (name = "policies", description = "Rego policies and the decisions they made"),
        (name = "checks", description = "Best-practice checks: the catalog, and evaluations of a cluster or host"),
        (name = "audit", description = "The tamper-evident audit log and its proofs"),
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "reference", description = "This document and its browsable page"),
        (name = "ui", description = "The web UI and what it asks about its user"),
    )
)]
pub(super) struct Fixed;

/// The complete document, built once.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(|| {
        let (_, mut document) = super::routes().split_for_parts();
        Conventions.modify(&mut document);
        document
    });
    &DOCUMENT
}

/// What holds for every operation and is therefore written once, here: the credentials,
/// the error statuses the API's one error mapping can give, the decision header and
/// `min_position`.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A `vgt_...` token (`vigil token create`)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "agent_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Trento-Apikey",
                "The agent key (`vigil key show`)",
            ))),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                operation.operation_id = Some(operation_id(method, path));
                conventions(method, operation);
            }
        }
    }
}

/// The operations of a path, with their method's name as OpenAPI spells it.
fn operations(item: &mut utoipa::openapi::PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("put", item.put.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
    .collect()
}

fn conventions(method: &str, operation: &mut Operation) {
    // `security(())` on an operation makes it public; no list means the document's default.
    let public = operation.security.as_ref().is_some_and(|s| s.iter().all(is_empty_requirement));
    let mut errors = vec![
        ("400", "Malformed request: a bad id, query parameter or `min_position`"),
        ("404", "No such resource or route"),
        ("503", "Storage unavailable, overloaded, or the read models did not reach `min_position` in time"),
    ];
    if !public {
        errors.push(("401", "Missing or invalid credential"));
        errors.push(("403", "The policy denies it (the reasons are the message)"));
    }
    if method != "get" {
        errors.push(("422", "Well-formed but refused: names the field or the business rule"));
    }
    if operation.request_body.is_some() {
        errors.push(("408", "The body did not arrive in time"));
        errors.push(("413", "The body is larger than `max_body_bytes`"));
    }
    for (status, description) in errors {
        operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/json", utoipa::openapi::Content::new(Some(error_schema())))
                    .build(),
            )
        });
    }
    if !public {
        let header = utoipa::openapi::header::HeaderBuilder::new()
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
            ))
            .description(Some("The id of the policy decision that let the request through"))
            .build();
        for (status, response) in operation.responses.responses.iter_mut() {
            if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                response.headers.insert(super::DECISION_HEADER.to_string(), RefOr::T(header.clone()));
            }
        }
    }
    if method == "get" {
        operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(min_position()));
    }
}

/// A unique, readable operation id from the method and the path
/// (`get_api_v1_hosts_id`): the handlers' own names (`list`, `get`) repeat across modules.
fn operation_id(method: &str, path: &str) -> String {
    let words: Vec<&str> =
        path.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').filter(|w| !w.is_empty()).collect();
    format!("{method}_{}", words.join("_"))
}

fn is_empty_requirement(requirement: &utoipa::openapi::security::SecurityRequirement) -> bool {
    *requirement == utoipa::openapi::security::SecurityRequirement::default()
}

fn error_schema() -> RefOr<utoipa::openapi::schema::Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"))
}

fn min_position() -> Parameter {
    ParameterBuilder::new()
        .name("min_position")
        .parameter_in(ParameterIn::Query)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "Answer only once every read model has reached this event position (a 202's \
             `last_position`); 503 with `Retry-After` past `read_wait`",
        ))
        .schema(Some(
            ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)).maximum(Some(super::MAX_POSITION as f64)),
        ))
        .build()
}

/// A query parameter that takes one of `values`, or is left out.
fn one_of(values: &[&str]) -> utoipa::openapi::Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.iter().copied())).build()
}

pub(super) fn health() -> utoipa::openapi::Object {
    one_of(super::values::HEALTH)
}

pub(super) fn heartbeat() -> utoipa::openapi::Object {
    one_of(super::values::HEARTBEAT)
}

pub(super) fn cluster_type() -> utoipa::openapi::Object {
    one_of(super::values::CLUSTER_TYPE)
}

pub(super) fn execution_status() -> utoipa::openapi::Object {
    one_of(super::values::EXECUTION_STATUS)
}

pub(super) fn discovery_status() -> utoipa::openapi::Object {
    one_of(super::values::DISCOVERY_STATUS)
}

pub(super) fn decision_result() -> utoipa::openapi::Object {
    one_of(super::values::DECISION_RESULT)
}

/// The OpenAPI document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "reference", security(()),
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object)))]
pub(super) async fn openapi_json() -> Response {
    static JSON: LazyLock<String> =
        LazyLock::new(|| document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")));
    ([(header::CONTENT_TYPE, "application/json")], JSON.as_str()).into_response()
}

/// The browsable reference page (Swagger UI, served from the binary).
#[utoipa::path(get, path = "/api/docs", tag = "reference", security(()),
    responses((status = 200, description = "An HTML page", body = String, content_type = "text/html")))]
pub(super) async fn page() -> Response {
    asset_response(PAGE, "text/html; charset=utf-8")
}

/// The page's scripts and styles.
#[utoipa::path(get, path = "/api/docs/{asset}", tag = "reference", security(()),
    params(("asset" = String, Path, description = "`swagger-ui-bundle.js`, `swagger-ui.css` or `init.js`")),
    responses((status = 200, description = "The file", body = String)))]
pub(super) async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    let (body, content_type) = match name.as_str() {
        "swagger-ui-bundle.js" => (BUNDLE, "text/javascript; charset=utf-8"),
        "swagger-ui.css" => (STYLE, "text/css; charset=utf-8"),
        "init.js" => (INIT, "text/javascript; charset=utf-8"),
        _ => return Err(ApiError::NotFound(format!("no asset `{name}`"))),
    };
    Ok(asset_response(body, content_type))
}

/// Everything the page loads comes from this server: the policy tells the browser so, and
/// refuses anything else.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

fn asset_response(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            (HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")),
        ],
        body,
    )
        .into_response()
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Vigil API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
"#;

/// Relative URLs, so the page also works behind a proxy that mounts Vigil under a prefix.
const INIT: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });
});
"##;

/// Swagger UI 5.36.0 (`assets/swagger-ui/README.md`).
const BUNDLE: &str = include_str!("../../assets/swagger-ui/swagger-ui-bundle.js");
const STYLE: &str = include_str!("../../assets/swagger-ui/swagger-ui.css");
