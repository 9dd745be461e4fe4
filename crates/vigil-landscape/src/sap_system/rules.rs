//! The SAP system aggregate's business rules, one function per command.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::SapSystem;
use super::command::{SapSystemCommand, SapSystemRejection};
use super::event::*;
use super::state::{ApplicationInstance, ApplicationInstanceState, EnsaVersion, SapSystemState};
use crate::database::DatabaseEvent;
use crate::health::Health;

/// Whether application instances make a SAP system: at least one ABAP or J2EE instance and
/// a message server (Trento's rule). Before that a system's instances are kept but the
/// system is not registered; once they no longer do, it is deregistered.
pub fn makes_a_system(instances: &[ApplicationInstanceState]) -> bool {
    let has = |feature: &str| instances.iter().any(|i| i.instance.has_feature(feature));
    (has("ABAP") || has("J2EE")) && has("MESSAGESERVER")
}

/// The health of a SAP system: the worst of its instances' and its database's (when known).
pub fn sap_system_health(instances: &[ApplicationInstanceState], database_health: Option<Health>) -> Health {
    Health::worst(instances.iter().map(|i| i.instance.health).chain(database_health))
}

/// The process manager from databases to SAP systems: the commands `event` means for every
/// SAP system running on the event's database. Matches without a catch-all, so a new
/// database event does not compile until it is considered here.
pub fn react_to_database(event: &DatabaseEvent) -> Vec<SapSystemCommand> {
    match event {
        DatabaseEvent::DatabaseHealthChanged(e) => vec![SapSystemCommand::UpdateDatabaseHealth { health: e.health }],
        DatabaseEvent::DatabaseRestored(e) => {
            vec![SapSystemCommand::UpdateDatabaseHealth { health: e.health }, SapSystemCommand::RestoreSapSystem]
        }
        DatabaseEvent::DatabaseDeregistered(e) => vec![SapSystemCommand::DeregisterSapSystem { at: e.deregistered_at }],
        // No SAP system can run on a database before its registration (resolution finds
        // registered databases only), and instance-level changes reach SAP systems through
        // the database's health.
        DatabaseEvent::DatabaseRegistered(_)
        | DatabaseEvent::DatabaseInstanceRegistered(_)
        | DatabaseEvent::DatabaseTenantsUpdated(_)
        | DatabaseEvent::DatabaseInstanceSystemReplicationChanged(_)
        | DatabaseEvent::DatabaseInstanceHealthChanged(_)
        | DatabaseEvent::DatabaseInstanceMarkedAbsent(_)
        | DatabaseEvent::DatabaseInstanceMarkedPresent(_)
        | DatabaseEvent::DatabaseInstanceDeregistered(_)
        | DatabaseEvent::DatabaseInstanceDataMarkedStale(_)
        | DatabaseEvent::DatabaseInstanceDataMarkedInSync(_) => vec![],
    }
}

/// The fields of a `RegisterApplicationInstance` command.
pub(super) struct Registration {
    pub(super) sap_system_id: Uuid,
    pub(super) database_id: Uuid,
    pub(super) sid: String,
    pub(super) tenant: String,
    pub(super) db_host: String,
    pub(super) database_health: Option<Health>,
    pub(super) instance: ApplicationInstance,
}

