//! The hosts read model: one row per host ever registered, with Trento's field names.
//!
//! A deregistered host keeps its row with `deregistered_at` set (lists leave it out unless
//! asked); its restoration clears it. The host's cluster comes from the clusters read model
//! and its tags from the tags table, joined when read.
//!
//! A host is two rows. `host_details` holds what the discoveries said (details, provider,
//! subscriptions, saptune: a few KiB of JSON); `host_status` what changes all the time (the
//! heartbeat, the grades, the stale and deregistration marks, when the host last changed) in
//! about a hundred bytes. Heartbeat flips are most of a landscape's events: each rewrites
//! one narrow row among forty on a page, where one wide row used to fill a page of its own,
//! so a rebuild writes a tenth of the pages. The view `hosts` joins the two, and is what
//! other queries read.

use rusqlite::{Connection, OptionalExtension, params};
use vigil_kernel::envelope::RecordedEvent;
use vigil_landscape::host::{Heartbeat, HostDetails, HostEvent, Provider, SaptuneStatus, SlesSubscription};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use super::{ListQuery, Listing, TableProjection, decode, from_json, stamp, to_json};

/// The projection feeding the `host_details` and `host_status` tables.
pub struct HostsProjection;

impl TableProjection for HostsProjection {
    const NAME: &'static str = "hosts";
    const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS host_details (
            id                 TEXT PRIMARY KEY,
            hostname           TEXT NOT NULL,
            details            TEXT NOT NULL,
            provider           TEXT,
            sles_subscriptions TEXT NOT NULL DEFAULT '[]',
            saptune_status     TEXT,
            registered_at      TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS host_details_by_hostname ON host_details (hostname);
        CREATE TABLE IF NOT EXISTS host_status (
            id                   TEXT PRIMARY KEY,
            heartbeat            TEXT NOT NULL DEFAULT 'unknown',
            sap_workload_running INTEGER NOT NULL DEFAULT 0,
            saptune_health       TEXT NOT NULL DEFAULT 'unknown',
            checks_health        TEXT NOT NULL DEFAULT 'unknown',
            health               TEXT NOT NULL DEFAULT 'unknown',
            stale_at             TEXT,
            deregistered_at      TEXT,
            updated_at           TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE VIEW IF NOT EXISTS hosts AS
            SELECT d.id, d.hostname, d.details, d.provider, d.sles_subscriptions, d.saptune_status,
                   s.heartbeat, s.sap_workload_running, s.saptune_health, s.checks_health, s.health,
                   s.stale_at, s.deregistered_at, d.registered_at, s.updated_at
            FROM host_details d JOIN host_status s ON s.id = d.id;";
    const RESET: &'static str = "DELETE FROM host_details; DELETE FROM host_status;";
    const VERSION: u32 = 3;
    /// From the one-table layout of version 2; a later version drops `VIEW hosts` instead.
    const DROP: &'static str =
        "DROP TABLE IF EXISTS hosts; DROP TABLE IF EXISTS host_details; DROP TABLE IF EXISTS host_status;";
    const CATEGORIES: Option<&'static [&'static str]> = Some(&["host"]);

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        let event: HostEvent = decode(recorded)?;
        let id = event.host_id().to_string();
        let at = stamp(recorded.event.time);
        // A column of `host_status` (and when the host changed), or of `hosts` (and when).
        let status = |sql: &str, value: rusqlite::types::Value| -> rusqlite::Result<()> {
            conn.prepare_cached(sql)?.execute(params![id, value, at])?;
            Ok(())
        };
        let touch = || -> rusqlite::Result<()> {
            conn.prepare_cached("UPDATE host_status SET updated_at = ?2 WHERE id = ?1")?.execute(params![id, at])?;
            Ok(())
        };
        let document = |sql: &str, value: rusqlite::types::Value| -> rusqlite::Result<()> {
            conn.prepare_cached(sql)?.execute(params![id, value])?;
            touch()
        };
        let text = |value: &str| rusqlite::types::Value::Text(value.to_owned());
        match &event {
            HostEvent::HostRegistered(e) => {
                conn.prepare_cached(
                    "INSERT INTO host_details (id, hostname, details, registered_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, details = excluded.details",
                )?
                .execute(params![id, e.details.hostname, to_json(&e.details)?, at])?;
                conn.prepare_cached(
                    "INSERT INTO host_status (id, updated_at) VALUES (?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
                )?
                .execute(params![id, at])?;
            }
            HostEvent::HostDetailsUpdated(e) => {
                conn.prepare_cached("UPDATE host_details SET hostname = ?2, details = ?3 WHERE id = ?1")?
                    .execute(params![id, e.details.hostname, to_json(&e.details)?])?;
                touch()?
            }
            HostEvent::HeartbeatSucceeded(_) => status(
                "UPDATE host_status SET heartbeat = ?2, updated_at = ?3 WHERE id = ?1",
                text(heartbeat_name(Heartbeat::Passing)),
            )?,
            HostEvent::HeartbeatFailed(_) => status(
                "UPDATE host_status SET heartbeat = ?2, updated_at = ?3 WHERE id = ?1",
                text(heartbeat_name(Heartbeat::Critical)),
            )?,
            HostEvent::ProviderUpdated(e) => {
                document("UPDATE host_details SET provider = ?2 WHERE id = ?1", to_json(&e.provider)?.into())?
            }
            HostEvent::SlesSubscriptionsUpdated(e) => document(
                "UPDATE host_details SET sles_subscriptions = ?2 WHERE id = ?1",
                to_json(&e.subscriptions)?.into(),
            )?,
            HostEvent::SaptuneStatusUpdated(e) => {
                document("UPDATE host_details SET saptune_status = ?2 WHERE id = ?1", to_json(&e.status)?.into())?
            }
            HostEvent::HostSapWorkloadChanged(e) => status(
                "UPDATE host_status SET sap_workload_running = ?2, updated_at = ?3 WHERE id = ?1",
                i64::from(e.running).into(),
            )?,
            HostEvent::HostChecksHealthChanged(e) => status(
                "UPDATE host_status SET checks_health = ?2, updated_at = ?3 WHERE id = ?1",
                text(e.checks_health.as_str()),
            )?,
            HostEvent::HostSaptuneHealthChanged(e) => status(
                "UPDATE host_status SET saptune_health = ?2, updated_at = ?3 WHERE id = ?1",
                text(e.saptune_health.as_str()),
            )?,
            HostEvent::HostHealthChanged(e) => {
                status("UPDATE host_status SET health = ?2, updated_at = ?3 WHERE id = ?1", text(e.health.as_str()))?
            }
            HostEvent::HostMarkedStale(e) => {
                status("UPDATE host_status SET stale_at = ?2, updated_at = ?3 WHERE id = ?1", stamp(e.stale_at).into())?
            }
            HostEvent::HostSynced(_) => status(
                "UPDATE host_status SET stale_at = ?2, updated_at = ?3 WHERE id = ?1",
                rusqlite::types::Value::Null,
            )?,
            // A request changes nothing visible: the process manager acts on it.
            HostEvent::HostDeregistrationRequested(_) => {}
            HostEvent::HostDeregistered(e) => status(
                "UPDATE host_status SET deregistered_at = ?2, updated_at = ?3 WHERE id = ?1",
                stamp(e.deregistered_at).into(),
            )?,
            // The stream may be archived; the row stays as the deregistration left it.
            HostEvent::HostTombstoned(_) => {}
            HostEvent::HostRestored(_) => status(
                "UPDATE host_status SET deregistered_at = ?2, updated_at = ?3 WHERE id = ?1",
                rusqlite::types::Value::Null,
            )?,
        }
        Ok(())
    }
}

