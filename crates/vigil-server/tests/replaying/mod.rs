//! Shared by the landscape tests: replaying scenario files and reading the landscape back.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, fixtures};

/// Trento's UUID namespace for the ids it derives from a discovery (databases, clusters).
pub const TRENTO: uuid::Uuid = uuid::Uuid::from_u128(0xfb92284e_aa5e_47f6_a883_bf9469e7a0dc);

/// Hosts and entries of the corpus's scenarios, by the names the tests give them.
pub mod corpus {
    // single-hana-single-app
    pub const HANA01: &str = "c4914bd4-efa3-553a-9a52-e9b562e210e5";
    pub const NETWEAVER01: &str = "e77ab524-c4e4-5381-bb59-5af8639d52a4";
    pub const PRD_ENTRY: &str = "e058aaacf42f039937c4a43bf3df350b";
    // hana-scale-up-angi: vmangi02 is the designated controller.
    pub const VMANGI01: &str = "851a4dd3-9693-44c3-a40b-b32d22872e74";
    pub const VMANGI02: &str = "4b67842f-ccf7-46a4-a344-9e918648b117";
    pub const ANGI_CLUSTER: &str = "04dcf01eefda0e3b4cc897968150169e";
    pub const HN9_ENTRY: &str = "b5e2378f560d932d1b8ceafa86751169";
    // sap-system-java
    pub const VMNWJAVA01: &str = "a18a203d-4f2f-4d21-b9a5-e300a9c5eeee";
}

/// `GET uri` as the admin, which must answer 200.
pub async fn get_ok(s: &Server, uri: &str) -> Value {
    let (status, body) = s.get(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

/// The scenario's discovery files, in name order.
pub fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("scenarios").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_discovery.json"))
        .collect();
    files.sort();
    files
}

/// The file's envelope, with `agent_id` and `discovery_type` taken from the file name when
/// the file lacks them (as `vigil replay` does: one corpus file has them in its payload).
pub fn envelope(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().trim_end_matches(".json").to_owned();
    let (agent_id, discovery_type) = name.split_at(36);
    let object = value.as_object_mut().unwrap();
    object.entry("agent_id").or_insert_with(|| json!(agent_id));
    object.entry("discovery_type").or_insert_with(|| json!(discovery_type.trim_start_matches('_')));
    value.to_string()
}

/// Posts every file; each must be accepted (applied, parked or, on a resend, unchanged).
pub async fn replay(s: &Server, files: &[PathBuf], what: &str) {
    for file in files {
        let (status, body) = s.collect(envelope(file)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{what}: {}: {body}", file.display());
        let outcome = body["status"].as_str().unwrap();
        assert!(["applied", "parked", "unchanged"].contains(&outcome), "{what}: {}: {body}", file.display());
    }
}

/// Everything the API shows of the landscape, with timestamps left out, so two replays can
/// be compared whole.
pub async fn landscape(s: &Server) -> Value {
    landscape_with(s, "").await
}

/// [`landscape`], each read adding `query` (e.g. `&min_position=42`).
pub async fn landscape_with(s: &Server, query: &str) -> Value {
    let mut hosts = items(s, &format!("/api/v1/hosts?limit=1000{query}")).await;
    for host in &mut hosts {
        for field in ["registered_at", "updated_at", "last_heartbeat_timestamp"] {
            host.as_object_mut().unwrap().remove(field);
        }
    }
    let mut clusters = items(s, &format!("/api/v1/clusters?limit=1000{query}")).await;
    for cluster in &mut clusters {
        for field in ["registered_at", "updated_at"] {
            cluster.as_object_mut().unwrap().remove(field);
        }
    }
    let mut databases = items(s, &format!("/api/v1/databases?limit=1000{query}")).await;
    for database in &mut databases {
        for field in ["registered_at", "updated_at"] {
            database.as_object_mut().unwrap().remove(field);
        }
    }
    let mut sap_systems = items(s, &format!("/api/v1/sap_systems?limit=1000{query}")).await;
    for system in &mut sap_systems {
        for field in ["registered_at", "updated_at"] {
            system.as_object_mut().unwrap().remove(field);
        }
    }
    json!({ "hosts": hosts, "clusters": clusters, "databases": databases, "sap_systems": sap_systems })
}

pub async fn items(s: &Server, uri: &str) -> Vec<Value> {
    let (status, page) = s.get(uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {page}");
    page["items"].as_array().unwrap().clone()
}

/// The file of `agent_id`'s `discovery_type` in scenario `dir`.
pub fn scenario_file(dir: &str, agent_id: &str, discovery_type: &str) -> PathBuf {
    fixtures().join("scenarios").join(dir).join(format!("{agent_id}_{discovery_type}.json"))
}

/// Waits until everything acknowledged has had all its consequences.
pub async fn settle(s: &Server) {
    assert!(s.app.settle(Duration::from_secs(30)).await, "the landscape never settled");
}

/// `DELETE uri` as the holder of `token`.
pub async fn delete_as(s: &Server, uri: &str, token: &str) -> (StatusCode, Value) {
    let request = Request::delete(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    s.send(request).await
}
