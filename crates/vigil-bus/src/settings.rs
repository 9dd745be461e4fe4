//! `[bus]`: where the NATS server is and how the stream and the command subjects are set up.

use std::time::Duration;

use serde::Deserialize;

/// What `vigil serve` is told about the bus. Without a `url` there is no bus: the embedded
/// shape needs no NATS.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct BusSettings {
    /// The NATS server (`nats://host:4222`, credentials in the URL if any); none: no bus.
    pub url: Option<String>,
    /// The JetStream stream the relay publishes into.
    pub stream: String,
    /// The first subject token: events go to `<prefix>.<topic>.<type>`; the stream captures
    /// `<prefix>.>`.
    pub subject_prefix: String,
    /// How long the stream keeps a message; zero keeps every message (limits retention
    /// with no age limit, as the event store keeps every event).
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop a second publish of it.
    #[serde(with = "humantime_serde")]
    pub duplicate_window: Duration,
    /// Publishes awaiting their acknowledgement at once.
    pub max_in_flight: usize,
    /// How long a publish acknowledgement or a JetStream API request may take.
    #[serde(with = "humantime_serde")]
    pub ack_timeout: Duration,
    /// How long connecting to the server may take, each attempt.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Whether commands are taken over request/reply on `<commands_subject>.<command>`.
    pub commands: bool,
    /// The subject prefix of the commands. Outside `<subject_prefix>.>` on purpose: a
    /// request on a subject the stream captures would be stored and answered by JetStream.
    pub commands_subject: String,
    /// Commands handled at once; past it a request is answered 503 at once.
    pub max_inflight_commands: usize,
    /// How long one command may take before it is answered 503.
    #[serde(with = "humantime_serde")]
    pub command_timeout: Duration,
    /// Largest command body accepted.
    pub max_command_bytes: usize,
}

impl Default for BusSettings {
    fn default() -> Self {
        BusSettings {
            url: None,
            stream: "VIGIL_EVENTS".into(),
            subject_prefix: "vigil".into(),
            max_age: Duration::ZERO,
            duplicate_window: Duration::from_secs(120),
            max_in_flight: 256,
            ack_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            commands: true,
            commands_subject: "vigil-commands".into(),
            max_inflight_commands: 64,
            command_timeout: Duration::from_secs(30),
            max_command_bytes: 1024 * 1024,
        }
    }
}

impl BusSettings {
    /// Refuses settings the server would refuse later, or that cannot work, with the name of
    /// the setting.
    pub fn check(&self) -> Result<(), String> {
        let Some(url) = &self.url else { return Ok(()) };
        if url.trim().is_empty() {
            return Err("bus.url is empty".into());
        }
        let token = |name: &str, value: &str| {
            let ok = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if ok { Ok(()) } else { Err(format!("bus.{name} `{value}`: letters, digits, `-` and `_` only")) }
        };
        token("stream", &self.stream)?;
        token("subject_prefix", &self.subject_prefix)?;
        token("commands_subject", &self.commands_subject)?;
        if self.commands_subject == self.subject_prefix {
            return Err("bus.commands_subject must differ from bus.subject_prefix (the stream captures it)".into());
        }
        if self.max_in_flight == 0 || self.max_in_flight > 65_536 {
            return Err("bus.max_in_flight must be between 1 and 65536".into());
        }
        if self.max_inflight_commands == 0 || self.max_inflight_commands > 65_536 {
            return Err("bus.max_inflight_commands must be between 1 and 65536".into());
        }
        if self.duplicate_window.is_zero() {
            return Err("bus.duplicate_window must be longer than zero".into());
        }
        if !self.max_age.is_zero() && self.duplicate_window > self.max_age {
            return Err("bus.duplicate_window must not be longer than bus.max_age".into());
        }
        for (name, t) in [
            ("ack_timeout", self.ack_timeout),
            ("connect_timeout", self.connect_timeout),
            ("command_timeout", self.command_timeout),
        ] {
            if t.is_zero() {
                return Err(format!("bus.{name} must be longer than zero"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_is_no_bus_and_always_valid() {
        assert_eq!(BusSettings::default().url, None);
        assert!(BusSettings { max_in_flight: 0, ..Default::default() }.check().is_ok());
    }

    #[test]
    fn settings_that_cannot_work_are_refused_by_name() {
        let on = BusSettings { url: Some("nats://127.0.0.1:4222".into()), ..Default::default() };
        assert!(on.check().is_ok());
        let refused = |s: BusSettings| s.check().unwrap_err();
        assert!(refused(BusSettings { stream: "A.B".into(), ..on.clone() }).contains("bus.stream"));
        assert!(refused(BusSettings { commands_subject: "vigil".into(), ..on.clone() }).contains("commands_subject"));
        assert!(refused(BusSettings { max_in_flight: 0, ..on.clone() }).contains("max_in_flight"));
        let short = BusSettings { max_age: Duration::from_secs(60), ..on.clone() };
        assert!(refused(short).contains("duplicate_window"));
        assert!(refused(BusSettings { ack_timeout: Duration::ZERO, ..on }).contains("ack_timeout"));
    }

    #[test]
    fn keys_read_as_documented_with_humantime_durations() {
        let s: BusSettings = from_json(r#"{"url":"nats://x:1","max_age":"7d","duplicate_window":"5m"}"#);
        assert_eq!(s.max_age, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(s.duplicate_window, Duration::from_secs(300));
        assert!(serde_json::from_str::<BusSettings>(r#"{"nope":1}"#).is_err());
    }

    fn from_json(json: &str) -> BusSettings {
        serde_json::from_str(json).expect("valid settings")
    }
}
