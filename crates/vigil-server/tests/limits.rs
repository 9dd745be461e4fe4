//! The connection limits and deadlines (issue #18, finding 3), over real sockets against
//! `App::serve`. Every deadline is short here; the assertions give the server ten times as
//! long, and never require that something happens *before* a time, so that a loaded machine
//! cannot make them fail.

mod common;

use std::io;
use std::time::Duration;

use common::{Listening, fixture};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Longest any step may take; a deadline under test is at most a tenth of it.
const PATIENCE: Duration = Duration::from_secs(10);

impl Listening {
    async fn connect(&self) -> Client {
        let (read, write) = TcpStream::connect(self.addr).await.unwrap().into_split();
        Client { read, write: Some(write), buffer: Vec::new() }
    }

    /// The head of a discovery of `length` bytes (the host fixture has that many).
    fn collect_head(&self, length: usize, extra: &str) -> String {
        format!(
            "POST /api/v1/collect HTTP/1.1\r\nhost: vigil\r\ncontent-type: application/json\r\n\
             x-trento-apikey: {}\r\ncontent-length: {length}\r\n{extra}\r\n",
            self.server.key
        )
    }
}

/// A raw HTTP/1.1 client on one connection.
struct Client {
    read: OwnedReadHalf,
    /// Taken by a test that writes from a task of its own.
    write: Option<OwnedWriteHalf>,
    /// Bytes read past the last response.
    buffer: Vec<u8>,
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

impl Client {
    /// Sends `bytes`; panics if the server reset the connection.
    async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let write = self.write.as_mut().expect("the client's write half");
        tokio::time::timeout(PATIENCE, write.write_all(bytes.as_ref()))
            .await
            .expect("the server reads what it is sent within 10 s")
            .expect("the server does not reset the connection");
    }

    async fn get(&mut self, path: &str) -> Response {
        self.send(format!("GET {path} HTTP/1.1\r\nhost: vigil\r\n\r\n")).await;
        self.response().await.unwrap()
    }

    /// The next response (an interim `100 Continue` too), or the error that ended the
    /// connection before it was complete.
    async fn response(&mut self) -> io::Result<Response> {
        tokio::time::timeout(PATIENCE, self.read_response()).await.expect("a response within 10 s")
    }

    async fn read_response(&mut self) -> io::Result<Response> {
        let end_of_head = loop {
            if let Some(at) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
            self.fill().await?;
        };
        let head = String::from_utf8(self.buffer[..end_of_head].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| line.split_once(':').unwrap())
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let start = end_of_head + 4;
        while self.buffer.len() < start + length {
            self.fill().await?;
        }
        let body = String::from_utf8(self.buffer[start..start + length].to_vec()).unwrap();
        self.buffer.drain(..start + length);
        Ok(Response { status, headers, body })
    }

    async fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0; 4096];
        match self.read.read(&mut chunk).await? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Ok(())
            }
        }
    }

    /// Waits until the server closes the connection: `Ok` for a clean close (FIN), the
    /// error for a reset. Panics if it stays open for [`PATIENCE`] or sends anything.
    async fn closed(&mut self) -> io::Result<()> {
        let mut chunk = [0; 4096];
        let read = tokio::time::timeout(PATIENCE, self.read.read(&mut chunk)).await;
        match read.expect("the server closes the connection within 10 s") {
            Ok(0) => Ok(()),
            Ok(n) => panic!("expected the end of the connection, got {:?}", String::from_utf8_lossy(&chunk[..n])),
            Err(e) => Err(e),
        }
    }

    /// Whether the connection is still open after `wait`, with nothing sent by the server.
    async fn open_after(&mut self, wait: Duration) -> bool {
        let mut chunk = [0; 1];
        tokio::time::timeout(wait, self.read.read(&mut chunk)).await.is_err()
    }
}

