//! The catalog: every check loaded, each compiled on its own so that a broken file is
//! rejected alone (with the engine's error) and never half-loaded.
//!
//! Sources are `(path, text)` pairs, as a [`PolicySet`] holds them. A path ending in
//! `_test.rego` is a unit test (run by `vigil policy test`, not loaded); one under `lib/`
//! is a library module compiled with every check; every other one is a check. The shipped
//! catalog is embedded ([`crate::shipped`]); a directory adds checks, and one declaring
//! the id of a shipped check replaces it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use vigil_policy::{CompiledRules, PolicyError, PolicyLimits, PolicySet, RegoInput};

use crate::check::{CheckResult, Metadata, Status};

/// One compiled check.
#[derive(Debug)]
pub struct Check {
    metadata: Metadata,
    path: String,
    rules: CompiledRules,
    result_path: String,
}

/// A file the catalog refused, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The module path.
    pub path: String,
    /// The engine's error, or what is wrong with the metadata.
    pub error: String,
}

/// The checks in force.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    checks: BTreeMap<String, Arc<Check>>,
    rejected: Vec<Rejection>,
}

impl Check {
    /// What the check declares about itself.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The module path it was loaded from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether it runs as bytecode (else on the interpreter, which is slower).
    pub fn runs_bytecode(&self) -> bool {
        self.rules.runs_bytecode()
    }

    /// Evaluate the check on `input` (already converted, without `values`) with the
    /// resolved `values`. Never fails: an evaluation error or a malformed result is an
    /// [`Status::Error`] result naming what went wrong.
    pub fn evaluate(&self, input: &RegoInput, values: &serde_json::Value) -> CheckResult {
        let id = &self.metadata.id;
        let error = |message: String| CheckResult {
            check_id: id.clone(),
            status: Status::Error,
            message,
            observed: serde_json::Value::Null,
            expected: serde_json::Value::Null,
            hosts: Vec::new(),
        };
        let outcome = input
            .with_field("values", values)
            .and_then(|input| self.rules.evaluate_prepared(&self.result_path, &input));
        match outcome {
            Err(e) => error(format!("the check failed to evaluate: {e}")),
            Ok(None) => error("the check yielded no result for this input (its `result` rule is undefined)".to_owned()),
            Ok(Some(value)) => match parse_result(id, value) {
                Ok(result) => result,
                Err(message) => error(message),
            },
        }
    }
}

/// A `result` value as a [`CheckResult`]: an object with `status` passing, warning,
/// critical or not_gathered (what the check reads is missing from the discovery) and a
/// string `message`; `observed` and `expected` are optional.
fn parse_result(id: &str, value: serde_json::Value) -> Result<CheckResult, String> {
    let serde_json::Value::Object(mut object) = value else {
        return Err(format!("the check's result is not an object: {value}"));
    };
    let status = match object.get("status").and_then(serde_json::Value::as_str) {
        Some("passing") => Status::Passing,
        Some("warning") => Status::Warning,
        Some("critical") => Status::Critical,
        Some("not_gathered") => Status::NotGathered,
        other => {
            return Err(format!(
                "the check's result.status must be passing, warning, critical or not_gathered, not {other:?}"
            ));
        }
    };
    let Some(serde_json::Value::String(message)) = object.remove("message") else {
        return Err("the check's result.message must be a string".to_owned());
    };
    Ok(CheckResult {
        check_id: id.to_owned(),
        status,
        message,
        observed: object.remove("observed").unwrap_or_default(),
        expected: object.remove("expected").unwrap_or_default(),
        hosts: Vec::new(),
    })
}

impl Catalog {
    /// The catalog shipped in this crate (`checks/`), embedded in the binary.
    pub fn shipped() -> Self {
        Self::from_sources(crate::shipped::sources(), &PolicyLimits::default())
    }

    /// The shipped catalog plus every `.rego` file under `dir`: a check there with the id
    /// of a shipped one replaces it; its library modules (`lib/`) join the shipped ones.
    /// Only an unreadable directory is an error; a broken file is a [`Rejection`].
    pub fn with_dir(dir: &Path, limits: &PolicyLimits) -> Result<Self, PolicyError> {
        let set = PolicySet::from_dir(dir)?;
        let shipped = crate::shipped::sources().map(|(path, source)| Source::new(path, path, source));
        // Labelled with the file's real path, classified by its path under `dir`.
        let added: Vec<Source> = set
            .modules()
            .map(|(path, source)| Source::new(&format!("{}/{path}", dir.display()), path, source))
            .collect();
        Ok(Self::from_classified(shipped.chain(added).collect(), limits))
    }

