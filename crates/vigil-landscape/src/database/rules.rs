//! The Database aggregate's business rules, one function per command.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Database;
use super::command::DatabaseRejection;
use super::event::*;
use super::state::{DatabaseInstance, DatabaseInstanceState, DatabaseState, ReplicationRole, Tenant};
use crate::health::Health;

/// The health of a database: the worst of its instances', absent ones included (Trento).
pub fn database_health(instances: &[DatabaseInstanceState]) -> Health {
    Health::worst(instances.iter().map(|i| i.instance.health))
}

/// Whether a registered database has lost its right to exist: no instance remains, or only
/// system replication secondaries, which cannot stand for the database on their own.
pub fn only_secondaries_remain(instances: &[DatabaseInstanceState]) -> bool {
    instances.iter().all(|i| i.instance.system_replication.role == Some(ReplicationRole::Secondary))
}

pub(super) fn register(
    state: &DatabaseState,
    database_id: Uuid,
    sid: String,
    tenants: Vec<Tenant>,
    instance: DatabaseInstance,
) -> Result<Vec<DatabaseEvent>, DatabaseRejection> {
    let secondary = instance.system_replication.role == Some(ReplicationRole::Secondary);
    let active = state.is_registered() && !state.is_deregistered();
    if secondary && !active {
        return Err(DatabaseRejection::SecondaryBeforePrimary {
            database_id,
            host_id: instance.host_id,
            instance_number: instance.instance_number,
        });
    }
    let mut decision = Decision::new(state);
    if !state.is_registered() {
        decision.emit(DatabaseEvent::DatabaseRegistered(DatabaseRegistered {
            database_id,
            sid: sid.clone(),
            health: instance.health,
        }));
    }
    record_instance(&mut decision, database_id, sid, instance);
    if state.is_deregistered() {
        let health = database_health(&decision.state().instances);
        decision.emit(DatabaseEvent::DatabaseRestored(DatabaseRestored { database_id, health }));
    } else {
        health_follows_instances(&mut decision, database_id);
    }
    let previous_tenants = decision.state().tenants.clone();
    if sorted(&previous_tenants) != sorted(&tenants) {
        decision.emit(DatabaseEvent::DatabaseTenantsUpdated(DatabaseTenantsUpdated {
            database_id,
            tenants,
            previous_tenants,
        }));
    }
    Ok(decision.into_events())
}

pub(super) fn mark_absent(
    state: &DatabaseState,
    host_id: Uuid,
    instance_number: String,
) -> Result<Vec<DatabaseEvent>, DatabaseRejection> {
    let database_id = state.database_id.ok_or(DatabaseRejection::NotRegistered)?;
    // An unknown or already absent instance: nothing to do, as Trento.
    Ok(match state.instance(host_id, &instance_number) {
        Some(current) if !current.absent => {
            vec![DatabaseEvent::DatabaseInstanceMarkedAbsent(DatabaseInstanceMarkedAbsent {
                database_id,
                host_id,
                instance_number,
            })]
        }
        _ => vec![],
    })
}

pub(super) fn deregister_instance(
    state: &DatabaseState,
    host_id: Uuid,
    instance_number: String,
    at: DateTime<Utc>,
) -> Result<Vec<DatabaseEvent>, DatabaseRejection> {
    let database_id = state.database_id.ok_or(DatabaseRejection::NotRegistered)?;
    if state.instance(host_id, &instance_number).is_none() {
        return Err(DatabaseRejection::InstanceNotRegistered { database_id, host_id, instance_number });
    }
    let mut decision = Decision::new(state);
    decision.emit(DatabaseEvent::DatabaseInstanceDeregistered(DatabaseInstanceDeregistered {
        database_id,
        host_id,
        instance_number,
        deregistered_at: at,
    }));
    if !decision.state().is_deregistered() {
        if only_secondaries_remain(&decision.state().instances) {
            decision
                .emit(DatabaseEvent::DatabaseDeregistered(DatabaseDeregistered { database_id, deregistered_at: at }));
        } else {
            // Trento leaves the health as it was here; Vigil keeps the invariant that a
            // database's health is the worst of the instances it has.
            health_follows_instances(&mut decision, database_id);
        }
    }
    Ok(decision.into_events())
}

