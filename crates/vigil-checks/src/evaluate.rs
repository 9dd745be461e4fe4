//! Evaluating the applicable checks of one target, and its worst-of health.
//!
//! A check without facts reads the target's document and is evaluated once. A check with
//! facts is evaluated once per host of the target, on that host's answers: a fact is a
//! property of one machine (its corosync.conf, its packages), and one node configured
//! differently from the other is exactly what such a check exists to find. The check's
//! result is the worst of its hosts'.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use vigil_policy::RegoInput;

use crate::catalog::{Catalog, Check};
use crate::check::{CheckResult, Health, HostResult, Status, TargetType};
use crate::facts::{FactOutcome, FactRequest, HostFacts};
use crate::input::CheckInput;

/// Which checks to run on a target and its customised values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// The selected check ids; `None`: every applicable check.
    #[serde(default)]
    pub checks: Option<Vec<String>>,
    /// Check id → value name → value, over the check's defaults.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, Value>>,
}

/// The results of one target's evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// `cluster` or `host`.
    pub target_type: TargetType,
    /// The cluster's or host's id.
    pub target_id: String,
    /// Worst of the results.
    pub health: Health,
    /// One per check run, in id order.
    pub results: Vec<CheckResult>,
}

impl Catalog {
    /// The checks that apply to `input`'s target (type, cluster type, provider), by id.
    pub fn applicable<'a>(&'a self, input: &'a CheckInput) -> impl Iterator<Item = &'a std::sync::Arc<Check>> + 'a {
        let target = &input.target;
        self.checks().filter(move |check| {
            check.metadata().applies_to(target.target_type, target.cluster_type.as_deref(), &target.provider)
        })
    }

    /// The applicable checks `selection` keeps. A selected id the catalog does not hold, or
    /// that does not apply, is left out: selection narrows, it never forces a check onto a
    /// target it was not written for.
    fn selected<'a>(
        &'a self,
        input: &'a CheckInput,
        selection: &'a Selection,
    ) -> impl Iterator<Item = &'a std::sync::Arc<Check>> + 'a {
        self.applicable(input)
            .filter(move |check| selection.checks.as_ref().is_none_or(|ids| ids.contains(&check.metadata().id)))
    }

    /// What to ask of every host of the target: one request per declared fact of each
    /// selected check that applies, in check id order, then in declaration order.
    pub fn fact_requests(&self, input: &CheckInput, selection: &Selection) -> Vec<FactRequest> {
        self.selected(input, selection)
            .flat_map(|check| {
                let id = &check.metadata().id;
                check.metadata().facts.iter().map(move |fact| FactRequest {
                    check_id: id.clone(),
                    name: fact.name.clone(),
                    gatherer: fact.gatherer.clone(),
                    argument: fact.argument.clone(),
                })
            })
            .collect()
    }

    /// Evaluate the selected checks that apply to the target. `facts` holds what each host
    /// (by id) gave for this execution; a check with facts is evaluated on every host of the
    /// target, a host absent from `facts` counting as one that gave nothing.
    pub fn evaluate(&self, input: &CheckInput, selection: &Selection, facts: &BTreeMap<Uuid, HostFacts>) -> Evaluation {
        let target = &input.target;
        let converted = RegoInput::new(&input.document);
        let hosts = target_hosts(input);
        let answers: BTreeMap<Uuid, Answers> = facts.iter().map(|(id, facts)| (*id, Answers::of(facts))).collect();
        let mut results = Vec::new();
        for check in self.selected(input, selection) {
            let metadata = check.metadata();
            let values = metadata.resolve_values(&target.provider, selection.values.get(&metadata.id));
            let result = match &converted {
                Err(error) => {
                    unevaluated(&metadata.id, Status::Error, format!("the input document cannot be evaluated: {error}"))
                }
                Ok(converted) if metadata.facts.is_empty() => check.evaluate(converted, &values),
                Ok(converted) => evaluate_per_host(check, converted, &values, &hosts, &answers),
            };
            results.push(result);
        }
        Evaluation {
            target_type: target.target_type,
            target_id: target.id.clone(),
            health: crate::check::checks_health(results.iter().map(|r| r.status)),
            results,
        }
    }
}

