//! Queries across the landscape's read models, for the ingest (a host's discovery context,
//! the database directory) and the process manager (a host's instances and workload, the
//! SAP systems on a database).

use rusqlite::OptionalExtension;
use uuid::Uuid;
use vigil_landscape::discovery::{DiscoveryContext, InstanceRef};
use vigil_landscape::health::Health;
use vigil_landscape::host::HostDetails;
use vigil_landscape::sap_system::{InMemoryDatabaseDirectory, KnownDatabase};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use super::from_json;

/// Read-only queries joining the landscape's tables.
#[derive(Clone)]
pub struct LandscapeViews {
    db: Db,
}

impl LandscapeViews {
    /// Queries on `db`.
    pub fn new(db: Db) -> Self {
        LandscapeViews { db }
    }

    /// What the detector needs to know of `host_id`: its cluster and the instances registered
    /// on it (absent ones included: marking them absent again decides nothing).
    pub async fn context(&self, host_id: Uuid) -> Result<DiscoveryContext, DbError> {
        self.db
            .read(move |conn| {
                let host = host_id.to_string();
                let current_cluster_id: Option<String> = conn
                    .prepare_cached("SELECT MIN(cluster_id) FROM cluster_hosts WHERE host_id = ?1")?
                    .query_row([&host], |r| r.get(0))
                    .optional()?
                    .flatten();
                let instances = |sql: &str| -> rusqlite::Result<Vec<InstanceRef>> {
                    let mut stmt = conn.prepare_cached(sql)?;
                    let rows = stmt.query_map([&host], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                    let mut refs = Vec::new();
                    for row in rows {
                        let (id, instance_number) = row?;
                        if let Ok(aggregate_id) = id.parse() {
                            refs.push(InstanceRef { aggregate_id, instance_number });
                        }
                    }
                    Ok(refs)
                };
                Ok(DiscoveryContext {
                    current_cluster_id: current_cluster_id.and_then(|id| id.parse().ok()),
                    database_instances: instances(
                        "SELECT database_id, instance_number FROM database_instances WHERE host_id = ?1
                         ORDER BY database_id, instance_number",
                    )?,
                    application_instances: instances(
                        "SELECT sap_system_id, instance_number FROM application_instances WHERE host_id = ?1
                         ORDER BY sap_system_id, instance_number",
                    )?,
                })
            })
            .await
    }

    /// The databases an application instance addressing `db_host` may run on, for
    /// `sap_system::resolve`: those that are not deregistered and have an instance on a host
    /// with that address, in registration order, with their hosts' addresses, tenants and
    /// health. The matching rule itself is the domain's ([`InMemoryDatabaseDirectory`]);
    /// the address index only keeps the others out.
    pub async fn database_directory_for(&self, db_host: &str) -> Result<InMemoryDatabaseDirectory, DbError> {
        let db_host = db_host.trim().to_owned();
        self.db
            .read(move |conn| {
                let mut directory = InMemoryDatabaseDirectory::new();
                let mut databases = conn.prepare_cached(
                    "SELECT DISTINCT d.id, d.tenants, d.health, d.registered_at FROM host_addresses a
                     JOIN database_instances di ON di.host_id = a.host_id
                     JOIN databases d ON d.id = di.database_id
                     WHERE a.address = ?1 AND d.deregistered_at IS NULL
                     ORDER BY d.registered_at, d.id",
                )?;
                let mut addresses = conn.prepare_cached(
                    "SELECT DISTINCT a.address FROM database_instances di
                     JOIN host_addresses a ON a.host_id = di.host_id
                     WHERE di.database_id = ?1 ORDER BY a.address",
                )?;
                let rows = databases.query_map([&db_host], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                })?;
                for row in rows {
                    let (id, tenants, health) = row?;
                    let Ok(database_id) = id.parse::<Uuid>() else { continue };
                    let tenants: Vec<vigil_landscape::database::Tenant> = from_json(1, &tenants)?;
                    let host_addresses =
                        addresses.query_map([&id], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
                    directory.insert(KnownDatabase {
                        database_id,
                        host_addresses,
                        tenants: tenants.into_iter().map(|t| t.name).collect(),
                        health: parse_health(&health),
                    });
                }
                Ok(directory)
            })
            .await
    }

    /// The addresses of host `host_id`, as its last host discovery listed them.
    pub async fn host_addresses(&self, host_id: Uuid) -> Result<Vec<String>, DbError> {
        self.db
            .read(move |conn| {
                let details: Option<String> = conn
                    .prepare_cached("SELECT details FROM hosts WHERE id = ?1")?
                    .query_row([host_id.to_string()], |r| r.get(0))
                    .optional()?;
                Ok(match details {
                    Some(details) => from_json::<HostDetails>(0, &details)?.ip_addresses,
                    None => Vec::new(),
                })
            })
            .await
    }

    /// The addresses of the hosts running instances of `database_id`.
    pub async fn database_addresses(&self, database_id: Uuid) -> Result<Vec<String>, DbError> {
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT h.details FROM database_instances di JOIN hosts h ON h.id = di.host_id
                     WHERE di.database_id = ?1",
                )?;
                let mut addresses = Vec::new();
                for details in stmt.query_map([database_id.to_string()], |r| r.get::<_, String>(0))? {
                    addresses.extend(from_json::<HostDetails>(0, &details?)?.ip_addresses);
                }
                Ok(addresses)
            })
            .await
    }

    /// The SAP systems (registered or not) whose database is `database_id`.
    pub async fn sap_systems_on(&self, database_id: Uuid) -> Result<Vec<Uuid>, DbError> {
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached("SELECT id FROM sap_systems WHERE database_id = ?1 ORDER BY id")?;
                let rows = stmt.query_map([database_id.to_string()], |r| r.get::<_, String>(0))?;
                let mut ids = Vec::new();
                for row in rows {
                    if let Ok(id) = row?.parse() {
                        ids.push(id);
                    }
                }
                Ok(ids)
            })
            .await
    }

    /// Whether a SAP instance (database or application) that its host still lists runs on
    /// `host_id`.
    pub async fn runs_sap_workload(&self, host_id: Uuid) -> Result<bool, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM database_instances WHERE host_id = ?1 AND absent_at IS NULL)
                             OR EXISTS (SELECT 1 FROM application_instances WHERE host_id = ?1 AND absent_at IS NULL)",
                    )?
                    .query_row([host_id.to_string()], |r| r.get::<_, bool>(0))?)
            })
            .await
    }

    /// Hosts whose data is marked stale.
    pub async fn stale_hosts(&self) -> Result<Vec<Uuid>, DbError> {
        self.db
            .read(|conn| {
                let mut stmt = conn.prepare_cached("SELECT id FROM hosts WHERE stale_at IS NOT NULL")?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                let mut ids = Vec::new();
                for row in rows {
                    if let Ok(id) = row?.parse() {
                        ids.push(id);
                    }
                }
                Ok(ids)
            })
            .await
    }

    /// Whether a resource of `kind` (`host`, `cluster`, `database`, `sap_system`) with `id`
    /// is in its read model, deregistered or not.
    pub async fn exists(&self, kind: &'static str, id: Uuid) -> Result<bool, DbError> {
        let sql = match kind {
            "host" => "SELECT EXISTS (SELECT 1 FROM hosts WHERE id = ?1)",
            "cluster" => "SELECT EXISTS (SELECT 1 FROM clusters WHERE id = ?1)",
            "database" => "SELECT EXISTS (SELECT 1 FROM databases WHERE id = ?1)",
            _ => "SELECT EXISTS (SELECT 1 FROM sap_systems WHERE id = ?1 AND registered = 1)",
        };
        self.db.read(move |conn| Ok(conn.prepare_cached(sql)?.query_row([id.to_string()], |r| r.get(0))?)).await
    }
}

fn parse_health(name: &str) -> Option<Health> {
    [Health::Passing, Health::Warning, Health::Critical, Health::Unknown].into_iter().find(|h| h.as_str() == name)
}
