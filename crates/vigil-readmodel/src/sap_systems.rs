//! The SAP systems read model: one row per SAP system that has (had) an application
//! instance, and one per application instance it has now.
//!
//! A system whose instances do not make a system yet (no ABAP/J2EE instance or no message
//! server) has a row with `registered = 0`: its instances count as the host's (for the
//! discovery context and the SAP workload), but lists do not show it, as in Trento.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use vigil_kernel::envelope::RecordedEvent;
use vigil_landscape::sap_system::{EnsaVersion, SapSystemEvent};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use super::databases::{DatabaseInstanceRow, INSTANCES_OF, int_bool};
use super::{ListQuery, Listing, TableProjection, decode, from_json, stamp};

/// The projection feeding `sap_systems` and `application_instances`.
pub struct SapSystemsProjection;

impl TableProjection for SapSystemsProjection {
    const NAME: &'static str = "sap_systems";
    const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS sap_systems (
            id              TEXT PRIMARY KEY,
            sid             TEXT NOT NULL,
            tenant          TEXT NOT NULL,
            database_id     TEXT NOT NULL,
            db_host         TEXT,
            registered      INTEGER NOT NULL DEFAULT 0,
            health          TEXT NOT NULL DEFAULT 'unknown',
            database_health TEXT,
            ensa_version    TEXT NOT NULL DEFAULT 'no_ensa',
            deregistered_at TEXT,
            registered_at   TEXT,
            updated_at      TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS sap_systems_by_database ON sap_systems (database_id);
        CREATE TABLE IF NOT EXISTS application_instances (
            sap_system_id     TEXT NOT NULL,
            host_id           TEXT NOT NULL,
            instance_number   TEXT NOT NULL,
            sid               TEXT NOT NULL,
            instance_hostname TEXT,
            features          TEXT NOT NULL,
            http_port         INTEGER,
            https_port        INTEGER,
            start_priority    TEXT,
            health            TEXT NOT NULL,
            ensa_version      TEXT NOT NULL,
            absent_at         TEXT,
            stale             INTEGER NOT NULL DEFAULT 0,
            registered_at     TEXT NOT NULL,
            PRIMARY KEY (sap_system_id, host_id, instance_number)
        );
        CREATE INDEX IF NOT EXISTS application_instances_by_host ON application_instances (host_id);";
    const RESET: &'static str = "DELETE FROM sap_systems; DELETE FROM application_instances;";
    const DROP: &'static str = "DROP TABLE IF EXISTS sap_systems; DROP TABLE IF EXISTS application_instances;";
    const CATEGORIES: Option<&'static [&'static str]> = Some(&["sap_system"]);

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        let event: SapSystemEvent = decode(recorded)?;
        let id = event.sap_system_id().to_string();
        let at = stamp(recorded.event.time);
        let set = |assignments: &str, value: rusqlite::types::Value| -> rusqlite::Result<()> {
            conn.prepare_cached(&format!("UPDATE sap_systems SET {assignments}, updated_at = ?3 WHERE id = ?1"))?
                .execute(params![id, value, at])?;
            Ok(())
        };
        let instance = |host_id: uuid::Uuid,
                        number: &str,
                        assignment: &str,
                        value: rusqlite::types::Value|
         -> rusqlite::Result<()> {
            conn.prepare_cached(&format!(
                "UPDATE application_instances SET {assignment}
                 WHERE sap_system_id = ?1 AND host_id = ?2 AND instance_number = ?3"
            ))?
            .execute(params![id, host_id.to_string(), number, value])?;
            Ok(())
        };
        match &event {
            SapSystemEvent::ApplicationInstanceRegistered(e) => {
                conn.prepare_cached(
                    "INSERT INTO sap_systems (id, sid, tenant, database_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, e.sid, e.tenant, e.database_id.to_string(), at])?;
                let i = &e.instance;
                conn.prepare_cached(
                    "INSERT INTO application_instances (sap_system_id, host_id, instance_number, sid,
                         instance_hostname, features, http_port, https_port, start_priority, health, ensa_version,
                         registered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (sap_system_id, host_id, instance_number) DO NOTHING",
                )?
                .execute(params![
                    id,
                    i.host_id.to_string(),
                    i.instance_number,
                    e.sid,
                    i.instance_hostname,
                    i.features,
                    i.http_port,
                    i.https_port,
                    i.start_priority,
                    i.health.as_str(),
                    ensa_name(i.ensa_version),
                    at
                ])?;
            }
            SapSystemEvent::ApplicationInstanceHealthChanged(e) => {
                instance(e.host_id, &e.instance_number, "health = ?4", e.health.as_str().to_owned().into())?
            }
            SapSystemEvent::ApplicationInstanceMarkedAbsent(e) => {
                instance(e.host_id, &e.instance_number, "absent_at = ?4", at.clone().into())?
            }
            SapSystemEvent::ApplicationInstanceMarkedPresent(e) => {
                instance(e.host_id, &e.instance_number, "absent_at = ?4", rusqlite::types::Value::Null)?
            }
            SapSystemEvent::ApplicationInstanceDeregistered(e) => {
                conn.prepare_cached(
                    "DELETE FROM application_instances
                     WHERE sap_system_id = ?1 AND host_id = ?2 AND instance_number = ?3",
                )?
                .execute(params![id, e.host_id.to_string(), e.instance_number])?;
            }
            SapSystemEvent::ApplicationInstanceDataMarkedStale(e) => {
                instance(e.host_id, &e.instance_number, "stale = ?4", 1i64.into())?
            }
            SapSystemEvent::ApplicationInstanceDataMarkedInSync(e) => {
                instance(e.host_id, &e.instance_number, "stale = ?4", 0i64.into())?
            }
            SapSystemEvent::SapSystemRegistered(e) => {
                conn.prepare_cached(
                    "INSERT INTO sap_systems (id, sid, tenant, database_id, db_host, registered, health,
                                              database_health, ensa_version, registered_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?9)
                     ON CONFLICT (id) DO UPDATE SET db_host = excluded.db_host, registered = 1,
                         health = excluded.health, database_health = excluded.database_health,
                         ensa_version = excluded.ensa_version, registered_at = excluded.registered_at,
                         updated_at = excluded.updated_at",
                )?
                .execute(params![
                    id,
                    e.sid,
                    e.tenant,
                    e.database_id.to_string(),
                    e.db_host,
                    e.health.as_str(),
                    e.database_health.map(|h| h.as_str()),
                    ensa_name(e.ensa_version),
                    at
                ])?;
            }
            SapSystemEvent::SapSystemUpdated(e) => {
                set("ensa_version = ?2", ensa_name(e.ensa_version).to_owned().into())?
            }
            SapSystemEvent::SapSystemHealthChanged(e) => set("health = ?2", e.health.as_str().to_owned().into())?,
            SapSystemEvent::SapSystemDatabaseHealthChanged(e) => {
                set("database_health = ?2", e.database_health.as_str().to_owned().into())?
            }
            SapSystemEvent::SapSystemDeregistered(e) => set("deregistered_at = ?2", stamp(e.deregistered_at).into())?,
            SapSystemEvent::SapSystemRestored(e) => {
                conn.prepare_cached(
                    "UPDATE sap_systems SET deregistered_at = NULL, health = ?2, updated_at = ?3 WHERE id = ?1",
                )?
                .execute(params![id, e.health.as_str(), at])?;
            }
        }
        Ok(())
    }
}

