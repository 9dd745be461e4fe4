//! The simulated fleet: the corpus's landscapes copied as often as the agent count needs,
//! each copy with its own agent ids, hostnames, IPv4 addresses and Trento ids, so that the
//! server sees distinct hosts with their own clusters, databases and SAP systems, and an
//! application server still finds its database by address.
//!
//! A discovery is compiled once into a [`Template`]: literal text between the places where a
//! copy's identity goes, and one place where a changed snapshot differs. Rendering a body is
//! then a concatenation, cheap enough to do for every request.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// One recorded discovery of the corpus: scenario, agent id, type, compact JSON.
type CorpusFile = (&'static str, &'static str, &'static str, &'static str);

macro_rules! corpus {
    ($($scenario:literal / $agent:literal : [$($ty:literal),*]),* $(,)?) => {
        &[$($(( $scenario, $agent, $ty,
            include_str!(concat!("corpus/", $scenario, "/", $agent, "_", $ty, ".json")) ),)*)*]
    };
}

const CORPUS: &[CorpusFile] = corpus![
    "hana-scale-up-angi" / "851a4dd3-9693-44c3-a40b-b32d22872e74":
        ["host_discovery", "ha_cluster_discovery", "sap_system_discovery", "cloud_discovery", "saptune_discovery", "subscription_discovery"],
    "hana-scale-up-angi" / "4b67842f-ccf7-46a4-a344-9e918648b117":
        ["host_discovery", "ha_cluster_discovery", "sap_system_discovery", "cloud_discovery", "saptune_discovery", "subscription_discovery"],
    "single-hana-single-app" / "c4914bd4-efa3-553a-9a52-e9b562e210e5":
        ["host_discovery", "sap_system_discovery", "cloud_discovery", "subscription_discovery"],
    "single-hana-single-app" / "e77ab524-c4e4-5381-bb59-5af8639d52a4":
        ["host_discovery", "sap_system_discovery", "cloud_discovery", "subscription_discovery"],
];

/// How often Trento's agent sends each discovery type.
pub fn period(discovery_type: &str) -> Duration {
    match discovery_type {
        "saptune_discovery" | "subscription_discovery" => Duration::from_secs(900),
        _ => Duration::from_secs(10),
    }
}

/// Trento's agent heartbeat period.
pub const HEARTBEAT_PERIOD: Duration = Duration::from_secs(5);

/// Where a changed snapshot differs from the last one, by type: the host's memory (a
/// `HostDetailsUpdated`, visible in the hosts read model) and the cluster's last CIB change
/// (a new payload the detector evaluates in full). Other types only change when their
/// landscape copy is new.
fn change_point(discovery_type: &str) -> Option<(&'static str, ChangeKind)> {
    match discovery_type {
        "host_discovery" => Some(("/payload/total_memory_mb", ChangeKind::Counter)),
        "ha_cluster_discovery" => Some(("/payload/Crmmon/Summary/LastChange/Time", ChangeKind::CrmTime)),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug)]
enum ChangeKind {
    /// The original number plus the number of changes so far.
    Counter,
    /// A `crm_mon` time stamp of the change.
    CrmTime,
}

/// Stands for the change point while a template is compiled.
const CHANGE_MARK: &str = "\"__vigil_loadgen_change__\"";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TokenKind {
    AgentId,
    Hostname,
    Ipv4,
    TrentoId,
}

#[derive(Debug)]
enum Segment {
    Text(String),
    /// Index into the scenario's tokens.
    Token(usize),
    Change {
        kind: ChangeKind,
        original: Value,
    },
}

/// A discovery with holes for a copy's identity.
#[derive(Debug)]
pub struct Template {
    pub discovery_type: &'static str,
    segments: Vec<Segment>,
    pub changes: bool,
}

/// An agent of the corpus, with its discoveries as templates.
#[derive(Debug)]
pub struct TemplateAgent {
    /// Index of its scenario in [`Corpus::scenarios`].
    scenario: usize,
    agent_token: usize,
    /// Host discovery first: the others need the host.
    pub templates: Vec<Template>,
}

/// The identity tokens of one scenario: what differs between its copies.
#[derive(Debug)]
struct Scenario {
    name: &'static str,
    tokens: Vec<(TokenKind, String)>,
}

