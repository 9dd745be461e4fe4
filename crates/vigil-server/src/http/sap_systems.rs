//! `GET /api/v1/sap_systems[/{id}]`, `GET /api/v1/sap_systems/health` and the deletion of an
//! absent application instance.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use serde::Serialize;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::health::Health;
use vigil_landscape::sap_system::SapSystemCommand;

use super::databases::{DatabaseInstanceView, instance_view, request_meta};
use super::error::ApiError;
use super::extract::{Caller, QueryParams, parse_id};
use super::{DECISION_HEADER, LandscapeParams, Page, TagView, authorize_read, list_page, one_item, tag_views};
use crate::app::App;
use vigil_gate::gate::{GateCommand, Via};
use vigil_readmodel::hosts::HostRow;
use vigil_readmodel::sap_systems::{ApplicationInstanceRow, SapSystemRow};

/// A SAP system as the API shows it, with Trento's field names.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SapSystemView {
    id: String,
    sid: String,
    tenant: String,
    db_host: Option<String>,
    health: String,
    ensa_version: String,
    database_id: String,
    database_sid: Option<String>,
    database_health: Option<String>,
    application_instances: Vec<ApplicationInstanceView>,
    database_instances: Vec<DatabaseInstanceView>,
    tags: Vec<TagView>,
    deregistered_at: Option<String>,
    registered_at: Option<String>,
    updated_at: String,
}

/// An application instance, with Trento's field names.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ApplicationInstanceView {
    sap_system_id: String,
    sid: String,
    host_id: String,
    instance_number: String,
    instance_hostname: Option<String>,
    features: String,
    http_port: Option<u16>,
    https_port: Option<u16>,
    start_priority: Option<String>,
    health: String,
    absent_at: Option<String>,
    stale: bool,
}

/// One line of the health overview: a SAP system, its database, their clusters and hosts,
/// and each instance.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct HealthSummary {
    id: String,
    sid: String,
    tenant: String,
    sapsystem_health: String,
    database_id: String,
    database_sid: Option<String>,
    database_health: Option<String>,
    application_cluster_id: Option<String>,
    application_cluster_health: Option<String>,
    database_cluster_id: Option<String>,
    database_cluster_health: Option<String>,
    hosts_health: String,
    instances: Vec<InstanceHealth>,
}

/// An instance's line of the health overview.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct InstanceHealth {
    /// `application` or `database`.
    #[serde(rename = "type")]
    kind: &'static str,
    host_id: String,
    hostname: Option<String>,
    instance_number: String,
    health: String,
    absent: bool,
    stale: bool,
}

#[utoipa::path(get, path = "/api/v1/sap_systems", tag = "landscape", params(LandscapeParams),
    responses((status = 200, description = "One page of SAP systems", body = Page<SapSystemView>)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<LandscapeParams>,
) -> Result<([(HeaderName, String); 1], Json<Page<SapSystemView>>), ApiError> {
    list_page(&app, &caller, "ReadSapSystems", params.query()?, |q| app.reads.sap_systems(q), view).await
}

#[utoipa::path(get, path = "/api/v1/sap_systems/{id}", tag = "landscape",
    params(("id" = uuid::Uuid, Path, description = "The SAP system id")),
    responses((status = 200, description = "The SAP system", body = SapSystemView)))]
pub(super) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<SapSystemView>), ApiError> {
    one_item(&app, &caller, "ReadSapSystems", "SAP system", &id, |id| app.reads.sap_system(id), view).await
}

/// The health overview: per SAP system its health, its database's, the health of the
/// clusters and hosts it runs on, and each instance's.
#[utoipa::path(get, path = "/api/v1/sap_systems/health", tag = "landscape", params(LandscapeParams),
    responses((status = 200, description = "One page of the health overview", body = Page<HealthSummary>)))]