// Regression (#18): a client sending its headers one byte at a time kept its connection
// (and a task) for as long as it liked; 1,100 of them were all kept.
#[tokio::test]
async fn a_client_that_trickles_its_headers_is_disconnected_after_the_header_timeout() {
    let s = Listening::start(|c| c.header_read_timeout = Duration::from_millis(500)).await;
    let mut client = s.connect().await;
    let mut write = client.write.take().unwrap();
    let trickle = tokio::spawn(async move {
        // A head that never ends: a header whose value goes on forever.
        for byte in b"GET /healthz HTTP/1.1\r\nhost: vigil\r\nx-slow: ".iter().chain(std::iter::repeat(&b'a')) {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    // A close or a reset (the trickle may still be writing when it comes); never a response.
    let _ = client.closed().await;
    trickle.abort();

    // A connection that sends nothing at all is closed the same way.
    client = s.connect().await;
    let _ = client.closed().await;
}

// Regression (#18): a client that announced a body and stopped sending got no answer at all.
#[tokio::test]
async fn a_body_that_stalls_is_answered_408_and_the_connection_closed_cleanly() {
    let s = Listening::start(|c| c.body_read_timeout = Duration::from_millis(500)).await;
    let mut client = s.connect().await;
    client.send(s.collect_head(1000, "")).await;
    client.send(r#"{"agent_id": "#).await;
    let response = client.response().await.unwrap();
    assert_eq!(response.status, 408, "{response:?}");
    assert_eq!(response.json()["code"], "request_timeout");
    assert!(response.json()["message"].as_str().unwrap().contains("did not arrive"), "{response:?}");
    client.closed().await.expect("a clean close, not a reset");
    assert!(s.server.events("").await.is_empty(), "nothing is stored for a body that never came");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let s = Listening::start(|c| c.idle_timeout = Duration::from_millis(500)).await;
    let mut client = s.connect().await;
    assert_eq!(client.get("/healthz").await.status, 200);
    client.closed().await.expect("a clean close");
}

// hyper's own header timeout also runs between requests on a kept-alive connection; Vigil's
// counts only from the first byte of a request, so an idle connection gets `idle_timeout`.
#[tokio::test]
async fn the_header_timeout_does_not_cut_an_idle_kept_alive_connection() {
    let s = Listening::start(|c| {
        c.header_read_timeout = Duration::from_millis(300);
        c.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let mut client = s.connect().await;
    assert_eq!(client.get("/healthz").await.status, 200);
    assert!(client.open_after(Duration::from_millis(1500)).await, "idle for 5 header timeouts, still open");
    assert_eq!(client.get("/healthz").await.status, 200);
}

#[tokio::test]
async fn connections_past_max_connections_get_503_with_retry_after() {
    let s = Listening::start(|c| c.max_connections = 2).await;
    let mut first = s.connect().await;
    let mut second = s.connect().await;
    // Answered, so both hold their slot.
    assert_eq!(first.get("/healthz").await.status, 200);
    assert_eq!(second.get("/healthz").await.status, 200);

    let mut third = s.connect().await;
    third.send("GET /healthz HTTP/1.1\r\nhost: vigil\r\n\r\n").await;
    let refused = third.response().await.unwrap();
    assert_eq!(refused.status, 503, "{refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["code"], "unavailable");
    third.closed().await.expect("a clean close after the 503");

    // A slot freed is a slot taken again.
    drop(first);
    let served = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut next = s.connect().await;
            if next.get("/healthz").await.status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(served.is_ok(), "a new connection is served once one closes");
    assert_eq!(second.get("/healthz").await.status, 200, "the open connections are not disturbed");
}

#[tokio::test]
async fn discoveries_past_max_inflight_discoveries_get_503_before_their_body_is_sent() {
    let s = Listening::start(|c| c.max_inflight_discoveries = 2).await;
    let body = fixture("host_discovery.json");
    let (first_half, second_half) = body.split_at(body.len() / 2);
    // `Expect: 100-continue`: the server says `100 Continue` when the handler starts reading
    // the body, which is after it took its slot.
    let mut holding = Vec::new();
    for _ in 0..2 {
        let mut client = s.connect().await;
        client.send(s.collect_head(body.len(), "expect: 100-continue\r\n")).await;
        assert_eq!(client.response().await.unwrap().status, 100);
        client.send(first_half).await;
        holding.push(client);
    }

    let mut third = s.connect().await;
    third.send(s.collect_head(body.len(), "expect: 100-continue\r\n")).await;
    let refused = third.response().await.unwrap();
    assert_eq!(refused.status, 503, "refused without being asked for its body: {refused:?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["code"], "unavailable");

    for client in &mut holding {
        client.send(second_half).await;
        let accepted = client.response().await.unwrap();
        assert_eq!(accepted.status, 202, "{accepted:?}");
    }
    // The slots are free again.
    let mut fourth = s.connect().await;
    fourth.send(s.collect_head(body.len(), "")).await;
    fourth.send(&body).await;
    assert_eq!(fourth.response().await.unwrap().status, 202);
}

// Regression (#18): a 50 MB body with a valid key got a reset instead of its 413: the server
// closed the socket with the rest of the body unread, and a client that sends its whole body
// before it reads (as many do) had its writes fail and never saw the answer.
#[tokio::test]
async fn a_body_over_the_limit_gets_its_413_and_a_clean_close_not_a_reset() {
    const MB: usize = 1024 * 1024;
    let s = Listening::start(|c| c.max_body_bytes = MB).await;
    let megabyte = vec![b' '; MB];

    // Announced with Content-Length: refused before the body is read.
    let mut client = s.connect().await;
    client.send(s.collect_head(50 * MB, "")).await;
    for _ in 0..50 {
        client.send(&megabyte).await;
    }
    let response = client.response().await.expect("the 413, not a reset");
    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(response.json()["code"], "payload_too_large");
    client.closed().await.expect("a clean close, not a reset");

    // Chunked, so its size shows only as it is read: refused once past the limit.
    let mut client = s.connect().await;
    client
        .send(format!(
            "POST /api/v1/collect HTTP/1.1\r\nhost: vigil\r\ncontent-type: application/json\r\n\
             x-trento-apikey: {}\r\ntransfer-encoding: chunked\r\n\r\n",
            s.server.key
        ))
        .await;
    for _ in 0..50 {
        client.send([format!("{MB:x}\r\n").as_bytes(), &megabyte, b"\r\n"].concat()).await;
    }
    client.send("0\r\n\r\n").await;
    let response = client.response().await.expect("the 413, not a reset");
    assert_eq!(response.status, 413, "{response:?}");
    client.closed().await.expect("a clean close, not a reset");
    assert!(s.server.events("").await.is_empty());
}

#[tokio::test]
async fn ordinary_requests_are_served_and_a_kept_alive_connection_is_reused() {
    let s = Listening::start(|_| ()).await;
    let mut client = s.connect().await;
    let body = fixture("host_discovery.json");
    client.send(s.collect_head(body.len(), "")).await;
    client.send(&body).await;
    let accepted = client.response().await.unwrap();
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let position = accepted.json()["last_position"].as_u64().unwrap();
    // The same connection, twice more.
    client
        .send(format!(
            "GET /api/v1/hosts?min_position={position} HTTP/1.1\r\nhost: vigil\r\nauthorization: Bearer {}\r\n\r\n",
            s.server.token
        ))
        .await;
    let hosts = client.response().await.unwrap();
    assert_eq!(hosts.status, 200, "{hosts:?}");
    assert_eq!(hosts.json()["total"], 1);
    assert_eq!(client.get("/healthz").await.status, 200);
    let metrics = client.get("/metrics").await;
    assert!(metrics.body.contains("vigil_http_connections_open"), "{}", metrics.body);
}

#[tokio::test]
async fn on_shutdown_a_request_in_flight_finishes_and_then_the_server_stops() {
    let mut s = Listening::start(|_| ()).await;
    let body = fixture("host_discovery.json");
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let mut client = s.connect().await;
    client.send(s.collect_head(body.len(), "expect: 100-continue\r\n")).await;
    assert_eq!(client.response().await.unwrap().status, 100);
    client.send(first_half).await;
    let mut idle = s.connect().await;
    assert_eq!(idle.get("/healthz").await.status, 200);

    s.stop.take().unwrap().send(()).unwrap();
    idle.closed().await.expect("an idle connection is closed at once");
    client.send(second_half).await;
    let accepted = client.response().await.unwrap();
    assert_eq!(accepted.status, 202, "the request in flight is answered: {accepted:?}");
    client.closed().await.expect("and then its connection is closed");
    drop((client, idle));
    tokio::time::timeout(PATIENCE, &mut s.serving).await.expect("serve returns").unwrap().unwrap();
    assert!(TcpStream::connect(s.addr).await.is_err(), "nothing listens any more");
}
