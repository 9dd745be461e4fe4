//! `GET /api/v1/hosts[/{id}]` and `DELETE /api/v1/hosts/{id}` (deregistration).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use vigil_kernel::envelope::EventMetadata;
use vigil_landscape::LandscapeCommand;
use vigil_landscape::host::{
    Architecture, HostCommand, InstallationSource, PrometheusMode, Provider, SaptuneStatus, SlesSubscription,
    SystemdUnit,
};

use super::error::ApiError;
use super::extract::{Caller, QueryParams, parse_id};
use super::{DECISION_HEADER, LandscapeParams, Page, TagView, list_page, one_item, tag_views};
use crate::app::App;
use vigil_gate::gate::{GateCommand, Via};
use vigil_readmodel::hosts::{HostQuery, HostRow};

/// A host as the API shows it, with Trento's field names.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct HostView {
    id: String,
    hostname: String,
    fully_qualified_domain_name: Option<String>,
    /// Trento's list: the IPv4 addresses that are not loopback, as `ip/prefix`.
    ip_addresses: Vec<String>,
    /// The prefix length of each of `ip_addresses` (null for a bare address), as Trento's
    /// host projection splits them out.
    netmasks: Vec<Option<u8>>,
    agent_version: String,
    #[schema(value_type = String, example = "x86_64")]
    arch: Architecture,
    os_version: String,
    cpu_count: u32,
    socket_count: u32,
    total_memory_mb: u64,
    last_boot_timestamp: Option<DateTime<Utc>>,
    #[schema(value_type = Vec<Object>)]
    systemd_units: Vec<SystemdUnit>,
    #[schema(value_type = String, example = "community")]
    installation_source: InstallationSource,
    prometheus_targets: BTreeMap<String, String>,
    #[schema(value_type = String, example = "pull")]
    prometheus_mode: PrometheusMode,
    cluster_id: Option<String>,
    cluster_host_status: Option<String>,
    heartbeat: String,
    last_heartbeat_timestamp: Option<String>,
    provider: Option<&'static str>,
    /// The cloud's metadata, or null.
    provider_data: Value,
    #[schema(value_type = Vec<Object>)]
    sles_subscriptions: Vec<SlesSubscription>,
    /// Null when saptune is not installed.
    saptune_status: Value,
    sap_workload_running: bool,
    health: String,
    saptune_health: String,
    checks_health: String,
    stale_at: Option<String>,
    deregistered_at: Option<String>,
    tags: Vec<TagView>,
    registered_at: String,
    updated_at: String,
}

#[utoipa::path(get, path = "/api/v1/hosts", tag = "landscape", params(LandscapeParams),
    responses((status = 200, description = "One page of hosts", body = Page<HostView>)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<LandscapeParams>,
) -> Result<([(HeaderName, String); 1], Json<Page<HostView>>), ApiError> {
    let query = params.query()?;
    let LandscapeParams { hostname, heartbeat, cluster_id, .. } = params;
    let list = |list| app.reads.hosts(HostQuery { hostname, heartbeat, cluster_id, list });
    list_page(&app, &caller, "ReadHosts", query, list, |host| view(&app, host)).await
}

#[utoipa::path(get, path = "/api/v1/hosts/{id}", tag = "landscape",
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    responses((status = 200, description = "The host", body = HostView)))]
pub(super) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<HostView>), ApiError> {
    one_item(&app, &caller, "ReadHosts", "host", &id, |id| app.reads.host(id), |host| view(&app, host)).await
}

/// Asks for the host's deregistration. The Host aggregate refuses while its heartbeat is
/// alive (422 with the time from which it will be allowed); once granted, the process
/// manager deregisters the host's instances and cluster membership, then the host. Answers
/// 202: the request is durable, the rest follows.
#[utoipa::path(delete, path = "/api/v1/hosts/{id}", tag = "landscape",
    params(("id" = uuid::Uuid, Path, description = "The host id")),
    responses((status = 202, description = "Deregistration requested", body = Object)))]