fn ensa_name(version: EnsaVersion) -> &'static str {
    match version {
        EnsaVersion::NoEnsa => "no_ensa",
        EnsaVersion::Ensa1 => "ensa1",
        EnsaVersion::Ensa2 => "ensa2",
    }
}

/// A SAP system as the read model holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct SapSystemRow {
    /// The SAP system id.
    pub id: String,
    /// The SID.
    pub sid: String,
    /// The database tenant it runs on.
    pub tenant: String,
    /// The database it runs on.
    pub database_id: String,
    /// The database host its profile names.
    pub db_host: Option<String>,
    /// Its health.
    pub health: String,
    /// Its database's health, as last reported to it.
    pub database_health: Option<String>,
    /// `no_ensa`, `ensa1` or `ensa2`.
    pub ensa_version: String,
    /// RFC 3339.
    pub deregistered_at: Option<String>,
    /// RFC 3339.
    pub registered_at: Option<String>,
    /// RFC 3339.
    pub updated_at: String,
    /// Its application instances, by host and number.
    pub application_instances: Vec<ApplicationInstanceRow>,
    /// Its database's instances, by host and number.
    pub database_instances: Vec<DatabaseInstanceRow>,
    /// Its database's SID, when the database is known.
    pub database_sid: Option<String>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

