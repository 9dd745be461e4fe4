//! `GET /api/v1/databases[/{id}]` and the deletion of an absent database instance.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::database::{DatabaseCommand, ReplicationRole, Tenant};

use super::error::ApiError;
use super::extract::{Caller, QueryParams, parse_id};
use super::{DECISION_HEADER, LandscapeParams, Page, TagView, list_page, one_item, tag_views};
use crate::app::App;
use vigil_gate::gate::{GateCommand, Via};
use vigil_readmodel::databases::{DatabaseInstanceRow, DatabaseRow};

/// A database as the API shows it, with Trento's field names.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct DatabaseView {
    id: String,
    sid: String,
    health: String,
    #[schema(value_type = Vec<Object>)]
    tenants: Vec<Tenant>,
    database_instances: Vec<DatabaseInstanceView>,
    tags: Vec<TagView>,
    deregistered_at: Option<String>,
    registered_at: String,
    updated_at: String,
}

/// A database instance, with Trento's flat `system_replication_*` fields.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct DatabaseInstanceView {
    database_id: String,
    sid: String,
    host_id: String,
    instance_number: String,
    instance_hostname: Option<String>,
    features: String,
    http_port: Option<u16>,
    https_port: Option<u16>,
    start_priority: Option<String>,
    health: String,
    /// `Primary`, `Secondary`, or null when the instance does not replicate: Trento's policy
    /// says `""`, which its command's cast stores as `nil`.
    system_replication: Option<&'static str>,
    system_replication_status: Option<String>,
    system_replication_site: Option<String>,
    system_replication_mode: Option<String>,
    system_replication_operation_mode: Option<String>,
    system_replication_source_site: Option<String>,
    system_replication_tier: Option<u32>,
    absent_at: Option<String>,
    stale: bool,
}

#[utoipa::path(get, path = "/api/v1/databases", tag = "landscape", params(LandscapeParams),
    responses((status = 200, description = "One page of databases", body = Page<DatabaseView>)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<LandscapeParams>,
) -> Result<([(HeaderName, String); 1], Json<Page<DatabaseView>>), ApiError> {
    list_page(&app, &caller, "ReadDatabases", params.query()?, |q| app.reads.databases(q), view).await
}

#[utoipa::path(get, path = "/api/v1/databases/{id}", tag = "landscape",
    params(("id" = uuid::Uuid, Path, description = "The database id")),
    responses((status = 200, description = "The database", body = DatabaseView)))]
pub(super) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<DatabaseView>), ApiError> {
    one_item(&app, &caller, "ReadDatabases", "database", &id, |id| app.reads.database(id), view).await
}

/// Deletes an instance its host no longer lists; a present one is refused with 422.
#[utoipa::path(delete, path = "/api/v1/databases/{id}/hosts/{host_id}/instances/{instance_number}", tag = "landscape",
    params(("id" = uuid::Uuid, Path, description = "The database id"),
        ("host_id" = uuid::Uuid, Path, description = "The host id"),
        ("instance_number" = String, Path, pattern = "^[0-9]{2}$", description = "The instance number, e.g. `00`")),
    responses((status = 204, description = "Deleted")))]
pub(super) async fn delete_absent_instance(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path((id, host_id, instance_number)): Path<(String, String, String)>,
) -> Result<(StatusCode, [(HeaderName, String); 1]), ApiError> {
    let database_id = parse_id("database id", &id)?;
    let host_id = parse_id("host id", &host_id)?;
    let (now, meta) = request_meta();
    let command = DatabaseCommand::DeleteAbsentDatabaseInstance { host_id, instance_number, at: now };
    let admitted = app
        .gate
        .submit(
            &caller.0,
            GateCommand::Landscape(LandscapeCommand::Database { database_id, command }),
            Via::Direct,
            &meta,
        )
        .await?;
    Ok((StatusCode::NO_CONTENT, [(DECISION_HEADER, admitted.decision_id.to_string())]))
}

/// The time and metadata of a command sent through the API.
pub(super) fn request_meta() -> (chrono::DateTime<Utc>, EventMetadata) {
    let now = Utc::now();
    let meta = EventMetadata {
        time: now,
        source: "/vigil/api".into(),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
    };
    (now, meta)
}

pub(super) fn view(database: DatabaseRow) -> DatabaseView {
    DatabaseView {
        tags: tag_views("database", &database.id, database.tags),
        id: database.id,
        sid: database.sid,
        health: database.health,
        tenants: database.tenants,
        database_instances: database.instances.into_iter().map(instance_view).collect(),
        deregistered_at: database.deregistered_at,
        registered_at: database.registered_at,
        updated_at: database.updated_at,
    }
}

pub(super) fn instance_view(instance: DatabaseInstanceRow) -> DatabaseInstanceView {
    let replication = instance.system_replication;
    DatabaseInstanceView {
        database_id: instance.database_id,
        sid: instance.sid,
        host_id: instance.host_id,
        instance_number: instance.instance_number,
        instance_hostname: instance.instance_hostname,
        features: instance.features,
        http_port: instance.http_port,
        https_port: instance.https_port,
        start_priority: instance.start_priority,
        health: instance.health,
        system_replication: replication.role.map(|role| match role {
            ReplicationRole::Primary => "Primary",
            ReplicationRole::Secondary => "Secondary",
        }),
        system_replication_status: replication.status,
        system_replication_site: replication.site,
        system_replication_mode: replication.mode,
        system_replication_operation_mode: replication.operation_mode,
        system_replication_source_site: replication.source_site,
        system_replication_tier: replication.tier,
        absent_at: instance.absent_at,
        stale: instance.stale,
    }
}
