//! `POST /api/v1/events` (CloudEvents from outside, in the three modes of the HTTP binding)
//! and `GET /api/v1/events` listing them back, through the real router on a real SQLite file.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Server, fixture};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const STRUCTURED: &str = "application/cloudevents+json";
const BATCH: &str = "application/cloudevents-batch+json";

/// A POST of `body` with `headers` (`content-type` among them, if any) as `token`.
async fn publish_as(
    s: &Server,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let mut request = Request::post("/api/v1/events");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    s.send(request.body(body.into()).unwrap()).await
}

async fn publish(s: &Server, content_type: &str, body: impl Into<Body>) -> (StatusCode, Value) {
    publish_as(s, Some(&s.token), &[("content-type", content_type)], body).await
}

/// The listing's raw text, for what a `Value` would not show (numbers as written).
async fn listing_text(s: &Server, query: &str) -> String {
    let request = Request::get(format!("/api/v1/events?{query}"))
        .header("authorization", format!("Bearer {}", s.token))
        .body(Body::empty())
        .unwrap();
    let response = s.app.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// The outside events the listing shows, in store order.
async fn external_events(s: &Server) -> Vec<Value> {
    let (status, page) = s.get("/api/v1/events?limit=1000&topic=external.*").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// `sent` as the listing shows it: its members without the nulls, and Vigil's coordinates.
fn as_listed(sent: &Value, position: &Value, stream_version: u64) -> Value {
    let mut listed = sent.as_object().unwrap().clone();
    listed.retain(|_, value| !value.is_null());
    let source = sent["source"].as_str().unwrap();
    listed.insert("position".into(), position.clone());
    listed.insert("streamid".into(), json!(format!("external-{}", source_uuid(source))));
    listed.insert("streamversion".into(), json!(stream_version));
    listed.insert("topic".into(), json!(format!("external.{source}")));
    Value::Object(listed)
}

/// The uuid of a source's stream, derived here as the stored contract has it (UUIDv5 in
/// Vigil's namespace for outside events).
fn source_uuid(source: &str) -> uuid::Uuid {
    let namespace: uuid::Uuid = "5f045dff-312e-4ac3-9de4-0a97a0ca3e67".parse().unwrap();
    uuid::Uuid::new_v5(&namespace, source.as_bytes())
}

fn build_failed(id: &str) -> Value {
    json!({
        "specversion": "1.0",
        "id": id,
        "source": "https://ci.example.com",
        "type": "com.example.build.failed",
        "subject": "pipeline-7",
        "time": "2018-04-05T17:31:00.123456789+02:00",
        "comexampleothervalue": 5,
        "comexampleflag": true,
        "unsetextension": null,
        "datacontenttype": "application/json",
        "data": {"job": "unit", "attempts": [1, 2]},
    })
}

#[tokio::test]
async fn a_structured_event_is_stored_and_listed_back_as_it_was_sent() {
    let s = Server::start().await;
    let sent = build_failed("b-1");
    let (status, answer) = publish(&s, STRUCTURED, sent.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let stored = &answer["events"][0];
    assert_eq!(stored["id"], "b-1");
    assert_eq!(stored["source"], "https://ci.example.com");
    assert_eq!(stored["duplicate"], false);
    let event_id = uuid::Uuid::new_v5(&source_uuid("https://ci.example.com"), b"b-1");
    assert_eq!(stored["event_id"], event_id.to_string());
    assert_eq!(answer["last_position"], stored["position"]);
    assert_eq!(stored["position"].as_u64(), Some(s.head().await));

    let listed = external_events(&s).await;
    assert_eq!(listed, vec![as_listed(&sent, &stored["position"], 1)]);
    // As sent, to the byte: a number keeps how it was written.
    let precise = r#"{"specversion": "1.0", "id": "p-1", "source": "/precise", "type": "t", "data": {"price": 1.50, "big": 123456789012345678901234567890}}"#;
    let (status, answer) = publish(&s, "application/json", precise).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let text = listing_text(&s, "topic=external./precise").await;
    assert!(text.contains(r#""data":{"price": 1.50, "big": 123456789012345678901234567890}"#), "{text}");
}

#[tokio::test]
async fn a_binary_mode_event_is_stored_with_its_headers_as_attributes() {
    let s = Server::start().await;
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "A234-1234-1234"),
        ("ce-source", "/mycontext"),
        ("ce-type", "com.example.someevent"),
        ("ce-time", "2018-04-05T17:31:00Z"),
        ("ce-subject", "Euro%20%E2%82%AC%20%F0%9F%98%80"),
        ("ce-comexampleextension1", "value"),
        ("content-type", "application/json; charset=utf-8"),
    ];
    let (status, answer) = publish_as(&s, Some(&s.token), &headers, r#"{"appinfoA": "abc", "appinfoB": 123}"#).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let sent = json!({
        "specversion": "1.0",
        "id": "A234-1234-1234",
        "source": "/mycontext",
        "type": "com.example.someevent",
        "time": "2018-04-05T17:31:00Z",
        "subject": "Euro € 😀",
        "comexampleextension1": "value",
        "datacontenttype": "application/json; charset=utf-8",
        "data": {"appinfoA": "abc", "appinfoB": 123},
    });
    assert_eq!(external_events(&s).await, vec![as_listed(&sent, &answer["events"][0]["position"], 1)]);

    // Bytes of a binary type come back base64, exactly.
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "B234-1234-1234"),
        ("ce-source", "/mycontext"),
        ("ce-type", "com.example.someevent"),
        ("content-type", "application/vnd.apache.thrift.binary"),
    ];
    let (status, answer) = publish_as(&s, Some(&s.token), &headers, vec![0u8, 159, 146, 150]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let listed = external_events(&s).await;
    assert_eq!(listed[1]["data_base64"], "AJ+Slg==");
    assert_eq!(listed[1]["datacontenttype"], "application/vnd.apache.thrift.binary");
    assert_eq!(listed[1]["streamversion"], 2, "one stream per source");
}

#[tokio::test]
async fn a_batch_is_stored_in_order_and_a_repeat_within_it_is_a_duplicate() {
    let s = Server::start().await;
    let other = json!({"specversion": "1.0", "id": "b-1", "source": "/deploys", "type": "deployed"});
    let batch = json!([build_failed("b-1"), build_failed("b-2"), build_failed("b-1"), other]);
    let (status, answer) = publish(&s, BATCH, batch.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let stored = answer["events"].as_array().unwrap();
    let summary: Vec<(&str, &str, bool)> = stored
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["source"].as_str().unwrap(), e["duplicate"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("b-1", "https://ci.example.com", false),
            ("b-2", "https://ci.example.com", false),
            ("b-1", "https://ci.example.com", true),
            ("b-1", "/deploys", false)
        ]
    );
    assert_eq!(stored[2]["position"], stored[0]["position"], "the repeat is the first one");
    assert_eq!(stored[2]["event_id"], stored[0]["event_id"]);
    assert_ne!(stored[3]["event_id"], stored[0]["event_id"], "the same id from another source is another event");
    let positions: Vec<u64> = [0, 1, 3].iter().map(|&i| stored[i]["position"].as_u64().unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(answer["last_position"], stored[3]["position"]);

    let listed = external_events(&s).await;
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0], as_listed(&batch[0], &stored[0]["position"], 1));
    assert_eq!(listed[1], as_listed(&batch[1], &stored[1]["position"], 2));
    assert_eq!(listed[2], as_listed(&other, &stored[3]["position"], 1));

    let (status, empty) = publish(&s, BATCH, "[]").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{empty}");
    assert_eq!(empty, json!({"events": [], "last_position": null}));
}

