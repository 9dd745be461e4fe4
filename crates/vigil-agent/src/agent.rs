//! The agent's loops: host discovery every `discovery_interval`, heartbeat every
//! `heartbeat_interval`, and, when enabled, the facts channel. When the server is unreachable or failing, each loop backs off
//! exponentially (up to a minute) and keeps going; a refusal (401, 422) is logged and the
//! loop carries on at its normal pace.

use std::time::Duration;

use tokio::sync::watch;
use uuid::Uuid;

use crate::client::{ClientError, VigilClient};
use crate::machine;

/// Settings of the agent.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Vigil's base URL.
    pub server_url: String,
    /// The agent key (`vigil keys show`).
    pub api_key: String,
    /// The id to report as; Trento's derivation from `/etc/machine-id` by default.
    pub agent_id: Uuid,
    /// Period of host discoveries (Trento: 10 s).
    pub discovery_interval: Duration,
    /// Period of heartbeats (Trento: 5 s).
    pub heartbeat_interval: Duration,
    /// Whether to keep the facts channel open ([`crate::facts::channel`]).
    pub facts_channel: bool,
    /// Where the facts come from (this machine by default).
    pub facts_sources: crate::facts::Sources,
    /// Whether to send host discoveries and heartbeats; off, the agent only answers facts
    /// (a machine whose discoveries come from elsewhere, such as a replayed scenario).
    pub discovery: bool,
}

/// Runs until `shutdown` turns true.
pub async fn run(config: AgentConfig, shutdown: watch::Receiver<bool>) -> Result<(), ClientError> {
    let client = VigilClient::new(&config.server_url, &config.api_key)?;
    let agent_id = config.agent_id;
    let facts = {
        let (enabled, server_url, api_key) = (config.facts_channel, config.server_url.clone(), config.api_key.clone());
        let shutdown = shutdown.clone();
        let sources = config.facts_sources.clone();
        async move {
            if enabled {
                crate::facts::channel::run(server_url, api_key, agent_id, sources, shutdown).await;
            }
        }
    };
    // A heartbeat names a host the server knows only after its first host discovery, so
    // heartbeats start once one was accepted, as a Trento agent's first heartbeat would
    // otherwise race its registration and be refused.
    let (registered_tx, mut registered) = watch::channel(false);
    let discoveries = {
        let client = client.clone();
        every(config.discovery_interval, shutdown.clone(), "host discovery", move || {
            let client = client.clone();
            let registered_tx = registered_tx.clone();
            async move {
                let payload = tokio::task::spawn_blocking(machine::discover)
                    .await
                    .map_err(|e| ClientError::Unreachable(e.to_string()))?;
                client.collect(agent_id, "host_discovery", &payload).await?.ok()?;
                registered_tx.send_replace(true);
                Ok(())
            }
        })
    };
    let heartbeats = {
        let mut shutdown = shutdown.clone();
        async move {
            tokio::select! {
                _ = registered.wait_for(|r| *r) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            every(config.heartbeat_interval, shutdown, "heartbeat", move || {
                let client = client.clone();
                async move { client.heartbeat(agent_id).await }
            })
            .await
        }
    };
    if config.discovery {
        tokio::join!(discoveries, heartbeats, facts);
    } else {
        facts.await;
    }
    Ok(())
}

async fn every<F, Fut>(period: Duration, mut shutdown: watch::Receiver<bool>, what: &'static str, mut task: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ClientError>>,
{
    let mut backoff = Duration::ZERO;
    loop {
        let wait = match task().await {
            Ok(()) => {
                backoff = Duration::ZERO;
                period
            }
            Err(e) if e.is_transient() => {
                backoff = (backoff * 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
                tracing::warn!(error = %e, retry_in = ?backoff, "{what} failed; backing off");
                backoff
            }
            // The server forgot the host (it was deregistered): the next host discovery
            // registers it again, so this is worth a warning, not an error.
            Err(e) if e.is_unknown_host() => {
                tracing::warn!(error = %e, "{what} was refused: the server does not know this host; the next host discovery registers it");
                period
            }
            Err(e) => {
                tracing::error!(error = %e, "{what} was refused");
                period
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}
