//! The checks API on a real SQLite file: the catalog, and the angi scale-up scenario
//! replayed and evaluated from the discovery log, with the statuses its payloads imply.

mod common;
mod replaying;

use std::time::Duration;

use axum::http::StatusCode;
use common::Server;
use replaying::{corpus, replay, scenario_files};
use serde_json::{Value, json};

fn status_of<'a>(evaluation: &'a Value, check: &str) -> &'a str {
    let results = evaluation["results"].as_array().unwrap();
    let result = results.iter().find(|r| r["check_id"] == check).unwrap_or_else(|| panic!("no {check}"));
    result["status"].as_str().unwrap()
}

#[tokio::test]
async fn the_catalog_lists_every_shipped_check_with_its_metadata() {
    let s = Server::start().await;
    let (status, body) = s.get("/api/v1/checks/catalog").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert!(items.len() >= 40, "{}", items.len());
    assert_eq!(body["rejected"], json!([]));
    let stonith = items.iter().find(|c| c["id"] == "stonith_enabled").unwrap();
    assert_eq!((stonith["severity"].as_str(), stonith["target_type"].as_str()), (Some("critical"), Some("cluster")));
    assert!(stonith["remediation"].as_str().unwrap().contains("stonith-enabled=true"));
    let (status, _) = s.get_as("/api/v1/checks/catalog", "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_replayed_angi_cluster_and_its_hosts_are_evaluated_from_the_discovery_log() {
    let s = Server::start().await;
    replay(&s, &scenario_files("hana-scale-up-angi"), "hana-scale-up-angi").await;
    assert!(s.app.settle(Duration::from_secs(30)).await);
    let cluster_id = vigil_landscape::cluster::cluster_id(corpus::ANGI_CLUSTER);
    let viewer = Server::token_for(&s.app, "viewer").await;
    let (status, evaluation) =
        s.post_as(&format!("/api/v1/clusters/{cluster_id}/checks/request_execution"), &viewer, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{evaluation}");
    assert_eq!(evaluation["target_id"], cluster_id.to_string());
    assert_eq!(status_of(&evaluation, "stonith_enabled"), "passing");
    assert_eq!(status_of(&evaluation, "sbd_startmode"), "warning", "SBD_STARTMODE=clean");
    assert_eq!(status_of(&evaluation, "saphana_automated_register"), "passing");
    assert_eq!(status_of(&evaluation, "corosync_token"), "not_gathered");
    assert_eq!(evaluation["health"], "critical");

    let (status, host) =
        s.post_as(&format!("/api/v1/hosts/{}/checks/request_execution", corpus::VMANGI01), &viewer, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{host}");
    assert_eq!(status_of(&host, "saptune_solution_applied"), "passing");
    assert_eq!(status_of(&host, "os_version_supported"), "passing");
}

#[tokio::test]
async fn unknown_or_malformed_targets_are_4xx() {
    let s = Server::start().await;
    let token = s.token.clone();
    let unknown = uuid::Uuid::from_u128(7);
    for (uri, expected) in [
        (format!("/api/v1/clusters/{unknown}/checks/request_execution"), StatusCode::NOT_FOUND),
        (format!("/api/v1/hosts/{unknown}/checks/request_execution"), StatusCode::NOT_FOUND),
        ("/api/v1/clusters/not-a-uuid/checks/request_execution".to_owned(), StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = s.post_as(&uri, &token, json!({})).await;
        assert_eq!(status, expected, "{uri}: {body}");
    }
}