#[tokio::test]
async fn a_resent_event_is_answered_duplicate_and_stores_nothing() {
    let s = Server::start().await;
    let (_, first) = publish(&s, STRUCTURED, build_failed("b-1").to_string()).await;
    let head = s.head().await;

    // The same (source, id) again, even with other content: the one stored stays.
    let mut changed = build_failed("b-1");
    changed["data"] = json!("something else");
    changed["datacontenttype"] = json!("text/plain");
    let (status, again) = publish(&s, STRUCTURED, changed.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["events"][0]["duplicate"], true);
    assert_eq!(again["events"][0]["position"], first["events"][0]["position"]);
    assert_eq!(again["events"][0]["event_id"], first["events"][0]["event_id"]);
    assert_eq!(s.head().await, head, "nothing new was stored");

    // In binary mode too: the mode does not make another event.
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "b-1"),
        ("ce-source", "https://ci.example.com"),
        ("ce-type", "com.example.build.failed"),
    ];
    let (status, binary) = publish_as(&s, Some(&s.token), &headers, "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{binary}");
    assert_eq!(binary["events"][0]["duplicate"], true);
    assert_eq!(s.head().await, head);

    // A batch of events sent before, and one mixing them with new ones.
    let (status, resent) = publish(&s, BATCH, json!([build_failed("b-1"), build_failed("b-1")]).to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{resent}");
    assert_eq!(resent["events"][0]["duplicate"], true);
    assert_eq!(resent["events"][1]["duplicate"], true);
    assert_eq!(s.head().await, head);
    let (_, second) = publish(&s, STRUCTURED, build_failed("b-2").to_string()).await;
    let head = s.head().await;
    let mixed = json!([build_failed("b-3"), build_failed("b-1"), build_failed("b-4"), build_failed("b-2")]);
    let (status, mixed) = publish(&s, BATCH, mixed.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{mixed}");
    let duplicates: Vec<bool> =
        mixed["events"].as_array().unwrap().iter().map(|e| e["duplicate"].as_bool().unwrap()).collect();
    assert_eq!(duplicates, [false, true, false, true]);
    assert_eq!(mixed["events"][1]["position"], first["events"][0]["position"]);
    assert_eq!(mixed["events"][3]["position"], second["events"][0]["position"]);
    assert_eq!(s.head().await, head + 2, "only the two new ones were stored");
    let ids: Vec<Value> = external_events(&s).await.iter().map(|e| e["id"].clone()).collect();
    assert_eq!(ids, ["b-1", "b-2", "b-3", "b-4"]);

    // Across a restart, the store still knows it.
    let s = s.restart().await;
    let (_, after_restart) = publish(&s, STRUCTURED, build_failed("b-4").to_string()).await;
    assert_eq!(after_restart["events"][0]["duplicate"], true);
    assert_eq!(after_restart["events"][0]["position"], mixed["events"][2]["position"]);
    assert_eq!(s.head().await, head + 2);
}

#[tokio::test]
async fn concurrent_requests_with_one_event_store_it_once_and_say_so_once() {
    let s = Server::start().await;
    let requests = (0..8).map(|_| publish(&s, STRUCTURED, build_failed("raced").to_string()));
    let answers = futures_join_all(requests).await;
    let mut n_new = 0;
    for (status, answer) in &answers {
        assert_eq!(*status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(answer["events"][0]["position"], answers[0].1["events"][0]["position"]);
        n_new += usize::from(answer["events"][0]["duplicate"] == false);
    }
    assert_eq!(n_new, 1, "{answers:?}");
    assert_eq!(external_events(&s).await.len(), 1);
}

/// Runs the futures at once (the test depends on no futures crate).
async fn futures_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}

/// A request's name, headers and body, and the status and message it must be refused with.
type Refused = (&'static str, Vec<(&'static str, &'static str)>, Vec<u8>, StatusCode, &'static str);

#[tokio::test]
async fn invalid_requests_are_refused_with_the_exact_violation_and_store_nothing() {
    let s = Server::start().await;
    let head = s.head().await;
    let valid = build_failed("v-1").to_string();
    let ce = [("ce-specversion", "1.0"), ("ce-source", "/s"), ("ce-type", "t")];
    let with_ce = |extra: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
        ce.iter().chain(extra).copied().collect()
    };
    let cases: Vec<Refused> = vec![
        (
            "malformed JSON",
            vec![("content-type", STRUCTURED)],
            b"{\"specversion\": \"1.0\"".to_vec(),
            StatusCode::BAD_REQUEST,
            "body: not valid JSON: EOF while parsing an object at line 1 column 21",
        ),
        (
            "invalid UTF-8",
            vec![("content-type", STRUCTURED)],
            b"{\"id\": \"\xc3\x28\"}".to_vec(),
            StatusCode::BAD_REQUEST,
            "body: not valid UTF-8: invalid utf-8 sequence of 1 bytes from index 8",
        ),
        (
            "a missing id",
            vec![("content-type", STRUCTURED)],
            br#"{"specversion": "1.0", "source": "/s", "type": "t"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "id: missing: a CloudEvent has specversion, id, source and type",
        ),
        (
            "an empty source",
            vec![("content-type", "application/json")],
            br#"{"specversion": "1.0", "id": "e", "source": "", "type": "t"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "source: must not be empty",
        ),
        (
            "another specversion",
            vec![("content-type", STRUCTURED)],
            br#"{"specversion": "0.3", "id": "e", "source": "/s", "type": "t"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            r#"specversion: "0.3" is not a version Vigil reads: only CloudEvents 1.0 ("1.0")"#,
        ),
        (
            "a bad time in a batch refuses the whole batch",
            vec![("content-type", BATCH)],
            format!(
                r#"[{valid}, {{"specversion": "1.0", "id": "e", "source": "/s", "type": "t", "time": "yesterday"}}]"#
            )
            .into_bytes(),
            StatusCode::BAD_REQUEST,
            r#"[1].time: "yesterday" is not an RFC 3339 timestamp"#,
        ),
        (
            "both data fields",
            vec![("content-type", STRUCTURED)],
            br#"{"specversion": "1.0", "id": "e", "source": "/s", "type": "t", "data": 1, "data_base64": "AA=="}"#
                .to_vec(),
            StatusCode::BAD_REQUEST,
            "data_base64: given together with data: an event carries one or the other",
        ),
        (
            "a bad extension name",
            vec![("content-type", STRUCTURED)],
            br#"{"specversion": "1.0", "id": "e", "source": "/s", "type": "t", "my.extension": 1}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            r#""my.extension": "my.extension" is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9"#,
        ),
        (
            "an extension value out of range",
            vec![("content-type", STRUCTURED)],
            br#"{"specversion": "1.0", "id": "e", "source": "/s", "type": "t", "big": 4294967296}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "big: 4294967296 is outside the range of CloudEvents integers (32-bit: -2147483648 to 2147483647)",
        ),
        (
            "binary mode without an id",
            with_ce(&[]),
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "ce-id: missing: a CloudEvent has specversion, id, source and type",
        ),
        (
            "binary mode with a reserved header",
            with_ce(&[("ce-id", "e"), ("ce-data", "x")]),
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "ce-data: the data is the body in binary mode, not a header",
        ),
        (
            "binary JSON data that is not JSON",
            with_ce(&[("ce-id", "e"), ("content-type", "application/json")]),
            b"{".to_vec(),
            StatusCode::BAD_REQUEST,
            r#"body: not valid JSON, as Content-Type "application/json" says it is: EOF while parsing an object at line 1 column 1"#,
        ),
        (
            "a content type that is no CloudEvents mode",
            vec![("content-type", "text/plain")],
            valid.clone().into_bytes(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type \"text/plain\" and no ce- headers: send application/cloudevents+json, \
             application/cloudevents-batch+json, or binary mode (the attributes as ce- headers: ce-specversion, ce-id, ce-source, ce-type)",
        ),
        (
            "no content type at all",
            vec![],
            valid.clone().into_bytes(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "no Content-Type and no ce- headers: send application/cloudevents+json, \
             application/cloudevents-batch+json, or binary mode (the attributes as ce- headers: ce-specversion, ce-id, ce-source, ce-type)",
        ),
        (
            "a structured format other than JSON",
            vec![("content-type", "application/cloudevents+xml")],
            b"<event/>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type \"application/cloudevents+xml\": Vigil reads CloudEvents in the JSON format only \
             (application/cloudevents+json, application/cloudevents-batch+json)",
        ),
    ];
    for (name, headers, body, status, message) in cases {
        let (got, answer) = publish_as(&s, Some(&s.token), &headers, body).await;
        assert_eq!((got, answer["message"].as_str()), (status, Some(message)), "{name}: {answer}");
        let code = if status == StatusCode::BAD_REQUEST { "bad_request" } else { "unsupported_media_type" };
        assert_eq!(answer["code"], code, "{name}");
    }
    assert_eq!(s.head().await, head, "a refused request stores nothing");
    assert!(external_events(&s).await.is_empty());
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_parsed() {
    let s = Server::start_with(|config| config.max_body_bytes = 1024).await;
    let mut big = build_failed("big");
    big["data"] = json!("x".repeat(2000));
    let (status, answer) = publish(&s, STRUCTURED, big.to_string()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["code"], "payload_too_large");
}

#[tokio::test]
async fn publishing_takes_a_token_of_a_role_that_may_publish() {
    let s = Server::start().await;
    let event = build_failed("b-1").to_string();
    let structured = [("content-type", STRUCTURED)];
    let (status, answer) = publish_as(&s, None, &structured, event.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let (status, _) = publish_as(&s, Some("vgt_not-a-token"), &structured, event.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let viewer = Server::token_for(&s.app, "viewer").await;
    let (status, answer) = publish_as(&s, Some(&viewer), &structured, event.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("PublishEvents"), "{answer}");
    assert!(external_events(&s).await.is_empty(), "a refused caller stores nothing");

    let operator = Server::token_for(&s.app, "operator").await;
    let (status, answer) = publish_as(&s, Some(&operator), &structured, event).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(external_events(&s).await.len(), 1);
}

#[tokio::test]
async fn the_listing_gives_every_event_its_topic_and_filters_by_topic() {
    let s = Server::start().await;
    let (status, collected) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{collected}");
    let event = |id: &str, source: &str| json!({"specversion": "1.0", "id": id, "source": source, "type": "t"});
    let batch = json!([event("1", "/ci"), event("2", "/cd"), event("3", "/ci"), event("4", "/ci/nightly")]);
    let (status, answer) = publish(&s, BATCH, batch.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");

    let (_, all) = s.get("/api/v1/events?limit=1000").await;
    let topics: Vec<&str> = all["items"].as_array().unwrap().iter().map(|e| e["topic"].as_str().unwrap()).collect();
    assert!(topics.contains(&"hosts"), "{topics:?}");
    // A batch is stored source by source, each source's events in their order.
    assert!(topics.ends_with(&["external./ci", "external./ci", "external./cd", "external./ci/nightly"]), "{topics:?}");

    let ids = |page: &Value| page["items"].as_array().unwrap().iter().map(|e| e["id"].clone()).collect::<Vec<_>>();
    let (_, hosts) = s.get("/api/v1/events?topic=hosts").await;
    assert!(hosts["items"].as_array().unwrap().iter().all(|e| e["topic"] == "hosts" && e["type"] == "HostRegistered"));
    assert_eq!(hosts["items"].as_array().unwrap().len(), 1);
    assert_eq!(hosts["items"][0]["data"]["hostname"], "suse", "Vigil's events keep their envelope");
    let (_, ci) = s.get("/api/v1/events?topic=external./ci").await;
    assert_eq!(ids(&ci), ["1", "3"]);
    let (_, ci_and_below) = s.get("/api/v1/events?topic=external./ci*").await;
    assert_eq!(ids(&ci_and_below), ["1", "3", "4"]);
    let (_, none) = s.get("/api/v1/events?topic=analytics").await;
    assert_eq!(none, json!({"items": [], "next_after": null}));

    // Page by page, with one event a page: following next_after gives each once.
    let mut after = 0;
    let mut seen = Vec::new();
    loop {
        let (status, page) = s.get(&format!("/api/v1/events?topic=external./ci*&limit=1&after={after}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(ids(&page));
        match page["next_after"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(seen, ["1", "3", "4"]);
}

#[tokio::test]
async fn the_document_says_which_modes_the_endpoint_reads_and_how_it_answers() {
    let s = Server::start().await;
    let (_, document) = s.get("/api/openapi.json").await;
    let post = &document["paths"]["/api/v1/events"]["post"];
    let content = post["requestBody"]["content"].as_object().unwrap();
    let mut types: Vec<&str> = content.keys().map(String::as_str).collect();
    types.sort_unstable();
    assert_eq!(types, ["application/cloudevents+json", "application/cloudevents-batch+json", "application/json"]);
    for status in ["202", "400", "401", "403", "413", "415"] {
        assert!(post["responses"][status].is_object(), "{status} is not documented: {post}");
    }
    let event = &document["components"]["schemas"]["StructuredCloudEvent"];
    assert_eq!(event["required"], json!(["specversion", "id", "source", "type"]));
}
