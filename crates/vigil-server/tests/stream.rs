//! `GET /api/v1/stream` over real sockets against `App::serve`, with a real WebSocket client:
//! authentication before the upgrade, topic filters, catch-up from a position, and a slow
//! client closed with a reason while a fast one gets everything.

mod common;

use std::time::Duration;

use common::{Listening, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Listening {
    fn request(&self, query: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
        format!("ws://{}/api/v1/stream{query}", self.addr).into_client_request().unwrap()
    }

    /// Connects as a browser does: the token in the subprotocol.
    async fn connect(&self, query: &str) -> Socket {
        let mut request = self.request(query);
        let protocols = format!("vigil.stream.v1, vigil.token.{}", self.server.token);
        request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "vigil.stream.v1");
        socket
    }

    /// Publishes `n` outside CloudEvents from `source` in one batch, each with `padding`
    /// bytes of data; the last position.
    async fn publish(&self, source: &str, n: usize, padding: usize) -> u64 {
        let batch: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "specversion": "1.0", "id": format!("{}-{i}", uuid::Uuid::now_v7()), "source": source,
                    "type": "test.happened", "data": { "i": i, "padding": "x".repeat(padding) },
                })
            })
            .collect();
        let request = axum::http::Request::post("/api/v1/events")
            .header("authorization", format!("Bearer {}", self.server.token))
            .header("content-type", "application/cloudevents-batch+json")
            .body(axum::body::Body::from(Value::Array(batch).to_string()))
            .unwrap();
        let (status, body) = self.server.send(request).await;
        assert_eq!(status, 202, "{body}");
        body["last_position"].as_u64().unwrap()
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.serving.await.unwrap().unwrap();
    }
}

/// The next JSON text message, skipping pings.
async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket is open")
            .expect("a message");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

/// Reads until a message of `kind`, returning the events before it.
async fn events_until(socket: &mut Socket, kind: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let message = next_json(socket).await;
        match message["type"].as_str().unwrap() {
            t if t == kind => return events,
            "event" => events.push(message),
            other => panic!("unexpected {other}: {message}"),
        }
    }
}

