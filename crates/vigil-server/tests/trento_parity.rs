//! What Trento derives, as the API shows it (issue #18, finding 6): hosts list only the
//! IPv4 addresses that are not loopback, and saptune's staging under Trento's keys; a cluster has Trento's `state`, `cib_last_written`,
//! `sap_instances` and its nodes' attributes, and is `stopped` with unknown health once
//! every member's cluster stack is stopped; a database instance that does not replicate has
//! `system_replication: null`. Expected values are read off the scenario payloads; the
//! per-fixture checks are in `vigil-landscape/tests/trento_parity.rs`.

mod common;
mod replaying;

use axum::http::StatusCode;
use common::Server;
use replaying::corpus::*;
use replaying::{TRENTO, get_ok, replay, scenario_file, scenario_files, settle};
use serde_json::{Value, json};
use uuid::Uuid;

async fn collect(s: &Server, agent_id: &str, payload: Value) -> Value {
    let body = json!({"agent_id": agent_id, "discovery_type": "ha_cluster_discovery", "payload": payload});
    let (status, body) = s.collect(body.to_string()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

#[tokio::test]
async fn a_hana_cluster_shows_trentos_derived_fields_and_stops_when_every_member_does() {
    let s = Server::start().await;
    replay(&s, &scenario_files("hana-scale-up-angi"), "hana-scale-up-angi").await;
    settle(&s).await;
    let cluster_id = Uuid::new_v5(&TRENTO, ANGI_CLUSTER.as_bytes());
    let cluster_uri = format!("/api/v1/clusters/{cluster_id}");

    let host = get_ok(&s, &format!("/api/v1/hosts/{VMANGI01}")).await;
    // The payload lists 127.0.0.1/8, ::1/128, 10.70.1.4/24, 10.70.1.13/24 and an IPv6 one.
    assert_eq!(host["ip_addresses"], json!(["10.70.1.4/24", "10.70.1.13/24"]));
    assert_eq!(host["netmasks"], json!([24, 24]));
    assert_eq!(host["cluster_id"], cluster_id.to_string());
    assert_eq!(host["cluster_host_status"], "online");
    // saptune's staging area with Trento's keys (`Solutions staged` is `solutions_ids`).
    assert_eq!(host["saptune_status"]["staging"], json!({"enabled": false, "notes": [], "solutions_ids": []}));

    let cluster = get_ok(&s, &cluster_uri).await;
    assert_eq!(cluster["state"], "idle", "S_IDLE, as Trento names it");
    assert_eq!(cluster["details"]["state"], "S_IDLE", "the details keep what the agent said");
    assert_eq!(cluster["cib_last_written"], "Mon Jun 10 13:03:57 2024");
    assert_eq!(
        cluster["sap_instances"],
        json!([{"name": "HDB09", "sid": "HN9", "instance_number": "09", "hostname": null,
                "resource_type": "sap_hana_topology"}])
    );
    let nodes = cluster["details"]["nodes"].as_array().unwrap();
    let vmangi02 = nodes.iter().find(|n| n["name"] == "vmangi02").unwrap();
    assert_eq!(vmangi02["attributes"]["hana_hn9_clone_state"], "DEMOTED");
    assert_eq!(vmangi02["attributes"]["hana_hn9_site"], "ROT");
    assert_eq!(cluster["health"], "passing");

    // Both members' stacks stop: each agent then sends only the cluster's id and name.
    let offline = json!({"Online": false, "Id": ANGI_CLUSTER, "Name": "hana_angi"});
    let body = collect(&s, VMANGI01, offline.clone()).await;
    assert_eq!(body["status"], "applied", "{body}");
    settle(&s).await;
    let cluster = get_ok(&s, &cluster_uri).await;
    assert_eq!(cluster["state"], "idle", "a member is still online");
    assert_eq!(cluster["health"], "passing");

    let body = collect(&s, VMANGI02, offline).await;
    assert_eq!(body["status"], "applied", "{body}");
    settle(&s).await;
    let cluster = get_ok(&s, &cluster_uri).await;
    assert_eq!(cluster["state"], "stopped");
    assert_eq!(cluster["health"], "unknown");
    assert_eq!(cluster["discovered_health"], json!({"replication": "unknown", "distributed": null, "sbd": "unknown"}));
    let host = get_ok(&s, &format!("/api/v1/hosts/{VMANGI02}")).await;
    assert_eq!(host["cluster_host_status"], "offline");
    let (_, stopped) = s.get("/api/v1/clusters?health=unknown").await;
    assert_eq!(stopped["total"], 1);

    // The designated controller's stack starts again and reports what it reported before.
    let (status, body) =
        s.collect(replaying::envelope(&scenario_file("hana-scale-up-angi", VMANGI02, "ha_cluster_discovery"))).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::ACCEPTED, Some("applied")), "{body}");
    settle(&s).await;
    let cluster = get_ok(&s, &cluster_uri).await;
    assert_eq!(cluster["state"], "idle");
    assert_eq!(cluster["health"], "passing");
    let types: Vec<String> = s
        .events(&format!("subject={cluster_id}"))
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .filter(|t| t == "ClusterStateChanged")
        .collect();
    assert_eq!(types.len(), 2, "stopped, then idle again");
}

#[tokio::test]
async fn hosts_and_databases_of_a_single_hana_landscape_show_trentos_fields() {
    let s = Server::start().await;
    replay(&s, &scenario_files("single-hana-single-app"), "single-hana-single-app").await;
    settle(&s).await;

    let host = get_ok(&s, &format!("/api/v1/hosts/{NETWEAVER01}")).await;
    // Of 127.0.0.1/8, ::1/128, five IPv4 and four link-local IPv6 addresses.
    assert_eq!(
        host["ip_addresses"],
        json!(["10.0.2.30/16", "192.168.1.30/24", "192.168.1.31/24", "172.17.0.1/24", "172.18.0.1/24"])
    );
    assert_eq!(host["netmasks"], json!([16, 24, 24, 24, 24]));
    assert_eq!(host["cluster_host_status"], Value::Null, "in no cluster");
    let host = get_ok(&s, &format!("/api/v1/hosts/{HANA01}")).await;
    assert_eq!(host["ip_addresses"], json!(["10.0.1.10/24"]));

    // `hdbnsutil -sr_state` says `mode: none`: the instance does not replicate, which
    // Trento's policy writes as `""` and its command's cast stores as null.
    let database_id = Uuid::new_v5(&TRENTO, PRD_ENTRY.as_bytes());
    let database = get_ok(&s, &format!("/api/v1/databases/{database_id}")).await;
    let instance = &database["database_instances"][0];
    assert_eq!(instance["host_id"], HANA01);
    assert_eq!(instance["system_replication"], Value::Null);
    assert_eq!(instance["system_replication_mode"], "none", "the mode as reported");
}
