//! `sap_system_discovery` → `RegisterDatabaseInstance` per HANA instance, an application
//! instance registration per application instance (resolved to its SAP system by the
//! server), and absence marks for instances the host no longer runs.
//!
//! The payload lists the SAP systems installed on the host, each with its instances as
//! SAPControl sees them. Parsing follows Trento's `SapSystemDiscoveryPayload` and
//! `SapSystemPolicy`: the entry's `Type` says what the system is (0 unknown, 1 HANA
//! database, 2 application, 3 diagnostics agent), the instance's own data comes from the
//! SAPControl instance marked `currentInstance`, its number and virtual host name from the
//! `SAPSYSTEM` and `SAPLOCALHOST` properties.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use uuid::Uuid;

use super::{DiscoveryContext, InvalidDiscovery, parse_payload};
use crate::LandscapeCommand;
use crate::database::{self, DatabaseCommand, DatabaseInstance, ReplicationRole, SystemReplication, Tenant};
use crate::health::Health;
use crate::sap_system::{ApplicationInstance, ApplicationInstanceRegistration, EnsaVersion, SapSystemCommand};

/// One SAP system installed on the host, as the Trento agent sends it.
#[derive(Deserialize)]
struct SapSystemEntry {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "SID")]
    sid: String,
    #[serde(rename = "Type")]
    system_type: i64,
    #[serde(rename = "DBAddress", default)]
    db_address: Option<String>,
    #[serde(rename = "Profile", default)]
    profile: Option<Profile>,
    #[serde(rename = "Databases", default)]
    databases: Option<Vec<DatabaseEntry>>,
    #[serde(rename = "Instances", default)]
    instances: Option<Vec<InstanceEntry>>,
}

/// The few profile parameters Vigil reads; the agent sends the whole profile.
#[derive(Default, Deserialize)]
struct Profile {
    #[serde(rename = "dbs/hdb/dbname", default)]
    dbname: Option<String>,
    #[serde(rename = "dbs/hdb/dbhost", default)]
    dbhost: Option<String>,
    #[serde(rename = "SAPDBHOST", default)]
    sapdbhost: Option<String>,
}

#[derive(Deserialize)]
struct DatabaseEntry {
    #[serde(rename = "Database")]
    database: String,
}

#[derive(Deserialize)]
struct InstanceEntry {
    #[serde(rename = "SAPControl")]
    sap_control: SapControl,
    #[serde(rename = "SystemReplication", default)]
    system_replication: Option<SystemReplicationEntry>,
    /// `hdbnsutil -sr_state` as key/value pairs; some values (`mapping/<host>`,
    /// `siteMapping/<site>` with several targets) are lists.
    #[serde(rename = "HdbnsutilSRstate", default)]
    sr_state: Option<BTreeMap<String, SrValue>>,
}

#[derive(Deserialize)]
struct SapControl {
    #[serde(rename = "Properties", default)]
    properties: Option<Vec<SapControlProperty>>,
    #[serde(rename = "Instances", default)]
    instances: Option<Vec<SapControlInstance>>,
    #[serde(rename = "Processes", default)]
    processes: Option<Vec<SapControlProcess>>,
}

#[derive(Deserialize)]
struct SapControlProperty {
    property: String,
    value: String,
}

/// One instance of the system, as the instance's SAPControl lists them all.
#[derive(Deserialize)]
struct SapControlInstance {
    #[serde(default)]
    features: Option<String>,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(rename = "httpPort", default)]
    http_port: Option<u16>,
    #[serde(rename = "httpsPort", default)]
    https_port: Option<u16>,
    #[serde(default)]
    dispstatus: Option<String>,
    #[serde(rename = "instanceNr", default)]
    instance_nr: Option<u32>,
    #[serde(rename = "startPriority", default)]
    start_priority: Option<String>,
    #[serde(rename = "currentInstance", default)]
    current_instance: Option<bool>,
}

