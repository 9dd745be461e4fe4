//! Posting a directory of recorded discoveries, as `<agent_id>_<discovery_type>.json` files
//! each holding a whole Trento envelope.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::client::{ClientError, VigilClient};

/// How to replay.
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Post in a random order drawn from this seed instead of file-name order.
    pub shuffle_seed: Option<u64>,
    /// Keep retrying a file while the server is unreachable or failing, up to this long.
    pub retry_for: Duration,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// What became of one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileOutcome {
    /// The file name.
    pub file: String,
    /// HTTP status, or 0 when the server never answered.
    pub http_status: u16,
    /// `applied`, `unchanged`, `discarded`, `not_interpreted`, or `rejected` / `failed`.
    pub status: String,
    /// The server's reason or error message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The `last_position` of a 2xx answer.
    #[serde(skip)]
    pub last_position: Option<u64>,
}

/// A discovery still parked on the server once the replay's wake-ups have run.
#[derive(Clone, Debug, Serialize)]
pub struct StillParked {
    /// The agent.
    pub agent_id: String,
    /// The discovery type.
    pub discovery_type: String,
    /// Why it waits.
    pub reason: String,
}

/// The summary of a replay.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReplaySummary {
    /// Answered 2xx and applied, unchanged or not interpreted.
    pub accepted: usize,
    /// Answered 2xx but refused by a business rule.
    pub discarded: usize,
    /// Answered 4xx: bad input.
    pub rejected: usize,
    /// Never accepted: the server was unreachable or failing past the retry window.
    pub failed: usize,
    /// Every file, in the order posted.
    pub files: Vec<FileOutcome>,
    /// What is still parked once the server has applied everything the replay sent and the
    /// parked discoveries it let through (all of the server's parked discoveries).
    pub parked: Vec<StillParked>,
    /// Why `parked` could not be read, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked_error: Option<String>,
}

/// Why a replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The directory cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The directory holds no `<agent_id>_<discovery_type>.json` file.
    #[error("{0} holds no <agent_id>_<discovery_type>.json files")]
    Empty(PathBuf),
}

/// The discovery files of `dir`, in name order.
pub fn discovery_files(dir: &Path) -> Result<Vec<PathBuf>, ReplayError> {
    let io = |source| ReplayError::Io { path: dir.to_owned(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let is_discovery = name.ends_with("_discovery.json") && name.len() > 36 && name.as_bytes()[36] == b'_';
        if is_discovery && uuid::Uuid::parse_str(&name[..36]).is_ok() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ReplayError::Empty(dir.to_owned()));
    }
    files.sort();
    Ok(files)
}