pub(super) async fn health(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<LandscapeParams>,
) -> Result<([(HeaderName, String); 1], Json<Page<HealthSummary>>), ApiError> {
    let decision = authorize_read(&app, &caller, "ReadSapSystems").await?;
    let query = params.query()?;
    let (offset, limit) = (query.offset, query.limit);
    let (rows, total) = app.reads.sap_systems(query).await?;
    let mut hosts: HashMap<String, Option<HostRow>> = HashMap::new();
    let mut cluster_health: HashMap<String, Option<String>> = HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for system in rows {
        let host_ids = system
            .application_instances
            .iter()
            .map(|i| &i.host_id)
            .chain(system.database_instances.iter().map(|i| &i.host_id));
        for host_id in host_ids {
            if !hosts.contains_key(host_id) {
                let row = app.reads.host(host_id.clone()).await?;
                hosts.insert(host_id.clone(), row);
            }
        }
        let host = |id: &str| hosts.get(id).and_then(Option::as_ref);
        let cluster_of = |id: &String| host(id)?.cluster_id.clone();
        let application_cluster_id = system.application_instances.iter().find_map(|i| cluster_of(&i.host_id));
        let database_cluster_id = system.database_instances.iter().find_map(|i| cluster_of(&i.host_id));
        for cluster_id in application_cluster_id.iter().chain(&database_cluster_id) {
            if !cluster_health.contains_key(cluster_id) {
                let row = app.reads.cluster(cluster_id.clone()).await?;
                cluster_health.insert(cluster_id.clone(), row.map(|c| c.health));
            }
        }
        let health_of_cluster =
            |id: &Option<String>| id.as_ref().and_then(|id| cluster_health.get(id).cloned().flatten());
        let mut instances: Vec<InstanceHealth> = system
            .application_instances
            .iter()
            .map(|i| InstanceHealth {
                kind: "application",
                host_id: i.host_id.clone(),
                hostname: host(&i.host_id).map(|h| h.details.hostname.clone()),
                instance_number: i.instance_number.clone(),
                health: i.health.clone(),
                absent: i.absent_at.is_some(),
                stale: i.stale,
            })
            .collect();
        instances.extend(system.database_instances.iter().map(|i| InstanceHealth {
            kind: "database",
            host_id: i.host_id.clone(),
            hostname: host(&i.host_id).map(|h| h.details.hostname.clone()),
            instance_number: i.instance_number.clone(),
            health: i.health.clone(),
            absent: i.absent_at.is_some(),
            stale: i.stale,
        }));
        let mut host_ids: Vec<&str> = instances.iter().map(|i| i.host_id.as_str()).collect();
        host_ids.sort_unstable();
        host_ids.dedup();
        let hosts_health = Health::worst(host_ids.iter().filter_map(|id| host(id)).map(|h| parse_health(&h.health)));
        items.push(HealthSummary {
            application_cluster_health: health_of_cluster(&application_cluster_id),
            database_cluster_health: health_of_cluster(&database_cluster_id),
            id: system.id,
            sid: system.sid,
            tenant: system.tenant,
            sapsystem_health: system.health,
            database_id: system.database_id,
            database_sid: system.database_sid,
            database_health: system.database_health,
            application_cluster_id,
            database_cluster_id,
            hosts_health: hosts_health.as_str().to_owned(),
            instances,
        });
    }
    Ok((decision, Json(Page { items, total, offset, limit })))
}

/// Deletes an instance its host no longer lists; a present one is refused with 422.
#[utoipa::path(delete, path = "/api/v1/sap_systems/{id}/hosts/{host_id}/instances/{instance_number}", tag = "landscape",
    params(("id" = uuid::Uuid, Path, description = "The SAP system id"),
        ("host_id" = uuid::Uuid, Path, description = "The host id"),
        ("instance_number" = String, Path, pattern = "^[0-9]{2}$", description = "The instance number, e.g. `00`")),
    responses((status = 204, description = "Deleted")))]
pub(super) async fn delete_absent_instance(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((id, host_id, instance_number)): Path<(String, String, String)>,
) -> Result<(StatusCode, [(HeaderName, String); 1]), ApiError> {
    let sap_system_id = parse_id("SAP system id", &id)?;
    let host_id = parse_id("host id", &host_id)?;
    let (now, meta) = request_meta();
    let command = SapSystemCommand::DeleteAbsentApplicationInstance { host_id, instance_number, at: now };
    let admitted = app
        .gate
        .submit(
            &caller.0,
            GateCommand::Landscape(LandscapeCommand::SapSystem { sap_system_id, command }),
            Via::Direct,
            &meta,
        )
        .await?;
    Ok((StatusCode::NO_CONTENT, [(DECISION_HEADER, admitted.decision_id.to_string())]))
}

fn parse_health(name: &str) -> Health {
    [Health::Passing, Health::Warning, Health::Critical]
        .into_iter()
        .find(|h| h.as_str() == name)
        .unwrap_or(Health::Unknown)
}

pub(super) fn view(system: SapSystemRow) -> SapSystemView {
    SapSystemView {
        tags: tag_views("sap_system", &system.id, system.tags),
        id: system.id,
        sid: system.sid,
        tenant: system.tenant,
        db_host: system.db_host,
        health: system.health,
        ensa_version: system.ensa_version,
        database_id: system.database_id,
        database_sid: system.database_sid,
        database_health: system.database_health,
        application_instances: system.application_instances.into_iter().map(application_view).collect(),
        database_instances: system.database_instances.into_iter().map(instance_view).collect(),
        deregistered_at: system.deregistered_at,
        registered_at: system.registered_at,
        updated_at: system.updated_at,
    }
}

fn application_view(instance: ApplicationInstanceRow) -> ApplicationInstanceView {
    ApplicationInstanceView {
        sap_system_id: instance.sap_system_id,
        sid: instance.sid,
        host_id: instance.host_id,
        instance_number: instance.instance_number,
        instance_hostname: instance.instance_hostname,
        features: instance.features,
        http_port: instance.http_port,
        https_port: instance.https_port,
        start_priority: instance.start_priority,
        health: instance.health,
        absent_at: instance.absent_at,
        stale: instance.stale,
    }
}
