//! Properties of the CloudEvents parser, over generated input: it never panics, whatever
//! the text, headers or body; a valid event always parses, with the attributes it was
//! given; and a refusal always says where the problem is.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vigil_reactions::cloudevents::{parse_batch, parse_binary, parse_structured};

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z0-9_]{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Attribute names: mostly the ones the specification names, sometimes invalid ones.
fn attribute_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "dataschema",
            "data",
            "data_base64",
            "position",
            "topic",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9]{1,10}",
        ".{0,10}",
    ]
}

/// An object that looks like a CloudEvent: the right names with any values.
fn event_like() -> impl Strategy<Value = Value> {
    prop::collection::vec((attribute_name(), json_value()), 0..10)
        .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>()))
}

/// A valid event: the required attributes, a few extensions, maybe data.
fn valid_event() -> impl Strategy<Value = (String, String, String, Value)> {
    (
        "[A-Za-z0-9-]{1,20}",
        prop::sample::select(vec!["/sensors/1", "urn:vigil:test", "https://example.com/a?b=c", "relative/path"]),
        "[a-z]{1,10}(\\.[a-z]{1,10}){0,3}",
        prop::collection::btree_map("[a-z][a-z0-9]{0,8}", "[A-Za-z0-9 ]{0,12}", 0..4),
        prop::option::of(json_value()),
    )
        .prop_filter("extensions do not shadow attributes", |(_, _, _, extensions, _)| {
            extensions.keys().all(|k| {
                !matches!(
                    k.as_str(),
                    "id" | "source"
                        | "type"
                        | "specversion"
                        | "subject"
                        | "time"
                        | "datacontenttype"
                        | "dataschema"
                        | "data"
                        | "position"
                        | "streamid"
                        | "streamversion"
                        | "topic"
                )
            })
        })
        .prop_map(|(id, source, event_type, extensions, data)| {
            let mut event = json!({ "specversion": "1.0", "id": id, "source": source, "type": event_type });
            for (name, value) in extensions {
                event[name] = json!(value);
            }
            if let Some(data) = data {
                event["data"] = data;
            }
            (id, source.to_owned(), event_type, event)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_parsed_or_refused_with_a_place(text in ".{0,200}") {
        for result in [parse_structured(&text).map(|_| ()), parse_batch(&text).map(|_| ())] {
            if let Err(violation) = result {
                prop_assert!(!violation.at.is_empty() && !violation.problem.is_empty(), "{violation:?}");
            }
        }
    }

    #[test]
    fn any_event_like_object_is_parsed_or_refused_with_a_place(event in event_like()) {
        let text = event.to_string();
        if let Err(violation) = parse_structured(&text) {
            prop_assert!(!violation.at.is_empty() && !violation.problem.is_empty(), "{violation:?}");
        }
        let batch = Value::Array(vec![event.clone(), event]).to_string();
        if let Err(violation) = parse_batch(&batch) {
            prop_assert!(violation.at.starts_with('[') || violation.at == "body", "{violation:?}");
        }
    }

    #[test]
    fn a_valid_event_parses_with_its_attributes((id, source, event_type, event) in valid_event()) {
        let parsed = parse_structured(&event.to_string());
        let parsed = parsed.map_err(|v| TestCaseError::fail(format!("{v:?} for {event}")))?;
        prop_assert_eq!(parsed.id(), id.as_str());
        prop_assert_eq!(parsed.source(), source.as_str());
        prop_assert_eq!(parsed.event_type(), event_type.as_str());
        let batch = parse_batch(&Value::Array(vec![event.clone(), event]).to_string());
        prop_assert_eq!(batch.map(|events| events.len()).ok(), Some(2));
    }

    #[test]
    fn any_binary_mode_request_is_parsed_or_refused_with_a_place(
        headers in prop::collection::vec(("ce-[a-z0-9_-]{0,12}", prop::collection::vec(any::<u8>(), 0..24)), 0..8),
        content_type in prop::option::of(prop::sample::select(vec![
            "application/json", "text/plain", "application/octet-stream", "application/json; charset=utf-8",
            "not a media type", "",
        ])),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        if let Err(violation) = parse_binary(&headers, content_type, &body) {
            prop_assert!(!violation.at.is_empty() && !violation.problem.is_empty(), "{violation:?}");
        }
    }
}
