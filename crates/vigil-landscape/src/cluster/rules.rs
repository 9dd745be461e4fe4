//! The cluster's health rules, as Trento grades them.

use serde::{Deserialize, Serialize};

use super::state::{AscsErsSapSystem, ClusterDetails, ClusterType, HanaDetails, SbdDevice, SbdDeviceStatus};
use crate::health::Health;

/// The health parts derived from what the designated controller discovered. Each part is
/// `None` where it does not apply to the cluster's type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredHealth {
    /// HANA system replication (HANA clusters).
    pub replication: Option<Health>,
    /// ASCS/ERS distribution over two nodes (ASCS/ERS clusters).
    pub distributed: Option<Health>,
    /// SBD devices; unknown when there are none.
    pub sbd: Health,
}

/// The health parts of `details`.
pub fn discovered_health(details: &ClusterDetails) -> DiscoveredHealth {
    let manages_ascs_ers = matches!(details.cluster_type, ClusterType::AscsErs | ClusterType::HanaAscsErs);
    DiscoveredHealth {
        replication: details.hana.as_ref().map(replication_health),
        distributed: manages_ascs_ers.then(|| distributed_health(&details.sap_systems)),
        sbd: sbd_health(&details.sbd_devices),
    }
}

/// Passing only when the secondary's landscape status is `4` and its sync state `SOK`;
/// anything else, including missing data, is critical (Trento's aggregate rule).
pub fn replication_health(hana: &HanaDetails) -> Health {
    if hana.sr_health_state == "4" && hana.secondary_sync_state == "SOK" { Health::Passing } else { Health::Critical }
}

/// Critical unless every SAP system's ASCS and ERS run on two different nodes.
pub fn distributed_health(sap_systems: &[AscsErsSapSystem]) -> Health {
    if sap_systems.iter().all(|s| s.distributed) { Health::Passing } else { Health::Critical }
}

/// Unknown without devices (diskless SBD or other fencing), critical if any device is not
/// healthy, else passing.
pub fn sbd_health(devices: &[SbdDevice]) -> Health {
    if devices.is_empty() {
        Health::Unknown
    } else if devices.iter().any(|d| d.status != SbdDeviceStatus::Healthy) {
        Health::Critical
    } else {
        Health::Passing
    }
}

/// The health parts of a cluster whose every member's cluster stack is stopped (Trento's
/// rule): nothing is known of its replication, distribution or SBD devices any more, so the
/// parts that apply become unknown and those that do not stay absent.
pub fn stopped_health(current: &DiscoveredHealth) -> DiscoveredHealth {
    DiscoveredHealth {
        replication: current.replication.map(|_| Health::Unknown),
        distributed: current.distributed.map(|_| Health::Unknown),
        sbd: Health::Unknown,
    }
}

/// The cluster's health: the worst of the discovered replication and distribution parts
/// that apply, and of the SBD and checks parts when they are known (Trento leaves only
/// these optional parts out when unknown, so missing replication data shows). A cluster
/// with neither a replication nor a distribution part (not registered by its designated
/// controller yet, or of unknown type) is unknown.
pub fn cluster_health(discovered: &DiscoveredHealth, checks_health: Health) -> Health {
    if discovered.replication.is_none() && discovered.distributed.is_none() {
        return Health::Unknown;
    }
    let optional = [discovered.sbd, checks_health].into_iter().filter(|h| *h != Health::Unknown);
    Health::worst(discovered.replication.into_iter().chain(discovered.distributed).chain(optional))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Health::*;

    fn parts(replication: Option<Health>, distributed: Option<Health>, sbd: Health) -> DiscoveredHealth {
        DiscoveredHealth { replication, distributed, sbd }
    }

    #[test]
    fn unknown_sbd_and_checks_are_left_out_but_unknown_replication_is_not() {
        assert_eq!(cluster_health(&parts(Some(Passing), None, Unknown), Unknown), Passing);
        assert_eq!(cluster_health(&parts(Some(Passing), None, Passing), Warning), Warning);
        assert_eq!(cluster_health(&parts(Some(Passing), None, Critical), Passing), Critical);
        assert_eq!(cluster_health(&parts(Some(Unknown), None, Passing), Passing), Unknown);
        assert_eq!(cluster_health(&parts(None, Some(Critical), Passing), Passing), Critical);
        assert_eq!(cluster_health(&parts(Some(Passing), Some(Passing), Passing), Passing), Passing);
    }

    #[test]
    fn a_cluster_without_replication_or_distribution_is_unknown() {
        assert_eq!(cluster_health(&parts(None, None, Passing), Passing), Unknown);
        assert_eq!(cluster_health(&DiscoveredHealth::default(), Critical), Unknown);
    }

    #[test]
    fn a_stopped_cluster_knows_none_of_its_parts() {
        assert_eq!(stopped_health(&parts(Some(Passing), None, Passing)), parts(Some(Unknown), None, Unknown));
        assert_eq!(stopped_health(&parts(None, Some(Critical), Critical)), parts(None, Some(Unknown), Unknown));
        assert_eq!(stopped_health(&DiscoveredHealth::default()), DiscoveredHealth::default());
        assert_eq!(cluster_health(&stopped_health(&parts(Some(Passing), None, Passing)), Passing), Unknown);
    }

    #[test]
    fn sbd_health_follows_the_devices() {
        let device = |status| SbdDevice { device: "/dev/vdb".into(), status };
        assert_eq!(sbd_health(&[]), Unknown);
        assert_eq!(sbd_health(&[device(SbdDeviceStatus::Healthy)]), Passing);
        assert_eq!(sbd_health(&[device(SbdDeviceStatus::Healthy), device(SbdDeviceStatus::Unhealthy)]), Critical);
    }
}
