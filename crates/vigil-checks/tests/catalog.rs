//! The shipped catalog: every check loads, every check has unit tests with a passing and a
//! failing input, and every Rego unit test passes (what `vigil policy test
//! crates/vigil-checks/checks` runs).

use std::collections::BTreeSet;

use vigil_checks::{Catalog, shipped_sources};
use vigil_policy::{PolicyLimits, PolicySet};

#[test]
fn every_shipped_check_loads() {
    let catalog = Catalog::shipped();
    assert!(catalog.rejected().is_empty(), "{:#?}", catalog.rejected());
    assert!(catalog.len() >= 40, "only {} checks", catalog.len());
}

#[test]
fn every_rego_unit_test_passes() {
    let set = PolicySet::from_modules(shipped_sources());
    // Compiling the whole catalog and running every test takes longer than one policy.
    let limits = PolicyLimits { timeout: std::time::Duration::from_secs(120), ..Default::default() };
    let report = vigil_policy::run_tests_with(&set, &limits).expect("the catalog compiles as one set");
    let failed: Vec<String> = report
        .results
        .iter()
        .filter(|r| !r.ok)
        .map(|r| format!("{}.{}: {}", r.package, r.name, r.error.as_deref().unwrap_or("false")))
        .collect();
    assert!(failed.is_empty(), "{} failed:\n{}", failed.len(), failed.join("\n"));
    assert!(report.passed >= 80, "only {} tests", report.passed);
}

#[test]
fn every_check_has_tests_with_a_passing_and_a_failing_input() {
    let catalog = Catalog::shipped();
    let sources: Vec<(&str, &str)> = shipped_sources().collect();
    let set = PolicySet::from_modules(sources.iter().copied());
    let limits = PolicyLimits { timeout: std::time::Duration::from_secs(120), ..Default::default() };
    let report = vigil_policy::run_tests_with(&set, &limits).unwrap();
    let tested: BTreeSet<&str> = report.results.iter().map(|r| r.package.as_str()).collect();
    for check in catalog.checks() {
        let id = &check.metadata().id;
        let package = format!("vigil.checks.{id}_test");
        assert!(tested.contains(package.as_str()), "{id} has no tests ({package})");
        let test_path = check.path().replace(".rego", "_test.rego");
        let text = sources.iter().find(|(path, _)| *path == test_path).map(|(_, s)| *s).unwrap_or_else(|| panic!("{test_path}"));
        assert!(text.contains(r#""passing""#), "{test_path}: no test of a passing input");
        assert!(
            text.contains(r#""warning""#) || text.contains(r#""critical""#),
            "{test_path}: no test of a failing input"
        );
        let severity = serde_json::to_value(check.metadata().severity).unwrap();
        assert!(text.contains(&format!("{severity}")), "{test_path}: no test yields the check's severity {severity}");
    }
}
