//! Hostile input on the agent's path: every Trento fixture, mutated (truncated, keys
//! dropped, values of the wrong type, nulls, huge arrays and strings, deep nesting, invalid
//! UTF-8, a broken envelope), sent to `POST /api/v1/collect`. Every answer must be a 2xx or
//! a 4xx whose message says what is wrong; never a 5xx, a panic or a request that hangs; and
//! what was accepted before the corpus is still there after it.
//!
//! The corpus is deterministic (a seeded generator), so a failure names a reproducible
//! input. `VIGIL_HOSTILE_SEED` picks another seed, `VIGIL_HOSTILE_PER_FIXTURE` the number of
//! value mutations per fixture (default 80: about 11,000 requests from the 128 fixtures).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::StatusCode;
use common::{HOST_ID, Server, fixture, fixtures};
use serde_json::{Value, json};

/// SplitMix64: enough to pick paths and values reproducibly without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One step into a JSON document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every path inside `value` (the root excluded), depth first.
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Step::Index(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// Removes what `path` names from its parent.
fn drop_at(value: &mut Value, path: &[Step]) {
    let (last, parent) = path.split_last().expect("not the root");
    match (at(value, parent), last) {
        (Value::Object(map), Step::Key(k)) => {
            map.remove(k);
        }
        (Value::Array(items), Step::Index(i)) => {
            items.remove(*i);
        }
        _ => {}
    }
}

/// A value of the wrong kind, or of the right kind at an edge.
fn replacement(rng: &mut Rng) -> Value {
    match rng.below(14) {
        0 => Value::Null,
        1 => json!(""),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1e308),
        5 => json!(u64::MAX),
        6 => json!(true),
        7 => json!([]),
        8 => json!({}),
        9 => json!("x".repeat(100_000)),
        10 => Value::Array(vec![json!(0); 50_000]),
        11 => (0..100).fold(json!(1), |inner, _| json!([inner])),
        12 => json!("\u{0000}\u{FFFF}\u{10FFFF}'; DROP TABLE events; --"),
        _ => json!({ "unexpected": { "nested": [1, "two", null] } }),
    }
}

