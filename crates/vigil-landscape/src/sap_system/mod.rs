//! The SAP system aggregate: the application layer of one SAP system (SID) on one database
//! tenant, identified by [`sap_system_id`] of its database and tenant.
//!
//! Rules (as Trento):
//! * An application instance joins once its database is found ([`resolve`]). The system is
//!   registered only when its instances include an ABAP or J2EE instance and a message
//!   server ([`makes_a_system`]); until then its instances are kept.
//! * A known instance's registration emits only what changed: health, presence, staleness;
//!   an identical registration emits nothing.
//! * The system's health is the worst of its instances' and its database's
//!   ([`sap_system_health`]); the database's arrives with `UpdateDatabaseHealth`.
//! * The ENSA version is the one its enqueue instances report; an instance without an
//!   enqueue process does not change it.
//! * Removing instances until they no longer make a system, or the database's
//!   deregistration (`DeregisterSapSystem`), deregisters the system; a registration that
//!   makes a system again restores it.
//! * Absence, deletion of absent instances and staleness work as for databases.
//!
//! Process manager: [`react_to_database`] says which commands a database event means for
//! each SAP system whose `database_id` is that database; the server finds those systems (in
//! a read model) and sends them the commands.

mod command;
mod event;
mod resolve;
mod rules;
mod state;
#[cfg(test)]
mod tests;

pub use command::{SapSystemCommand, SapSystemRejection};
pub use event::{
    ApplicationInstanceDataMarkedInSync, ApplicationInstanceDataMarkedStale, ApplicationInstanceDeregistered,
    ApplicationInstanceHealthChanged, ApplicationInstanceMarkedAbsent, ApplicationInstanceMarkedPresent,
    ApplicationInstanceRegistered, SapSystemDatabaseHealthChanged, SapSystemDeregistered, SapSystemEvent,
    SapSystemHealthChanged, SapSystemRegistered, SapSystemRestored, SapSystemUpdated,
};
pub use resolve::{
    ApplicationInstanceRegistration, DatabaseDirectory, InMemoryDatabaseDirectory, KnownDatabase, Unresolved, resolve,
};
pub use rules::{makes_a_system, react_to_database, sap_system_health};
pub use state::{ApplicationInstance, ApplicationInstanceState, EnsaVersion, SapSystemState};

use uuid::Uuid;
use vigil_kernel::decider::Decider;

/// The id of the SAP system on `tenant` of `database_id`: UUIDv5 of the tenant name with the
/// database id as namespace, as Trento derives it.
pub fn sap_system_id(database_id: Uuid, tenant: &str) -> Uuid {
    Uuid::new_v5(&database_id, tenant.as_bytes())
}

/// The SAP system decider.
pub struct SapSystem;

impl Decider for SapSystem {
    type State = SapSystemState;
    type Command = SapSystemCommand;
    type Event = SapSystemEvent;
    type Rejection = SapSystemRejection;
    const CATEGORY: &'static str = "sap_system";

    fn decide(state: &SapSystemState, command: SapSystemCommand) -> Result<Vec<SapSystemEvent>, SapSystemRejection> {
        match command {
            SapSystemCommand::RegisterApplicationInstance {
                sap_system_id,
                database_id,
                sid,
                tenant,
                db_host,
                database_health,
                instance,
            } => Ok(rules::register(
                state,
                rules::Registration { sap_system_id, database_id, sid, tenant, db_host, database_health, instance },
            )),
            SapSystemCommand::MarkApplicationInstanceAbsent { host_id, instance_number } => {
                rules::mark_absent(state, host_id, instance_number)
            }
            SapSystemCommand::DeregisterApplicationInstance { host_id, instance_number, at } => {
                rules::deregister_instance(state, host_id, instance_number, at)
            }
            SapSystemCommand::DeleteAbsentApplicationInstance { host_id, instance_number, at } => {
                rules::delete_absent_instance(state, host_id, instance_number, at)
            }
            SapSystemCommand::MarkApplicationInstancesStale { host_id } => rules::mark_stale(state, host_id),
            SapSystemCommand::UpdateDatabaseHealth { health } => rules::update_database_health(state, health),
            SapSystemCommand::DeregisterSapSystem { at } => rules::deregister_system(state, at),
            SapSystemCommand::RestoreSapSystem => rules::restore_system(state),
        }
    }

    fn evolve(mut state: SapSystemState, event: &SapSystemEvent) -> SapSystemState {
        match event {
            SapSystemEvent::ApplicationInstanceRegistered(e) => {
                state.sap_system_id.get_or_insert(e.sap_system_id);
                state.database_id.get_or_insert(e.database_id);
                state.sid.get_or_insert_with(|| e.sid.clone());
                state.tenant.get_or_insert_with(|| e.tenant.clone());
                state.instances.push(ApplicationInstanceState {
                    instance: e.instance.clone(),
                    absent: false,
                    stale: false,
                });
            }
            SapSystemEvent::ApplicationInstanceHealthChanged(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.instance.health = e.health;
                }
            }
            SapSystemEvent::ApplicationInstanceMarkedAbsent(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.absent = true;
                }
            }
            SapSystemEvent::ApplicationInstanceMarkedPresent(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.absent = false;
                }
            }
            SapSystemEvent::ApplicationInstanceDeregistered(e) => state
                .instances
                .retain(|i| !(i.instance.host_id == e.host_id && i.instance.instance_number == e.instance_number)),
            SapSystemEvent::ApplicationInstanceDataMarkedStale(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.stale = true;
                }
            }
            SapSystemEvent::ApplicationInstanceDataMarkedInSync(e) => {
                if let Some(i) = state.instance_mut(e.host_id, &e.instance_number) {
                    i.stale = false;
                }
            }
            SapSystemEvent::SapSystemRegistered(e) => {
                state.sap_system_id = Some(e.sap_system_id);
                state.database_id = Some(e.database_id);
                state.sid = Some(e.sid.clone());
                state.tenant = Some(e.tenant.clone());
                state.registered = true;
                state.health = e.health;
                state.database_health = e.database_health;
                state.ensa_version = e.ensa_version;
            }
            SapSystemEvent::SapSystemUpdated(e) => state.ensa_version = e.ensa_version,
            SapSystemEvent::SapSystemHealthChanged(e) => state.health = e.health,
            SapSystemEvent::SapSystemDatabaseHealthChanged(e) => state.database_health = Some(e.database_health),
            SapSystemEvent::SapSystemDeregistered(e) => state.deregistered_at = Some(e.deregistered_at),
            SapSystemEvent::SapSystemRestored(e) => {
                state.deregistered_at = None;
                state.health = e.health;
            }
        }
        state
    }
}
