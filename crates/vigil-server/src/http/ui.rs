//! The web UI: `GET /` (the page) and `GET /ui/{asset}` (its ES modules and style sheet),
//! embedded in the binary and served under a Content-Security-Policy of `'self'`; and what
//! the UI asks about its user: `GET /api/v1/me` (who the token stands for and what the
//! policy lets them do) and `POST /api/v1/sessions` (a sign-in, recorded in the audit log).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use vigil_policy::{AuthzInput, CommandInput, TargetInput};

use super::error::ApiError;
use super::extract::Caller;
use crate::app::App;
use vigil_gate::principal::Principal;

/// The UI's files: name, content type, content (`assets/ui/`).
const ASSETS: &[(&str, &str, &str)] = &[
    ("app.js", JS, include_str!("../../assets/ui/app.js")),
    ("api.js", JS, include_str!("../../assets/ui/api.js")),
    ("live.js", JS, include_str!("../../assets/ui/live.js")),
    ("dom.js", JS, include_str!("../../assets/ui/dom.js")),
    ("pages.js", JS, include_str!("../../assets/ui/pages.js")),
    ("landscape.js", JS, include_str!("../../assets/ui/landscape.js")),
    ("operations.js", JS, include_str!("../../assets/ui/operations.js")),
    ("checks.js", JS, include_str!("../../assets/ui/checks.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../../assets/ui/style.css")),
    ("favicon.svg", "image/svg+xml", include_str!("../../assets/ui/favicon.svg")),
];
const JS: &str = "text/javascript; charset=utf-8";
const INDEX: &str = include_str!("../../assets/ui/index.html");

/// Nothing but this server: no inline script or style, no frames, no other origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The web UI.
#[utoipa::path(get, path = "/", tag = "ui", security(()),
    responses((status = 200, description = "The UI's page (HTML)", body = String, content_type = "text/html")))]
pub(super) async fn index() -> Response {
    // The page is small and names its modules; it is not cached, so an upgrade shows at once.
    file(INDEX, "text/html; charset=utf-8", "no-cache")
}

/// The UI's modules, style sheet and icon.
#[utoipa::path(get, path = "/ui/{asset}", tag = "ui", security(()),
    params(("asset" = String, Path, description = "`app.js`, `style.css`, ... (the names the page loads)")),
    responses((status = 200, description = "The file", body = String)))]
pub(super) async fn asset(Path(name): Path<String>) -> Result<Response, ApiError> {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return Err(ApiError::NotFound(format!("no UI asset `{name}`")));
    };
    Ok(file(body, content_type, "no-cache"))
}

fn file(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")),
            (HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer")),
        ],
        body,
    )
        .into_response()
}

/// What the UI may offer; each is asked of the policy as the REST call would ask it.
const ACTIONS: &[(&str, bool)] = &[
    ("ReadHosts", true),
    ("ReadClusters", true),
    ("ReadDatabases", true),
    ("ReadSapSystems", true),
    ("ReadEvents", true),
    ("ReadActions", true),
    ("ReadAudit", true),
    ("ReadPolicies", true),
    ("ReadDecisions", true),
    ("AddTag", false),
    ("RemoveTag", false),
    ("RequestHostDeregistration", false),
    ("RedriveAction", false),
    ("PublishPolicy", false),
];

/// Who the token stands for and what the policy in force allows them.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Me {
    #[schema(value_type = Object)]
    principal: Principal,
    /// Each action the UI offers, and whether the policy allows it now (a probe: no target,
    /// so a rule that looks at the target's state may still refuse the real request).
    allowed: std::collections::BTreeMap<&'static str, bool>,
    /// The policy revision that answered.
    revision: String,
}

fn me_of(app: &App, principal: Principal) -> Result<Me, ApiError> {
    let policies = app.policies.repository().current();
    let mut allowed = std::collections::BTreeMap::new();
    for (action, read) in ACTIONS {
        let input = AuthzInput {
            principal: principal.clone(),
            command: CommandInput { command_type: (*action).to_owned(), body: json!({}), read: *read },
            target: (!read).then(|| TargetInput {
                id: String::new(),
                kind: String::new(),
                state: serde_json::Value::Null,
            }),
        };
        let decision = policies
            .authorize(&input)
            .map_err(|e| ApiError::Unavailable(format!("authorization policy failed: {e}")))?;
        allowed.insert(*action, decision.allow == Some(true));
    }
    Ok(Me { principal, allowed, revision: app.policies.repository().revision().to_string() })
}

/// The caller and what they may do.
#[utoipa::path(get, path = "/api/v1/me", tag = "ui",
    responses((status = 200, description = "The principal and its allowed actions", body = Me)))]
pub(super) async fn me(State(app): State<Arc<App>>, caller: Caller) -> Result<Json<Me>, ApiError> {
    Ok(Json(me_of(&app, caller.0)?))
}

/// Signs in: checks the token like every request does, and records the sign-in in the audit
/// log (the activity page lists it). The token stays with the client; nothing else is
/// created.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "ui",
    responses((status = 201, description = "Signed in: the principal and its allowed actions", body = Me)))]
pub(super) async fn sign_in(State(app): State<Arc<App>>, caller: Caller) -> Result<Response, ApiError> {
    app.gate.audit_record("sign_in", json!({ "principal": caller.0, "via": "ui" })).await?;
    Ok((StatusCode::CREATED, Json(me_of(&app, caller.0)?)).into_response())
}