/// An application instance as the read model holds it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApplicationInstanceRow {
    /// The SAP system.
    pub sap_system_id: String,
    /// The host running it.
    pub host_id: String,
    /// e.g. `00`.
    pub instance_number: String,
    /// The SID.
    pub sid: String,
    /// SAP's virtual host name for it.
    pub instance_hostname: Option<String>,
    /// SAPControl features.
    pub features: String,
    /// SAPControl HTTP port.
    pub http_port: Option<u16>,
    /// SAPControl HTTPS port.
    pub https_port: Option<u16>,
    /// SAPControl start priority.
    pub start_priority: Option<String>,
    /// Its health.
    pub health: String,
    /// The enqueue version its processes show.
    pub ensa_version: String,
    /// Since when its host no longer lists it, RFC 3339.
    pub absent_at: Option<String>,
    /// Whether its host's heartbeat was lost since it last reported it.
    #[serde(deserialize_with = "int_bool")]
    pub stale: bool,
}

fn select() -> String {
    format!(
        "SELECT s.id, s.sid, s.tenant, s.database_id, s.db_host, s.health, s.database_health, s.ensa_version,
                s.deregistered_at, s.registered_at, s.updated_at,
                (SELECT json_group_array(json_object(
                    'sap_system_id', sap_system_id, 'host_id', host_id, 'instance_number', instance_number,
                    'sid', sid, 'instance_hostname', instance_hostname, 'features', features,
                    'http_port', http_port, 'https_port', https_port, 'start_priority', start_priority,
                    'health', health, 'ensa_version', ensa_version, 'absent_at', absent_at, 'stale', stale))
                   FROM (SELECT * FROM application_instances ai WHERE ai.sap_system_id = s.id
                         ORDER BY ai.host_id, ai.instance_number)),
                {},
                (SELECT d.sid FROM databases d WHERE d.id = s.database_id),
                (SELECT json_group_array(value) FROM (SELECT value FROM tags t
                  WHERE t.resource_type = 'sap_system' AND t.resource_id = s.id ORDER BY value))
         FROM sap_systems s",
        INSTANCES_OF.replace("{id}", "s.database_id")
    )
}

/// How the sap systems are listed (the shared filters, count and page).
const LISTING: Listing = Listing {
    resource_type: "sap_system",
    from: "sap_systems s",
    id: "s.id",
    health: "s.health",
    sid: Some("s.sid = ?"),
    deregistered_at: "s.deregistered_at",
    order_by: "s.sid, s.id",
};

/// Queries on the SAP systems tables.
#[derive(Clone)]
pub struct SapSystemViews {
    db: Db,
}

impl SapSystemViews {
    /// Queries on `db`.
    pub fn new(db: Db) -> Self {
        SapSystemViews { db }
    }

    /// Registered SAP systems matching `query`, ordered by SID, and how many match in all.
    pub async fn list(&self, query: ListQuery) -> Result<(Vec<SapSystemRow>, u64), DbError> {
        self.db
            .read(move |conn| {
                let mut filter = LISTING.filter(&query);
                filter.and_plain("s.registered = 1");
                Ok(LISTING.page(conn, &select(), &filter, &query, row_to_sap_system)?)
            })
            .await
    }

    /// One registered SAP system, deregistered or not.
    pub async fn get(&self, id: String) -> Result<Option<SapSystemRow>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!("{} WHERE s.id = ?1 AND s.registered = 1", select()))?
                    .query_row([id], row_to_sap_system)
                    .optional()?)
            })
            .await
    }
}

fn row_to_sap_system(r: &rusqlite::Row<'_>) -> rusqlite::Result<SapSystemRow> {
    Ok(SapSystemRow {
        id: r.get(0)?,
        sid: r.get(1)?,
        tenant: r.get(2)?,
        database_id: r.get(3)?,
        db_host: r.get(4)?,
        health: r.get(5)?,
        database_health: r.get(6)?,
        ensa_version: r.get(7)?,
        deregistered_at: r.get(8)?,
        registered_at: r.get(9)?,
        updated_at: r.get(10)?,
        application_instances: from_json(11, &r.get::<_, String>(11)?)?,
        database_instances: from_json(12, &r.get::<_, String>(12)?)?,
        database_sid: r.get(13)?,
        tags: from_json(14, &r.get::<_, String>(14)?)?,
    })
}
