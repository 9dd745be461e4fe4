//! Properties of the ScenarioDetector over generated payloads: whatever an agent sends,
//! detection returns commands or an `InvalidDiscovery` and never panics; and it is a pure
//! function, the same payload giving the same commands. The payloads are Trento's fixtures
//! with one node replaced by any JSON value, and wholly arbitrary JSON, for every type.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Value, json};
use vigil_landscape::discovery::{Discovery, DiscoveryType, ScenarioDetector};

fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

/// Every single-discovery fixture: its type and payload.
fn fixture_payloads() -> Vec<(DiscoveryType, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures().join("discovery")).expect("the fixtures") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("readable");
        let Ok(envelope) = serde_json::from_str::<Value>(&text) else { continue };
        let Some(Ok(ty)) = envelope["discovery_type"].as_str().map(str::parse::<DiscoveryType>) else { continue };
        out.push((ty, envelope["payload"].clone()));
    }
    assert!(out.len() >= 40, "only {} fixtures", out.len());
    out
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// How many nodes `value` has (itself included).
fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

/// Replaces the `n`th node (depth first, the root being 0) by `with`.
fn replace(value: &mut Value, n: &mut usize, with: &Value) -> bool {
    if *n == 0 {
        *value = with.clone();
        return true;
    }
    *n -= 1;
    let children: Vec<&mut Value> = match value {
        Value::Array(items) => items.iter_mut().collect(),
        Value::Object(map) => map.values_mut().collect(),
        _ => return false,
    };
    children.into_iter().any(|child| replace(child, n, with))
}

fn detect(discovery_type: DiscoveryType, payload: &str) -> String {
    let agent_id = "779cdd70-e9e2-58ca-b18a-bf3eb3f71244".parse().expect("uuid");
    let discovery = Discovery { agent_id, discovery_type, payload };
    format!("{:?}", ScenarioDetector::detect(&discovery, &Default::default()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

    #[test]
    fn a_fixture_with_any_node_replaced_is_detected_or_refused_the_same_way_twice(
        which in any::<prop::sample::Index>(),
        node in any::<prop::sample::Index>(),
        with in json_value(),
    ) {
        let payloads = fixture_payloads_cached();
        let (discovery_type, payload) = &payloads[which.index(payloads.len())];
        let mut mutated = payload.clone();
        replace(&mut mutated, &mut node.index(count(payload)), &with);
        let text = mutated.to_string();
        prop_assert_eq!(detect(*discovery_type, &text), detect(*discovery_type, &text));
    }

    #[test]
    fn any_json_as_any_discovery_type_is_detected_or_refused(
        ty in prop::sample::select(DiscoveryType::ALL.to_vec()),
        payload in json_value(),
    ) {
        let text = payload.to_string();
        prop_assert_eq!(detect(ty, &text), detect(ty, &text));
    }

    #[test]
    fn text_that_is_not_json_is_refused_as_any_discovery_type(
        ty in prop::sample::select(DiscoveryType::ALL.to_vec()),
        text in ".{0,64}",
    ) {
        prop_assume!(serde_json::from_str::<Value>(&text).is_err());
        prop_assert!(detect(ty, &text).starts_with("Err("), "{} accepted {:?}", ty.as_str(), text);
    }
}

fn fixture_payloads_cached() -> &'static [(DiscoveryType, Value)] {
    static PAYLOADS: std::sync::OnceLock<Vec<(DiscoveryType, Value)>> = std::sync::OnceLock::new();
    PAYLOADS.get_or_init(fixture_payloads)
}