pub(super) fn register(state: &SapSystemState, registration: Registration) -> Vec<SapSystemEvent> {
    let Registration { sap_system_id, database_id, sid, tenant, db_host, database_health, instance } = registration;
    let reported_ensa = instance.ensa_version;
    let mut decision = Decision::new(state);
    record_instance(&mut decision, sap_system_id, database_id, &sid, &tenant, instance);
    if let Some(database_health) = database_health
        && decision.state().database_health != Some(database_health)
    {
        decision.emit(SapSystemEvent::SapSystemDatabaseHealthChanged(SapSystemDatabaseHealthChanged {
            sap_system_id,
            database_health,
        }));
    }
    let now = decision.state();
    if !now.registered && makes_a_system(&now.instances) {
        let event = SapSystemRegistered {
            sap_system_id,
            database_id,
            sid,
            tenant,
            db_host,
            health: sap_system_health(&now.instances, now.database_health),
            database_health: now.database_health,
            ensa_version: system_ensa(reported_ensa, &now.instances),
        };
        decision.emit(SapSystemEvent::SapSystemRegistered(event));
    } else if now.registered && now.deregistered_at.is_some() && makes_a_system(&now.instances) {
        let health = sap_system_health(&now.instances, now.database_health);
        decision.emit(SapSystemEvent::SapSystemRestored(SapSystemRestored { sap_system_id, health }));
    }
    if decision.state().is_active() {
        // An instance without an enqueue process says nothing of the system's version.
        if reported_ensa != EnsaVersion::NoEnsa && reported_ensa != decision.state().ensa_version {
            decision.emit(SapSystemEvent::SapSystemUpdated(SapSystemUpdated {
                sap_system_id,
                ensa_version: reported_ensa,
            }));
        }
        health_follows(&mut decision, sap_system_id);
    }
    decision.into_events()
}

pub(super) fn mark_absent(
    state: &SapSystemState,
    host_id: Uuid,
    instance_number: String,
) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
    let sap_system_id = state.sap_system_id.ok_or(SapSystemRejection::NotRegistered)?;
    // An unknown or already absent instance: nothing to do, as Trento.
    Ok(match state.instance(host_id, &instance_number) {
        Some(current) if !current.absent => {
            vec![SapSystemEvent::ApplicationInstanceMarkedAbsent(ApplicationInstanceMarkedAbsent {
                sap_system_id,
                host_id,
                instance_number,
            })]
        }
        _ => vec![],
    })
}

pub(super) fn deregister_instance(
    state: &SapSystemState,
    host_id: Uuid,
    instance_number: String,
    at: DateTime<Utc>,
) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
    let sap_system_id = state.sap_system_id.ok_or(SapSystemRejection::NotRegistered)?;
    if state.instance(host_id, &instance_number).is_none() {
        return Err(SapSystemRejection::InstanceNotRegistered { sap_system_id, host_id, instance_number });
    }
    let mut decision = Decision::new(state);
    decision.emit(SapSystemEvent::ApplicationInstanceDeregistered(ApplicationInstanceDeregistered {
        sap_system_id,
        host_id,
        instance_number,
        deregistered_at: at,
    }));
    if decision.state().is_active() {
        if makes_a_system(&decision.state().instances) {
            health_follows(&mut decision, sap_system_id);
        } else {
            decision.emit(SapSystemEvent::SapSystemDeregistered(SapSystemDeregistered {
                sap_system_id,
                deregistered_at: at,
            }));
        }
    }
    Ok(decision.into_events())
}

pub(super) fn delete_absent_instance(
    state: &SapSystemState,
    host_id: Uuid,
    instance_number: String,
    at: DateTime<Utc>,
) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
    let sap_system_id = state.sap_system_id.ok_or(SapSystemRejection::NotRegistered)?;
    match state.instance(host_id, &instance_number) {
        None => Err(SapSystemRejection::InstanceNotRegistered { sap_system_id, host_id, instance_number }),
        Some(current) if !current.absent => {
            Err(SapSystemRejection::InstanceStillPresent { sap_system_id, host_id, instance_number })
        }
        Some(_) => deregister_instance(state, host_id, instance_number, at),
    }
}

pub(super) fn mark_stale(state: &SapSystemState, host_id: Uuid) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
    let sap_system_id = state.sap_system_id.ok_or(SapSystemRejection::NotRegistered)?;
    Ok(state
        .instances
        .iter()
        .filter(|i| i.instance.host_id == host_id && !i.stale)
        .map(|i| {
            SapSystemEvent::ApplicationInstanceDataMarkedStale(ApplicationInstanceDataMarkedStale {
                sap_system_id,
                host_id,
                instance_number: i.instance.instance_number.clone(),
            })
        })
        .collect())
}

