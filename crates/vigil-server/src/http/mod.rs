//! HTTP: routes, extractors and the one mapping of errors to statuses.

pub mod consistency;
pub mod error;
pub mod extract;

pub use reference::document as openapi;

mod actions;
mod activity;
mod audit;
mod checks;
mod clusters;
mod databases;
mod discoveries;
mod events;
mod facts;
mod health;
mod hosts;
mod ingest;
mod operations;
mod policies;
mod policy_trial;
mod reference;
mod sap_systems;
mod stream;
mod tags;
mod ui;

use std::sync::Arc;

use axum::http::HeaderName;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::App;
use error::ApiError;
use extract::Caller;
use vigil_readmodel::ListQuery;

/// Every route of the API, with its description: a route is added only through
/// `routes!`, which also puts it in the OpenAPI document.
pub fn router(app: Arc<App>) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), consistency::min_position))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), ingest::admit))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .layer(tower_http::trace::TraceLayer::new_for_http().on_failure(log_failure))
        .with_state(app)
}

/// A 503 is the server shedding load or waiting for a dependency: it says so to the client
/// and counts it in `/metrics`; logged at ERROR it would flood the log exactly when the
/// server is busiest. Other failures (a 500: a bug) stay errors.
fn log_failure(
    failure: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass::StatusCode as Status;
    match failure {
        Status(status) if status == axum::http::StatusCode::SERVICE_UNAVAILABLE => {
            tracing::debug!(?latency, "answered 503")
        }
        failure => tracing::error!(%failure, ?latency, "response failed"),
    }
}

/// The routes and their OpenAPI operations, in one list.
fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::with_openapi(reference::Fixed::openapi())
        .routes(routes!(health::alive))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(reference::openapi_json))
        .routes(routes!(reference::page))
        .routes(routes!(reference::asset))
        .routes(routes!(ingest::collect))
        .routes(routes!(ingest::parked))
        .routes(routes!(ingest::heartbeat))
        .routes(routes!(hosts::list))
        .routes(routes!(hosts::get, hosts::deregister))
        .routes(routes!(tags::add_to_host))
        .routes(routes!(tags::remove_from_host))
        .routes(routes!(clusters::list))
        .routes(routes!(clusters::get))
        .routes(routes!(tags::add_to_cluster))
        .routes(routes!(tags::remove_from_cluster))
        .routes(routes!(databases::list))
        .routes(routes!(databases::get))
        .routes(routes!(tags::add_to_database))
        .routes(routes!(tags::remove_from_database))
        .routes(routes!(databases::delete_absent_instance))
        .routes(routes!(sap_systems::list))
        .routes(routes!(sap_systems::health))
        .routes(routes!(sap_systems::get))
        .routes(routes!(tags::add_to_sap_system))
        .routes(routes!(tags::remove_from_sap_system))
        .routes(routes!(sap_systems::delete_absent_instance))
        .routes(routes!(events::list, events::publish))
        .routes(routes!(stream::stream))
        .routes(routes!(discoveries::list))
        .routes(routes!(policies::decisions))
        .routes(routes!(policies::list, policies::publish))
        .routes(routes!(policies::retire))
        .routes(routes!(policy_trial::evaluate))
        .routes(routes!(checks::catalog))
        .routes(routes!(checks::of_cluster))
        .routes(routes!(checks::of_host))
        .routes(routes!(checks::select_on_cluster))
        .routes(routes!(checks::select_on_host))
        .routes(routes!(checks::execute_on_cluster))
        .routes(routes!(checks::execute_on_host))
        .routes(routes!(checks::execution))
        .routes(routes!(checks::executions_of_cluster))
        .routes(routes!(checks::executions_of_host))
        .routes(routes!(facts::channel))
        .routes(routes!(actions::rules, actions::add_rule))
        .routes(routes!(actions::remove_rule))
        .routes(routes!(actions::executions))
        .routes(routes!(actions::execution))
        .routes(routes!(actions::dead_letters))
        .routes(routes!(actions::redrive))
        .routes(routes!(actions::for_event))
        .routes(routes!(operations::catalog))
        .routes(routes!(operations::on_host))
        .routes(routes!(operations::on_cluster))
        .routes(routes!(operations::get))
        .routes(routes!(audit::head))
        .routes(routes!(audit::record))
        .routes(routes!(audit::inclusion))
        .routes(routes!(audit::consistency))
        .routes(routes!(activity::list))
        .routes(routes!(activity::verification))
        .routes(routes!(ui::index))
        .routes(routes!(ui::asset))
        .routes(routes!(ui::me))
        .routes(routes!(ui::sign_in))
}