/// The compiled corpus.
#[derive(Debug)]
pub struct Corpus {
    scenarios: Vec<Scenario>,
    agents: Vec<TemplateAgent>,
}

/// One simulated agent: a template agent in landscape copy `copy`.
#[derive(Clone, Copy, Debug)]
pub struct FleetAgent {
    pub template: usize,
    pub copy: u32,
}

impl Corpus {
    /// Compiles the embedded corpus.
    pub fn embedded() -> anyhow::Result<Corpus> {
        let mut names: Vec<&'static str> = CORPUS.iter().map(|f| f.0).collect();
        names.dedup();
        let mut scenarios = Vec::new();
        for name in &names {
            let files: Vec<&CorpusFile> = CORPUS.iter().filter(|f| f.0 == *name).collect();
            scenarios.push(Scenario { name, tokens: identity_tokens(&files)? });
        }
        let mut agents: Vec<TemplateAgent> = Vec::new();
        for (scenario_index, scenario) in scenarios.iter().enumerate() {
            let mut agent_ids: Vec<&str> = CORPUS.iter().filter(|f| f.0 == scenario.name).map(|f| f.1).collect();
            agent_ids.dedup();
            for agent_id in agent_ids {
                let mut templates = Vec::new();
                for file in CORPUS.iter().filter(|f| f.0 == scenario.name && f.1 == agent_id) {
                    templates.push(compile(file.2, file.3, &scenario.tokens)?);
                }
                let agent_token = scenario
                    .tokens
                    .iter()
                    .position(|t| t == &(TokenKind::AgentId, agent_id.to_owned()))
                    .ok_or_else(|| anyhow::anyhow!("agent {agent_id} has no token"))?;
                agents.push(TemplateAgent { scenario: scenario_index, agent_token, templates });
            }
        }
        Ok(Corpus { scenarios, agents })
    }

    /// `n` agents: whole landscape copies, the scenarios taking turns, the last copy
    /// possibly partial.
    pub fn fleet(&self, n: usize) -> Vec<FleetAgent> {
        let mut fleet = Vec::with_capacity(n);
        let mut copy = 0u32;
        while fleet.len() < n {
            let scenario = copy as usize % self.scenarios.len();
            for (template, agent) in self.agents.iter().enumerate() {
                if agent.scenario == scenario && fleet.len() < n {
                    fleet.push(FleetAgent { template, copy });
                }
            }
            copy += 1;
        }
        fleet
    }

    pub fn agent(&self, agent: FleetAgent) -> &TemplateAgent {
        &self.agents[agent.template]
    }

    /// The simulated agent's id.
    pub fn agent_id(&self, agent: FleetAgent) -> Uuid {
        let template = &self.agents[agent.template];
        let (_, original) = &self.scenarios[template.scenario].tokens[template.agent_token];
        copy_uuid(agent.copy, original)
    }

    /// The body the agent sends for `template`, after `changes` changed snapshots of it.
    pub fn render(&self, agent: FleetAgent, template: &Template, changes: u64) -> String {
        let scenario = &self.scenarios[self.agents[agent.template].scenario];
        let mut body = String::with_capacity(template.segments.iter().map(Segment::len_hint).sum());
        for segment in &template.segments {
            match segment {
                Segment::Text(text) => body.push_str(text),
                Segment::Token(i) => {
                    let (kind, original) = &scenario.tokens[*i];
                    body.push_str(&token_value(*kind, original, agent.copy, *i));
                }
                Segment::Change { kind, original } => body.push_str(&changed_value(*kind, original, changes)),
            }
        }
        body
    }

    /// The host's memory as the read model shows it after `changes` changed host discoveries.
    pub fn memory_after(&self, agent: FleetAgent, changes: u64) -> Option<u64> {
        let template = self.agents[agent.template].templates.iter().find(|t| t.discovery_type == "host_discovery")?;
        template.segments.iter().find_map(|s| match s {
            Segment::Change { original, .. } => original.as_u64().map(|m| m + changes),
            _ => None,
        })
    }
}

impl Segment {
    fn len_hint(&self) -> usize {
        match self {
            Segment::Text(t) => t.len(),
            _ => 40,
        }
    }
}

