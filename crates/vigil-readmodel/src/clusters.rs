//! The clusters read model: one row per cluster ever registered and one per member host.
//!
//! `cluster_hosts` is also where a host's current cluster is looked up (the discovery
//! context of a cluster discovery, the `cluster_id` of a host).
//!
//! A cluster's `state` is the one its details report (`ClusterRegistered`,
//! `ClusterDetailsUpdated`) until a `ClusterStateChanged` says otherwise. When its CIB was
//! last written is not an event: reads join it from `cluster_cib` ([`crate::cib`]).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use vigil_kernel::envelope::RecordedEvent;
use vigil_landscape::cluster::{ClusterDetails, ClusterEvent, ClusterHostStatus, ClusterRunState, DiscoveredHealth};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use super::{ListQuery, Listing, TableProjection, decode, from_json, stamp, to_json};

/// The projection feeding `clusters` and `cluster_hosts`.
pub struct ClustersProjection;

impl TableProjection for ClustersProjection {
    const NAME: &'static str = "clusters";
    const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS clusters (
            id                TEXT PRIMARY KEY,
            name              TEXT,
            cluster_type      TEXT NOT NULL,
            sid               TEXT,
            additional_sids   TEXT NOT NULL DEFAULT '[]',
            details           TEXT,
            discovered_health TEXT NOT NULL,
            checks_health     TEXT NOT NULL DEFAULT 'unknown',
            health            TEXT NOT NULL,
            state             TEXT NOT NULL DEFAULT 'unknown',
            deregistered_at   TEXT,
            registered_at     TEXT NOT NULL,
            updated_at        TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS cluster_hosts (
            cluster_id TEXT NOT NULL,
            host_id    TEXT NOT NULL,
            status     TEXT NOT NULL,
            stale      INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (cluster_id, host_id)
        );
        CREATE INDEX IF NOT EXISTS cluster_hosts_by_host ON cluster_hosts (host_id);";
    const RESET: &'static str = "DELETE FROM clusters; DELETE FROM cluster_hosts;";
    /// 2: the `state` column.
    const VERSION: u32 = 2;
    const DROP: &'static str = "DROP TABLE IF EXISTS clusters; DROP TABLE IF EXISTS cluster_hosts;";
    const CATEGORIES: Option<&'static [&'static str]> = Some(&["cluster"]);

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        let event: ClusterEvent = decode(recorded)?;
        let id = event.cluster_id().to_string();
        let at = stamp(recorded.event.time);
        let set = |assignments: &str, value: rusqlite::types::Value| -> rusqlite::Result<()> {
            conn.prepare_cached(&format!("UPDATE clusters SET {assignments}, updated_at = ?3 WHERE id = ?1"))?
                .execute(params![id, value, at])?;
            Ok(())
        };
        let member = |host_id: uuid::Uuid, assignment: &str, value: rusqlite::types::Value| -> rusqlite::Result<()> {
            conn.prepare_cached(&format!(
                "UPDATE cluster_hosts SET {assignment} WHERE cluster_id = ?1 AND host_id = ?2"
            ))?
            .execute(params![id, host_id.to_string(), value])?;
            Ok(())
        };
        match &event {
            ClusterEvent::ClusterRegistered(e) => {
                let (cluster_type, sid, additional_sids) = summary(e.details.as_ref());
                let state = e.details.as_ref().map_or(ClusterRunState::Unknown, ClusterDetails::reported_state);
                conn.prepare_cached(
                    "INSERT INTO clusters (id, name, cluster_type, sid, additional_sids, details, discovered_health,
                                           health, state, registered_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
                     ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![
                    id,
                    e.name,
                    cluster_type,
                    sid,
                    additional_sids,
                    e.details.as_ref().map(to_json).transpose()?,
                    to_json(&e.discovered_health)?,
                    e.health.as_str(),
                    state.as_str(),
                    at
                ])?;
            }
            ClusterEvent::ClusterDetailsUpdated(e) => {
                let (cluster_type, sid, additional_sids) = summary(Some(&e.details));
                conn.prepare_cached(
                    "UPDATE clusters SET name = ?2, cluster_type = ?3, sid = ?4, additional_sids = ?5, details = ?6,
                                         state = ?7, updated_at = ?8
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    e.name,
                    cluster_type,
                    sid,
                    additional_sids,
                    to_json(&e.details)?,
                    e.details.reported_state().as_str(),
                    at
                ])?;
            }
            ClusterEvent::ClusterDiscoveredHealthChanged(e) => {
                set("discovered_health = ?2", to_json(&e.discovered_health)?.into())?
            }
            ClusterEvent::ClusterStateChanged(e) => set("state = ?2", e.state.as_str().to_owned().into())?,
            ClusterEvent::ClusterChecksHealthChanged(e) => {
                set("checks_health = ?2", e.checks_health.as_str().to_owned().into())?
            }
            ClusterEvent::ClusterHealthChanged(e) => set("health = ?2", e.health.as_str().to_owned().into())?,
            ClusterEvent::HostAddedToCluster(e) => {
                conn.prepare_cached(
                    "INSERT INTO cluster_hosts (cluster_id, host_id, status, stale) VALUES (?1, ?2, ?3, 0)
                     ON CONFLICT (cluster_id, host_id) DO UPDATE SET status = excluded.status, stale = 0",
                )?
                .execute(params![id, e.host_id.to_string(), status_name(e.cluster_host_status)])?;
            }
            ClusterEvent::ClusterHostStatusChanged(e) => {
                member(e.host_id, "status = ?3", status_name(e.cluster_host_status).to_owned().into())?
            }
            ClusterEvent::ClusterHostMarkedStale(e) => member(e.host_id, "stale = ?3", 1i64.into())?,
            ClusterEvent::ClusterHostMarkedInSync(e) => member(e.host_id, "stale = ?3", 0i64.into())?,
            ClusterEvent::HostRemovedFromCluster(e) => {
                conn.prepare_cached("DELETE FROM cluster_hosts WHERE cluster_id = ?1 AND host_id = ?2")?
                    .execute(params![id, e.host_id.to_string()])?;
            }
            ClusterEvent::ClusterDeregistered(_) => set("deregistered_at = ?2", at.clone().into())?,
            // The stream may be archived; the row stays as the deregistration left it.
            ClusterEvent::ClusterTombstoned(_) => {}
            ClusterEvent::ClusterRestored(_) => set("deregistered_at = ?2", rusqlite::types::Value::Null)?,
        }
        Ok(())
    }
}