#[derive(Deserialize)]
struct SapControlProcess {
    name: String,
}

#[derive(Deserialize)]
struct SystemReplicationEntry {
    #[serde(default)]
    overall_replication_status: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SrValue {
    One(String),
    Many(Vec<String>),
    /// A value of a shape Vigil does not read; kept from failing the whole discovery.
    Other(IgnoredAny),
}

const UNKNOWN_TYPE: i64 = 0;
const DATABASE_TYPE: i64 = 1;
const APPLICATION_TYPE: i64 = 2;
const DIAGNOSTICS_TYPE: i64 = 3;

pub(super) fn detect(
    agent_id: Uuid,
    payload: &str,
    context: &DiscoveryContext,
) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let systems: Option<Vec<SapSystemEntry>> = parse_payload(payload)?;
    let mut registrations = Vec::new();
    for (i, system) in systems.unwrap_or_default().into_iter().enumerate() {
        let at = |field: &str| format!("payload.[{i}].{field}");
        match system.system_type {
            DATABASE_TYPE => registrations.extend(database_instances(agent_id, system, &at)?),
            APPLICATION_TYPE => registrations.extend(application_instances(agent_id, system, &at)?),
            UNKNOWN_TYPE | DIAGNOSTICS_TYPE => {}
            other => {
                return Err(InvalidDiscovery::field(
                    at("Type"),
                    format!("must be 0 (unknown), 1 (database), 2 (application) or 3 (diagnostics), not {other}"),
                ));
            }
        }
    }
    // Trento's order: first what disappeared, then what is there.
    let mut commands = absence_marks(agent_id, &registrations, context);
    commands.extend(registrations);
    Ok(commands)
}

/// `MarkDatabaseInstanceAbsent` / `MarkApplicationInstanceAbsent` for the instances the
/// context says are registered on the host but the discovery no longer lists. A database
/// instance is the same when its database and number are; an application instance when its
/// number is (its SAP system is not known before resolution; numbers are unique on a host).
fn absence_marks(
    agent_id: Uuid,
    registrations: &[LandscapeCommand],
    context: &DiscoveryContext,
) -> Vec<LandscapeCommand> {
    let database_listed = |database: Uuid, number: &str| {
        registrations.iter().any(|c| {
            matches!(c, LandscapeCommand::Database {
                database_id,
                command: DatabaseCommand::RegisterDatabaseInstance { instance, .. },
            } if *database_id == database && instance.instance_number == number)
        })
    };
    let application_listed = |number: &str| {
        registrations.iter().any(|c| {
            matches!(c, LandscapeCommand::ResolveApplicationInstance(registration)
                if registration.instance.instance_number == number)
        })
    };
    let databases =
        context.database_instances.iter().filter(|r| !database_listed(r.aggregate_id, &r.instance_number)).map(|r| {
            LandscapeCommand::Database {
                database_id: r.aggregate_id,
                command: DatabaseCommand::MarkDatabaseInstanceAbsent {
                    host_id: agent_id,
                    instance_number: r.instance_number.clone(),
                },
            }
        });
    let applications =
        context.application_instances.iter().filter(|r| !application_listed(&r.instance_number)).map(|r| {
            LandscapeCommand::SapSystem {
                sap_system_id: r.aggregate_id,
                command: SapSystemCommand::MarkApplicationInstanceAbsent {
                    host_id: agent_id,
                    instance_number: r.instance_number.clone(),
                },
            }
        });
    databases.chain(applications).collect()
}