/// The tokens that make a copy distinct: agent ids, hostnames and non-loopback IPv4
/// addresses (from the host discoveries), and Trento's 32-hex ids of clusters and systems.
fn identity_tokens(files: &[&CorpusFile]) -> anyhow::Result<Vec<(TokenKind, String)>> {
    let mut tokens = BTreeSet::new();
    for (_, agent_id, ty, text) in files {
        tokens.insert((TokenKind::AgentId, (*agent_id).to_owned()));
        let json: Value = serde_json::from_str(text)?;
        if *ty == "host_discovery" {
            let payload = &json["payload"];
            for field in ["hostname", "fully_qualified_domain_name"] {
                if let Some(name) = payload[field].as_str().filter(|n| !n.is_empty()) {
                    tokens.insert((TokenKind::Hostname, name.to_owned()));
                }
            }
            for address in payload["ip_addresses"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                let address = address.split('/').next().unwrap_or(address);
                if address.parse::<std::net::Ipv4Addr>().is_ok_and(|a| !a.is_loopback()) {
                    tokens.insert((TokenKind::Ipv4, address.to_owned()));
                }
            }
        }
        for (start, _) in text.match_indices('"') {
            let rest = &text[start + 1..];
            if rest.len() > 32 && rest.as_bytes()[32] == b'"' && rest[..32].bytes().all(|b| b.is_ascii_hexdigit()) {
                tokens.insert((TokenKind::TrentoId, rest[..32].to_owned()));
            }
        }
    }
    Ok(tokens.into_iter().collect())
}

/// Splits one discovery into literal text, identity tokens and its change point.
fn compile(discovery_type: &'static str, text: &str, tokens: &[(TokenKind, String)]) -> anyhow::Result<Template> {
    let mut json: Value = serde_json::from_str(text)?;
    let mut change = None;
    if let Some((pointer, kind)) = change_point(discovery_type)
        && let Some(slot) = json.pointer_mut(pointer)
    {
        change = Some((kind, std::mem::replace(slot, Value::Null)));
        *slot = Value::String(CHANGE_MARK.trim_matches('"').into());
    }
    let text = serde_json::to_string(&json)?;
    // Every occurrence of every token (longest first where two start at the same place),
    // at boundaries for addresses and ids so that 10.0.1.1 is not found inside 10.0.1.10.
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (i, (kind, token)) in tokens.iter().enumerate() {
        for (at, _) in text.match_indices(token.as_str()) {
            let end = at + token.len();
            let bounded = |c: Option<char>| match kind {
                TokenKind::Ipv4 => !c.is_some_and(|c| c.is_ascii_digit() || c == '.'),
                TokenKind::TrentoId => !c.is_some_and(|c| c.is_ascii_hexdigit()),
                TokenKind::AgentId | TokenKind::Hostname => true,
            };
            if bounded(text[..at].chars().next_back()) && bounded(text[end..].chars().next()) {
                found.push((at, end, i));
            }
        }
    }
    for (at, _) in text.match_indices(CHANGE_MARK) {
        found.push((at, at + CHANGE_MARK.len(), usize::MAX));
    }
    found.sort_by_key(|&(at, end, _)| (at, std::cmp::Reverse(end)));
    let mut segments = Vec::new();
    let mut cursor = 0;
    for (at, end, i) in found {
        if at < cursor {
            continue;
        }
        segments.push(Segment::Text(text[cursor..at].to_owned()));
        segments.push(match (i, &change) {
            (usize::MAX, Some((kind, original))) => Segment::Change { kind: *kind, original: original.clone() },
            (usize::MAX, None) => anyhow::bail!("a change mark without a change point"),
            (i, _) => Segment::Token(i),
        });
        cursor = end;
    }
    segments.push(Segment::Text(text[cursor..].to_owned()));
    Ok(Template { discovery_type, segments, changes: change.is_some() })
}

/// A copy's value of a token. Copy 0 keeps nothing of the original either, so that a fleet
/// never collides with the corpus itself.
fn token_value(kind: TokenKind, original: &str, copy: u32, index: usize) -> String {
    match kind {
        TokenKind::AgentId => copy_uuid(copy, original).to_string(),
        TokenKind::Hostname => format!("{original}-c{copy}"),
        // 10.<copy, 16 bits>.<token index>: unique per copy and token for 65,536 copies.
        TokenKind::Ipv4 => format!("10.{}.{}.{}", (copy >> 8) & 0xff, copy & 0xff, (index % 250) + 1),
        TokenKind::TrentoId => {
            let digest = Sha256::digest(format!("{copy}/{original}").as_bytes());
            hex::encode(&digest[..16])
        }
    }
}

