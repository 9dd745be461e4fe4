//! The databases read model: one row per HANA database ever registered and one per
//! instance it has now.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use vigil_kernel::envelope::RecordedEvent;
use vigil_landscape::database::{DatabaseEvent, SystemReplication, Tenant};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use super::{ListQuery, Listing, TableProjection, decode, from_json, stamp, to_json};

/// The projection feeding `databases` and `database_instances`.
pub struct DatabasesProjection;

impl TableProjection for DatabasesProjection {
    const NAME: &'static str = "databases";
    const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS databases (
            id              TEXT PRIMARY KEY,
            sid             TEXT NOT NULL,
            health          TEXT NOT NULL,
            tenants         TEXT NOT NULL DEFAULT '[]',
            deregistered_at TEXT,
            registered_at   TEXT NOT NULL,
            updated_at      TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS database_instances (
            database_id        TEXT NOT NULL,
            host_id            TEXT NOT NULL,
            instance_number    TEXT NOT NULL,
            sid                TEXT NOT NULL,
            instance_hostname  TEXT,
            features           TEXT NOT NULL,
            http_port          INTEGER,
            https_port         INTEGER,
            start_priority     TEXT,
            health             TEXT NOT NULL,
            system_replication TEXT NOT NULL,
            absent_at          TEXT,
            stale              INTEGER NOT NULL DEFAULT 0,
            registered_at      TEXT NOT NULL,
            PRIMARY KEY (database_id, host_id, instance_number)
        );
        CREATE INDEX IF NOT EXISTS database_instances_by_host ON database_instances (host_id);";
    const RESET: &'static str = "DELETE FROM databases; DELETE FROM database_instances;";
    const DROP: &'static str = "DROP TABLE IF EXISTS databases; DROP TABLE IF EXISTS database_instances;";
    const CATEGORIES: Option<&'static [&'static str]> = Some(&["database"]);

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        let event: DatabaseEvent = decode(recorded)?;
        let id = event.database_id().to_string();
        let at = stamp(recorded.event.time);
        let set = |assignments: &str, value: rusqlite::types::Value| -> rusqlite::Result<()> {
            conn.prepare_cached(&format!("UPDATE databases SET {assignments}, updated_at = ?3 WHERE id = ?1"))?
                .execute(params![id, value, at])?;
            Ok(())
        };
        let instance = |host_id: uuid::Uuid,
                        number: &str,
                        assignment: &str,
                        value: rusqlite::types::Value|
         -> rusqlite::Result<()> {
            conn.prepare_cached(&format!(
                "UPDATE database_instances SET {assignment}
                 WHERE database_id = ?1 AND host_id = ?2 AND instance_number = ?3"
            ))?
            .execute(params![id, host_id.to_string(), number, value])?;
            Ok(())
        };
        match &event {
            DatabaseEvent::DatabaseRegistered(e) => {
                conn.prepare_cached(
                    "INSERT INTO databases (id, sid, health, registered_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                     ON CONFLICT (id) DO NOTHING",
                )?
                .execute(params![id, e.sid, e.health.as_str(), at])?;
            }
            DatabaseEvent::DatabaseInstanceRegistered(e) => {
                let i = &e.instance;
                conn.prepare_cached(
                    "INSERT INTO database_instances (database_id, host_id, instance_number, sid, instance_hostname,
                         features, http_port, https_port, start_priority, health, system_replication, registered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (database_id, host_id, instance_number) DO NOTHING",
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
                    to_json(&i.system_replication)?,
                    at
                ])?;
            }
            DatabaseEvent::DatabaseTenantsUpdated(e) => set("tenants = ?2", to_json(&e.tenants)?.into())?,
            DatabaseEvent::DatabaseInstanceSystemReplicationChanged(e) => instance(
                e.host_id,
                &e.instance_number,
                "system_replication = ?4",
                to_json(&e.system_replication)?.into(),
            )?,
            DatabaseEvent::DatabaseInstanceHealthChanged(e) => {
                instance(e.host_id, &e.instance_number, "health = ?4", e.health.as_str().to_owned().into())?
            }
            DatabaseEvent::DatabaseHealthChanged(e) => set("health = ?2", e.health.as_str().to_owned().into())?,
            DatabaseEvent::DatabaseInstanceMarkedAbsent(e) => {
                instance(e.host_id, &e.instance_number, "absent_at = ?4", at.clone().into())?
            }
            DatabaseEvent::DatabaseInstanceMarkedPresent(e) => {
                instance(e.host_id, &e.instance_number, "absent_at = ?4", rusqlite::types::Value::Null)?
            }
            DatabaseEvent::DatabaseInstanceDeregistered(e) => {
                conn.prepare_cached(
                    "DELETE FROM database_instances WHERE database_id = ?1 AND host_id = ?2 AND instance_number = ?3",
                )?
                .execute(params![id, e.host_id.to_string(), e.instance_number])?;
            }
            DatabaseEvent::DatabaseDeregistered(e) => set("deregistered_at = ?2", stamp(e.deregistered_at).into())?,
            DatabaseEvent::DatabaseRestored(e) => {
                conn.prepare_cached(
                    "UPDATE databases SET deregistered_at = NULL, health = ?2, updated_at = ?3 WHERE id = ?1",
                )?
                .execute(params![id, e.health.as_str(), at])?;
            }
            DatabaseEvent::DatabaseInstanceDataMarkedStale(e) => {
                instance(e.host_id, &e.instance_number, "stale = ?4", 1i64.into())?
            }
            DatabaseEvent::DatabaseInstanceDataMarkedInSync(e) => {
                instance(e.host_id, &e.instance_number, "stale = ?4", 0i64.into())?
            }
        }
        Ok(())
    }
}