    /// A catalog from `(path, source)` pairs: libraries first, then each check compiled with
    /// them, in the order given (a later check with an earlier one's id replaces it).
    pub fn from_sources<P, S>(sources: impl IntoIterator<Item = (P, S)>, limits: &PolicyLimits) -> Self
    where
        P: Into<String>,
        S: Into<String>,
    {
        let sources = sources
            .into_iter()
            .map(|(p, s)| {
                let path: String = p.into();
                Source::new(&path, &path, &s.into())
            })
            .collect();
        Self::from_classified(sources, limits)
    }

    fn from_classified(sources: Vec<Source>, limits: &PolicyLimits) -> Self {
        let mut catalog = Catalog::default();
        let mut library: Vec<(String, String)> =
            sources.iter().filter(|s| s.kind == Kind::Library).map(|s| (s.label.clone(), s.source.clone())).collect();
        if !library.is_empty() {
            let set = PolicySet::from_modules(library.clone());
            if let Err(error) = compile_waiting(set, &[], limits) {
                for (path, _) in library.drain(..) {
                    catalog
                        .rejected
                        .push(Rejection { path, error: format!("check library does not compile: {error}") });
                }
            }
        }
        for source in sources.iter().filter(|s| s.kind == Kind::Check) {
            match compile_check(&source.label, &source.source, &library, limits) {
                Ok(check) => {
                    catalog.checks.insert(check.metadata.id.clone(), Arc::new(check));
                }
                Err(error) => catalog.rejected.push(Rejection { path: source.label.clone(), error }),
            }
        }
        catalog
    }

    /// The same catalog evaluated by regorus' interpreter only, where the Rego unit tests
    /// run: for checking that production's bytecode agrees with what the tests proved.
    pub fn interpreted(&self) -> Self {
        let checks = self
            .checks
            .iter()
            .map(|(id, check)| {
                let check = Check {
                    metadata: check.metadata.clone(),
                    path: check.path.clone(),
                    rules: check.rules.interpreted(),
                    result_path: check.result_path.clone(),
                };
                (id.clone(), Arc::new(check))
            })
            .collect();
        Self { checks, rejected: self.rejected.clone() }
    }

    /// Every check, by id.
    pub fn checks(&self) -> impl Iterator<Item = &Arc<Check>> {
        self.checks.values()
    }

    /// The check `id`, if loaded.
    pub fn get(&self, id: &str) -> Option<&Arc<Check>> {
        self.checks.get(id)
    }

    /// How many checks are loaded.
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    /// Whether no check is loaded.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// The files refused, with why.
    pub fn rejected(&self) -> &[Rejection] {
        &self.rejected
    }
}

/// What a module of a catalog directory is, by its path under the directory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `*_test.rego`: run by `vigil policy test`, not loaded.
    Test,
    /// Under a `lib/` directory: compiled with every check.
    Library,
    /// Anything else.
    Check,
}

struct Source {
    label: String,
    kind: Kind,
    source: String,
}

impl Source {
    fn new(label: &str, relative: &str, source: &str) -> Self {
        let kind = if relative.ends_with("_test.rego") {
            Kind::Test
        } else if relative.starts_with("lib/") || relative.contains("/lib/") {
            Kind::Library
        } else {
            Kind::Check
        };
        Source { label: label.to_owned(), kind, source: source.to_owned() }
    }
}

/// The package a module declares, read from its first `package` line; the engine then
/// confirms it (a wrong guess leaves `metadata` undeclared and the file rejected).
fn declared_package(source: &str) -> Option<&str> {
    source.lines().map(str::trim).find_map(|line| line.strip_prefix("package ")).map(|rest| {
        let rest = rest.split('#').next().unwrap_or(rest);
        rest.trim()
    })
}

