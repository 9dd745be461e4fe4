//! What a refused command waits for, when its refusal means "not yet" rather than "no".
//!
//! Discoveries arrive in any order: a host's cloud discovery may come before the host, a
//! system replication secondary before its primary. Such a command is refused by its
//! aggregate, and the refusal says what would let it through; the server parks the
//! discovery until that happens. Every other refusal is final.

use uuid::Uuid;

use crate::database::DatabaseRejection;
use crate::host::HostRejection;

/// What a refused command waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prerequisite {
    /// The host's registration (or restoration).
    Host(Uuid),
    /// The database's registration by its primary.
    Database(Uuid),
}

impl HostRejection {
    /// A command on a host that is not registered (yet) waits for the host.
    pub fn prerequisite(&self) -> Option<Prerequisite> {
        match self {
            HostRejection::NotRegistered(host_id) => Some(Prerequisite::Host(*host_id)),
            _ => None,
        }
    }
}

impl DatabaseRejection {
    /// A secondary discovered before its primary waits for the primary to register the
    /// database.
    pub fn prerequisite(&self) -> Option<Prerequisite> {
        match self {
            DatabaseRejection::SecondaryBeforePrimary { database_id, .. } => Some(Prerequisite::Database(*database_id)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_not_yet_refusals_wait() {
        let id = Uuid::from_u128(7);
        assert_eq!(HostRejection::NotRegistered(id).prerequisite(), Some(Prerequisite::Host(id)));
        let secondary =
            DatabaseRejection::SecondaryBeforePrimary { database_id: id, host_id: id, instance_number: "00".into() };
        assert_eq!(secondary.prerequisite(), Some(Prerequisite::Database(id)));
        assert_eq!(DatabaseRejection::NotRegistered.prerequisite(), None);
        let present =
            DatabaseRejection::InstanceStillPresent { database_id: id, host_id: id, instance_number: "00".into() };
        assert_eq!(present.prerequisite(), None);
    }
}