pub(super) async fn deregister(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, [(HeaderName, String); 1], Json<Value>), ApiError> {
    let host_id = parse_id("host id", &id)?;
    let now = Utc::now();
    let command = HostCommand::RequestHostDeregistration {
        host_id,
        requested_at: now,
        last_heartbeat_at: app.heartbeats.last_heartbeat(host_id),
        heartbeat: app.heartbeats.policy(),
        debounce: app.config.deregistration_debounce,
    };
    let meta = EventMetadata {
        time: now,
        source: "/vigil/api".into(),
        correlation_id: Some(Uuid::now_v7()),
        causation_id: None,
    };
    let admitted = app
        .gate
        .submit(&caller.0, GateCommand::Landscape(LandscapeCommand::Host { host_id, command }), Via::Direct, &meta)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        [(DECISION_HEADER, admitted.decision_id.to_string())],
        Json(json!({
            "status": "deregistration_requested",
            "last_position": admitted.dispatched.last_position,
        })),
    ))
}

pub(super) fn view(app: &App, host: HostRow) -> HostView {
    let last = host.id.parse().ok().and_then(|id| app.heartbeats.last_heartbeat(id));
    let (provider, provider_data) = provider_fields(host.provider.as_ref());
    let details = host.details;
    HostView {
        tags: tag_views("host", &host.id, host.tags),
        id: host.id,
        hostname: details.hostname,
        fully_qualified_domain_name: details.fully_qualified_domain_name,
        netmasks: host.ip_addresses.iter().map(String::as_str).map(netmask).collect(),
        ip_addresses: host.ip_addresses,
        agent_version: details.agent_version,
        arch: details.arch,
        os_version: details.os_version,
        cpu_count: details.cpu_count,
        socket_count: details.socket_count,
        total_memory_mb: details.total_memory_mb,
        last_boot_timestamp: details.last_boot_timestamp,
        systemd_units: details.systemd_units,
        installation_source: details.installation_source,
        prometheus_targets: details.prometheus_targets,
        prometheus_mode: details.prometheus_mode,
        cluster_id: host.cluster_id,
        cluster_host_status: host.cluster_host_status,
        heartbeat: host.heartbeat,
        last_heartbeat_timestamp: last.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        provider,
        provider_data,
        sles_subscriptions: host.sles_subscriptions,
        saptune_status: saptune_view(host.saptune_status.as_ref()),
        sap_workload_running: host.sap_workload_running,
        health: host.health,
        saptune_health: host.saptune_health,
        checks_health: host.checks_health,
        stale_at: host.stale_at,
        deregistered_at: host.deregistered_at,
        registered_at: host.registered_at,
        updated_at: host.updated_at,
    }
}

/// The prefix length of an `ip/prefix` address; `None` for a bare one.
fn netmask(address: &str) -> Option<u8> {
    address.split_once('/').and_then(|(_, prefix)| prefix.trim().parse().ok())
}

/// Trento's `provider` (a name) and `provider_data` (the cloud's metadata, or null).
fn provider_fields(provider: Option<&Provider>) -> (Option<&'static str>, Value) {
    let Some(provider) = provider else {
        return (None, Value::Null);
    };
    let data = match provider {
        Provider::Azure(data) => json!(data),
        Provider::Aws(data) => json!(data),
        Provider::Gcp(data) => json!(data),
        Provider::Kvm | Provider::Nutanix | Provider::Vmware | Provider::Unknown => Value::Null,
    };
    (Some(provider.name()), data)
}

/// Trento's `saptune_status`: null when saptune is not installed or never reported, else
/// the version and what `saptune status` said.
fn saptune_view(status: Option<&SaptuneStatus>) -> Value {
    let Some(status) = status.filter(|s| s.saptune_installed) else {
        return Value::Null;
    };
    let mut view = json!({
        "package_version": status.package_version,
        "configured_version": null,
        "tuning_state": null,
        "services": [],
        "enabled_notes": [],
        "applied_notes": [],
        "enabled_solution": null,
        "applied_solution": null,
        "staging": null,
    });
    if let Some(tuning) = &status.tuning {
        view["configured_version"] = json!(tuning.configured_version);
        view["tuning_state"] = json!(tuning.tuning_state.as_str());
        view["services"] = json!(tuning.services);
        view["enabled_notes"] = json!(tuning.enabled_notes);
        view["applied_notes"] = json!(tuning.applied_notes);
        view["enabled_solution"] = json!(tuning.enabled_solution);
        view["applied_solution"] = json!(tuning.applied_solution);
        // Trento's key for the staged solutions is `solutions_ids`.
        view["staging"] = match &tuning.staging {
            None => Value::Null,
            Some(staging) => json!({
                "enabled": staging.enabled,
                "notes": staging.notes,
                "solutions_ids": staging.solution_ids,
            }),
        };
    }
    view
}