/// How long a compilation waits for an engine thread when all are busy (other policies or
/// checks compiling at the same time) before the file is rejected as busy.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// [`CompiledRules::compile_with`], waiting while every engine thread is taken: a busy
/// engine is no reason to reject a check.
fn compile_waiting(set: PolicySet, entry_points: &[&str], limits: &PolicyLimits) -> Result<CompiledRules, PolicyError> {
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    loop {
        match CompiledRules::compile_with(set.clone(), entry_points, limits) {
            Err(PolicyError::Busy { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            outcome => return outcome,
        }
    }
}

fn compile_check(
    path: &str,
    source: &str,
    library: &[(String, String)],
    limits: &PolicyLimits,
) -> Result<Check, String> {
    let package = declared_package(source).ok_or("no `package` line")?;
    let id = package
        .strip_prefix("vigil.checks.")
        .filter(|id| !id.contains('.'))
        .ok_or_else(|| format!("the package is {package}; a check's must be vigil.checks.<id>"))?;
    let metadata_path = format!("data.vigil.checks.{id}.metadata");
    let result_path = format!("data.vigil.checks.{id}.result");
    let mut set = PolicySet::from_modules(library.iter().cloned());
    set.insert(path, source);
    let rules = compile_waiting(set, &[&metadata_path, &result_path], limits).map_err(|e| e.to_string())?;
    if !rules.declares(&result_path) {
        return Err(format!("no `result` rule in package {package}"));
    }
    let metadata = rules
        .evaluate(&metadata_path, &json!({}))
        .map_err(|e| format!("metadata does not evaluate: {e}"))?
        .ok_or_else(|| format!("no `metadata` rule in package {package} (or it needs an input)"))?;
    let metadata: Metadata = serde_json::from_value(metadata).map_err(|e| format!("metadata: {e}"))?;
    metadata.validate(id)?;
    Ok(Check { metadata, path: path.to_owned(), rules, result_path })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"package vigil.checks.sample_check

metadata := {
    "id": "sample_check",
    "name": "A sample",
    "group": "sample",
    "description": "Says whether input.n is positive.",
    "remediation": "Make it **positive**.",
    "target_type": "cluster",
    "severity": "warning",
    "values": {"minimum": {"default": 1, "providers": {"azure": 5}}},
}

result := {"status": "passing", "message": "big enough", "observed": input.n, "expected": input.values.minimum} if {
    input.n >= input.values.minimum
} else := {"status": "warning", "message": "too small", "observed": input.n, "expected": input.values.minimum}
"#;

    #[test]
    fn a_broken_check_is_rejected_with_the_engines_error_and_the_rest_load() {
        let broken = "package vigil.checks.broken\n\nmetadata := {\nresult := 1\n";
        let unknown_builtin =
            GOOD.replace("sample_check", "calls_nothing").replace("input.n >=", "no_such_fn(input.n) >=");
        let wrong_id = GOOD.replace("package vigil.checks.sample_check", "package vigil.checks.other_id");
        let catalog = Catalog::from_sources(
            [
                ("a/good.rego", GOOD.to_owned()),
                ("a/broken.rego", broken.to_owned()),
                ("a/unknown.rego", unknown_builtin),
                ("a/wrong_id.rego", wrong_id),
                ("a/good_test.rego", "package vigil.checks.sample_check_test\n".to_owned()),
            ],
            &PolicyLimits::default(),
        );
        assert_eq!(catalog.len(), 1, "{:?}", catalog.rejected());
        assert!(catalog.get("sample_check").is_some());
        let rejected: BTreeMap<&str, &str> =
            catalog.rejected().iter().map(|r| (r.path.as_str(), r.error.as_str())).collect();
        assert_eq!(rejected.len(), 3, "{rejected:?}");
        assert!(rejected["a/broken.rego"].contains("a/broken.rego"), "the engine names the file: {rejected:?}");
        assert!(rejected["a/unknown.rego"].contains("no_such_fn"), "{rejected:?}");
        assert!(rejected["a/wrong_id.rego"].contains("metadata.id"), "{rejected:?}");
    }

    #[test]
    fn values_resolve_by_provider_and_customisation_and_reach_the_rule() {
        let catalog = Catalog::from_sources([("good.rego", GOOD)], &PolicyLimits::default());
        let check = catalog.get("sample_check").unwrap();
        let input = RegoInput::new(&json!({"n": 3})).unwrap();
        let default = check.metadata().resolve_values("kvm", None);
        assert_eq!(check.evaluate(&input, &default).status, Status::Passing);
        let azure = check.metadata().resolve_values("azure", None);
        let result = check.evaluate(&input, &azure);
        assert_eq!((result.status, result.observed, result.expected), (Status::Warning, json!(3), json!(5)));
        let custom = BTreeMap::from([("minimum".to_owned(), json!(2))]);
        assert_eq!(
            check.evaluate(&input, &check.metadata().resolve_values("azure", Some(&custom))).status,
            Status::Passing
        );
    }

    /// GOOD with `facts` declared as `facts` (a JSON list of fact objects).
    fn with_facts(facts: &str) -> String {
        GOOD.replace(r#""severity": "warning","#, &format!(r#""severity": "warning", "facts": {facts},"#))
    }

    fn rejection_of(source: String) -> String {
        let catalog = Catalog::from_sources([("a/sample_check.rego", source)], &PolicyLimits::default());
        assert!(catalog.is_empty(), "loaded: {:?}", catalog.checks().map(|c| c.metadata().clone()).collect::<Vec<_>>());
        catalog.rejected()[0].error.clone()
    }

    #[test]
    fn declared_facts_load_with_their_gatherer_and_argument() {
        let source = with_facts(
            r#"[{"name": "token", "gatherer": "corosync.conf", "argument": "totem.token"}, {"name": "hosts", "gatherer": "hosts"}]"#,
        );
        let catalog = Catalog::from_sources([("a/sample_check.rego", source)], &PolicyLimits::default());
        let facts = &catalog.get("sample_check").expect("loads").metadata().facts;
        assert_eq!(facts.len(), 2);
        assert_eq!((facts[0].gatherer.as_str(), facts[0].argument.as_str()), ("corosync.conf", "totem.token"));
        assert_eq!(facts[1].argument, "", "the argument defaults to empty");
    }

    #[test]
    fn a_fact_of_an_unknown_gatherer_rejects_the_file() {
        let error =
            rejection_of(with_facts(r#"[{"name": "token", "gatherer": "corosync_conf", "argument": "totem.token"}]"#));
        assert!(error.contains(r#"fact "token" names the unknown gatherer "corosync_conf""#), "{error}");
        assert!(error.contains("corosync.conf"), "the message lists the gatherers: {error}");
    }

    #[test]
    fn a_fact_declared_twice_rejects_the_file() {
        let error = rejection_of(with_facts(
            r#"[{"name": "sbd", "gatherer": "package_version", "argument": "sbd"}, {"name": "sbd", "gatherer": "sbd_config"}]"#,
        ));
        assert!(error.contains(r#"the fact "sbd" is declared twice"#), "{error}");
    }

    #[test]
    fn a_fact_name_must_be_an_identifier_and_a_package_needs_an_argument() {
        let error = rejection_of(with_facts(r#"[{"name": "Token", "gatherer": "corosync.conf"}]"#));
        assert!(error.contains(r#""Token""#), "{error}");
        let error = rejection_of(with_facts(r#"[{"name": "pacemaker", "gatherer": "package_version"}]"#));
        assert!(error.contains("package_version needs an argument"), "{error}");
        // The old form, a list of names, is refused with serde's words.
        let error = rejection_of(with_facts(r#"["corosync_conf"]"#));
        assert!(error.starts_with("metadata: "), "{error}");
        let error = rejection_of(with_facts(r#"[{"name": "n", "gatherer": "hosts", "arg": "x"}]"#));
        assert!(error.contains("arg"), "an unknown field of a fact: {error}");
    }

    #[test]
    fn a_check_may_answer_not_gathered_itself() {
        let source = GOOD.replace(r#""status": "warning""#, r#""status": "not_gathered""#);
        let catalog = Catalog::from_sources([("a.rego", source)], &PolicyLimits::default());
        let result = catalog
            .get("sample_check")
            .unwrap()
            .evaluate(&RegoInput::new(&json!({"n": 0})).unwrap(), &json!({"minimum": 1}));
        assert_eq!((result.status, result.message.as_str()), (Status::NotGathered, "too small"));
    }

    #[test]
    fn a_result_of_the_wrong_shape_is_an_error_result() {
        let odd = GOOD.replace(r#""status": "warning""#, r#""status": "fine""#);
        let catalog = Catalog::from_sources([("odd.rego", odd)], &PolicyLimits::default());
        let check = catalog.get("sample_check").unwrap();
        let result = check.evaluate(&RegoInput::new(&json!({"n": 0})).unwrap(), &json!({"minimum": 1}));
        assert_eq!(result.status, Status::Error);
        assert!(result.message.contains("\"fine\""), "{}", result.message);
        let undefined = check.evaluate(&RegoInput::new(&json!({})).unwrap(), &json!({"minimum": 1}));
        assert_eq!(undefined.status, Status::Error);
    }
}
