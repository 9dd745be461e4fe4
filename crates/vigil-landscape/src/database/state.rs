use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::health::Health;

/// What the Database aggregate remembers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DatabaseState {
    /// Set once registered (by a primary or by an instance without system replication).
    pub database_id: Option<Uuid>,
    /// The HANA system id, e.g. `PRD`.
    pub sid: Option<String>,
    /// The worst health of its instances.
    pub health: Health,
    /// The tenants (HANA databases) it holds, as last discovered.
    pub tenants: Vec<Tenant>,
    /// Its instances, in registration order.
    pub instances: Vec<DatabaseInstanceState>,
    /// Set while deregistered; a later registration restores the database.
    pub deregistered_at: Option<DateTime<Utc>>,
}

/// A registered database instance and what the landscape knows of its freshness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseInstanceState {
    /// What was discovered.
    pub instance: DatabaseInstance,
    /// The last SAP system discovery of its host no longer listed it.
    pub absent: bool,
    /// Its host stopped sending heartbeats; cleared by its next registration.
    pub stale: bool,
}

/// One HANA instance of a database, as a SAP system discovery describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInstance {
    /// The host (agent id) running it.
    pub host_id: Uuid,
    /// The instance number, two digits as SAP writes it (`"00"`).
    pub instance_number: String,
    /// The virtual host name SAP uses for it (`SAPLOCALHOST`).
    pub instance_hostname: Option<String>,
    /// SAPControl features, `|`-separated as SAP reports them, e.g. `HDB|HDB_WORKER`.
    pub features: String,
    /// SAPControl HTTP port.
    pub http_port: Option<u16>,
    /// SAPControl HTTPS port.
    pub https_port: Option<u16>,
    /// SAPControl start priority, e.g. `0.3`.
    pub start_priority: Option<String>,
    /// From SAPControl's `dispstatus`.
    pub health: Health,
    /// Its part in HANA system replication.
    pub system_replication: SystemReplication,
}

/// An instance's part in HANA system replication, as Trento reads it from `hdbnsutil
/// -sr_state` and the `SystemReplication` landscape view. Values SAP reports as text are
/// kept as text: they are SAP's vocabulary, shown to the operator, not interpreted here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemReplication {
    /// Primary or secondary; `None` when the instance does not replicate.
    pub role: Option<ReplicationRole>,
    /// The overall replication status the primary reports, e.g. `ACTIVE`, `ERROR`.
    pub status: Option<String>,
    /// The instance's site name.
    pub site: Option<String>,
    /// The replication mode: `primary`, `sync`, `syncmem`, `async`, or `none`.
    pub mode: Option<String>,
    /// The operation mode, e.g. `logreplay`.
    pub operation_mode: Option<String>,
    /// The site this one replicates from (secondaries only).
    pub source_site: Option<String>,
    /// The site's tier: 1 for the primary, 2 for its secondaries, 3 for theirs.
    pub tier: Option<u32>,
}

/// The role of an instance in system replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationRole {
    /// Replicates to others; may register the database.
    Primary,
    /// Replicates from another site; joins a database its primary registered.
    Secondary,
}

/// A tenant (a HANA database of the system), e.g. `PRD`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Tenant {
    /// The tenant name, as SAP application profiles name it (`dbs/hdb/dbname`).
    pub name: String,
}

impl Tenant {
    /// A tenant named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Tenant { name: name.into() }
    }
}

impl DatabaseState {
    /// Whether the database was ever registered.
    pub fn is_registered(&self) -> bool {
        self.database_id.is_some()
    }

    /// Whether the database is deregistered (and may be restored).
    pub fn is_deregistered(&self) -> bool {
        self.deregistered_at.is_some()
    }

    /// The instance `instance_number` on `host_id`.
    pub fn instance(&self, host_id: Uuid, instance_number: &str) -> Option<&DatabaseInstanceState> {
        self.instances.iter().find(|i| i.instance.host_id == host_id && i.instance.instance_number == instance_number)
    }

    pub(super) fn instance_mut(&mut self, host_id: Uuid, instance_number: &str) -> Option<&mut DatabaseInstanceState> {
        self.instances
            .iter_mut()
            .find(|i| i.instance.host_id == host_id && i.instance.instance_number == instance_number)
    }
}