fn positions(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["position"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn an_upgrade_without_or_with_a_wrong_token_is_refused_before_it_happens() {
    let s = Listening::start(|_| ()).await;
    let refused = |result: Result<_, WsError>| match result {
        Err(WsError::Http(response)) => {
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
            (response.status().as_u16(), body)
        }
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the upgrade was accepted"),
    };
    let (status, body) = refused(tokio_tungstenite::connect_async(s.request("")).await);
    assert_eq!(status, 401);
    assert!(body.contains("missing token"), "{body}");

    let mut wrong = s.request("");
    wrong.headers_mut().insert("sec-websocket-protocol", "vigil.stream.v1, vigil.token.vgt_nope_nope".parse().unwrap());
    let (status, body) = refused(tokio_tungstenite::connect_async(wrong).await);
    assert_eq!(status, 401);
    assert!(body.contains("invalid, expired or revoked token"), "{body}");

    // A bearer header works for clients that can set one; a viewer may read events.
    let viewer = Server::token_for(&s.server.app, "viewer").await;
    let mut bearer = s.request("");
    bearer.headers_mut().insert("authorization", format!("Bearer {viewer}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(bearer).await.unwrap();
    let welcome = next_json(&mut socket).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(welcome["principal"]["roles"], json!(["viewer"]));

    // A `from` beyond the store is a 400, as is a plain GET that is no upgrade.
    let mut beyond = s.request("?from=999999");
    beyond.headers_mut().insert("authorization", format!("Bearer {viewer}").parse().unwrap());
    let (status, body) = refused(tokio_tungstenite::connect_async(beyond).await);
    assert_eq!((status, body.contains("from must be at most")), (400, true), "{body}");
    let (status, body) = s.server.get("/api/v1/stream").await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("not a WebSocket upgrade"), "{body}");
    drop(socket);
    s.stop().await;
}

#[tokio::test]
async fn a_client_gets_only_its_topics_live_and_can_change_them() {
    let s = Listening::start(|_| ()).await;
    let mut socket = s.connect("?topics=external.ci.example.com").await;
    let welcome = next_json(&mut socket).await;
    assert_eq!(welcome["topics"], json!(["external.ci.example.com"]));
    assert!(events_until(&mut socket, "caught_up").await.is_empty());

    s.publish("other.example.com", 3, 0).await;
    let last = s.publish("ci.example.com", 2, 0).await;
    let events = [next_json(&mut socket).await, next_json(&mut socket).await];
    assert_eq!(positions(&events), vec![last - 1, last]);
    for event in &events {
        assert_eq!(event["topic"], "external.ci.example.com");
        assert_eq!(event["event"]["source"], "ci.example.com");
        assert_eq!(event["event"]["position"], event["position"]);
    }

    // Resubscribed to the other source: the next event it gets is that source's.
    socket.send(Message::text(r#"{"type": "subscribe", "topics": ["external.other.*"]}"#)).await.unwrap();
    let subscribed = next_json(&mut socket).await;
    assert_eq!(subscribed, json!({"type": "subscribed", "topics": ["external.other.*"]}));
    s.publish("ci.example.com", 1, 0).await;
    let last = s.publish("other.example.com", 1, 0).await;
    let event = next_json(&mut socket).await;
    assert_eq!((event["position"].as_u64(), event["topic"].as_str()), (Some(last), Some("external.other.example.com")));

    // Nonsense is answered, not fatal.
    socket.send(Message::text("{\"type\": \"dance\"}")).await.unwrap();
    let error = next_json(&mut socket).await;
    assert_eq!(error["type"], "error");
    assert!(error["message"].as_str().unwrap().contains("subscribe"), "{error}");
    drop(socket);
    s.stop().await;
}

#[tokio::test]
async fn a_client_reconnecting_from_a_position_gets_what_it_missed_then_the_live_events() {
    let s = Listening::start(|_| ()).await;
    let first = s.publish("ci.example.com", 5, 0).await;
    let seen = first - 3;
    // More than a catch-up page while it was away.
    let missed_last = s.publish("ci.example.com", 1200, 0).await;
    let mut socket = s.connect(&format!("?from={seen}&topics=external.*")).await;
    let welcome = next_json(&mut socket).await;
    assert_eq!(welcome["from"], seen);
    let caught_up = events_until(&mut socket, "caught_up").await;
    let expected: Vec<u64> = (seen + 1..=missed_last).collect();
    assert_eq!(positions(&caught_up), expected);

    let live = s.publish("ci.example.com", 2, 0).await;
    let events = [next_json(&mut socket).await, next_json(&mut socket).await];
    assert_eq!(positions(&events), vec![live - 1, live]);
    drop(socket);
    s.stop().await;
}

#[tokio::test]
async fn a_slow_client_is_closed_with_where_to_reconnect_while_a_fast_one_gets_everything() {
    let s = Listening::start(|c| {
        c.stream.queue = 256;
        c.stream.send_timeout = Duration::from_secs(60);
    })
    .await;
    let mut fast = s.connect("").await;
    let mut slow = s.connect("").await;
    assert_eq!(next_json(&mut fast).await["type"], "welcome");
    assert_eq!(next_json(&mut slow).await["type"], "welcome");
    events_until(&mut fast, "caught_up").await;
    events_until(&mut slow, "caught_up").await;

    // The fast client reads as events come; the slow one reads nothing meanwhile. Each
    // batch is published once the fast client has the previous one (a burst must fit the
    // feed's ring), and 24 MB fill any socket buffers between the feed and the slow client.
    let start = s.server.head().await;
    let (progress, mut fast_at) = tokio::sync::watch::channel(start);
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < 1500 {
            let message = next_json(&mut fast).await;
            let position = message["position"].as_u64().unwrap();
            seen.push(position);
            progress.send_replace(position);
        }
        seen
    });
    let mut last = start;
    for _ in 0..15 {
        last = s.publish("ci.example.com", 100, 16_000).await;
        let reached = tokio::time::timeout(Duration::from_secs(20), fast_at.wait_for(|p| *p >= last)).await.is_ok();
        assert!(reached, "the fast client stalled at {}", *fast_at.borrow());
    }
    let seen = reader.await.unwrap();
    assert_eq!(seen, (start + 1..=last).collect::<Vec<u64>>(), "the fast client missed events");

    // The slow client reads what reached it, then the close with its reason.
    let mut received = Vec::new();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(20), slow.next()).await.unwrap() {
            Some(Ok(Message::Text(text))) => {
                received.push(serde_json::from_str::<Value>(&text).unwrap()["position"].as_u64().unwrap())
            }
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame with a reason"),
            Some(Ok(_)) => continue,
            other => panic!("expected the close frame, got {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::from(4008));
    let reason = close.reason.to_string();
    let resume: u64 = reason.rsplit("from=").next().unwrap().parse().unwrap();
    assert!(reason.starts_with("too slow"), "{reason}");
    assert!(resume < last, "{reason}");
    // What it got is gap-free and ends where the reason says to resume.
    assert_eq!(received, (start + 1..=resume).collect::<Vec<u64>>());

    // Reconnecting from there brings the rest.
    let mut again = s.connect(&format!("?from={resume}")).await;
    next_json(&mut again).await;
    let rest = events_until(&mut again, "caught_up").await;
    assert_eq!(positions(&rest), (resume + 1..=last).collect::<Vec<u64>>());
    drop(again);
    s.stop().await;
}

#[tokio::test]
async fn past_max_clients_an_upgrade_is_a_503() {
    let s = Listening::start(|c| c.stream.max_clients = 1).await;
    let mut first = s.connect("").await;
    next_json(&mut first).await;
    let mut request = s.request("");
    request.headers_mut().insert("authorization", format!("Bearer {}", s.server.token).parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 503),
        other => panic!("expected a 503, got {:?}", other.map(|_| ())),
    }
    drop(first);
    s.stop().await;
}
