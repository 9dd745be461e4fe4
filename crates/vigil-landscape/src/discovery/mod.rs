//! The `ScenarioDetector`: what a Trento agent's discovery means, as commands.
//!
//! One module per discovery type parses its payload into typed values (naming the field
//! when something is wrong) and maps it to commands. Parsing is strict where a wrong value
//! would be stored as truth (timestamps, addresses, modes) and lenient where Trento's agents
//! legitimately vary (missing optional fields, numbers sent as strings).

mod cloud;
mod ha_cluster;
mod host;
mod sap_system;
mod saptune;
mod subscription;

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::LandscapeCommand;

/// The discovery types a Trento agent sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryType {
    /// `host_discovery`: the machine itself.
    Host,
    /// `cloud_discovery`: the cloud provider and its metadata.
    Cloud,
    /// `subscription_discovery`: SLES subscriptions.
    Subscription,
    /// `saptune_discovery`: saptune status.
    Saptune,
    /// `ha_cluster_discovery`: Pacemaker cluster membership and state.
    HaCluster,
    /// `sap_system_discovery`: SAP instances on the machine.
    SapSystem,
}

impl DiscoveryType {
    /// Every type, in the order Trento documents them.
    pub const ALL: [DiscoveryType; 6] = [
        DiscoveryType::Host,
        DiscoveryType::Cloud,
        DiscoveryType::Subscription,
        DiscoveryType::Saptune,
        DiscoveryType::HaCluster,
        DiscoveryType::SapSystem,
    ];

    /// The wire name, e.g. `host_discovery`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscoveryType::Host => "host_discovery",
            DiscoveryType::Cloud => "cloud_discovery",
            DiscoveryType::Subscription => "subscription_discovery",
            DiscoveryType::Saptune => "saptune_discovery",
            DiscoveryType::HaCluster => "ha_cluster_discovery",
            DiscoveryType::SapSystem => "sap_system_discovery",
        }
    }

    /// Whether this build turns the type into commands. A type that is not is accepted,
    /// logged and answered as not interpreted, so an agent sending it is not rejected. Every
    /// Trento type is interpreted today; the match stays so that a new type must decide.
    pub fn is_interpreted(self) -> bool {
        match self {
            DiscoveryType::Host
            | DiscoveryType::Cloud
            | DiscoveryType::Subscription
            | DiscoveryType::Saptune
            | DiscoveryType::HaCluster
            | DiscoveryType::SapSystem => true,
        }
    }
}

impl fmt::Display for DiscoveryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DiscoveryType {
    type Err = InvalidDiscovery;
    fn from_str(s: &str) -> Result<Self, InvalidDiscovery> {
        DiscoveryType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| InvalidDiscovery::Field {
            field: "discovery_type".into(),
            message: format!(
                "unknown discovery type `{s}`; expected one of {}",
                DiscoveryType::ALL.map(|t| t.as_str()).join(", ")
            ),
        })
    }
}

/// A discovery as it arrives: who sent it, what kind it is, and its raw JSON payload.
#[derive(Clone, Copy, Debug)]
pub struct Discovery<'a> {
    /// The agent (= host) id.
    pub agent_id: Uuid,
    /// The kind.
    pub discovery_type: DiscoveryType,
    /// The payload, as JSON text.
    pub payload: &'a str,
}

/// What the detector needs to know of the current landscape, looked up by the caller
/// (from read models) before calling it, so that detection stays pure. Trento's detector
/// takes the same inputs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiscoveryContext {
    /// The cluster the host is a member of now, if any: a cluster discovery naming another
    /// cluster (or `null`) removes the host from this one.
    pub current_cluster_id: Option<Uuid>,
    /// Database instances registered on the host now: those a SAP system discovery no
    /// longer lists become absent.
    pub database_instances: Vec<InstanceRef>,
    /// Application instances registered on the host now.
    pub application_instances: Vec<InstanceRef>,
}

/// An instance registered on a host: its aggregate and instance number (e.g. `"00"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstanceRef {
    /// The database or SAP system.
    pub aggregate_id: Uuid,
    /// The instance number.
    pub instance_number: String,
}