/// A host a check with facts is evaluated on: `input.hosts[]` of a cluster, `input.host`.
struct TargetHost<'a> {
    /// `None` when the host document carries no id (no facts can be matched to it).
    id: Option<Uuid>,
    hostname: String,
    document: &'a Value,
}

fn target_hosts(input: &CheckInput) -> Vec<TargetHost<'_>> {
    let documents: Vec<&Value> = match input.target.target_type {
        TargetType::Cluster => input.document.get("hosts").and_then(Value::as_array).into_iter().flatten().collect(),
        TargetType::Host => input.document.get("host").into_iter().collect(),
    };
    documents
        .into_iter()
        .map(|document| {
            let id = document.get("id").and_then(Value::as_str).and_then(|id| id.parse::<Uuid>().ok());
            let hostname = document
                .get("hostname")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| id.map(|id| id.to_string()))
                .unwrap_or_else(|| "a host without id".to_owned());
            TargetHost { id, hostname, document }
        })
        .collect()
}

/// One host's answers, indexed by check and fact name, or why there are none.
enum Answers<'a> {
    Gathered(BTreeMap<(&'a str, &'a str), &'a FactOutcome>),
    NotGathered(&'a str),
}

impl<'a> Answers<'a> {
    fn of(facts: &'a HostFacts) -> Self {
        match facts {
            HostFacts::Gathered(facts) => Answers::Gathered(
                facts.iter().map(|fact| ((fact.check_id.as_str(), fact.name.as_str()), &fact.outcome)).collect(),
            ),
            HostFacts::NotGathered(why) => Answers::NotGathered(why),
        }
    }
}

fn evaluate_per_host(
    check: &Check,
    converted: &RegoInput,
    values: &Value,
    hosts: &[TargetHost<'_>],
    answers: &BTreeMap<Uuid, Answers<'_>>,
) -> CheckResult {
    let id = &check.metadata().id;
    if hosts.is_empty() {
        return unevaluated(id, Status::NotGathered, "facts not gathered: the target has no host to ask".to_owned());
    }
    // Each host's result, with the value it was expected to have (the check's `expected`).
    let (host_results, expected): (Vec<HostResult>, Vec<Value>) = hosts
        .iter()
        .map(|host| {
            let on_host = |status, message: String, observed| HostResult {
                host_id: host.id.unwrap_or_default(),
                hostname: host.hostname.clone(),
                status,
                message,
                observed,
            };
            let Some(host_id) = host.id else {
                return (on_host(Status::Error, "the host's document has no id".to_owned(), Value::Null), Value::Null);
            };
            let facts = match answers.get(&host_id) {
                None => Err("nothing was gathered from this host".to_owned()),
                Some(Answers::NotGathered(why)) => Err((*why).to_owned()),
                Some(Answers::Gathered(facts)) => facts_of(check, facts),
            };
            let facts = match facts {
                Ok(facts) => facts,
                Err(why) => {
                    let message = format!("facts not gathered: {why}");
                    return (on_host(Status::NotGathered, message, Value::Null), Value::Null);
                }
            };
            let input = converted.with_field("facts", &facts).and_then(|input| input.with_field("host", host.document));
            let result = match input {
                Ok(input) => check.evaluate(&input, values),
                Err(error) => unevaluated(id, Status::Error, format!("the host's facts cannot be evaluated: {error}")),
            };
            (on_host(result.status, result.message, result.observed), result.expected)
        })
        .unzip();
    combine(id, host_results, expected)
}

/// `input.facts` of one host for `check`: each declared fact's value, or its
/// `{"error": …}` when the error is an answer checks read (a key not set, a package not
/// installed). Any other error, or a fact not answered, is why the host is not gathered.
fn facts_of(check: &Check, answers: &BTreeMap<(&str, &str), &FactOutcome>) -> Result<Value, String> {
    let id = check.metadata().id.as_str();
    let mut facts = Map::new();
    let mut problems = Vec::new();
    for fact in &check.metadata().facts {
        let name = fact.name.as_str();
        match answers.get(&(id, name)) {
            None => problems.push(format!("{name}: not answered")),
            Some(FactOutcome::Error(error)) if !error.is_read_by_checks() => {
                problems.push(format!("{name}: {}: {}", error.kind, error.message));
            }
            Some(outcome) => {
                facts.insert(name.to_owned(), outcome.to_input());
            }
        }
    }
    if problems.is_empty() { Ok(Value::Object(facts)) } else { Err(problems.join("; ")) }
}

/// The check's result from its hosts': the worst status; the worst hosts' messages, each
/// after the names of the hosts that said it; `observed` and `expected` of the first of them.
fn combine(id: &str, hosts: Vec<HostResult>, expected: Vec<Value>) -> CheckResult {
    let worst = hosts.iter().map(|h| h.status).max().unwrap_or(Status::NotGathered);
    let mut messages: Vec<(Vec<&str>, &str)> = Vec::new();
    for host in hosts.iter().filter(|h| h.status == worst) {
        match messages.iter_mut().find(|(_, message)| *message == host.message) {
            Some((names, _)) => names.push(&host.hostname),
            None => messages.push((vec![&host.hostname], &host.message)),
        }
    }
    let message = messages
        .iter()
        .map(|(names, message)| format!("{}: {message}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let first_worst = hosts.iter().position(|h| h.status == worst).unwrap_or_default();
    CheckResult {
        check_id: id.to_owned(),
        status: worst,
        message,
        observed: hosts.get(first_worst).map(|h| h.observed.clone()).unwrap_or_default(),
        expected: expected.into_iter().nth(first_worst).unwrap_or_default(),
        hosts,
    }
}

fn unevaluated(id: &str, status: Status, message: String) -> CheckResult {
    CheckResult {
        check_id: id.to_owned(),
        status,
        message,
        observed: Value::Null,
        expected: Value::Null,
        hosts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use vigil_policy::PolicyLimits;

    use super::*;
    use crate::facts::{FactError, GatheredFact};
    use crate::input::Target;

    const HANA01: Uuid = Uuid::from_u128(1);
    const HANA02: Uuid = Uuid::from_u128(2);

    /// A cluster check of the token on each host, naming the host it ran on (`input.host`).
    const TOKEN: &str = r#"package vigil.checks.token_check

metadata := {
    "id": "token_check", "name": "Token", "group": "corosync", "description": "d", "remediation": "r",
    "target_type": "cluster", "severity": "critical",
    "facts": [{"name": "token", "gatherer": "corosync.conf", "argument": "totem.token"}],
    "values": {"token": {"default": 30000}},
}

result := {"status": "passing", "message": sprintf("token %v on %v", [input.facts.token, input.host.hostname]), "observed": input.facts.token, "expected": input.values.token} if {
    input.facts.token == input.values.token
} else := {"status": "critical", "message": sprintf("token %v", [input.facts.token]), "observed": input.facts.token, "expected": input.values.token}
"#;

    /// Reads a package_not_installed answer as the failure it is.
    const PACKAGE: &str = r#"package vigil.checks.a_package_check

metadata := {
    "id": "a_package_check", "name": "sbd", "group": "packages", "description": "d", "remediation": "r",
    "target_type": "cluster", "severity": "warning",
    "facts": [
        {"name": "sbd", "gatherer": "package_version", "argument": "sbd"},
        {"name": "delay", "gatherer": "sbd_config", "argument": "SBD_DELAY_START"},
    ],
}

result := {"status": "critical", "message": "sbd is not installed"} if {
    input.facts.sbd.error.type == "package_not_installed"
} else := {"status": "passing", "message": sprintf("sbd %v", [input.facts.sbd.version])}
"#;

    const PLAIN: &str = r#"package vigil.checks.plain_check

metadata := {"id": "plain_check", "name": "p", "group": "pacemaker", "description": "d", "remediation": "r",
    "target_type": "cluster", "severity": "warning"}

result := {"status": "passing", "message": "fine"}
"#;

    const ASCS_ONLY: &str = r#"package vigil.checks.ascs_check

metadata := {"id": "ascs_check", "name": "a", "group": "ascs_ers", "description": "d", "remediation": "r",
    "target_type": "cluster", "cluster_types": ["ascs_ers"], "severity": "warning",
    "facts": [{"name": "connector", "gatherer": "package_version", "argument": "sap-suse-cluster-connector"}]}

result := {"status": "passing", "message": "fine"}
"#;

    const HOST_ONLY: &str = r#"package vigil.checks.chronyd_check

metadata := {"id": "chronyd_check", "name": "c", "group": "os", "description": "d", "remediation": "r",
    "target_type": "host", "severity": "warning",
    "facts": [{"name": "chronyd", "gatherer": "systemd", "argument": "chronyd.service"}]}

result := {"status": "passing", "message": sprintf("%v on %v", [input.facts.chronyd.active_state, input.host.hostname])} if {
    input.facts.chronyd.active_state == "active"
} else := {"status": "warning", "message": input.facts.chronyd.active_state}
"#;

    fn catalog() -> Catalog {
        let catalog = Catalog::from_sources(
            [
                ("corosync/token_check.rego", TOKEN),
                ("packages/a_package_check.rego", PACKAGE),
                ("pacemaker/plain_check.rego", PLAIN),
                ("ascs_ers/ascs_check.rego", ASCS_ONLY),
                ("os/chronyd_check.rego", HOST_ONLY),
            ],
            &PolicyLimits::default(),
        );
        assert!(catalog.rejected().is_empty(), "{:?}", catalog.rejected());
        catalog
    }

    fn host(id: Uuid, hostname: &str) -> Value {
        json!({"id": id.to_string(), "hostname": hostname, "provider": "azure"})
    }

    fn two_node_cluster() -> CheckInput {
        let target = Target {
            target_type: TargetType::Cluster,
            id: Uuid::from_u128(0xc1).to_string(),
            cluster_type: Some("hana_scale_up".into()),
            provider: "azure".into(),
        };
        let document = json!({
            "target": {"type": "cluster", "id": target.id, "name": "hana_cluster", "cluster_type": "hana_scale_up", "provider": "azure"},
            "cluster": {"name": "hana_cluster"},
            "hosts": [host(HANA01, "hana01"), host(HANA02, "hana02")],
            "facts": {},
        });
        CheckInput { target, document }
    }

    fn value(check_id: &str, name: &str, value: Value) -> GatheredFact {
        GatheredFact { check_id: check_id.into(), name: name.into(), outcome: FactOutcome::Value(value) }
    }

    fn error(check_id: &str, name: &str, kind: &str, message: &str) -> GatheredFact {
        let error = FactError { kind: kind.into(), message: message.into() };
        GatheredFact { check_id: check_id.into(), name: name.into(), outcome: FactOutcome::Error(error) }
    }

    fn only(checks: &[&str]) -> Selection {
        Selection { checks: Some(checks.iter().map(|c| (*c).to_owned()).collect()), ..Selection::default() }
    }

    fn result_of<'a>(evaluation: &'a Evaluation, id: &str) -> &'a CheckResult {
        evaluation.results.iter().find(|r| r.check_id == id).unwrap_or_else(|| panic!("no {id}: {evaluation:?}"))
    }

    #[test]
    fn fact_requests_are_the_applicable_selected_checks_facts_in_id_order() {
        let catalog = catalog();
        let requests = catalog.fact_requests(&two_node_cluster(), &Selection::default());
        let asked: Vec<(&str, &str, &str, &str)> = requests
            .iter()
            .map(|r| (r.check_id.as_str(), r.name.as_str(), r.gatherer.as_str(), r.argument.as_str()))
            .collect();
        // Not ascs_check (an ASCS/ERS check on a HANA cluster), not chronyd_check (a host
        // check), nothing for plain_check (no facts).
        assert_eq!(
            asked,
            [
                ("a_package_check", "sbd", "package_version", "sbd"),
                ("a_package_check", "delay", "sbd_config", "SBD_DELAY_START"),
                ("token_check", "token", "corosync.conf", "totem.token"),
            ]
        );
        let narrowed = catalog.fact_requests(&two_node_cluster(), &only(&["token_check", "plain_check", "ascs_check"]));
        assert_eq!(narrowed.len(), 1, "{narrowed:?}");
        assert_eq!(narrowed[0].check_id, "token_check");
        assert!(catalog.fact_requests(&two_node_cluster(), &only(&["plain_check"])).is_empty());
    }

    #[test]
    fn one_node_with_a_wrong_token_makes_the_check_critical_naming_it() {
        let facts = BTreeMap::from([
            (HANA01, HostFacts::Gathered(vec![value("token_check", "token", json!(30000))])),
            (HANA02, HostFacts::Gathered(vec![value("token_check", "token", json!(5000))])),
        ]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["token_check"]), &facts);
        let result = result_of(&evaluation, "token_check");
        assert_eq!(result.status, Status::Critical);
        assert_eq!(result.message, "hana02: token 5000");
        assert_eq!((&result.observed, &result.expected), (&json!(5000), &json!(30000)), "the worst host's");
        let hosts: Vec<(Uuid, &str, Status, &str)> =
            result.hosts.iter().map(|h| (h.host_id, h.hostname.as_str(), h.status, h.message.as_str())).collect();
        assert_eq!(
            hosts,
            [
                (HANA01, "hana01", Status::Passing, "token 30000 on hana01"),
                (HANA02, "hana02", Status::Critical, "token 5000")
            ]
        );
        assert_eq!(evaluation.health, Health::Critical);
    }

    #[test]
    fn hosts_saying_the_same_are_named_together() {
        let same = HostFacts::Gathered(vec![value("token_check", "token", json!(5000))]);
        let facts = BTreeMap::from([(HANA01, same.clone()), (HANA02, same)]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["token_check"]), &facts);
        assert_eq!(result_of(&evaluation, "token_check").message, "hana01, hana02: token 5000");
    }

    #[test]
    fn a_host_that_gave_nothing_is_not_gathered_with_the_reason() {
        let facts = BTreeMap::from([
            (HANA01, HostFacts::Gathered(vec![value("token_check", "token", json!(30000))])),
            (HANA02, HostFacts::NotGathered("the agent is not connected".into())),
        ]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["token_check"]), &facts);
        let result = result_of(&evaluation, "token_check");
        assert_eq!(result.status, Status::NotGathered);
        assert_eq!(result.message, "hana02: facts not gathered: the agent is not connected");
        assert_eq!(result.hosts[0].status, Status::Passing, "the other host is still evaluated");
        // A host absent from the map gave nothing either.
        let only_one =
            BTreeMap::from([(HANA01, HostFacts::Gathered(vec![value("token_check", "token", json!(30000))]))]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["token_check"]), &only_one);
        let result = result_of(&evaluation, "token_check");
        assert_eq!(result.status, Status::NotGathered);
        assert_eq!(result.message, "hana02: facts not gathered: nothing was gathered from this host");
        assert_eq!(evaluation.health, Health::Critical);
    }

    #[test]
    fn a_gatherer_failure_or_an_unanswered_fact_is_not_gathered_and_an_absence_reaches_the_check() {
        let facts = BTreeMap::from([
            (
                HANA01,
                HostFacts::Gathered(vec![error(
                    "token_check",
                    "token",
                    "file_not_found",
                    "/etc/corosync/corosync.conf does not exist",
                )]),
            ),
            // Answers for another check only.
            (HANA02, HostFacts::Gathered(vec![value("other_check", "token", json!(30000))])),
        ]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["token_check"]), &facts);
        let result = result_of(&evaluation, "token_check");
        assert_eq!(result.status, Status::NotGathered);
        assert_eq!(
            result.message,
            "hana01: facts not gathered: token: file_not_found: /etc/corosync/corosync.conf does not exist; \
             hana02: facts not gathered: token: not answered"
        );
        // value_not_found is an answer: the check runs on it (and here finds no token).
        let unset = HostFacts::Gathered(vec![error("token_check", "token", "value_not_found", "no totem.token")]);
        let facts = BTreeMap::from([(HANA01, unset.clone()), (HANA02, unset)]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["token_check"]), &facts);
        let result = result_of(&evaluation, "token_check");
        assert_eq!(result.status, Status::Critical, "{}", result.message);
        assert_eq!(result.observed, json!({"error": {"type": "value_not_found", "message": "no totem.token"}}));
    }

    #[test]
    fn package_not_installed_reaches_the_check_which_decides_what_it_means() {
        let installed = json!({"name": "sbd", "epoch": null, "version": "1.5.2", "release": "150600.1.4",
                               "arch": "x86_64", "manager": "rpm", "installed_versions": ["1.5.2-150600.1.4"]});
        let facts = BTreeMap::from([
            (
                HANA01,
                HostFacts::Gathered(vec![
                    value("a_package_check", "sbd", installed),
                    value("a_package_check", "delay", json!("no")),
                ]),
            ),
            (
                HANA02,
                HostFacts::Gathered(vec![
                    error("a_package_check", "sbd", "package_not_installed", "package sbd is not installed"),
                    error("a_package_check", "delay", "file_not_found", "/etc/sysconfig/sbd does not exist"),
                ]),
            ),
        ]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["a_package_check"]), &facts);
        let result = result_of(&evaluation, "a_package_check");
        // hana02's missing file is a failure to look: not gathered, whatever the package says.
        assert_eq!(result.status, Status::NotGathered);
        assert_eq!(result.hosts[0].message, "sbd 1.5.2");
        let facts = BTreeMap::from([(
            HANA02,
            HostFacts::Gathered(vec![
                error("a_package_check", "sbd", "package_not_installed", "package sbd is not installed"),
                error("a_package_check", "delay", "value_not_found", "SBD_DELAY_START is not set"),
            ]),
        )]);
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["a_package_check"]), &facts);
        let hana02 = &result_of(&evaluation, "a_package_check").hosts[1];
        assert_eq!((hana02.status, hana02.message.as_str()), (Status::Critical, "sbd is not installed"));
    }

    #[test]
    fn a_check_without_facts_runs_once_and_serialises_as_before() {
        let evaluation = catalog().evaluate(&two_node_cluster(), &only(&["plain_check"]), &BTreeMap::new());
        let result = result_of(&evaluation, "plain_check");
        assert_eq!(result.status, Status::Passing);
        assert!(result.hosts.is_empty());
        assert_eq!(
            serde_json::to_value(result).unwrap(),
            json!({"check_id": "plain_check", "status": "passing", "message": "fine", "observed": null, "expected": null})
        );
    }

    #[test]
    fn a_host_check_with_facts_runs_on_its_host() {
        let target = Target {
            target_type: TargetType::Host,
            id: HANA01.to_string(),
            cluster_type: None,
            provider: "azure".into(),
        };
        let document =
            json!({"target": {"type": "host", "id": target.id}, "host": host(HANA01, "hana01"), "facts": {}});
        let input = CheckInput { target, document };
        let facts = BTreeMap::from([(
            HANA01,
            HostFacts::Gathered(vec![value("chronyd_check", "chronyd", json!({"active_state": "active"}))]),
        )]);
        let evaluation = catalog().evaluate(&input, &Selection::default(), &facts);
        assert_eq!(evaluation.results.len(), 1, "only the host check applies");
        let result = &evaluation.results[0];
        assert_eq!((result.status, result.message.as_str()), (Status::Passing, "hana01: active on hana01"));
        assert_eq!(result.hosts.len(), 1);
        let serialised = serde_json::to_value(result).unwrap();
        assert_eq!(
            serialised["hosts"],
            json!([{"host_id": HANA01.to_string(), "hostname": "hana01", "status": "passing",
                    "message": "active on hana01", "observed": null}])
        );
    }

    #[test]
    fn a_cluster_without_host_documents_cannot_gather() {
        let mut input = two_node_cluster();
        input.document["hosts"] = json!([]);
        let evaluation = catalog().evaluate(&input, &only(&["token_check"]), &BTreeMap::new());
        let result = result_of(&evaluation, "token_check");
        assert_eq!(result.status, Status::NotGathered);
        assert_eq!(result.message, "facts not gathered: the target has no host to ask");
    }
}