fn database_instances(
    agent_id: Uuid,
    system: SapSystemEntry,
    at: &dyn Fn(&str) -> String,
) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let database_id = database::database_id(&system.id);
    let mut tenants: Vec<Tenant> = Vec::new();
    for entry in system.databases.unwrap_or_default() {
        let tenant = Tenant::new(entry.database);
        if !tenants.contains(&tenant) {
            tenants.push(tenant);
        }
    }
    system
        .instances
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(j, entry)| {
            let at_instance = |field: &str| at(&format!("Instances[{j}].{field}"));
            let sap_control = read_sap_control(&entry.sap_control, &at_instance)?;
            let instance = DatabaseInstance {
                host_id: agent_id,
                instance_number: sap_control.instance_number,
                instance_hostname: sap_control.instance_hostname,
                features: sap_control.features,
                http_port: sap_control.http_port,
                https_port: sap_control.https_port,
                start_priority: sap_control.start_priority,
                health: sap_control.health,
                system_replication: read_system_replication(&entry, &at_instance)?,
            };
            Ok(LandscapeCommand::Database {
                database_id,
                command: DatabaseCommand::RegisterDatabaseInstance {
                    database_id,
                    sid: system.sid.clone(),
                    tenants: tenants.clone(),
                    instance,
                },
            })
        })
        .collect()
}

fn application_instances(
    agent_id: Uuid,
    system: SapSystemEntry,
    at: &dyn Fn(&str) -> String,
) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let profile = system.profile.unwrap_or_default();
    let tenant = non_empty(profile.dbname).ok_or_else(|| {
        InvalidDiscovery::field(
            at("Profile.dbs/hdb/dbname"),
            "is required for an application system: it names the database tenant",
        )
    })?;
    // The agent resolves the profile's database host to an address (`DBAddress`); older
    // agents may leave it empty, and the profile's name then stands in for it.
    let db_host = non_empty(system.db_address)
        .or_else(|| non_empty(profile.dbhost))
        .or_else(|| non_empty(profile.sapdbhost))
        .ok_or_else(|| {
            InvalidDiscovery::field(
                at("DBAddress"),
                "is empty and the profile names no database host (dbs/hdb/dbhost, SAPDBHOST)",
            )
        })?;
    system
        .instances
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(j, entry)| {
            let at_instance = |field: &str| at(&format!("Instances[{j}].{field}"));
            let sap_control = read_sap_control(&entry.sap_control, &at_instance)?;
            let processes = entry.sap_control.processes.as_deref().unwrap_or_default();
            let instance = ApplicationInstance {
                host_id: agent_id,
                instance_number: sap_control.instance_number,
                instance_hostname: sap_control.instance_hostname,
                features: sap_control.features,
                http_port: sap_control.http_port,
                https_port: sap_control.https_port,
                start_priority: sap_control.start_priority,
                health: sap_control.health,
                ensa_version: EnsaVersion::of_processes(processes.iter().map(|p| p.name.as_str())),
            };
            Ok(LandscapeCommand::ResolveApplicationInstance(ApplicationInstanceRegistration {
                sid: system.sid.clone(),
                tenant: tenant.clone(),
                db_host: db_host.clone(),
                instance,
            }))
        })
        .collect()
}

/// What SAPControl says of the instance itself.
struct SapControlView {
    instance_number: String,
    instance_hostname: Option<String>,
    features: String,
    http_port: Option<u16>,
    https_port: Option<u16>,
    start_priority: Option<String>,
    health: Health,
}

