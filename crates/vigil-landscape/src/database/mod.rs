//! The Database aggregate: one HANA system, its instances and tenants, identified by
//! [`database_id`] of the SAP system discovery's `Id`.
//!
//! Rules (as Trento):
//! * A HANA instance without system replication, or a primary, registers the database; a
//!   secondary discovered first is refused ([`DatabaseRejection::SecondaryBeforePrimary`])
//!   and joins with a later discovery once the primary has registered it.
//! * A known instance's registration emits only what changed: system replication, health,
//!   presence, staleness. An identical registration emits nothing.
//! * The database's health is the worst of its instances' (see [`database_health`]).
//! * Removing the last instance, or the last one that is not a secondary, deregisters the
//!   database; the registration of a primary (or non-replicating instance) restores it.
//! * An instance is marked absent when its host's discovery no longer lists it, present
//!   again when listed; only absent instances may be deleted by an operator.
//! * When a host stops sending heartbeats its instances are marked stale; the next
//!   registration of each clears the mark, even if nothing else changed.

mod command;
mod event;
mod rules;
mod state;
#[cfg(test)]
mod tests;

pub use command::{DatabaseCommand, DatabaseRejection};
pub use event::{
    DatabaseDeregistered, DatabaseEvent, DatabaseHealthChanged, DatabaseInstanceDataMarkedInSync,
    DatabaseInstanceDataMarkedStale, DatabaseInstanceDeregistered, DatabaseInstanceHealthChanged,
    DatabaseInstanceMarkedAbsent, DatabaseInstanceMarkedPresent, DatabaseInstanceRegistered,
    DatabaseInstanceSystemReplicationChanged, DatabaseRegistered, DatabaseRestored, DatabaseTenantsUpdated,
};
pub use rules::{database_health, only_secondaries_remain};
pub use state::{DatabaseInstance, DatabaseInstanceState, DatabaseState, ReplicationRole, SystemReplication, Tenant};

use uuid::Uuid;
use vigil_kernel::decider::Decider;

use crate::TRENTO_NAMESPACE;

/// The id of the database a SAP system discovery entry describes: UUIDv5 of the entry's `Id`
/// in [`TRENTO_NAMESPACE`], as Trento derives it, so both name a database alike.
pub fn database_id(entry_id: &str) -> Uuid {
    Uuid::new_v5(&TRENTO_NAMESPACE, entry_id.as_bytes())
}

/// The Database decider.
pub struct Database;

impl Decider for Database {
    type State = DatabaseState;
    type Command = DatabaseCommand;
    type Event = DatabaseEvent;
    type Rejection = DatabaseRejection;
    const CATEGORY: &'static str = "database";

    fn decide(state: &DatabaseState, command: DatabaseCommand) -> Result<Vec<DatabaseEvent>, DatabaseRejection> {
        match command {
            DatabaseCommand::RegisterDatabaseInstance { database_id, sid, tenants, instance } => {
                rules::register(state, database_id, sid, tenants, instance)
            }
            DatabaseCommand::MarkDatabaseInstanceAbsent { host_id, instance_number } => {
                rules::mark_absent(state, host_id, instance_number)
            }
            DatabaseCommand::DeregisterDatabaseInstance { host_id, instance_number, at } => {
                rules::deregister_instance(state, host_id, instance_number, at)
            }
            DatabaseCommand::DeleteAbsentDatabaseInstance { host_id, instance_number, at } => {
                rules::delete_absent_instance(state, host_id, instance_number, at)
            }
            DatabaseCommand::MarkDatabaseInstancesStale { host_id } => rules::mark_stale(state, host_id),
        }
    }

    fn evolve(mut state: DatabaseState, event: &DatabaseEvent) -> DatabaseState {
        match event {
            DatabaseEvent::DatabaseRegistered(e) => {
                state.database_id = Some(e.database_id);
                state.sid = Some(e.sid.clone());
                state.health = e.health;
            }
            DatabaseEvent::DatabaseInstanceRegistered(e) => state.instances.push(DatabaseInstanceState {
                instance: e.instance.clone(),
                absent: false,
                stale: false,
            }),
            DatabaseEvent::DatabaseTenantsUpdated(e) => state.tenants = e.tenants.clone(),
            DatabaseEvent::DatabaseInstanceSystemReplicationChanged(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.instance.system_replication = e.system_replication.clone();
                }
            }
            DatabaseEvent::DatabaseInstanceHealthChanged(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.instance.health = e.health;
                }
            }
            DatabaseEvent::DatabaseHealthChanged(e) => state.health = e.health,
            DatabaseEvent::DatabaseInstanceMarkedAbsent(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.absent = true;
                }
            }
            DatabaseEvent::DatabaseInstanceMarkedPresent(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.absent = false;
                }
            }
            DatabaseEvent::DatabaseInstanceDeregistered(e) => state
                .instances
                .retain(|i| !(i.instance.host_id == e.host_id && i.instance.instance_number == e.instance_number)),
            DatabaseEvent::DatabaseDeregistered(e) => state.deregistered_at = Some(e.deregistered_at),
            DatabaseEvent::DatabaseRestored(e) => {
                state.deregistered_at = None;
                state.health = e.health;
            }
            DatabaseEvent::DatabaseInstanceDataMarkedStale(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.stale = true;
                }
            }
            DatabaseEvent::DatabaseInstanceDataMarkedInSync(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.stale = false;
                }
            }
        }
        state
    }
}