/// The closed sets of query values: the handlers check against them and the OpenAPI
/// document lists them.
pub(super) mod values {
    pub const HEALTH: &[&str] = &["passing", "warning", "critical", "unknown"];
    pub const HEARTBEAT: &[&str] = &["unknown", "passing", "critical"];
    pub const CLUSTER_TYPE: &[&str] = &["hana_scale_up", "hana_scale_out", "ascs_ers", "hana_ascs_ers", "unknown"];
    pub const DISCOVERY_STATUS: &[&str] = &["applied", "discarded", "parked", "not_interpreted"];
    pub const DECISION_RESULT: &[&str] = &["allow", "deny"];
    pub const EXECUTION_STATUS: &[&str] =
        &["pending", "running", "succeeded", "skipped", "denied", "dead", "cancelled"];
}

/// The header carrying the id of the decision that let a request through.
pub const DECISION_HEADER: HeaderName = HeaderName::from_static("vigil-decision-id");

/// Authorizes a read for the caller (`ReadHosts`, ...), recording the decision.
async fn authorize_read(app: &App, caller: &Caller, read: &str) -> Result<[(HeaderName, String); 1], ApiError> {
    let decision: Uuid = app.gate.authorize_read(&caller.0, read, None).await?;
    Ok([(DECISION_HEADER, decision.to_string())])
}

/// A decision header and a JSON body: what every landscape read answers.
type Read<T> = ([(HeaderName, String); 1], Json<T>);

/// One page of a landscape list: the read authorized as `read`, the page fetched by `list`
/// and each row shown by `view`. The four lists differ only in these arguments.
async fn list_page<Row, V, Fut>(
    app: &App,
    caller: &Caller,
    read: &str,
    query: ListQuery,
    list: impl FnOnce(ListQuery) -> Fut,
    view: impl FnMut(Row) -> V,
) -> Result<Read<Page<V>>, ApiError>
where
    Fut: std::future::Future<Output = Result<(Vec<Row>, u64), vigil_readmodel::port::ReadError>>,
{
    let decision = authorize_read(app, caller, read).await?;
    let (offset, limit) = (query.offset, query.limit);
    let (rows, total) = list(query).await?;
    Ok((decision, Json(Page { items: rows.into_iter().map(view).collect(), total, offset, limit })))
}

/// One landscape item: the read authorized as `read`, the path's `id` parsed as the id of a
/// `what`, the row fetched by `get` (404 when it is not registered) and shown by `view`.
async fn one_item<Row, V, Fut>(
    app: &App,
    caller: &Caller,
    read: &str,
    what: &str,
    id: &str,
    get: impl FnOnce(String) -> Fut,
    view: impl FnOnce(Row) -> V,
) -> Result<Read<V>, ApiError>
where
    Fut: std::future::Future<Output = Result<Option<Row>, vigil_readmodel::port::ReadError>>,
{
    let decision = authorize_read(app, caller, read).await?;
    let item_id = extract::parse_id(&format!("{what} id"), id)?;
    let row = get(item_id.to_string()).await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("{what} {item_id} is not registered")))?;
    Ok((decision, Json(view(row))))
}

/// The query parameters of the landscape lists: filters and paging. One struct for all
/// (a list ignores the filters it has no use for), as the query string parser cannot
/// flatten typed fields.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LandscapeParams {
    /// Hosts: only this hostname.
    hostname: Option<String>,
    /// Hosts: the heartbeat.
    #[param(schema_with = reference::heartbeat)]
    heartbeat: Option<String>,
    /// Hosts: only members of this cluster.
    #[param(value_type = Option<uuid::Uuid>)]
    cluster_id: Option<String>,
    /// Only resources of this health.
    #[param(schema_with = reference::health)]
    health: Option<String>,
    /// Only resources with this tag.
    tag: Option<String>,
    /// Clusters, SAP systems, databases: only this SID.
    sid: Option<String>,
    /// Clusters: only this type.
    #[serde(rename = "type")]
    #[param(schema_with = reference::cluster_type)]
    cluster_type: Option<String>,
    /// Also list what was deregistered.
    #[serde(default)]
    include_deregistered: bool,
    /// How many items to skip.
    #[serde(default)]
    #[param(maximum = 4294967295.0)]
    offset: u32,
    /// At most this many items (1 to 1000, default 100).
    #[param(maximum = 4294967295.0)]
    limit: Option<u32>,
}