fn read_sap_control(sap_control: &SapControl, at: &dyn Fn(&str) -> String) -> Result<SapControlView, InvalidDiscovery> {
    let properties = sap_control.properties.as_deref().unwrap_or_default();
    let property = |name: &str| {
        properties.iter().find(|p| p.property == name).map(|p| p.value.trim().to_owned()).filter(|v| !v.is_empty())
    };
    let instance_number = property("SAPSYSTEM").ok_or_else(|| {
        InvalidDiscovery::field(at("SAPControl.Properties"), "has no SAPSYSTEM property, the instance number")
    })?;
    let instance_hostname = property("SAPLOCALHOST");
    let instances = sap_control.instances.as_deref().unwrap_or_default();
    // Older agents do not mark the current instance: it is then the one with the instance's
    // own host name and number, as Trento decides.
    let is_current = |i: &SapControlInstance| match i.current_instance {
        Some(current) => current,
        None => {
            i.hostname.is_some()
                && i.hostname == instance_hostname
                && i.instance_nr.is_some()
                && i.instance_nr == instance_number.parse().ok()
        }
    };
    let Some((k, current)) = instances.iter().enumerate().find(|(_, i)| is_current(i)) else {
        return Ok(SapControlView {
            instance_number,
            instance_hostname,
            features: String::new(),
            http_port: None,
            https_port: None,
            start_priority: None,
            health: Health::Unknown,
        });
    };
    Ok(SapControlView {
        instance_number,
        instance_hostname,
        features: current.features.clone().unwrap_or_default(),
        http_port: current.http_port,
        https_port: current.https_port,
        start_priority: current.start_priority.clone(),
        health: dispstatus_health(current.dispstatus.as_deref()).map_err(|message| {
            InvalidDiscovery::field(at(&format!("SAPControl.Instances[{k}].dispstatus")), message)
        })?,
    })
}

/// SAPControl's colours as Trento grades them.
fn dispstatus_health(dispstatus: Option<&str>) -> Result<Health, String> {
    match dispstatus {
        Some("SAPControl-GREEN") => Ok(Health::Passing),
        Some("SAPControl-YELLOW") => Ok(Health::Warning),
        Some("SAPControl-RED") => Ok(Health::Critical),
        Some("SAPControl-GRAY") | None => Ok(Health::Unknown),
        Some(other) => Err(format!("must be SAPControl-GREEN, -YELLOW, -RED or -GRAY, not `{other}`")),
    }
}

/// The replication role, site and mode from `hdbnsutil -sr_state`, the status from the
/// `SystemReplication` view, as Trento reads them: the role from the mode (`primary`, or
/// `sync`/`syncmem`/`async`/`unknown` for a secondary), the source site from the
/// `siteMapping/<source>` entry naming this site, the tier from `siteTier/<site>`.
fn read_system_replication(
    entry: &InstanceEntry,
    at: &dyn Fn(&str) -> String,
) -> Result<SystemReplication, InvalidDiscovery> {
    let empty = BTreeMap::new();
    let sr_state = entry.sr_state.as_ref().unwrap_or(&empty);
    let text = |key: &str| match sr_state.get(key) {
        Some(SrValue::One(value)) if !value.trim().is_empty() => Some(value.trim().to_owned()),
        _ => None,
    };
    let mode = text("mode");
    let site = text("site_name");
    let role = match mode.as_deref() {
        Some("primary") => Some(ReplicationRole::Primary),
        Some("sync" | "syncmem" | "async" | "unknown") => Some(ReplicationRole::Secondary),
        _ => None,
    };
    let source_site = site.as_deref().and_then(|site| {
        sr_state.iter().find_map(|(key, value)| {
            let source = key.strip_prefix("siteMapping/")?;
            let targets_this_site = match value {
                SrValue::One(target) => target == site,
                SrValue::Many(targets) => targets.iter().any(|t| t == site),
                SrValue::Other(_) => false,
            };
            targets_this_site.then(|| source.to_owned())
        })
    });
    let tier = match &site {
        None => None,
        Some(site) => {
            let key = format!("siteTier/{site}");
            match sr_state.get(&key) {
                Some(SrValue::One(value)) => Some(value.trim().parse::<u32>().map_err(|_| {
                    InvalidDiscovery::field(
                        at(&format!("HdbnsutilSRstate.{key}")),
                        format!("must be a tier number, not `{value}`"),
                    )
                })?),
                _ => None,
            }
        }
    };
    Ok(SystemReplication {
        role,
        status: entry
            .system_replication
            .as_ref()
            .and_then(|sr| sr.overall_replication_status.clone())
            .filter(|s| !s.trim().is_empty()),
        site,
        mode,
        operation_mode: text("operation_mode"),
        source_site,
        tier,
    })
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
