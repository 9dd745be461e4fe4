//! The head of other nodes' commits: `LISTEN` on the schema's channel (each batch notifies
//! in its own transaction, so the notice comes once its events are visible), and a slow
//! poll of `event_head` for notices missed while the listening connection was down.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

/// The notification channel of a schema's commits (schema names are plain and short, see
/// `check_schema_name`, so this stays a valid identifier under 63 bytes).
pub(super) fn channel(schema: &str) -> String {
    format!("vigil_head_{schema}")
}

/// Raises the head to `position` if that is higher.
fn raise(head: &watch::Sender<u64>, position: u64) {
    head.send_if_modified(|h| {
        let moved = position > *h;
        if moved {
            *h = position;
        }
        moved
    });
}

/// Follows the head until `stopped` closes (the store was dropped).
pub(super) async fn follow(
    config: tokio_postgres::Config,
    pool: Pool,
    head: Arc<watch::Sender<u64>>,
    channel: String,
    poll: Duration,
    mut stopped: watch::Receiver<()>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let started = tokio::time::Instant::now();
        let listened = tokio::select! {
            outcome = listen(&config, &pool, &head, &channel, poll) => outcome,
            _ = stopped.changed() => return,
        };
        if let Err(error) = listened {
            tracing::warn!(%error, "listening for other nodes' commits failed; retrying (the head is polled meanwhile)");
        }
        if started.elapsed() > Duration::from_secs(30) {
            // It had been listening a while: a new failure, not the same one again.
            backoff = Duration::from_millis(100);
        }
        // While the listener is down, the poll alone moves the head.
        let deadline = tokio::time::Instant::now() + backoff;
        while tokio::time::Instant::now() < deadline {
            tokio::select! {
                _ = tokio::time::sleep(poll.min(backoff)) => poll_head(&pool, &head).await,
                _ = stopped.changed() => return,
            }
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

/// One listening connection, until it fails.
async fn listen(
    config: &tokio_postgres::Config,
    pool: &Pool,
    head: &watch::Sender<u64>,
    channel: &str,
    poll: Duration,
) -> Result<(), String> {
    let (client, mut connection) = config.connect(NoTls).await.map_err(|e| super::describe(&e))?;
    let (notices, mut received) = mpsc::unbounded_channel();
    // The connection yields the notifications; the client is only used to LISTEN.
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if notices.send(n.payload().parse::<u64>().ok()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!(error = super::describe(&e), "the listening connection failed");
                    return;
                }
                None => return,
            }
        }
    });
    let _stop_driver = AbortOnDrop(driver);
    client.batch_execute(&format!("LISTEN \"{channel}\"")).await.map_err(|e| super::describe(&e))?;
    // Commits between the store's start (or the last connection) and the LISTEN.
    poll_head(pool, head).await;
    let mut ticks = tokio::time::interval(poll);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            notice = received.recv() => match notice {
                Some(Some(position)) => raise(head, position),
                Some(None) => poll_head(pool, head).await,
                None => return Err("the listening connection closed".into()),
            },
            _ = ticks.tick() => poll_head(pool, head).await,
        }
    }
}

async fn poll_head(pool: &Pool, head: &watch::Sender<u64>) {
    let read = async {
        let client = pool.get().await.map_err(|e| e.to_string())?;
        let row = client.query_one("SELECT head FROM event_head", &[]).await.map_err(|e| super::describe(&e))?;
        row.try_get::<_, i64>(0).map_err(|e| super::describe(&e))
    };
    match read.await {
        Ok(position) => raise(head, position as u64),
        Err(error) => tracing::debug!(%error, "polling the head failed"),
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