/// The mutated bodies of one fixture, each with what was done to it.
fn corpus(raw: &str, rng: &mut Rng, per_fixture: usize) -> Vec<(String, Vec<u8>)> {
    let mut bodies = Vec::new();
    let bytes = raw.as_bytes();
    for cut in [1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        bodies.push((format!("truncated at byte {cut}"), bytes[..cut].to_vec()));
    }
    for _ in 0..4 {
        let mut invalid = bytes.to_vec();
        let i = rng.below(invalid.len());
        let bad: &[u8] = [&b"\xff"[..], b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28"][rng.below(4)];
        invalid.splice(i..i, bad.iter().copied());
        bodies.push((format!("invalid UTF-8 at byte {i}"), invalid));
    }
    let document: Value = serde_json::from_str(raw).expect("a fixture is JSON");
    let mut all = Vec::new();
    paths(&document, &mut Vec::new(), &mut all);
    for _ in 0..per_fixture {
        let path = &all[rng.below(all.len())];
        let mut mutated = document.clone();
        let what = if rng.below(3) == 0 {
            drop_at(&mut mutated, path);
            format!("dropped {path:?}")
        } else {
            let value = replacement(rng);
            let shown: String = value.to_string().chars().take(40).collect();
            *at(&mut mutated, path) = value;
            format!("{path:?} set to {shown}")
        };
        bodies.push((what, mutated.to_string().into_bytes()));
    }
    bodies
}

/// Envelopes that are wrong as a whole, whatever the fixture.
fn broken_envelopes() -> Vec<(String, Vec<u8>)> {
    let payload = json!({ "hostname": "x" });
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies = [
        ("empty body", String::new()),
        ("not JSON", "hello".to_owned()),
        ("a JSON string", "\"collect\"".to_owned()),
        ("a JSON array", "[]".to_owned()),
        ("null", "null".to_owned()),
        ("nested 100,000 deep", deep.clone()),
        (
            "payload nested 100,000 deep",
            format!(r#"{{"agent_id":"{HOST_ID}","discovery_type":"host_discovery","payload":{deep}}}"#),
        ),
        ("no agent_id", json!({ "discovery_type": "host_discovery", "payload": payload }).to_string()),
        (
            "agent_id not a UUID",
            json!({ "agent_id": "host-1", "discovery_type": "host_discovery", "payload": payload }).to_string(),
        ),
        (
            "agent_id a number",
            json!({ "agent_id": 7, "discovery_type": "host_discovery", "payload": payload }).to_string(),
        ),
        (
            "unknown discovery type",
            json!({ "agent_id": HOST_ID, "discovery_type": "toaster_discovery", "payload": payload }).to_string(),
        ),
        ("no payload", json!({ "agent_id": HOST_ID, "discovery_type": "host_discovery" }).to_string()),
        (
            "payload a string",
            json!({ "agent_id": HOST_ID, "discovery_type": "host_discovery", "payload": "{}" }).to_string(),
        ),
        (
            "payload null",
            json!({ "agent_id": HOST_ID, "discovery_type": "ha_cluster_discovery", "payload": null }).to_string(),
        ),
        (
            "duplicate keys",
            format!(
                r#"{{"agent_id":"{HOST_ID}","agent_id":"{HOST_ID}","discovery_type":"host_discovery","payload":{{}}}}"#
            ),
        ),
    ];
    bodies.into_iter().map(|(what, body)| (what.to_owned(), body.into_bytes())).collect()
}

/// Every JSON file under `dir`, at any depth, in path order: the corpus is the single
/// discoveries and each scenario's.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out
}

/// A discovery envelope: the fixtures' JSON documents that name an agent and a type.
fn is_envelope(raw: &str) -> bool {
    serde_json::from_str::<Value>(raw).is_ok_and(|v| v.get("agent_id").is_some() && v.get("discovery_type").is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_fixtures_get_2xx_or_a_4xx_that_says_why_and_lose_nothing() {
    let seed = std::env::var("VIGIL_HOSTILE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let per_fixture = std::env::var("VIGIL_HOSTILE_PER_FIXTURE").ok().and_then(|s| s.parse().ok()).unwrap_or(80);
    let mut rng = Rng(seed);
    let s = Server::start().await;

    // What is accepted before the corpus must still be there after it.
    let (status, body) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    s.settle(&body["last_position"]).await;
    let (status, before) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let events_before = s.events("").await.len();

    let mut inputs = broken_envelopes();
    let mut n_fixtures = 0;
    let mut files = walk(&fixtures());
    files.sort();
    for file in files {
        let raw = std::fs::read_to_string(&file).unwrap();
        if !is_envelope(&raw) {
            continue;
        }
        n_fixtures += 1;
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (what, body) in corpus(&raw, &mut rng, per_fixture) {
            inputs.push((format!("{name}: {what}"), body));
        }
    }
    assert!(n_fixtures >= 50, "only {n_fixtures} fixtures found under {}", fixtures().display());
    assert!(per_fixture < 80 || inputs.len() >= 10_000, "the corpus has only {} inputs", inputs.len());

    let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
    for (what, body) in &inputs {
        let answered = tokio::time::timeout(Duration::from_secs(30), s.collect(body.clone())).await;
        let (status, answer) = answered.unwrap_or_else(|_| panic!("no answer within 30 s to {what}"));
        *answers.entry(status.as_u16()).or_default() += 1;
        assert!(status.is_success() || status.is_client_error(), "{status} for {what} (seed {seed}): {answer}");
        if status.is_client_error() {
            let message = answer["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty(), "{status} without a message for {what}: {answer}");
        }
    }
    println!("{} requests from {n_fixtures} fixtures (seed {seed}), answers by status: {answers:?}", inputs.len());
    assert!(answers.keys().any(|s| *s >= 400), "the corpus was all accepted: it mutates nothing");

    // Nothing accepted was lost, and the server still takes a good discovery.
    let events_after = s.events("").await.len();
    assert!(events_after >= events_before, "{events_before} events before the corpus, {events_after} after");
    let (status, body) = s.collect(fixture("host_discovery.json")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, after) = s.get(&format!("/api/v1/hosts/{HOST_ID}")).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["id"], before["id"]);
    let (status, verified) = s.get("/api/v1/audit/verification").await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["ok"], true, "{verified}");
}
