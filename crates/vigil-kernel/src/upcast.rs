//! Event schema versions and the upcaster chain that reads old versions as the current one.
//!
//! A shipped event version is never edited. A new version gets a new number and an
//! [`Upcaster`] from the previous one; reading applies the chain step by step.

use serde_json::Value;

use crate::decider::DomainEvent;

/// Turns the data of `event_type` at `from_version` into `from_version + 1`.
#[derive(Clone, Copy)]
pub struct Upcaster {
    /// The event type it applies to.
    pub event_type: &'static str,
    /// The version it reads; it produces `from_version + 1`.
    pub from_version: u32,
    /// The transformation.
    pub upcast: fn(Value) -> Value,
}

/// Why a stored event could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The type is not one this event enum knows.
    #[error("unknown event type {0}")]
    UnknownType(String),
    /// The stored version is newer than this build knows (a rollback after an upgrade).
    #[error("event {event_type} has schema version {stored}, newer than the known {current}")]
    FromTheFuture {
        /// The type.
        event_type: String,
        /// Version found in the store.
        stored: u32,
        /// Version this build writes.
        current: u32,
    },
    /// A step of the chain is missing.
    #[error("no upcaster for {event_type} v{from_version}")]
    MissingUpcaster {
        /// The type.
        event_type: String,
        /// The version no upcaster reads.
        from_version: u32,
    },
    /// The data does not match the schema.
    #[error("event {event_type} does not decode: {source}")]
    Data {
        /// The type.
        event_type: String,
        /// The serde error.
        source: serde_json::Error,
    },
}

/// Decodes stored data of `event_type` at `schema_version` into `E`.
pub fn decode<E: DomainEvent>(event_type: &str, schema_version: u32, data: &str) -> Result<E, DecodeError> {
    let current = E::schema_version_of(event_type).ok_or_else(|| DecodeError::UnknownType(event_type.to_owned()))?;
    let data_error = |source| DecodeError::Data { event_type: event_type.to_owned(), source };
    if schema_version > current {
        return Err(DecodeError::FromTheFuture { event_type: event_type.to_owned(), stored: schema_version, current });
    }
    // The current version is decoded straight from the stored text: the hot path of every
    // load and projection, with no intermediate `Value`.
    let tagged = if schema_version == current {
        format!("{{\"type\":{},\"data\":{}}}", Value::from(event_type), data)
    } else {
        let mut value: Value = serde_json::from_str(data).map_err(data_error)?;
        for version in schema_version..current {
            let step =
                E::upcasters().iter().find(|u| u.event_type == event_type && u.from_version == version).ok_or_else(
                    || DecodeError::MissingUpcaster { event_type: event_type.to_owned(), from_version: version },
                )?;
            value = (step.upcast)(value);
        }
        serde_json::json!({ "type": event_type, "data": value }).to_string()
    };
    serde_json::from_str(&tagged).map_err(data_error)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;

    /// Version 2 of `Renamed` split `name` into `first` and `last`.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", content = "data")]
    enum PersonEvent {
        Renamed { first: String, last: String },
    }

    fn split_name(mut v: Value) -> Value {
        let name = v["name"].as_str().unwrap_or_default().to_owned();
        let (first, last) = name.split_once(' ').unwrap_or((&name, ""));
        v["first"] = json!(first);
        v["last"] = json!(last);
        v.as_object_mut().map(|o| o.remove("name"));
        v
    }

    const UPCASTERS: &[Upcaster] = &[Upcaster { event_type: "Renamed", from_version: 1, upcast: split_name }];

    impl DomainEvent for PersonEvent {
        fn event_type(&self) -> &'static str {
            match self {
                PersonEvent::Renamed { .. } => "Renamed",
            }
        }
        fn schema_version_of(event_type: &str) -> Option<u32> {
            (event_type == "Renamed").then_some(2)
        }
        fn upcasters() -> &'static [Upcaster] {
            UPCASTERS
        }
    }

    #[test]
    fn a_stored_v1_event_reads_as_v2() {
        let event: PersonEvent = decode("Renamed", 1, r#"{"name":"Ada Lovelace"}"#).unwrap();
        assert_eq!(event, PersonEvent::Renamed { first: "Ada".into(), last: "Lovelace".into() });
    }

    #[test]
    fn the_current_version_decodes_directly() {
        let event: PersonEvent = decode("Renamed", 2, r#"{"first":"Grace","last":"Hopper"}"#).unwrap();
        assert_eq!(event, PersonEvent::Renamed { first: "Grace".into(), last: "Hopper".into() });
    }

    #[test]
    fn a_version_from_the_future_is_refused() {
        let err = decode::<PersonEvent>("Renamed", 3, "{}").unwrap_err();
        assert!(matches!(err, DecodeError::FromTheFuture { stored: 3, current: 2, .. }), "{err}");
    }

    #[test]
    fn an_unknown_type_is_refused() {
        let err = decode::<PersonEvent>("Vanished", 1, "{}").unwrap_err();
        assert!(matches!(err, DecodeError::UnknownType(t) if t == "Vanished"));
    }
}
