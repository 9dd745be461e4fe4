//! Layering of settings: defaults, then the TOML file, then `VIGIL_*` variables and flags
//! (clap has already merged those two).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use uuid::Uuid;
use vigil_server::config::ServerConfig;

use crate::args::{DataDirArg, ServeArgs, ServerArgs};

/// The TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// `[server]`: what `vigil serve` and the data-dir commands use.
    pub server: ServerConfig,
    /// `[agent]`: what `vigil agent` and `vigil replay` use.
    pub agent: AgentFileConfig,
    /// `[bus]`: the NATS JetStream bus of `vigil serve` (off without a `url`).
    pub bus: vigil_bus::BusSettings,
}

/// `[agent]` of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentFileConfig {
    pub server_url: Option<String>,
    pub api_key: Option<String>,
    pub agent_id: Option<Uuid>,
    #[serde(with = "humantime_serde")]
    pub discovery_interval: Option<Duration>,
    #[serde(with = "humantime_serde")]
    pub heartbeat_interval: Option<Duration>,
    pub facts_channel: Option<bool>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid configuration", path.display()))
    }

    pub fn data_dir(&self, arg: &DataDirArg) -> PathBuf {
        arg.data_dir.clone().unwrap_or_else(|| self.server.data_dir.clone())
    }

    pub fn server(&self, args: &ServeArgs) -> anyhow::Result<ServerConfig> {
        let mut c = self.server.clone();
        c.data_dir = self.data_dir(&args.data);
        if let Some(v) = args.listen {
            c.listen = v;
        }
        if let Some(v) = &args.durability {
            c.durability = v.parse().map_err(anyhow::Error::msg)?;
        }
        if let Some(v) = args.max_body_bytes {
            c.max_body_bytes = v;
        }
        if let Some(v) = args.header_read_timeout {
            c.header_read_timeout = v;
        }
        if let Some(v) = args.body_read_timeout {
            c.body_read_timeout = v;
        }
        if let Some(v) = args.idle_timeout {
            c.idle_timeout = v;
        }
        if let Some(v) = args.max_connections {
            c.max_connections = v;
        }
        if let Some(v) = args.max_inflight_discoveries {
            c.max_inflight_discoveries = v;
        }
        if let Some(v) = args.heartbeat_interval {
            c.heartbeat_interval = v;
        }
        if let Some(v) = args.heartbeat_allowed_missed {
            c.heartbeat_allowed_missed = v;
        }
        if let Some(v) = args.heartbeat_tolerance {
            c.heartbeat_tolerance = v;
        }
        if let Some(v) = args.discovery_retention {
            c.discovery_retention = v;
        }
        if let Some(v) = &args.policy_dir {
            c.policy_dir = Some(v.clone());
        }
        if let Some(v) = &args.checks_dir {
            c.checks_dir = Some(v.clone());
        }
        if let Some(v) = args.checks_interval {
            c.checks_interval = v;
        }
        if let Some(v) = args.checks_facts_timeout {
            c.checks_facts_timeout = v;
        }
        if let Some(v) = args.sla_interval {
            c.sla_interval = v;
        }
        if let Some(v) = args.parked_expiry {
            c.parked_expiry = v;
        }
        if let Some(v) = args.deregistration_debounce {
            c.deregistration_debounce = v;
        }
        if let Some(v) = args.read_wait {
            c.read_wait = v;
        }
        if let Some(v) = &args.actions_file {
            c.actions.rules_file = Some(v.clone());
        }
        if let Some(v) = args.default_rules {
            c.actions.default_rules = v;
        }
        if let Some(v) = args.allow_programs {
            c.actions.allow_programs = v;
        }
        if let Some(v) = args.action_lease {
            c.actions.lease = v;
        }
        if let Some(v) = args.action_concurrency {
            c.actions.concurrency = v;
        }
        if let Some(v) = args.stream_max_clients {
            c.stream.max_clients = v;
        }
        if let Some(v) = args.stream_queue {
            c.stream.queue = v;
        }
        if let Some(server) = &args.smtp_server {
            c.smtp.get_or_insert_with(Default::default).server = server.clone();
        }
        let smtp_flags = [
            ("--smtp-port", args.smtp_port.is_some()),
            ("--smtp-username", args.smtp_username.is_some()),
            ("--smtp-password", args.smtp_password.is_some()),
            ("--smtp-sender", args.smtp_sender.is_some()),
            ("--smtp-recipients", args.smtp_recipients.is_some()),
            ("--smtp-tls", args.smtp_tls.is_some()),
        ];
        if c.smtp.is_none()
            && let Some((flag, _)) = smtp_flags.iter().find(|(_, given)| *given)
        {
            // Said, not ignored: an operator who set a password and no server would
            // otherwise believe alert mails are configured.
            anyhow::bail!(
                "{flag} (or its VIGIL_SMTP_* variable) is set but no SMTP server is: \
                 set --smtp-server (VIGIL_SMTP_SERVER, or `server` under [server.smtp])"
            );
        }
        if let Some(smtp) = c.smtp.as_mut() {
            if let Some(v) = args.smtp_port {
                smtp.port = v;
            }
            if let Some(v) = &args.smtp_username {
                smtp.username = Some(v.clone());
            }
            if let Some(v) = &args.smtp_password {
                smtp.password = Some(vigil_reactions::kinds::Secret::new(v.clone()));
            }
            if let Some(v) = &args.smtp_sender {
                smtp.sender = v.clone();
            }
            if let Some(v) = &args.smtp_recipients {
                smtp.recipients = v.clone();
            }
            if let Some(v) = &args.smtp_tls {
                smtp.tls = serde_json::from_value(serde_json::Value::String(v.clone())).map_err(anyhow::Error::msg)?;
            }
        }
        if let Some(v) = args.policy_compile_timeout {
            c.policy_compile_timeout = v;
        }
        if let Some(v) = args.lake {
            c.lake.enabled = v;
        }
        if let Some(v) = &args.lake_dir {
            c.lake.dir = Some(v.clone());
        }
        if let Some(v) = args.lake_roll_bytes {
            c.lake.roll_bytes = v;
        }
        if let Some(v) = args.lake_roll_age {
            c.lake.roll_age = v;
        }
        if let Some(v) = args.analytics {
            c.analytics.enabled = v;
        }
        c.bus = self.bus.clone();
        if let Some(v) = &args.bus {
            c.bus.url = Some(v.clone());
        }
        Ok(c)
    }

    /// The server URL and key an agent-side command uses. Without a key anywhere, the key
    /// file of the local data directory is read (a server on this machine).
    pub fn endpoint(&self, args: &ServerArgs) -> anyhow::Result<(String, String)> {
        let url = args
            .server_url
            .clone()
            .or_else(|| self.agent.server_url.clone())
            .unwrap_or_else(|| "http://127.0.0.1:4000".to_owned());
        let key = match args.api_key.clone().or_else(|| self.agent.api_key.clone()) {
            Some(key) => key,
            None => {
                let file = self.data_dir(&args.data).join("agent-api-key");
                std::fs::read_to_string(&file)
                    .map(|k| k.trim().to_owned())
                    .with_context(|| format!("no --api-key given and cannot read {}", file.display()))?
            }
        };
        Ok((url, key))
    }
}