pub(super) fn update_database_health(
    state: &SapSystemState,
    database_health: Health,
) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
    let sap_system_id = state.sap_system_id.ok_or(SapSystemRejection::NotRegistered)?;
    if state.database_health == Some(database_health) {
        return Ok(vec![]);
    }
    let mut decision = Decision::new(state);
    decision.emit(SapSystemEvent::SapSystemDatabaseHealthChanged(SapSystemDatabaseHealthChanged {
        sap_system_id,
        database_health,
    }));
    if decision.state().is_active() {
        health_follows(&mut decision, sap_system_id);
    }
    Ok(decision.into_events())
}

pub(super) fn deregister_system(
    state: &SapSystemState,
    at: DateTime<Utc>,
) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
    let sap_system_id = state.sap_system_id.ok_or(SapSystemRejection::NotRegistered)?;
    // A system not (or no longer) registered has nothing to deregister: its instances stay,
    // and it registers normally once its database is back.
    Ok(if state.is_active() {
        vec![SapSystemEvent::SapSystemDeregistered(SapSystemDeregistered { sap_system_id, deregistered_at: at })]
    } else {
        vec![]
    })
}

pub(super) fn restore_system(state: &SapSystemState) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
    let sap_system_id = state.sap_system_id.ok_or(SapSystemRejection::NotRegistered)?;
    Ok(if state.registered && state.deregistered_at.is_some() && makes_a_system(&state.instances) {
        let health = sap_system_health(&state.instances, state.database_health);
        vec![SapSystemEvent::SapSystemRestored(SapSystemRestored { sap_system_id, health })]
    } else {
        vec![]
    })
}

/// The events of one instance's registration: new, or what changed of a known one. Other
/// details (ports, host name, features) of a known instance are not updated, as in Trento.
fn record_instance(
    decision: &mut Decision,
    sap_system_id: Uuid,
    database_id: Uuid,
    sid: &str,
    tenant: &str,
    instance: ApplicationInstance,
) {
    let (host_id, instance_number) = (instance.host_id, instance.instance_number.clone());
    let Some(current) = decision.state().instance(host_id, &instance_number).cloned() else {
        decision.emit(SapSystemEvent::ApplicationInstanceRegistered(ApplicationInstanceRegistered {
            sap_system_id,
            database_id,
            sid: sid.to_owned(),
            tenant: tenant.to_owned(),
            instance,
        }));
        return;
    };
    if current.instance.health != instance.health {
        decision.emit(SapSystemEvent::ApplicationInstanceHealthChanged(ApplicationInstanceHealthChanged {
            sap_system_id,
            host_id,
            instance_number: instance_number.clone(),
            health: instance.health,
        }));
    }
    if current.absent {
        decision.emit(SapSystemEvent::ApplicationInstanceMarkedPresent(ApplicationInstanceMarkedPresent {
            sap_system_id,
            host_id,
            instance_number: instance_number.clone(),
        }));
    }
    if current.stale {
        decision.emit(SapSystemEvent::ApplicationInstanceDataMarkedInSync(ApplicationInstanceDataMarkedInSync {
            sap_system_id,
            host_id,
            instance_number,
        }));
    }
}

/// The version a system registers with: the registering instance's if it runs an enqueue
/// process, else that of an instance registered before. Trento takes the registering
/// instance's only, so a system completed by its ABAP instance registered without a version.
fn system_ensa(reported: EnsaVersion, instances: &[ApplicationInstanceState]) -> EnsaVersion {
    if reported != EnsaVersion::NoEnsa {
        return reported;
    }
    instances.iter().map(|i| i.instance.ensa_version).find(|v| *v != EnsaVersion::NoEnsa).unwrap_or(EnsaVersion::NoEnsa)
}

fn health_follows(decision: &mut Decision, sap_system_id: Uuid) {
    let now = decision.state();
    let health = sap_system_health(&now.instances, now.database_health);
    if health != now.health {
        decision.emit(SapSystemEvent::SapSystemHealthChanged(SapSystemHealthChanged { sap_system_id, health }));
    }
}

/// The events of one decision so far; see [`vigil_kernel::decider::Emitter`].
type Decision = vigil_kernel::decider::Emitter<SapSystem>;
