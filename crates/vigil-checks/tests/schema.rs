//! The input built from every real scenario validates against
//! `docs/checks-input.schema.json`, the schema check authors write against.
//!
//! The validator below covers the keywords that schema uses (`type`, `enum`, `required`,
//! `properties`, `additionalProperties`, `items`, `anyOf`, local `$ref`) and refuses any
//! other keyword, so the schema cannot grow a rule this test silently skips.

mod common;

use serde_json::{Map, Value, json};
use vigil_checks::facts::FactOutcome;
use vigil_checks::{Catalog, CheckInput, Selection};

const KEYWORDS: [&str; 13] = [
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "type",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "anyOf",
];

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/checks-input.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Value::Object(rules) = schema else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: not allowed"));
        }
        return;
    };
    for keyword in rules.keys() {
        assert!(KEYWORDS.contains(&keyword.as_str()), "the schema uses {keyword}, which this validator does not check");
    }
    if let Some(Value::String(reference)) = rules.get("$ref") {
        let name = reference.strip_prefix("#/$defs/").expect("local references only");
        validate(root, &root["$defs"][name], value, at, errors);
    }
    if let Some(kinds) = rules.get("type") {
        let kinds: Vec<&str> = match kinds {
            Value::String(kind) => vec![kind.as_str()],
            Value::Array(kinds) => kinds.iter().map(|k| k.as_str().unwrap()).collect(),
            _ => panic!("type at {at}"),
        };
        let actual = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !kinds.iter().any(|k| *k == actual || (*k == "number" && actual == "integer")) {
            errors.push(format!("{at}: {actual}, expected {kinds:?}"));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = rules.get("enum")
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(Value::Array(options)) = rules.get("anyOf") {
        let fits = options.iter().any(|option| {
            let mut local = Vec::new();
            validate(root, option, value, at, &mut local);
            local.is_empty()
        });
        if !fits {
            errors.push(format!("{at}: fits none of anyOf"));
        }
    }
    if let Value::Object(object) = value {
        for required in rules.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !object.contains_key(required.as_str().unwrap()) {
                errors.push(format!("{at}: missing {required}"));
            }
        }
        let properties = rules.get("properties").and_then(Value::as_object);
        for (key, item) in object {
            let path = format!("{at}.{key}");
            match properties.and_then(|p| p.get(key)) {
                Some(property) => validate(root, property, item, &path, errors),
                None => {
                    if let Some(additional) = rules.get("additionalProperties") {
                        validate(root, additional, item, &path, errors);
                    }
                }
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, rules.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(root, item_schema, item, &format!("{at}[{i}]"), errors);
        }
    }
}

fn errors_of(document: &Value) -> Vec<String> {
    let schema = schema();
    let mut errors = Vec::new();
    validate(&schema, &schema, document, "input", &mut errors);
    errors
}

/// The document as a check sees it: with one check's resolved values.
fn as_evaluated(input: &CheckInput) -> Value {
    let catalog = Catalog::shipped();
    let check = catalog.applicable(input).next().expect("some check applies");
    let mut document = input.document.clone();
    document["values"] = check.metadata().resolve_values(&input.target.provider, None);
    document
}

#[test]
fn every_scenario_input_validates_against_the_schema() {
    let mut validated = 0;
    for (name, clusters, hosts) in common::scenario_inputs() {
        for input in clusters.iter().chain(&hosts) {
            let errors = errors_of(&as_evaluated(input));
            assert!(errors.is_empty(), "{name} {:?}:\n{}", input.target, errors.join("\n"));
            validated += 1;
        }
    }
    let ascs = common::discovery_cluster("ha_cluster_discovery_ascs_ers.json");
    assert!(errors_of(&as_evaluated(&ascs)).is_empty());
    assert!(validated >= 15, "{validated}");
}

/// The documents a check with facts sees on each host of the angi cluster, the facts
/// answered by the agent's gatherers from its captured node: each validates.
#[test]
fn per_host_documents_with_gathered_facts_validate() {
    let (_, clusters, _) =
        common::scenario_inputs().into_iter().find(|(name, _, _)| name == "hana-scale-up-angi").unwrap();
    let input = &clusters[0];
    let catalog = Catalog::shipped();
    let answers = common::CapturedNode::hana01().answer(&catalog.fact_requests(input, &Selection::default()));
    let mut validated = 0;
    for check in catalog.applicable(input).filter(|check| !check.metadata().facts.is_empty()) {
        let facts: Map<String, Value> = answers
            .iter()
            .filter(|fact| fact.check_id == check.metadata().id)
            .map(|fact| (fact.name.clone(), fact.outcome.to_input()))
            .collect();
        assert_eq!(facts.len(), check.metadata().facts.len(), "{}", check.metadata().id);
        for host in input.document["hosts"].as_array().unwrap() {
            let mut document = input.document.clone();
            document["values"] = check.metadata().resolve_values(&input.target.provider, None);
            document["facts"] = Value::Object(facts.clone());
            document["host"] = host.clone();
            let errors = errors_of(&document);
            assert!(errors.is_empty(), "{} on {}:\n{}", check.metadata().id, host["hostname"], errors.join("\n"));
            validated += 1;
        }
    }
    assert!(validated >= 30, "{validated}");
    // SAPHanaSR (classic) is not installed on the captured node: an error that reaches the check.
    let classic = answers.iter().find(|fact| fact.name == "saphanasr").unwrap();
    assert!(matches!(&classic.outcome, FactOutcome::Error(e) if e.kind == "package_not_installed"));
}

#[test]
fn the_validator_catches_what_the_schema_forbids() {
    let (_, clusters, _) =
        common::scenario_inputs().into_iter().find(|(name, _, _)| name == "hana-scale-up-angi").unwrap();
    let mut document = clusters[0].document.clone();
    document["cluster"]["resources"][0]["parent"] = json!({"kind": "bundle", "id": "x", "meta": {}});
    document["cluster"]["nodes"][0].as_object_mut().unwrap().remove("online");
    document["facts"] = json!({"packages": {"error": {"type": "timeout"}}});
    document["extra"] = json!(1);
    let errors = errors_of(&document);
    assert_eq!(errors.len(), 4, "{errors:#?}");
}