/// Posts every discovery file of `dir`.
pub async fn replay(client: &VigilClient, dir: &Path, options: &ReplayOptions) -> Result<ReplaySummary, ReplayError> {
    let mut files = discovery_files(dir)?;
    if let Some(seed) = options.shuffle_seed {
        files.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    }
    let bar = if options.progress { ProgressBar::new(files.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut summary = ReplaySummary::default();
    for path in files {
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let outcome = match std::fs::read(&path) {
            Ok(body) => post_with_retry(client, complete_envelope(&file, body), options.retry_for).await,
            Err(e) => FileOutcome {
                file: String::new(),
                http_status: 0,
                status: "failed".into(),
                message: Some(e.to_string()),
                last_position: None,
            },
        };
        let outcome = FileOutcome { file, ..outcome };
        match outcome.status.as_str() {
            "discarded" => summary.discarded += 1,
            "rejected" => summary.rejected += 1,
            "failed" => summary.failed += 1,
            _ => summary.accepted += 1,
        }
        bar.set_message(format!(
            "{} accepted, {} discarded, {} rejected",
            summary.accepted, summary.discarded, summary.rejected
        ));
        bar.inc(1);
        summary.files.push(outcome);
    }
    bar.finish();
    // Read-your-writes: the parked list as of the last position the replay saw, once what
    // that woke has been applied.
    let last_position = summary.files.iter().filter_map(|f| f.last_position).max().unwrap_or(0);
    match still_parked(client, last_position, options.retry_for).await {
        Ok(parked) => summary.parked = parked,
        Err(e) => summary.parked_error = Some(e.to_string()),
    }
    Ok(summary)
}

/// The server's parked discoveries once it has reached `position`, retrying while it answers
/// 503 (not there yet) or is unreachable, up to `retry_for` (at least once more).
async fn still_parked(
    client: &VigilClient,
    position: u64,
    retry_for: Duration,
) -> Result<Vec<StillParked>, ClientError> {
    let started = Instant::now();
    loop {
        match client.parked(position).await {
            Ok(body) => {
                let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or("").to_owned();
                let items = body.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_default();
                return Ok(items
                    .iter()
                    .map(|i| StillParked {
                        agent_id: text(i, "agent_id"),
                        discovery_type: text(i, "discovery_type"),
                        reason: text(i, "reason"),
                    })
                    .collect());
            }
            Err(e) if e.is_transient() && started.elapsed() < retry_for => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Fills a missing `agent_id` or `discovery_type` from the file name, which carries both
/// (one file of the shared corpus has them inside its payload instead). Anything that is not
/// a JSON object is posted as it is, for the server to judge.
fn complete_envelope(file: &str, body: Vec<u8>) -> Vec<u8> {
    let Ok(serde_json::Value::Object(mut envelope)) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    if envelope.contains_key("agent_id") && envelope.contains_key("discovery_type") {
        return body;
    }
    let stem = file.trim_end_matches(".json");
    let (agent_id, discovery_type) = stem.split_at(36.min(stem.len()));
    envelope.entry("agent_id").or_insert_with(|| agent_id.into());
    envelope.entry("discovery_type").or_insert_with(|| discovery_type.trim_start_matches('_').into());
    serde_json::to_vec(&envelope).unwrap_or(body)
}

async fn post_with_retry(client: &VigilClient, body: Vec<u8>, retry_for: Duration) -> FileOutcome {
    let started = Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        let error = match client.collect_raw(body.clone()).await {
            Ok(reply) if reply.status.is_success() => {
                let status = reply.body.get("status").and_then(|s| s.as_str()).unwrap_or("applied").to_owned();
                let message = reply.body.get("reason").and_then(|s| s.as_str()).map(str::to_owned);
                let last_position = reply.body.get("last_position").and_then(|p| p.as_u64());
                return FileOutcome {
                    file: String::new(),
                    http_status: reply.status.as_u16(),
                    status,
                    message,
                    last_position,
                };
            }
            Ok(reply) => reply.into_error(),
            Err(e) => e,
        };
        if !error.is_transient() || started.elapsed() >= retry_for {
            let (http_status, status) = match &error {
                ClientError::Status { status, .. } if status.is_client_error() => (status.as_u16(), "rejected"),
                ClientError::Status { status, .. } => (status.as_u16(), "failed"),
                ClientError::Unreachable(_) => (0, "failed"),
            };
            return FileOutcome {
                file: String::new(),
                http_status,
                status: status.into(),
                message: Some(error.to_string()),
                last_position: None,
            };
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_envelope_field_comes_from_the_file_name() {
        let file = "fa7a5602-232b-5389-96a6-f5f5de6ff9a2_saptune_discovery.json";
        let completed = complete_envelope(file, br#"{"payload": {"x": 1}}"#.to_vec());
        let value: serde_json::Value = serde_json::from_slice(&completed).unwrap();
        assert_eq!(value["agent_id"], "fa7a5602-232b-5389-96a6-f5f5de6ff9a2");
        assert_eq!(value["discovery_type"], "saptune_discovery");
        assert_eq!(value["payload"]["x"], 1);
        let whole = br#"{"agent_id": "a", "discovery_type": "b", "payload": null}"#.to_vec();
        assert_eq!(complete_envelope(file, whole.clone()), whole, "a complete envelope is posted as it is");
        assert_eq!(complete_envelope(file, b"[1]".to_vec()), b"[1]".to_vec());
    }
}
