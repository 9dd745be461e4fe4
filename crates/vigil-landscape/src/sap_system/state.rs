use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::health::Health;

/// What the SAP system aggregate remembers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SapSystemState {
    /// Set by the first application instance.
    pub sap_system_id: Option<Uuid>,
    /// The SAP system id, e.g. `HA1`.
    pub sid: Option<String>,
    /// The database tenant it runs on.
    pub tenant: Option<String>,
    /// The database it runs on.
    pub database_id: Option<Uuid>,
    /// Whether the system is registered: it has (had) an ABAP or J2EE instance and a message
    /// server. Until then its instances are kept, but the system does not exist yet.
    pub registered: bool,
    /// The worst of its instances' health and its database's.
    pub health: Health,
    /// The database's health as last reported; `None` until known.
    pub database_health: Option<Health>,
    /// The enqueue replication version its (A)SCS/ERS instances run.
    pub ensa_version: EnsaVersion,
    /// Its application instances, in registration order.
    pub instances: Vec<ApplicationInstanceState>,
    /// Set while deregistered; a later registration restores the system.
    pub deregistered_at: Option<DateTime<Utc>>,
}

/// A registered application instance and what the landscape knows of its freshness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationInstanceState {
    /// What was discovered.
    pub instance: ApplicationInstance,
    /// The last SAP system discovery of its host no longer listed it.
    pub absent: bool,
    /// Its host stopped sending heartbeats; cleared by its next registration.
    pub stale: bool,
}

/// One application instance (ASCS, ERS, PAS, AAS, J2EE...) as a SAP system discovery
/// describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationInstance {
    /// The host (agent id) running it.
    pub host_id: Uuid,
    /// The instance number, two digits as SAP writes it (`"00"`).
    pub instance_number: String,
    /// The virtual host name SAP uses for it (`SAPLOCALHOST`).
    pub instance_hostname: Option<String>,
    /// SAPControl features, `|`-separated as SAP reports them, e.g. `MESSAGESERVER|ENQUE`.
    pub features: String,
    /// SAPControl HTTP port.
    pub http_port: Option<u16>,
    /// SAPControl HTTPS port.
    pub https_port: Option<u16>,
    /// SAPControl start priority, e.g. `1`.
    pub start_priority: Option<String>,
    /// From SAPControl's `dispstatus`.
    pub health: Health,
    /// From the instance's processes.
    pub ensa_version: EnsaVersion,
}

/// The standalone enqueue server version, as Trento names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnsaVersion {
    /// No enqueue server or replicator runs in the instance.
    #[default]
    NoEnsa,
    /// `enserver` / `enrepserver`.
    Ensa1,
    /// `enq_server` / `enq_replicator`.
    Ensa2,
}

impl EnsaVersion {
    /// The version a process list shows, from the first enqueue process it names.
    pub fn of_processes<'a>(names: impl IntoIterator<Item = &'a str>) -> EnsaVersion {
        names
            .into_iter()
            .find_map(|name| match name {
                "enserver" | "enrepserver" => Some(EnsaVersion::Ensa1),
                "enq_server" | "enq_replicator" => Some(EnsaVersion::Ensa2),
                _ => None,
            })
            .unwrap_or(EnsaVersion::NoEnsa)
    }
}

impl ApplicationInstance {
    /// Whether SAPControl lists `feature` for it (a substring match, as Trento's).
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.contains(feature)
    }
}

impl SapSystemState {
    /// Whether the system is registered and not deregistered.
    pub fn is_active(&self) -> bool {
        self.registered && self.deregistered_at.is_none()
    }

    /// The instance `instance_number` on `host_id`.
    pub fn instance(&self, host_id: Uuid, instance_number: &str) -> Option<&ApplicationInstanceState> {
        self.instances.iter().find(|i| i.instance.host_id == host_id && i.instance.instance_number == instance_number)
    }

    pub(super) fn instance_mut(
        &mut self,
        host_id: Uuid,
        instance_number: &str,
    ) -> Option<&mut ApplicationInstanceState> {
        self.instances
            .iter_mut()
            .find(|i| i.instance.host_id == host_id && i.instance.instance_number == instance_number)
    }
}
