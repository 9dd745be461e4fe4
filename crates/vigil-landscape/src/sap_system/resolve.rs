//! Finding an application instance's database, so that its SAP system id can be computed.

use uuid::Uuid;

use super::command::SapSystemCommand;
use super::sap_system_id;
use super::state::ApplicationInstance;
use crate::LandscapeCommand;
use crate::health::Health;

/// An application instance as discovered, before its database (and so its SAP system) is
/// known: the detector cannot know it, the server looks it up and calls [`resolve`].
#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationInstanceRegistration {
    /// The SAP system id, e.g. `HA1`.
    pub sid: String,
    /// The database tenant (`dbs/hdb/dbname` of the profile).
    pub tenant: String,
    /// The database host's address, as the agent resolved it (`DBAddress`).
    pub db_host: String,
    /// The instance.
    pub instance: ApplicationInstance,
}

/// Where the databases of the landscape can be looked up. The server implements it from read
/// models; [`InMemoryDatabaseDirectory`] is a plain one.
pub trait DatabaseDirectory {
    /// The registered database whose instances run on a host with address `db_host`, and
    /// whose tenants include `tenant`.
    fn find_database(&self, db_host: &str, tenant: &str) -> Option<Uuid>;

    /// The database's current health, when the directory knows it. A SAP system's health
    /// includes its database's; without it the system counts only its instances until the
    /// database's health next changes.
    fn database_health(&self, _database_id: Uuid) -> Option<Health> {
        None
    }
}

/// Why an application instance cannot be registered yet: its database is not (yet) known.
/// Trento answers such a discovery with 202 and takes it again on the agent's next one; the
/// registration is handed back so the caller can park it and retry when a database appears.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "no database with host {} and tenant {} for instance {} of {}",
    .registration.db_host, .registration.tenant, .registration.instance.instance_number, .registration.sid
)]
pub struct Unresolved {
    /// The registration, unchanged (boxed: a refusal is the rarer, slower path).
    pub registration: Box<ApplicationInstanceRegistration>,
}

impl Unresolved {
    /// The database host looked for.
    pub fn db_host(&self) -> &str {
        &self.registration.db_host
    }

    /// The tenant looked for.
    pub fn tenant(&self) -> &str {
        &self.registration.tenant
    }
}

/// The registration as a command for its SAP system, once `directory` knows its database:
/// the system id is [`sap_system_id`] of that database and the tenant.
pub fn resolve(
    registration: ApplicationInstanceRegistration,
    directory: &impl DatabaseDirectory,
) -> Result<LandscapeCommand, Unresolved> {
    let Some(database_id) = directory.find_database(&registration.db_host, &registration.tenant) else {
        return Err(Unresolved { registration: Box::new(registration) });
    };
    let sap_system_id = sap_system_id(database_id, &registration.tenant);
    let ApplicationInstanceRegistration { sid, tenant, db_host, instance } = registration;
    Ok(LandscapeCommand::SapSystem {
        sap_system_id,
        command: SapSystemCommand::RegisterApplicationInstance {
            sap_system_id,
            database_id,
            sid,
            tenant,
            db_host,
            database_health: directory.database_health(database_id),
            instance,
        },
    })
}

/// A [`DatabaseDirectory`] held in memory, for tests and tools.
///
/// Matching: a database matches when one of its host addresses equals `db_host` and one of
/// its tenants equals `tenant`, both compared exactly after trimming. A host address may
/// carry a prefix length (`10.0.1.10/24`, as host discoveries store it); only the part
/// before `/` is compared. The first matching database, in insertion order, is found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InMemoryDatabaseDirectory {
    databases: Vec<KnownDatabase>,
}

/// A database as [`InMemoryDatabaseDirectory`] knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct KnownDatabase {
    /// The database.
    pub database_id: Uuid,
    /// Addresses of the hosts running its instances.
    pub host_addresses: Vec<String>,
    /// Its tenants' names.
    pub tenants: Vec<String>,
    /// Its health, if known.
    pub health: Option<Health>,
}

impl InMemoryDatabaseDirectory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a database.
    pub fn insert(&mut self, database: KnownDatabase) {
        self.databases.push(database);
    }

    /// Adds a database, builder style.
    pub fn with(mut self, database: KnownDatabase) -> Self {
        self.insert(database);
        self
    }
}

impl DatabaseDirectory for InMemoryDatabaseDirectory {
    fn find_database(&self, db_host: &str, tenant: &str) -> Option<Uuid> {
        let (db_host, tenant) = (db_host.trim(), tenant.trim());
        self.databases
            .iter()
            .find(|d| {
                d.host_addresses.iter().any(|a| without_prefix(a) == db_host)
                    && d.tenants.iter().any(|t| t.trim() == tenant)
            })
            .map(|d| d.database_id)
    }

    fn database_health(&self, database_id: Uuid) -> Option<Health> {
        self.databases.iter().find(|d| d.database_id == database_id).and_then(|d| d.health)
    }
}

fn without_prefix(address: &str) -> &str {
    let address = address.trim();
    address.split_once('/').map_or(address, |(ip, _)| ip)
}