pub(super) fn delete_absent_instance(
    state: &DatabaseState,
    host_id: Uuid,
    instance_number: String,
    at: DateTime<Utc>,
) -> Result<Vec<DatabaseEvent>, DatabaseRejection> {
    let database_id = state.database_id.ok_or(DatabaseRejection::NotRegistered)?;
    match state.instance(host_id, &instance_number) {
        None => Err(DatabaseRejection::InstanceNotRegistered { database_id, host_id, instance_number }),
        Some(current) if !current.absent => {
            Err(DatabaseRejection::InstanceStillPresent { database_id, host_id, instance_number })
        }
        Some(_) => deregister_instance(state, host_id, instance_number, at),
    }
}

pub(super) fn mark_stale(state: &DatabaseState, host_id: Uuid) -> Result<Vec<DatabaseEvent>, DatabaseRejection> {
    let database_id = state.database_id.ok_or(DatabaseRejection::NotRegistered)?;
    Ok(state
        .instances
        .iter()
        .filter(|i| i.instance.host_id == host_id && !i.stale)
        .map(|i| {
            DatabaseEvent::DatabaseInstanceDataMarkedStale(DatabaseInstanceDataMarkedStale {
                database_id,
                host_id,
                instance_number: i.instance.instance_number.clone(),
            })
        })
        .collect())
}

/// The events of one instance's registration: new, or what changed of a known one. Other
/// details (ports, host name, features) of a known instance are not updated, as in Trento.
fn record_instance(decision: &mut Decision, database_id: Uuid, sid: String, instance: DatabaseInstance) {
    let (host_id, instance_number) = (instance.host_id, instance.instance_number.clone());
    let Some(current) = decision.state().instance(host_id, &instance_number).cloned() else {
        decision.emit(DatabaseEvent::DatabaseInstanceRegistered(DatabaseInstanceRegistered {
            database_id,
            sid,
            instance,
        }));
        return;
    };
    if current.instance.system_replication != instance.system_replication {
        decision.emit(DatabaseEvent::DatabaseInstanceSystemReplicationChanged(
            DatabaseInstanceSystemReplicationChanged {
                database_id,
                host_id,
                instance_number: instance_number.clone(),
                system_replication: instance.system_replication,
            },
        ));
    }
    if current.instance.health != instance.health {
        decision.emit(DatabaseEvent::DatabaseInstanceHealthChanged(DatabaseInstanceHealthChanged {
            database_id,
            host_id,
            instance_number: instance_number.clone(),
            health: instance.health,
        }));
    }
    if current.absent {
        decision.emit(DatabaseEvent::DatabaseInstanceMarkedPresent(DatabaseInstanceMarkedPresent {
            database_id,
            host_id,
            instance_number: instance_number.clone(),
        }));
    }
    if current.stale {
        decision.emit(DatabaseEvent::DatabaseInstanceDataMarkedInSync(DatabaseInstanceDataMarkedInSync {
            database_id,
            host_id,
            instance_number,
        }));
    }
}

fn health_follows_instances(decision: &mut Decision, database_id: Uuid) {
    let health = database_health(&decision.state().instances);
    if health != decision.state().health {
        decision.emit(DatabaseEvent::DatabaseHealthChanged(DatabaseHealthChanged { database_id, health }));
    }
}

fn sorted(tenants: &[Tenant]) -> Vec<&Tenant> {
    let mut sorted: Vec<&Tenant> = tenants.iter().collect();
    sorted.sort();
    sorted
}

/// The events of one decision so far; see [`vigil_kernel::decider::Emitter`].
type Decision = vigil_kernel::decider::Emitter<Database>;