fn copy_uuid(copy: u32, original: &str) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6c6f_6164_6765_6e00_8000_0000_0000_0000);
    Uuid::new_v5(&NAMESPACE, format!("{copy}/{original}").as_bytes())
}

fn changed_value(kind: ChangeKind, original: &Value, changes: u64) -> String {
    match kind {
        ChangeKind::Counter => (original.as_u64().unwrap_or(0) + changes).to_string(),
        ChangeKind::CrmTime if changes == 0 => original.to_string(),
        ChangeKind::CrmTime => {
            let at = chrono::Utc::now() + chrono::Duration::seconds(changes as i64);
            Value::String(at.format("%a %b %e %H:%M:%S %Y").to_string()).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_copy_is_valid_json_with_its_own_identity() {
        let corpus = Corpus::embedded().unwrap();
        let fleet = corpus.fleet(10);
        assert_eq!(fleet.len(), 10);
        let mut agent_ids = BTreeSet::new();
        let mut hostnames = BTreeSet::new();
        let mut addresses = BTreeSet::new();
        for agent in &fleet {
            let id = corpus.agent_id(*agent);
            assert!(agent_ids.insert(id), "agent ids are unique");
            for template in &corpus.agent(*agent).templates {
                let body: Value = serde_json::from_str(&corpus.render(*agent, template, 0)).unwrap();
                assert_eq!(body["agent_id"], id.to_string());
                assert_eq!(body["discovery_type"], template.discovery_type);
                if template.discovery_type == "host_discovery" {
                    let payload = &body["payload"];
                    assert!(hostnames.insert(payload["hostname"].as_str().unwrap().to_owned()), "hostnames are unique");
                    for address in payload["ip_addresses"].as_array().unwrap() {
                        let address = address.as_str().unwrap();
                        let ipv4 = address.parse::<std::net::Ipv4Addr>().is_ok_and(|a| !a.is_loopback());
                        assert!(!ipv4 || addresses.insert(address.to_owned()), "{address} is used once");
                    }
                }
            }
        }
    }

    #[test]
    fn an_application_server_points_at_its_own_copy_of_the_database_host() {
        let corpus = Corpus::embedded().unwrap();
        let fleet = corpus.fleet(8);
        // Copy 1 is single-hana-single-app: its app server's DBAddress is its HANA host's address.
        let copy: Vec<&FleetAgent> = fleet.iter().filter(|a| a.copy == 1).collect();
        let render = |a: &FleetAgent, ty: &str| -> Value {
            let t = corpus.agent(*a).templates.iter().find(|t| t.discovery_type == ty).unwrap();
            serde_json::from_str(&corpus.render(*a, t, 0)).unwrap()
        };
        let addresses: Vec<String> = copy
            .iter()
            .flat_map(|a| {
                render(a, "host_discovery")["payload"]["ip_addresses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect();
        let db_addresses: Vec<String> = copy
            .iter()
            .map(|a| render(a, "sap_system_discovery").to_string())
            .filter_map(|s| Some(s.split("\"DBAddress\":\"").nth(1)?.split('"').next()?.to_owned()))
            .filter(|a| !a.is_empty())
            .collect();
        assert_eq!(db_addresses.len(), 1, "one application server");
        let db_address = &db_addresses[0];
        assert_ne!(db_address, "10.0.1.10", "rewritten");
        assert!(addresses.contains(db_address), "{db_address} is one of the copy's hosts: {addresses:?}");
    }

    #[test]
    fn a_changed_host_snapshot_differs_only_in_memory() {
        let corpus = Corpus::embedded().unwrap();
        let agent = corpus.fleet(1)[0];
        let host = corpus.agent(agent).templates.iter().find(|t| t.discovery_type == "host_discovery").unwrap();
        let (before, after) = (corpus.render(agent, host, 0), corpus.render(agent, host, 3));
        assert_ne!(before, after);
        let after: Value = serde_json::from_str(&after).unwrap();
        assert_eq!(after["payload"]["total_memory_mb"].as_u64(), corpus.memory_after(agent, 3));
        assert_eq!(corpus.memory_after(agent, 3).unwrap(), corpus.memory_after(agent, 0).unwrap() + 3);
    }
}