/// Why a discovery cannot be understood. Always names the offending field, so the agent's
/// operator can fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDiscovery {
    /// A field is missing, of the wrong type, or has a value that cannot be right.
    #[error("{field}: {message}")]
    Field {
        /// Dotted path, e.g. `payload.last_boot_timestamp`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl InvalidDiscovery {
    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidDiscovery::Field { field: field.into(), message: message.into() }
    }
}

/// Turns discoveries into commands.
pub struct ScenarioDetector;

impl ScenarioDetector {
    /// The commands `discovery` means (none for a type this build does not interpret), given
    /// what `context` says of the current landscape.
    pub fn detect(
        discovery: &Discovery<'_>,
        context: &DiscoveryContext,
    ) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
        let (id, payload) = (discovery.agent_id, discovery.payload);
        match discovery.discovery_type {
            DiscoveryType::Host => host::detect(id, payload),
            DiscoveryType::Cloud => cloud::detect(id, payload),
            DiscoveryType::Subscription => subscription::detect(id, payload),
            DiscoveryType::Saptune => saptune::detect(id, payload),
            DiscoveryType::HaCluster => ha_cluster::detect(id, payload, context),
            DiscoveryType::SapSystem => sap_system::detect(id, payload, context),
        }
    }
}

/// Parses a payload into `T`, naming the field that failed as `payload.<path>`.
///
/// The whole document is checked first, fields `T` ignores included: a payload is stored
/// and served again as sent, so a number JSON readers cannot hold (`1e999`) or a lone
/// surrogate escape anywhere in it must be refused here rather than break a later reader.
pub(crate) fn parse_payload<'de, T: serde::Deserialize<'de>>(payload: &'de str) -> Result<T, InvalidDiscovery> {
    fn at<'de, U: serde::Deserialize<'de>>(payload: &'de str) -> Result<U, InvalidDiscovery> {
        let de = &mut serde_json::Deserializer::from_str(payload);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "payload".to_owned() } else { format!("payload.{path}") };
            InvalidDiscovery::field(field, e.into_inner().to_string())
        })
    }
    at::<representable::Representable>(payload)?;
    at(payload)
}

/// A JSON document every reader can take back: numbers in range, strings valid Unicode.
/// Walks the document without keeping it.
mod representable {
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

    pub(crate) struct Representable;

    impl<'de> Deserialize<'de> for Representable {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(Walk)
        }
    }

    /// A map key, read (so the parser checks it) and dropped.
    struct Key;

    impl<'de> Deserialize<'de> for Key {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(Walk).map(|_| Key)
        }
    }

    struct Walk;

    impl<'de> Visitor<'de> for Walk {
        type Value = Representable;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Representable, E> {
            Ok(Representable)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Representable, E> {
            Ok(Representable)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Representable, E> {
            Ok(Representable)
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Representable, E> {
            if value.is_finite() { Ok(Representable) } else { Err(E::custom("number out of range")) }
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Representable, E> {
            Ok(Representable)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Representable, E> {
            Ok(Representable)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Representable, A::Error> {
            while seq.next_element::<Representable>()?.is_some() {}
            Ok(Representable)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Representable, A::Error> {
            while map.next_entry::<Key, Representable>()?.is_some() {}
            Ok(Representable)
        }
    }
}

#[cfg(test)]
mod payload_tests {
    use super::parse_payload;

    #[derive(serde::Deserialize)]
    struct Named {
        #[allow(dead_code)]
        name: String,
    }

    // Regression: a host discovery with an ignored field `1e999` was accepted, stored, and
    // then made every listing of the discovery log fail when it was read back.
    #[test]
    fn a_number_out_of_range_in_an_ignored_field_is_refused_with_its_path() {
        let error = parse_payload::<Named>(r#"{"name": "a", "extra": {"deep": [1, 1e999]}}"#).err().unwrap();
        let text = error.to_string();
        assert!(text.contains("payload.extra.deep[1]"), "{text}");
        assert!(text.contains("out of range"), "{text}");
    }

    #[test]
    fn a_lone_surrogate_anywhere_is_refused() {
        let error = parse_payload::<Named>(r#"{"name": "a", "x": ["\ud800"]}"#).err().unwrap();
        assert!(error.to_string().contains("payload.x[0]"), "{error}");
    }

    #[test]
    fn representable_documents_still_parse() {
        assert!(
            parse_payload::<Named>(r#"{"name": "a", "x": [1.5e300, -3, 18446744073709551615, null, true]}"#).is_ok()
        );
    }
}