/// The columns filters use: type, SID and the other SIDs (JSON).
fn summary(details: Option<&ClusterDetails>) -> (String, Option<String>, String) {
    match details {
        None => ("unknown".into(), None, "[]".into()),
        Some(d) => (
            serde_json::to_value(d.cluster_type)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into()),
            d.sid.clone(),
            serde_json::to_string(&d.additional_sids).unwrap_or_else(|_| "[]".into()),
        ),
    }
}

fn status_name(status: ClusterHostStatus) -> &'static str {
    match status {
        ClusterHostStatus::Online => "online",
        ClusterHostStatus::Offline => "offline",
    }
}

/// A cluster as the read model holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterRow {
    /// The cluster id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// `hana_scale_up`, `hana_scale_out`, `ascs_ers`, `hana_ascs_ers` or `unknown`.
    pub cluster_type: String,
    /// What the designated controller last reported.
    pub details: Option<ClusterDetails>,
    /// The health parts derived from the details.
    pub discovered_health: DiscoveredHealth,
    /// The checks part of the health.
    pub checks_health: String,
    /// The cluster's health.
    pub health: String,
    /// Its state with Trento's names (`idle`, `stopped`, `unknown`, …).
    pub state: String,
    /// When its CIB was last written, as its members last reported it (Trento's
    /// `cib_last_written`, e.g. `Mon Jun 10 13:03:57 2024`).
    pub cib_last_written: Option<String>,
    /// RFC 3339.
    pub deregistered_at: Option<String>,
    /// RFC 3339.
    pub registered_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Its member hosts, by host id.
    pub hosts: Vec<ClusterMember>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

/// A member host of a cluster.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ClusterMember {
    /// The host.
    pub host_id: String,
    /// `online` or `offline`.
    pub status: String,
    /// Whether its heartbeat was lost since it last reported.
    #[serde(deserialize_with = "int_bool")]
    pub stale: bool,
}

fn int_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(d)? != 0)
}

const SELECT: &str = "
    SELECT c.id, c.name, c.cluster_type, c.details, c.discovered_health, c.checks_health, c.health,
           c.deregistered_at, c.registered_at, c.updated_at,
           (SELECT json_group_array(json_object('host_id', host_id, 'status', status, 'stale', stale))
              FROM (SELECT * FROM cluster_hosts ch WHERE ch.cluster_id = c.id ORDER BY ch.host_id)),
           (SELECT json_group_array(value) FROM (SELECT value FROM tags t
             WHERE t.resource_type = 'cluster' AND t.resource_id = c.id ORDER BY value)),
           c.state,
           (SELECT cib.cib_last_written FROM cluster_cib cib WHERE cib.cluster_id = c.id)
    FROM clusters c";

/// How the clusters are listed (the shared filters, count and page).
const LISTING: Listing = Listing {
    resource_type: "cluster",
    from: "clusters c",
    id: "c.id",
    health: "c.health",
    sid: Some("(c.sid = ? OR EXISTS (SELECT 1 FROM json_each(c.additional_sids) s WHERE s.value = ?))"),
    deregistered_at: "c.deregistered_at",
    order_by: "c.name, c.id",
};

/// Queries on the clusters tables.
#[derive(Clone)]
pub struct ClusterViews {
    db: Db,
}

impl ClusterViews {
    /// Queries on `db`.
    pub fn new(db: Db) -> Self {
        ClusterViews { db }
    }

    /// Clusters matching `query`, ordered by name, and how many match in all.
    pub async fn list(&self, query: ListQuery) -> Result<(Vec<ClusterRow>, u64), DbError> {
        self.db
            .read(move |conn| {
                let mut filter = LISTING.filter(&query);
                if let Some(cluster_type) = &query.cluster_type {
                    filter.and("c.cluster_type = ?", cluster_type.clone());
                }
                Ok(LISTING.page(conn, SELECT, &filter, &query, row_to_cluster)?)
            })
            .await
    }

    /// One cluster, deregistered or not.
    pub async fn get(&self, id: String) -> Result<Option<ClusterRow>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!("{SELECT} WHERE c.id = ?1"))?
                    .query_row([id], row_to_cluster)
                    .optional()?)
            })
            .await
    }
}

fn row_to_cluster(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClusterRow> {
    let details: Option<String> = r.get(3)?;
    Ok(ClusterRow {
        id: r.get(0)?,
        name: r.get(1)?,
        cluster_type: r.get(2)?,
        details: details.map(|d| from_json(3, &d)).transpose()?,
        discovered_health: from_json(4, &r.get::<_, String>(4)?)?,
        checks_health: r.get(5)?,
        health: r.get(6)?,
        deregistered_at: r.get(7)?,
        registered_at: r.get(8)?,
        updated_at: r.get(9)?,
        hosts: from_json(10, &r.get::<_, String>(10)?)?,
        tags: from_json(11, &r.get::<_, String>(11)?)?,
        state: r.get(12)?,
        cib_last_written: r.get(13)?,
    })
}
