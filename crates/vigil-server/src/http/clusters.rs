//! `GET /api/v1/clusters[/{id}]`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderName;
use serde::Serialize;
use vigil_landscape::cluster::{ClusterDetails, ClusterSapInstance, DiscoveredHealth};

use super::error::ApiError;
use super::extract::{Caller, QueryParams};
use super::{LandscapeParams, Page, TagView, list_page, one_item, tag_views};
use crate::app::App;
use vigil_readmodel::clusters::{ClusterMember, ClusterRow};

/// A cluster as the API shows it, with Trento's field names.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ClusterView {
    id: String,
    name: Option<String>,
    #[serde(rename = "type")]
    cluster_type: String,
    sid: Option<String>,
    additional_sids: Vec<String>,
    /// The SAP instances the cluster manages (HANA from `SAPHanaTopology`, the others from
    /// `SAPInstance` resources), Trento's `sap_instances`.
    #[schema(value_type = Vec<Object>)]
    sap_instances: Vec<ClusterSapInstance>,
    #[schema(value_type = Option<String>)]
    provider: Option<vigil_landscape::cluster::Provider>,
    /// Trento's names: `idle` (Pacemaker's `S_IDLE`), …, `stopped` when every member's
    /// cluster stack is stopped, `unknown`.
    state: String,
    /// When the CIB was last written, as the members last reported it.
    cib_last_written: Option<String>,
    hosts_number: Option<u32>,
    resources_number: Option<u32>,
    health: String,
    checks_health: String,
    #[schema(value_type = Object)]
    discovered_health: DiscoveredHealth,
    /// What the cluster discovery found: nodes, resources, SBD, replication.
    #[schema(value_type = Option<Object>)]
    details: Option<ClusterDetails>,
    hosts: Vec<MemberView>,
    tags: Vec<TagView>,
    deregistered_at: Option<String>,
    registered_at: String,
    updated_at: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct MemberView {
    host_id: String,
    cluster_host_status: String,
    stale: bool,
}

#[utoipa::path(get, path = "/api/v1/clusters", tag = "landscape", params(LandscapeParams),
    responses((status = 200, description = "One page of clusters", body = Page<ClusterView>)))]
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller,
    QueryParams(params): QueryParams<LandscapeParams>,
) -> Result<([(HeaderName, String); 1], Json<Page<ClusterView>>), ApiError> {
    list_page(&app, &caller, "ReadClusters", params.query()?, |q| app.reads.clusters(q), view).await
}

#[utoipa::path(get, path = "/api/v1/clusters/{id}", tag = "landscape",
    params(("id" = uuid::Uuid, Path, description = "The cluster id")),
    responses((status = 200, description = "The cluster", body = ClusterView)))]
pub(super) async fn get(
    State(app): State<Arc<App>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<([(HeaderName, String); 1], Json<ClusterView>), ApiError> {
    one_item(&app, &caller, "ReadClusters", "cluster", &id, |id| app.reads.cluster(id), view).await
}

pub(super) fn view(cluster: ClusterRow) -> ClusterView {
    let details = cluster.details;
    ClusterView {
        tags: tag_views("cluster", &cluster.id, cluster.tags),
        id: cluster.id,
        name: cluster.name,
        cluster_type: cluster.cluster_type,
        sid: details.as_ref().and_then(|d| d.sid.clone()),
        additional_sids: details.as_ref().map(|d| d.additional_sids.clone()).unwrap_or_default(),
        sap_instances: details.as_ref().map(|d| d.sap_instances.clone()).unwrap_or_default(),
        provider: details.as_ref().map(|d| d.provider),
        state: cluster.state,
        cib_last_written: cluster.cib_last_written,
        hosts_number: details.as_ref().map(|d| d.hosts_number),
        resources_number: details.as_ref().map(|d| d.resources_number),
        health: cluster.health,
        checks_health: cluster.checks_health,
        discovered_health: cluster.discovered_health,
        details,
        hosts: cluster.hosts.into_iter().map(member).collect(),
        deregistered_at: cluster.deregistered_at,
        registered_at: cluster.registered_at,
        updated_at: cluster.updated_at,
    }
}

fn member(member: ClusterMember) -> MemberView {
    MemberView { host_id: member.host_id, cluster_host_status: member.status, stale: member.stale }
}