/// A database as the read model holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct DatabaseRow {
    /// The database id.
    pub id: String,
    /// The HANA SID.
    pub sid: String,
    /// Its health.
    pub health: String,
    /// Its tenants.
    pub tenants: Vec<Tenant>,
    /// RFC 3339.
    pub deregistered_at: Option<String>,
    /// RFC 3339.
    pub registered_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Its instances, by host and number.
    pub instances: Vec<DatabaseInstanceRow>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

/// A database instance as the read model holds it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DatabaseInstanceRow {
    /// The database.
    pub database_id: String,
    /// The host running it.
    pub host_id: String,
    /// e.g. `00`.
    pub instance_number: String,
    /// The HANA SID.
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
    /// Its part in system replication.
    #[serde(deserialize_with = "nested_json")]
    pub system_replication: SystemReplication,
    /// Since when its host no longer lists it, RFC 3339.
    pub absent_at: Option<String>,
    /// Whether its host's heartbeat was lost since it last reported it.
    #[serde(deserialize_with = "int_bool")]
    pub stale: bool,
}

pub(crate) fn int_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(d)? != 0)
}

fn nested_json<'de, D: serde::Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<T, D::Error> {
    let text = String::deserialize(d)?;
    serde_json::from_str(&text).map_err(serde::de::Error::custom)
}

/// The instances of a database as one JSON array, for embedding in a row.
pub(crate) const INSTANCES_OF: &str = "
    (SELECT json_group_array(json_object(
        'database_id', database_id, 'host_id', host_id, 'instance_number', instance_number, 'sid', sid,
        'instance_hostname', instance_hostname, 'features', features, 'http_port', http_port,
        'https_port', https_port, 'start_priority', start_priority, 'health', health,
        'system_replication', system_replication, 'absent_at', absent_at, 'stale', stale))
       FROM (SELECT * FROM database_instances di WHERE di.database_id = {id} ORDER BY di.host_id, di.instance_number))";

fn select() -> String {
    format!(
        "SELECT d.id, d.sid, d.health, d.tenants, d.deregistered_at, d.registered_at, d.updated_at, {},
                (SELECT json_group_array(value) FROM (SELECT value FROM tags t
                  WHERE t.resource_type = 'database' AND t.resource_id = d.id ORDER BY value))
         FROM databases d",
        INSTANCES_OF.replace("{id}", "d.id")
    )
}

/// How the databases are listed (the shared filters, count and page).
const LISTING: Listing = Listing {
    resource_type: "database",
    from: "databases d",
    id: "d.id",
    health: "d.health",
    sid: Some("d.sid = ?"),
    deregistered_at: "d.deregistered_at",
    order_by: "d.sid, d.id",
};

/// Queries on the databases tables.
#[derive(Clone)]
pub struct DatabaseViews {
    db: Db,
}

impl DatabaseViews {
    /// Queries on `db`.
    pub fn new(db: Db) -> Self {
        DatabaseViews { db }
    }

    /// Databases matching `query`, ordered by SID, and how many match in all.
    pub async fn list(&self, query: ListQuery) -> Result<(Vec<DatabaseRow>, u64), DbError> {
        self.db
            .read(move |conn| {
                let filter = LISTING.filter(&query);
                Ok(LISTING.page(conn, &select(), &filter, &query, row_to_database)?)
            })
            .await
    }

    /// One database, deregistered or not.
    pub async fn get(&self, id: String) -> Result<Option<DatabaseRow>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!("{} WHERE d.id = ?1", select()))?
                    .query_row([id], row_to_database)
                    .optional()?)
            })
            .await
    }
}

fn row_to_database(r: &rusqlite::Row<'_>) -> rusqlite::Result<DatabaseRow> {
    Ok(DatabaseRow {
        id: r.get(0)?,
        sid: r.get(1)?,
        health: r.get(2)?,
        tenants: from_json(3, &r.get::<_, String>(3)?)?,
        deregistered_at: r.get(4)?,
        registered_at: r.get(5)?,
        updated_at: r.get(6)?,
        instances: from_json(7, &r.get::<_, String>(7)?)?,
        tags: from_json(8, &r.get::<_, String>(8)?)?,
    })
}
