//! Shared by the API tests: a server on a real SQLite file, driven through its router.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use vigil_gate::principal::PrincipalKind;
use vigil_server::app::App;
use vigil_server::config::ServerConfig;

pub const HOST_ID: &str = "779cdd70-e9e2-58ca-b18a-bf3eb3f71244";

pub fn fixtures() -> PathBuf {
    std::env::var_os("VIGIL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/trento"))
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join("discovery").join(name)).unwrap()
}

pub struct Server {
    pub app: Arc<App>,
    /// The agent key.
    pub key: String,
    /// An admin token, sent with every read.
    pub token: String,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(|_| ()).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        Server::start_in(dir, tweak).await
    }

    pub async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut ServerConfig)) -> Server {
        let mut config = ServerConfig { data_dir: dir.path().to_owned(), ..Default::default() };
        tweak(&mut config);
        let app = App::start(config).await.unwrap();
        let key = vigil_discovery::keys::show(&app.db, dir.path()).await.unwrap().unwrap();
        let token = Server::token_for(&app, "admin").await;
        Server { app, key, token, dir }
    }

    pub async fn restart(self) -> Server {
        let Server { app, dir, .. } = self;
        app.stop().await;
        drop(app);
        Server::start_in(dir, |_| ()).await
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.router().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, body)
    }

    pub async fn collect(&self, body: impl Into<Body>) -> (StatusCode, Value) {
        let request = Request::post("/api/v1/collect")
            .header("content-type", "application/json")
            .header("x-trento-apikey", &self.key)
            .body(body.into())
            .unwrap();
        self.send(request).await
    }

    pub async fn token_for(app: &App, role: &str) -> String {
        let now = chrono::Utc::now();
        vigil_gate::tokens::create(&app.db, role, PrincipalKind::User, role, None, now).await.unwrap().0
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.get_as(uri, &self.token).await
    }

    pub async fn get_as(&self, uri: &str, token: &str) -> (StatusCode, Value) {
        let request = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        self.send(request).await
    }

    pub async fn post_as(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::post(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.send(request).await
    }

    pub async fn heartbeat(&self, id: &str) -> StatusCode {
        let request = Request::post(format!("/api/v1/hosts/{id}/heartbeat"))
            .header("x-trento-apikey", &self.key)
            .body(Body::empty())
            .unwrap();
        self.send(request).await.0
    }

    /// Waits until the hosts read model has seen the event at `position`.
    pub async fn settle(&self, position: &Value) {
        let position = position.as_u64().expect("a position");
        assert!(self.app.wait_for_projection("hosts", position, Duration::from_secs(10)).await);
    }

    /// The stored landscape events (policy publications left out) matching `query`.
    pub async fn events(&self, query: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/api/v1/events?limit=1000&{query}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let items = body["items"].as_array().unwrap();
        items.iter().filter(|e| !e["streamid"].as_str().unwrap().starts_with("policy-")).cloned().collect()
    }

    /// The global position of the last stored event.
    pub async fn head(&self) -> u64 {
        *vigil_kernel::store::EventStore::head(self.app.store.as_ref()).borrow()
    }
}

/// A server listening on a port of its own, for the tests that need real sockets
/// (`limits.rs`, `stream.rs`); each adds the clients it speaks with.
pub struct Listening {
    pub server: Server,
    pub addr: std::net::SocketAddr,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Listening {
    /// A server configured by `tweak`, serving on a free loopback port until `stop` is sent.
    pub async fn start(tweak: impl FnOnce(&mut ServerConfig)) -> Listening {
        let server = Server::start_with(tweak).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(server.app.clone().serve(listener, async move {
            let _ = stopped.await;
        }));
        Listening { server, addr, stop: Some(stop), serving }
    }
}
