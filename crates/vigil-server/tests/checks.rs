//! The checks on a real SQLite file: the catalog; selections through the gate; executions
//! of the replayed angi scale-up scenario, with facts from the agent's own facts channel
//! (`vigil_agent::facts::channel`, over a real WebSocket, gathering from captured files);
//! the results, each agent's facts and the checks health they give the cluster.

mod common;
mod replaying;

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Listening, Server};
use replaying::{corpus, replay, scenario_files};
use serde_json::{Value, json};
use uuid::Uuid;

fn result_of<'a>(execution: &'a Value, check: &str) -> &'a Value {
    let results = execution["results"].as_array().unwrap_or_else(|| panic!("no results: {execution}"));
    results.iter().find(|r| r["check_id"] == check).unwrap_or_else(|| panic!("no {check} in {execution}"))
}

fn status_of<'a>(execution: &'a Value, check: &str) -> &'a str {
    result_of(execution, check)["status"].as_str().unwrap()
}

async fn put_as(s: &Server, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::put(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    s.send(request).await
}

/// Requests an execution and waits for its results.
async fn execute(s: &Server, target: &str, token: &str) -> Value {
    let (status, started) = s.post_as(&format!("{target}/checks/request_execution"), token, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    assert_eq!(started["status"], "running");
    completed(s, started["execution_id"].as_str().unwrap()).await
}

/// Polls an execution until it completed.
async fn completed(s: &Server, execution_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, execution) = s.get(&format!("/api/v1/checks/executions/{execution_id}")).await;
        if status == StatusCode::OK && execution["status"] == "completed" {
            return execution;
        }
        assert!(Instant::now() < deadline, "execution {execution_id} did not complete: {status} {execution}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn angi(s: &Server) -> String {
    replay(s, &scenario_files("hana-scale-up-angi"), "hana-scale-up-angi").await;
    assert!(s.app.settle(Duration::from_secs(30)).await);
    format!("/api/v1/clusters/{}", vigil_landscape::cluster::cluster_id(corpus::ANGI_CLUSTER))
}

fn fast_facts(c: &mut vigil_server::config::ServerConfig) {
    c.checks_facts_timeout = Duration::from_secs(2);
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
async fn an_execution_without_agents_records_its_results_and_gives_the_cluster_its_checks_health() {
    let s = Server::start_with(fast_facts).await;
    let cluster = angi(&s).await;
    let operator = Server::token_for(&s.app, "operator").await;
    let viewer = Server::token_for(&s.app, "viewer").await;
    let (status, denied) = s.post_as(&format!("{cluster}/checks/request_execution"), &viewer, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "starting an execution is a command: {denied}");

    let execution = execute(&s, &cluster, &operator).await;
    assert_eq!(status_of(&execution, "stonith_enabled"), "passing");
    assert_eq!(status_of(&execution, "sbd_startmode"), "warning", "SBD_STARTMODE=clean");
    assert_eq!(status_of(&execution, "saphana_automated_register"), "passing");
    let token = result_of(&execution, "corosync_token");
    assert_eq!(token["status"], "not_gathered");
    assert!(token["message"].as_str().unwrap().contains("not connected"), "{token}");
    assert_eq!(execution["health"], "critical");
    let agents = execution["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 2, "both nodes were asked: {execution}");
    for agent in agents {
        let facts = &execution["facts"][agent.as_str().unwrap()];
        assert!(facts["not_gathered"].as_str().unwrap().contains("not connected"), "{facts}");
    }

    // The health reaches the cluster through the landscape (ClusterChecksHealthChanged).
    assert!(s.app.settle(Duration::from_secs(30)).await);
    let (_, view) = s.get(&cluster).await;
    assert_eq!(view["checks_health"], "critical", "{view}");
    let (_, checks) = s.get(&format!("{cluster}/checks")).await;
    assert_eq!(checks["checks_health"], "critical");
    assert_eq!(checks["last_execution"]["execution_id"], execution["execution_id"]);
    assert!(checks["applicable"].as_array().unwrap().iter().any(|c| c == "stonith_enabled"));
    let (_, listed) = s.get(&format!("{cluster}/checks/executions")).await;
    assert_eq!(listed["items"][0]["execution_id"], execution["execution_id"]);

    let host = format!("/api/v1/hosts/{}", corpus::VMANGI01);
    let host_execution = execute(&s, &host, &operator).await;
    assert_eq!(status_of(&host_execution, "saptune_solution_applied"), "passing");
    assert_eq!(status_of(&host_execution, "os_version_supported"), "passing");
}

#[tokio::test]
async fn selections_are_checked_against_the_catalog_and_go_through_the_gate() {
    let s = Server::start_with(fast_facts).await;
    let cluster = angi(&s).await;
    let selection = format!("{cluster}/checks/selection");
    let viewer = Server::token_for(&s.app, "viewer").await;
    let refused = [
        (json!({"checks": ["no_such_check"]}), "there is no check no_such_check"),
        (json!({"checks": ["saptune_installed"]}), "does not apply"),
        (json!({"checks": ["corosync_token"], "values": {"corosync_token": {"nope": 1}}}), "has no value nope"),
        (json!({"checks": [], "values": {"corosync_token": {"token": 1}}}), "not selected"),
    ];
    for (body, says) in refused {
        let (status, answer) = put_as(&s, &selection, &s.token, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(answer.to_string().contains(says), "{body}: {answer}");
    }
    let (status, _) = put_as(&s, &selection, &viewer, json!({"checks": ["stonith_enabled"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let body = json!({"checks": ["stonith_enabled", "corosync_token"], "values": {"corosync_token": {"token": 5000}}});
    let (status, answer) = put_as(&s, &selection, &s.token, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["checks"], json!(["corosync_token", "stonith_enabled"]));
    let execution = execute(&s, &cluster, &s.token).await;
    let ran: Vec<&str> =
        execution["results"].as_array().unwrap().iter().map(|r| r["check_id"].as_str().unwrap()).collect();
    assert_eq!(ran, ["corosync_token", "stonith_enabled"], "only the selection runs");
    let (_, checks) = s.get(&format!("{cluster}/checks")).await;
    assert_eq!(checks["selection"]["values"]["corosync_token"]["token"], 5000);
    let events = s.events("type=ChecksSelected").await;
    assert_eq!(events.len(), 1, "{events:?}");
}

#[tokio::test]
async fn the_schedule_runs_selected_targets_only() {
    let s = Server::start_with(|c| {
        fast_facts(c);
        c.checks_interval = Duration::from_millis(300);
    })
    .await;
    let cluster = angi(&s).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(s.events("type=ChecksExecutionStarted").await.is_empty(), "nothing is selected yet");
    let (status, _) =
        put_as(&s, &format!("{cluster}/checks/selection"), &s.token, json!({"checks": ["stonith_enabled"]})).await;
    assert_eq!(status, StatusCode::OK);
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.events("type=ChecksExecutionCompleted").await.len() < 2 {
        assert!(Instant::now() < deadline, "the schedule did not run the selected cluster twice");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let started = s.events("type=ChecksExecutionStarted").await;
    assert!(started.iter().all(|e| e["data"]["target_id"] == cluster.rsplit('/').next().unwrap()), "{started:?}");
}

/// A captured node: corosync.conf with `token`, /etc/hosts naming both nodes.
fn captured_node(root: &Path, token: u32) {
    std::fs::create_dir_all(root.join("etc/corosync")).unwrap();
    std::fs::write(
        root.join("etc/corosync/corosync.conf"),
        format!(
            "totem {{\n\tversion: 2\n\ttoken: {token}\n\tconsensus: {}\n\ttransport: udpu\n}}\n\
             quorum {{\n\tprovider: corosync_votequorum\n\ttwo_node: 1\n\texpected_votes: 2\n}}\n\
             nodelist {{\n\tnode {{\n\t\tring0_addr: 10.0.0.11\n\t\tnodeid: 1\n\t}}\n\tnode {{\n\t\tring0_addr: 10.0.0.12\n\t\tnodeid: 2\n\t}}\n}}\n",
            token * 6 / 5
        ),
    )
    .unwrap();
    std::fs::write(root.join("etc/hosts"), "127.0.0.1 localhost\n10.0.0.11 vmangi01\n10.0.0.12 vmangi02\n").unwrap();
}

#[tokio::test]
async fn facts_from_connected_agents_decide_the_checks_that_need_them() {
    let listening = Listening::start(fast_facts).await;
    let s = &listening.server;
    let cluster = angi(s).await;
    let url = format!("http://{}", listening.addr);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let nodes = tempfile::tempdir().unwrap();
    // Azure recommends 30000 ms: vmangi01 follows it, vmangi02 does not.
    for (agent, token) in [(corpus::VMANGI01, 30000), (corpus::VMANGI02, 5000)] {
        let root = nodes.path().join(agent);
        captured_node(&root, token);
        let sources = vigil_agent::facts::Sources::under(&root);
        let agent_id: Uuid = agent.parse().unwrap();
        tokio::spawn(vigil_agent::facts::channel::run(url.clone(), s.key.clone(), agent_id, sources, stopped.clone()));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.app.checks_runner.agents.connected_count() < 2 {
        assert!(Instant::now() < deadline, "the agents did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let execution = execute(s, &cluster, &s.token).await;
    let token = result_of(&execution, "corosync_token");
    assert_eq!(token["status"], "critical", "{token}");
    assert!(token["message"].as_str().unwrap().contains("vmangi02"), "the failing node is named: {token}");
    let hosts = token["hosts"].as_array().unwrap();
    let status_on = |name: &str| hosts.iter().find(|h| h["hostname"] == name).map(|h| h["status"].clone());
    assert_eq!(status_on("vmangi01"), Some(json!("passing")), "{token}");
    assert_eq!(status_on("vmangi02"), Some(json!("critical")), "{token}");
    assert_eq!(status_of(&execution, "cluster_nodes_in_hosts_file"), "passing");
    // No rpm here (or a development machine's dpkg without pacemaker): the fact says so.
    let package = result_of(&execution, "package_corosync");
    assert_ne!(package["status"], "passing", "{package}");
    let facts = &execution["facts"][corpus::VMANGI02]["gathered"];
    let gathered_token = facts.as_array().unwrap().iter().find(|f| f["check_id"] == "corosync_token").unwrap();
    assert!(gathered_token.to_string().contains("5000"), "the agent's facts are kept: {gathered_token}");
    stop.send_replace(true);
}

#[tokio::test]
async fn the_facts_channel_refuses_a_wrong_key_before_upgrading() {
    let listening = Listening::start(|_| ()).await;
    let agent = Uuid::from_u128(5);
    let url = format!("ws://{}/api/v1/agents/{agent}/facts", listening.addr);
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("x-trento-apikey", "wrong".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|(_, r)| r.status())),
    }
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("x-trento-apikey", listening.server.key.parse().unwrap());
    let (_socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
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
    let (status, body) = s.get(&format!("/api/v1/checks/executions/{unknown}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) =
        put_as(&s, &format!("/api/v1/hosts/{unknown}/checks/selection"), &token, json!({"checks": []})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn a_selected_target_whose_discovered_data_changed_runs_without_waiting_for_the_schedule() {
    let s = Server::start_with(|c| {
        fast_facts(c);
        c.checks_interval = Duration::from_secs(3600);
    })
    .await;
    angi(&s).await;
    let host = format!("/api/v1/hosts/{}", corpus::VMANGI01);
    let (status, _) =
        put_as(&s, &format!("{host}/checks/selection"), &s.token, json!({"checks": ["os_version_supported"]})).await;
    assert_eq!(status, StatusCode::OK);

    // The host moves to a service pack out of support. With the interval at an hour (its
    // first tick, at start, found nothing selected), only the change can run the check on
    // the new data: a run for the replay's own changes still sees 15-SP5 and passes.
    let file = replaying::scenario_file("hana-scale-up-angi", corpus::VMANGI01, "host_discovery");
    let mut changed: Value = serde_json::from_str(&replaying::envelope(&file)).unwrap();
    assert_eq!(changed["payload"]["os_version"], "15-SP5");
    changed["payload"]["os_version"] = json!("15-SP1");
    let (status, body) = s.collect(changed.to_string()).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::ACCEPTED, Some("applied")), "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let completed = s.events("type=ChecksExecutionCompleted").await;
        let on_new_data = completed.iter().find(|e| e["data"]["results"][0]["observed"] == "15-SP1");
        if let Some(event) = on_new_data {
            assert_eq!(event["data"]["target_id"], corpus::VMANGI01);
            assert_eq!(event["data"]["results"][0]["status"], "warning", "{event}");
            break;
        }
        assert!(Instant::now() < deadline, "the changed host was not checked: {completed:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_damaged_execution_row_is_left_out_of_the_list_or_shown_unreadable_never_fatal() {
    let s = Server::start_with(fast_facts).await;
    let cluster = angi(&s).await;
    let first = execute(&s, &cluster, &s.token).await;
    let second = execute(&s, &cluster, &s.token).await;
    assert!(s.app.settle(Duration::from_secs(30)).await);

    let db = rusqlite::Connection::open(s.dir.path().join("vigil.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    // A column of the wrong type (a blob where text belongs) cannot be read at all; damaged
    // JSON still can.
    let id = |e: &Value| e["execution_id"].as_str().unwrap().to_owned();
    let blob = "UPDATE checks_executions SET status = x'00ff' WHERE execution_id = ?1";
    assert_eq!(db.execute(blob, [id(&first)]).unwrap(), 1);
    assert_eq!(
        db.execute("UPDATE checks_executions SET results = '[{\"cut' WHERE execution_id = ?1", [id(&second)]).unwrap(),
        1
    );
    drop(db);

    let (status, listed) = s.get(&format!("{cluster}/checks/executions")).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let items = listed["items"].as_array().unwrap();
    let ids: Vec<&Value> = items.iter().map(|e| &e["execution_id"]).collect();
    assert_eq!(ids, [&second["execution_id"]], "the unreadable row is left out");
    assert!(
        items[0]["results"]["unreadable"].is_string(),
        "damaged JSON is said to be unreadable: {}",
        items[0]["results"]
    );
}