impl LandscapeParams {
    /// The filters as a query, with a 400 for a value that does not exist. Every filter is
    /// checked on every list, also where that list does not use it, so a typo is never
    /// silently ignored.
    fn query(&self) -> Result<ListQuery, ApiError> {
        if let Some(health) = self.health.as_deref()
            && !values::HEALTH.contains(&health)
        {
            return Err(ApiError::BadRequest(format!(
                "health must be passing, warning, critical or unknown, not `{health}`"
            )));
        }
        if let Some(h) = self.heartbeat.as_deref()
            && !values::HEARTBEAT.contains(&h)
        {
            return Err(ApiError::BadRequest(format!("heartbeat must be unknown, passing or critical, not `{h}`")));
        }
        if let Some(t) = self.cluster_type.as_deref()
            && !values::CLUSTER_TYPE.contains(&t)
        {
            return Err(ApiError::BadRequest(format!(
                "type must be one of {}, not `{t}`",
                values::CLUSTER_TYPE.join(", ")
            )));
        }
        if let Some(cluster_id) = self.cluster_id.as_deref() {
            extract::parse_id("cluster_id", cluster_id)?;
        }
        Ok(ListQuery {
            health: self.health.clone(),
            tag: self.tag.as_deref().map(|t| t.trim().to_owned()),
            sid: self.sid.clone(),
            cluster_type: self.cluster_type.clone(),
            include_deregistered: self.include_deregistered,
            offset: self.offset as usize,
            limit: page_limit(self.limit),
        })
    }
}

/// The largest event position the API takes or gives: a JSON reader in JavaScript holds
/// integers exactly only up to 2^53 - 1.
pub const MAX_POSITION: u64 = (1 << 53) - 1;

/// A page's size: what was asked for within 1 to 1000, 100 by default.
fn page_limit(asked: Option<u32>) -> usize {
    asked.unwrap_or(100).clamp(1, 1000) as usize
}

/// One page of a list.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Page<T> {
    items: Vec<T>,
    total: u64,
    offset: usize,
    limit: usize,
}

/// A tag as Trento shows it on a resource.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct TagView {
    value: String,
    resource_id: String,
    resource_type: &'static str,
}

fn tag_views(resource_type: &'static str, resource_id: &str, values: Vec<String>) -> Vec<TagView> {
    values.into_iter().map(|value| TagView { value, resource_id: resource_id.to_owned(), resource_type }).collect()
}

/// The entry of read model `model` with id `id` as the API shows it: what an action's
/// enrichment sees, so a template names the same fields a client reads.
pub(crate) async fn read_model_view(app: &App, model: &str, id: &str) -> Result<Option<serde_json::Value>, String> {
    let Ok(id) = id.parse::<Uuid>() else { return Ok(None) };
    let id = id.to_string();
    let to_json = |view: Result<serde_json::Value, serde_json::Error>| view.map(Some).map_err(|e| e.to_string());
    match model {
        "host" => match app.reads.host(id).await.map_err(|e| e.to_string())? {
            Some(row) => to_json(serde_json::to_value(hosts::view(app, row))),
            None => Ok(None),
        },
        "cluster" => match app.reads.cluster(id).await.map_err(|e| e.to_string())? {
            Some(row) => to_json(serde_json::to_value(clusters::view(row))),
            None => Ok(None),
        },
        "database" => match app.reads.database(id).await.map_err(|e| e.to_string())? {
            Some(row) => to_json(serde_json::to_value(databases::view(row))),
            None => Ok(None),
        },
        "sap_system" => match app.reads.sap_system(id).await.map_err(|e| e.to_string())? {
            Some(row) => to_json(serde_json::to_value(sap_systems::view(row))),
            None => Ok(None),
        },
        other => Err(format!("no read model {other}")),
    }
}
