//! The NATS bus, started when `[bus] url` (`--bus`, `VIGIL_BUS`) is set: the relay, and the
//! commands over request/reply answered by this server's own router.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;
use vigil_bus::commands::Method;
use vigil_bus::{ApiAnswer, ApiCall, BusSettings, CommandApi, Relay};
use vigil_kernel::store::EventStore;

use crate::app::StartError;
use crate::http::DECISION_HEADER;

/// What [`spawn`] started.
pub(crate) struct Started {
    /// The relay and the command responder.
    pub tasks: Vec<(&'static str, JoinHandle<()>)>,
    /// The relay's position (the last event JetStream acknowledged).
    pub progress: watch::Receiver<u64>,
    /// Hands the command responder the router once the app exists.
    pub router: Option<oneshot::Sender<Router>>,
}

/// Connects (in the background: NATS may be down at start) and starts the relay, and the
/// command responder if `commands` is on; `None` without a bus URL.
pub(crate) async fn spawn(
    settings: &BusSettings,
    store: &Arc<dyn EventStore>,
    max_body_bytes: usize,
    shutdown: &watch::Receiver<bool>,
) -> Result<Option<Started>, StartError> {
    if settings.url.is_none() {
        return Ok(None);
    }
    settings.check().map_err(StartError)?;
    let (client, js) = vigil_bus::connect(settings).await.map_err(StartError)?;
    let relay = Relay::new(store.clone(), js, settings);
    let progress = relay.progress();
    let mut tasks = vec![("bus relay", tokio::spawn(relay.run(shutdown.clone())))];
    let mut router = None;
    if settings.commands {
        let (give, take) = oneshot::channel::<Router>();
        router = Some(give);
        let settings =
            BusSettings { max_command_bytes: settings.max_command_bytes.min(max_body_bytes), ..settings.clone() };
        let shutdown = shutdown.clone();
        tasks.push((
            "bus commands",
            tokio::spawn(async move {
                let Ok(router) = take.await else { return };
                vigil_bus::commands::serve(client, settings, Arc::new(RouterApi { router, max_body_bytes }), shutdown)
                    .await
            }),
        ));
    }
    Ok(Some(Started { tasks, progress, router }))
}

/// The API, called in process: a command over NATS is the HTTP request it stands for.
struct RouterApi {
    router: Router,
    max_body_bytes: usize,
}

#[async_trait::async_trait]
impl CommandApi for RouterApi {
    async fn call(&self, call: ApiCall) -> ApiAnswer {
        let method = match call.method {
            Method::Post => axum::http::Method::POST,
            Method::Delete => axum::http::Method::DELETE,
        };
        let mut request = Request::builder().method(method).uri(&call.path);
        if let Some(authorization) = &call.authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let body = match call.body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body)
            }
            None => Body::empty(),
        };
        let request = match request.body(body) {
            Ok(request) => request,
            // Only a header value the HTTP crate refuses (a control character in the token).
            Err(e) => return ApiAnswer::error(400, "bad_request", format!("the command cannot be a request: {e}")),
        };
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        let decision_id = response.headers().get(DECISION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = match axum::body::to_bytes(response.into_body(), self.max_body_bytes.max(1 << 20)).await {
            Ok(bytes) => bytes,
            Err(e) => return ApiAnswer::error(500, "internal", format!("the answer could not be read: {e}")),
        };
        let body = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        ApiAnswer { status, body, decision_id }
    }
}