fn heartbeat_name(heartbeat: Heartbeat) -> &'static str {
    match heartbeat {
        Heartbeat::Unknown => "unknown",
        Heartbeat::Passing => "passing",
        Heartbeat::Critical => "critical",
    }
}

/// A host as the read model holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct HostRow {
    /// The agent id.
    pub id: String,
    /// Everything the host discovery said, every reported address included.
    pub details: HostDetails,
    /// The addresses Trento lists for the host: IPv4 and not loopback
    /// ([`HostDetails::trento_ip_addresses`]).
    pub ip_addresses: Vec<String>,
    /// `unknown`, `passing` or `critical`.
    pub heartbeat: String,
    /// The platform, once a cloud discovery arrived.
    pub provider: Option<Provider>,
    /// The SLES subscriptions.
    pub sles_subscriptions: Vec<SlesSubscription>,
    /// The last saptune discovery.
    pub saptune_status: Option<SaptuneStatus>,
    /// Whether SAP instances run on the host.
    pub sap_workload_running: bool,
    /// The saptune part of the health.
    pub saptune_health: String,
    /// The checks part of the health.
    pub checks_health: String,
    /// The host's health.
    pub health: String,
    /// Since when its data may be out of date (heartbeat lost), RFC 3339.
    pub stale_at: Option<String>,
    /// When it was deregistered, RFC 3339.
    pub deregistered_at: Option<String>,
    /// RFC 3339.
    pub registered_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The cluster it is a member of (from the clusters read model).
    pub cluster_id: Option<String>,
    /// Whether its cluster stack runs (`online`) or not (`offline`), when it is a member.
    pub cluster_host_status: Option<String>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

/// Filters and paging for listing hosts.
#[derive(Clone, Debug, Default)]
pub struct HostQuery {
    /// Only hosts with this hostname.
    pub hostname: Option<String>,
    /// Only hosts with this heartbeat state.
    pub heartbeat: Option<String>,
    /// Only hosts of this cluster.
    pub cluster_id: Option<String>,
    /// Health, tag, deregistered and paging.
    pub list: ListQuery,
}

/// How the hosts are listed (the shared filters, count and page).
const LISTING: Listing = Listing {
    resource_type: "host",
    from: "host_details h JOIN host_status s ON s.id = h.id",
    id: "h.id",
    health: "s.health",
    sid: None,
    deregistered_at: "s.deregistered_at",
    order_by: "h.hostname, h.id",
};

