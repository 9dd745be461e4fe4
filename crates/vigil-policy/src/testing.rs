//! Running Rego unit tests (`opa test`) and ad hoc queries (`opa eval`).

use std::collections::BTreeSet;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{self, DeclaredRule};
use crate::guard::{self, PolicyLimits};
use crate::{PolicyError, PolicySet};

/// The outcome of [`run_tests`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct TestReport {
    /// How many tests evaluated to `true`.
    pub passed: usize,
    /// How many did not: false, undefined, another value, or an error.
    pub failed: usize,
    /// One entry per test, in module then declaration order.
    pub results: Vec<TestResult>,
}

/// The outcome of one test rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct TestResult {
    /// The rule's name, e.g. `test_viewer_may_read`.
    pub name: String,
    /// Its package without `data.`, e.g. `vigil.authz_test`.
    pub package: String,
    /// Whether it evaluated to `true`.
    pub ok: bool,
    /// Why it failed when it did not simply evaluate to false or undefined: the engine's
    /// error, or the unexpected value.
    pub error: Option<String>,
    /// How long it took, in microseconds.
    pub duration_us: u64,
}

impl TestReport {
    /// Whether every test passed. A report with no test counts as passing, as with
    /// `opa test`; callers that require tests check `results.is_empty()`.
    pub fn is_success(&self) -> bool {
        self.failed == 0
    }
}

/// Run every `test_*` rule of every package in `set`, like `opa test`.
///
/// A test passes when it evaluates to `true`; false, undefined, any other value and an
/// evaluation error fail it. Tests run one by one, each on its own clone of the compiled
/// engine with no input, so they set what they need with `with input as ...`. A set that
/// does not compile is an error, not a report: no test has run.
///
/// Runs under [`PolicyLimits::default`]; see [`run_tests_with`].
pub fn run_tests(set: &PolicySet) -> Result<TestReport, PolicyError> {
    run_tests_with(set, &PolicyLimits::default())
}

/// [`run_tests`] under `limits`: sources are checked first, then compiling and running
/// every test happen on one engine thread that is abandoned after `limits.timeout`.
pub fn run_tests_with(set: &PolicySet, limits: &PolicyLimits) -> Result<TestReport, PolicyError> {
    guard::check_set(set, limits)?;
    let set = set.clone();
    guard::run_bounded(limits.timeout, move || run_tests_unbounded(&set))?
}

fn run_tests_unbounded(set: &PolicySet) -> Result<TestReport, PolicyError> {
    let mut engine = engine::build_engine(set)?;
    let rules = engine::declared_rules(&mut engine)?;
    let mut seen = BTreeSet::new();
    let tests: Vec<DeclaredRule> = rules
        .into_iter()
        .filter(|rule| rule.name.starts_with("test_") && !rule.is_function)
        // A test defined by several bodies is one test (its bodies are OR-ed).
        .filter(|rule| seen.insert(rule.eval_path.clone()))
        .collect();

    let mut report = TestReport::default();
    for test in tests {
        let started = Instant::now();
        let outcome = engine.clone().eval_rule(test.eval_path.clone());
        let (ok, error) = match outcome {
            Ok(regorus::Value::Bool(true)) => (true, None),
            Ok(regorus::Value::Bool(false) | regorus::Value::Undefined) => (false, None),
            Ok(other) => (
                false,
                Some(format!(
                    "test evaluated to {}, not true",
                    engine::to_json(&other)
                        .ok()
                        .flatten()
                        .map_or_else(|| "an unprintable value".to_owned(), |v| v.to_string())
                )),
            ),
            Err(error) => (false, Some(format!("{error:#}").trim().to_owned())),
        };
        if ok {
            report.passed += 1;
        } else {
            report.failed += 1;
        }
        report.results.push(TestResult {
            name: test.name,
            package: test.package,
            ok,
            error,
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        });
    }
    Ok(report)
}

/// Evaluate an ad hoc `query` against `set`, like `opa eval`.
///
/// The answer has `opa eval`'s JSON shape:
/// `{"result": [{"expressions": [{"value": ..., "text": ..., "location": ...}], "bindings": {...}}]}`,
/// and `{}` when the query is undefined. Without `input` the query sees `input` as
/// undefined, as `opa eval` does without `--input`.
///
/// Runs under [`PolicyLimits::default`]; see [`eval_with`].
pub fn eval(set: &PolicySet, input: Option<&Value>, query: &str) -> Result<Value, PolicyError> {
    eval_with(set, input, query, &PolicyLimits::default())
}

/// [`eval`] under `limits`: the modules and the query are checked first (the query as a
/// module named `query`), then compiling and evaluating happen on an engine thread that
/// is abandoned after `limits.timeout`.
pub fn eval_with(
    set: &PolicySet,
    input: Option<&Value>,
    query: &str,
    limits: &PolicyLimits,
) -> Result<Value, PolicyError> {
    guard::check_set(set, limits)?;
    guard::check_source("query", query, limits)?;
    let (set, input, query) = (set.clone(), input.cloned(), query.to_owned());
    guard::run_bounded(limits.timeout, move || eval_unbounded(&set, input.as_ref(), &query))?
}

fn eval_unbounded(set: &PolicySet, input: Option<&Value>, query: &str) -> Result<Value, PolicyError> {
    let mut engine = engine::build_engine(set)?;
    if let Some(input) = input {
        engine.set_input(engine::to_rego(input)?);
    }
    let results = engine.eval_query(query.to_owned(), false).map_err(|error| PolicyError::evaluation(query, &error))?;
    serde_json::to_value(&results).map_err(|error| PolicyError::InvalidResult {
        policy: query.to_owned(),
        rule: "query".to_owned(),
        message: error.to_string(),
    })
}
