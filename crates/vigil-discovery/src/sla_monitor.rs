//! The SLA timer: evaluates `data.vigil.sla` over the read models every `sla_interval` and
//! reports what it finds through the gate, so that violations and their end become
//! `SlaViolated` / `SlaRestored` events (the policy crate's `SlaMonitor` decides which).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;
use vigil_kernel::envelope::EventMetadata;
use vigil_policy::sla::SlaCommand;

use crate::heartbeats::Heartbeats;
use vigil_gate::decisions::DecisionLog;
use vigil_gate::gate::{CommandGate, GateCommand, Via};
use vigil_gate::policies::Policies;
use vigil_gate::principal;
use vigil_readmodel::hosts::HostViews;

/// What the SLA timer reads and where it reports.
pub struct SlaMonitorTask {
    /// The policies in force.
    pub policies: Arc<Policies>,
    /// Where the report goes.
    pub gate: Arc<CommandGate>,
    /// Where each evaluation's decision record goes.
    pub decisions: DecisionLog,
    /// The hosts read model.
    pub hosts: HostViews,
    /// Heartbeat timestamps.
    pub heartbeats: Arc<Heartbeats>,
    /// How often to evaluate.
    pub interval: Duration,
}

impl SlaMonitorTask {
    /// Evaluates until `shutdown`. A report is sent when the set of violations differs from
    /// the last one sent (and once at start), so a quiet landscape costs no commands.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let principal = principal::system("sla-monitor");
        let mut ticker = tokio::time::interval(self.interval.max(Duration::from_millis(10)));
        let mut last_sent: Option<BTreeSet<String>> = None;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => return,
            }
            match self.evaluate(&principal, &mut last_sent).await {
                Ok(()) => {}
                Err(error) => tracing::warn!(%error, "SLA evaluation failed; will retry"),
            }
        }
    }

    async fn evaluate(
        &self,
        principal: &principal::Principal,
        last_sent: &mut Option<BTreeSet<String>>,
    ) -> Result<(), String> {
        let now = chrono::Utc::now();
        let input = self.input(now).await?;
        let report = self.policies.repository().current().check_sla(&input).map_err(|e| e.to_string())?;
        self.decisions.record(principal, &report.decision).await.map_err(|e| e.to_string())?;
        let ids: BTreeSet<String> = report.violations.iter().map(|v| v.id.clone()).collect();
        if last_sent.as_ref() == Some(&ids) {
            return Ok(());
        }
        let meta = EventMetadata {
            time: now,
            source: "/vigil/sla".into(),
            correlation_id: Some(uuid::Uuid::now_v7()),
            causation_id: Some(report.decision.decision_id),
        };
        let command = SlaCommand::ReportSlaViolations { violations: report.violations, at: now };
        self.gate.submit(principal, GateCommand::Sla(command), Via::Direct, &meta).await.map_err(|e| e.to_string())?;
        *last_sent = Some(ids);
        Ok(())
    }

    /// The SLA input document: `{"now": RFC 3339, "hosts": [{id, hostname, heartbeat,
    /// last_heartbeat_timestamp, health, stale_at, cluster_id, tags}]}`.
    async fn input(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Value, String> {
        let hosts: Vec<Value> = self
            .hosts
            .statuses()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|host| {
                let last = host.id.parse().ok().and_then(|id| self.heartbeats.last_heartbeat(id));
                json!({
                    "id": host.id,
                    "hostname": host.hostname,
                    "heartbeat": host.heartbeat,
                    "last_heartbeat_timestamp": last.map(|t| t.to_rfc3339()),
                    "health": host.health,
                    "stale_at": host.stale_at,
                    "cluster_id": host.cluster_id,
                    "tags": host.tags,
                })
            })
            .collect();
        Ok(json!({ "now": now.to_rfc3339(), "hosts": hosts }))
    }
}