/// Queries on the hosts table.
#[derive(Clone)]
pub struct HostViews {
    db: Db,
}

const SELECT: &str = "
    SELECT h.id, h.details, s.heartbeat, h.provider, h.sles_subscriptions, h.saptune_status,
           s.sap_workload_running, s.saptune_health, s.checks_health, s.health, s.stale_at,
           s.deregistered_at, h.registered_at, s.updated_at,
           (SELECT MIN(ch.cluster_id) FROM cluster_hosts ch WHERE ch.host_id = h.id),
           (SELECT json_group_array(value) FROM (SELECT value FROM tags t
             WHERE t.resource_type = 'host' AND t.resource_id = h.id ORDER BY value)),
           (SELECT ch.status FROM cluster_hosts ch WHERE ch.host_id = h.id ORDER BY ch.cluster_id LIMIT 1)
    FROM host_details h JOIN host_status s ON s.id = h.id";

impl HostViews {
    /// Queries on `db`'s hosts table.
    pub fn new(db: Db) -> Self {
        HostViews { db }
    }

    /// Hosts matching `query`, ordered by hostname, and how many match in all.
    pub async fn list(&self, query: HostQuery) -> Result<(Vec<HostRow>, u64), DbError> {
        self.db
            .read(move |conn| {
                let mut filter = LISTING.filter(&query.list);
                if let Some(hostname) = query.hostname {
                    filter.and("h.hostname = ?", hostname);
                }
                if let Some(heartbeat) = query.heartbeat {
                    filter.and("s.heartbeat = ?", heartbeat);
                }
                if let Some(cluster_id) = query.cluster_id {
                    filter.and(
                        "EXISTS (SELECT 1 FROM cluster_hosts ch WHERE ch.host_id = h.id AND ch.cluster_id = ?)",
                        cluster_id,
                    );
                }
                Ok(LISTING.page(conn, SELECT, &filter, &query.list, row_to_host)?)
            })
            .await
    }

    /// One host, deregistered or not.
    pub async fn get(&self, id: String) -> Result<Option<HostRow>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!("{SELECT} WHERE h.id = ?1"))?
                    .query_row([id], row_to_host)
                    .optional()?)
            })
            .await
    }
}

/// What the SLA policy reads of a registered host: its state, without the discovery
/// documents (at 10,000 hosts, loading those every SLA tick cost 4 % of the server's CPU).
#[derive(Clone, Debug, PartialEq)]
pub struct HostStatus {
    /// The agent id.
    pub id: String,
    /// The hostname.
    pub hostname: String,
    /// `unknown`, `passing` or `critical`.
    pub heartbeat: String,
    /// The host's health.
    pub health: String,
    /// Since when its data may be out of date, RFC 3339.
    pub stale_at: Option<String>,
    /// The cluster it is a member of.
    pub cluster_id: Option<String>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

impl HostViews {
    /// Every registered host's [`HostStatus`], ordered by hostname.
    pub async fn statuses(&self) -> Result<Vec<HostStatus>, DbError> {
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT h.id, h.hostname, s.heartbeat, s.health, s.stale_at,
                            (SELECT MIN(ch.cluster_id) FROM cluster_hosts ch WHERE ch.host_id = h.id),
                            (SELECT json_group_array(value) FROM (SELECT value FROM tags t
                              WHERE t.resource_type = 'host' AND t.resource_id = h.id ORDER BY value))
                     FROM host_details h JOIN host_status s ON s.id = h.id
                     WHERE s.deregistered_at IS NULL ORDER BY h.hostname, h.id",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(HostStatus {
                        id: r.get(0)?,
                        hostname: r.get(1)?,
                        heartbeat: r.get(2)?,
                        health: r.get(3)?,
                        stale_at: r.get(4)?,
                        cluster_id: r.get(5)?,
                        tags: from_json(6, &r.get::<_, String>(6)?)?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }
}

fn row_to_host(r: &rusqlite::Row<'_>) -> rusqlite::Result<HostRow> {
    let optional_json = |column: usize| -> rusqlite::Result<Option<String>> { r.get(column) };
    let details: HostDetails = from_json(1, &r.get::<_, String>(1)?)?;
    Ok(HostRow {
        id: r.get(0)?,
        ip_addresses: details.trento_ip_addresses(),
        details,
        heartbeat: r.get(2)?,
        provider: optional_json(3)?.map(|p| from_json(3, &p)).transpose()?,
        sles_subscriptions: from_json(4, &r.get::<_, String>(4)?)?,
        saptune_status: optional_json(5)?.map(|s| from_json(5, &s)).transpose()?,
        sap_workload_running: r.get::<_, i64>(6)? != 0,
        saptune_health: r.get(7)?,
        checks_health: r.get(8)?,
        health: r.get(9)?,
        stale_at: r.get(10)?,
        deregistered_at: r.get(11)?,
        registered_at: r.get(12)?,
        updated_at: r.get(13)?,
        cluster_id: r.get(14)?,
        tags: from_json(15, &r.get::<_, String>(15)?)?,
        cluster_host_status: r.get(16)?,
    })
}
