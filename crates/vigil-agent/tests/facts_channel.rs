//! The agent's end of the facts channel over a real WebSocket: a listener in the test plays
//! the server's part (the server side is not written yet), checking the upgrade's path and
//! key, sending requests as CloudEvents and reading the answers.

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use uuid::Uuid;
use vigil_agent::facts::Sources;
use vigil_agent::facts::channel::{self, ChannelError, WebSocketChannel};

const KEY: &str = "agent-key-for-the-test";

/// A server accepting one upgrade: the path and key it saw, then the socket.
async fn listen() -> (String, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    (format!("http://{}", listener.local_addr().unwrap()), listener)
}

/// The server's upgrade check: 401 without the key; the path the agent must use.
#[allow(clippy::result_large_err)] // the signature of tungstenite's handshake callback
fn check_key(request: &Request, response: Response) -> Result<Response, ErrorResponse> {
    let key = request.headers().get("X-Trento-Apikey").and_then(|v| v.to_str().ok());
    if key != Some(KEY) {
        let mut refusal = ErrorResponse::new(Some("bad key".into()));
        *refusal.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
        return Err(refusal);
    }
    assert!(request.uri().path().starts_with("/api/v1/agents/"), "{}", request.uri());
    assert!(request.uri().path().ends_with("/facts"));
    Ok(response)
}

async fn accept(listener: &TcpListener) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let (stream, _) = listener.accept().await.unwrap();
    tokio_tungstenite::accept_hdr_async(stream, check_key).await.unwrap()
}

fn request_event(execution_id: Uuid, agent_id: Uuid) -> Message {
    let event = json!({
        "specversion": "1.0",
        "id": Uuid::now_v7().to_string(),
        "source": "/vigil/checks",
        "type": channel::REQUESTED_TYPE,
        "datacontenttype": "application/json",
        "data": {
            "execution_id": execution_id,
            "group_id": Uuid::now_v7(),
            "targets": [{"agent_id": agent_id, "fact_requests": [
                {"check_id": "C1", "name": "node", "gatherer": "hosts", "argument": "hana02"},
                {"check_id": "C2", "name": "conf", "gatherer": "corosync.conf", "argument": "totem.token"},
                {"check_id": "C3", "name": "nope", "gatherer": "no_such_gatherer"}
            ]}]
        }
    });
    Message::text(event.to_string())
}

fn sources() -> (tempfile::TempDir, Sources) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    let hosts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facts/hosts/hana-cluster.hosts");
    std::fs::copy(hosts, root.path().join("etc/hosts")).unwrap();
    let sources = Sources::under(root.path());
    (root, sources)
}

#[tokio::test]
async fn the_agent_answers_its_requests_and_ignores_the_rest() {
    let (url, listener) = listen().await;
    let agent_id = Uuid::now_v7();
    let (_root, sources) = sources();
    let agent = tokio::spawn(async move {
        let mut channel = WebSocketChannel::connect(&url, KEY, agent_id).await.unwrap();
        channel::serve(&mut channel, &sources, agent_id).await
    });
    let mut socket = accept(&listener).await;
    let someone_else = Uuid::now_v7();
    let theirs = Uuid::now_v7();
    let ours = Uuid::now_v7();
    socket.send(Message::text("not json")).await.unwrap();
    socket
        .send(Message::text(
            json!({"specversion": "1.0", "id": "x", "source": "/s", "type": "other", "data": {}}).to_string(),
        ))
        .await
        .unwrap();
    socket.send(request_event(theirs, someone_else)).await.unwrap();
    socket.send(request_event(ours, agent_id)).await.unwrap();

    let frame =
        tokio::time::timeout(Duration::from_secs(30), socket.next()).await.expect("an answer").unwrap().unwrap();
    let event: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["type"], channel::GATHERED_TYPE);
    assert_eq!(event["source"], format!("/vigil/agents/{agent_id}"));
    chrono::DateTime::parse_from_rfc3339(event["time"].as_str().unwrap()).unwrap();
    let data = &event["data"];
    assert_eq!(data["execution_id"], ours.to_string(), "the first answer is to our request: the others got none");
    assert_eq!(data["agent_id"], agent_id.to_string());
    assert_eq!(
        data["facts_gathered"],
        json!([
            {"check_id": "C1", "name": "node", "value": ["10.80.1.12"]},
            {"check_id": "C2", "name": "conf", "error": {"type": "file_not_found", "message": "/etc/corosync/corosync.conf does not exist"}},
            {"check_id": "C3", "name": "nope", "error": {"type": "unknown_gatherer",
              "message": format!("no gatherer `no_such_gatherer` (known: {})", vigil_agent::facts::GATHERERS.join(", "))}}
        ])
    );
    socket.close(None).await.unwrap();
    let served = tokio::time::timeout(Duration::from_secs(10), agent).await.unwrap().unwrap();
    assert!(served.is_ok(), "a close by the server ends the session cleanly: {served:?}");
}

#[tokio::test]
async fn a_wrong_key_is_refused_at_the_upgrade() {
    let (url, listener) = listen().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let _ = tokio_tungstenite::accept_hdr_async(stream, check_key).await;
    });
    let refused = WebSocketChannel::connect(&url, "wrong", Uuid::now_v7()).await.err().expect("refused");
    assert!(matches!(refused, ChannelError::Unauthorized(401)), "{refused}");
    server.await.unwrap();
}

#[tokio::test]
async fn the_agent_reconnects_after_the_server_drops_it() {
    let (url, listener) = listen().await;
    let agent_id = Uuid::now_v7();
    let (_root, sources) = sources();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let agent = tokio::spawn(channel::run(url, KEY.into(), agent_id, sources, stopped));
    // The first connection is dropped without a word…
    drop(accept(&listener).await);
    // …and the agent comes back (after its 1 s wait) and answers on the new one.
    let mut socket = tokio::time::timeout(Duration::from_secs(20), accept(&listener)).await.expect("a reconnection");
    let execution = Uuid::now_v7();
    socket.send(request_event(execution, agent_id)).await.unwrap();
    let frame =
        tokio::time::timeout(Duration::from_secs(30), socket.next()).await.expect("an answer").unwrap().unwrap();
    let event: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(event["data"]["execution_id"], execution.to_string());
    stop.send_replace(true);
    tokio::time::timeout(Duration::from_secs(10), agent).await.expect("the agent stops when told").unwrap();
}

#[test]
fn the_channel_url_follows_the_server_url() {
    let id = Uuid::nil();
    assert_eq!(
        channel::channel_url("http://vigil:4000/", id).unwrap(),
        format!("ws://vigil:4000/api/v1/agents/{id}/facts")
    );
    assert_eq!(
        channel::channel_url("https://vigil.example.com", id).unwrap(),
        format!("wss://vigil.example.com/api/v1/agents/{id}/facts")
    );
    assert!(channel::channel_url("vigil:4000", id).is_err());
}
