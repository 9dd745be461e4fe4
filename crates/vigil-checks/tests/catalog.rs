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
        let text = sources
            .iter()
            .find(|(path, _)| *path == test_path)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("{test_path}"));
        assert!(text.contains(r#""passing""#), "{test_path}: no test of a passing input");
        assert!(
            text.contains(r#""warning""#) || text.contains(r#""critical""#),
            "{test_path}: no test of a failing input"
        );
        let severity = serde_json::to_value(check.metadata().severity).unwrap();
        assert!(text.contains(&format!("{severity}")), "{test_path}: no test yields the check's severity {severity}");
    }
}

#[test]
fn a_directory_adds_and_overrides_checks_and_a_broken_file_is_rejected_alone() {
    let root = tempfile::tempdir().unwrap();
    // A directory whose own path has a `lib/` in it: only paths under it make a library.
    let dir = root.path().join("usr/lib/vigil-checks");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = &dir;
    let shipped = Catalog::shipped();
    // Override stonith_enabled with a stricter copy: warning → its name changes.
    let original = shipped_sources().find(|(path, _)| *path == "pacemaker/stonith_enabled.rego").unwrap().1;
    std::fs::write(
        dir.join("stonith_enabled.rego"),
        original.replace("Fencing is enabled", "Fencing is on (site rule)"),
    )
    .unwrap();
    // A new check, and one that does not parse.
    let new_check = original
        .replace("stonith_enabled", "site_fencing")
        .replace("\"target_type\": \"cluster\",", "\"target_type\": \"cluster\",\n\t\"providers\": [\"kvm\"],");
    std::fs::write(dir.join("site_fencing.rego"), new_check).unwrap();
    std::fs::write(dir.join("broken.rego"), "package vigil.checks.broken\n\nresult := {\n").unwrap();
    let catalog = Catalog::with_dir(dir, &PolicyLimits::default()).unwrap();
    assert_eq!(catalog.len(), shipped.len() + 1);
    assert_eq!(catalog.get("stonith_enabled").unwrap().metadata().name, "Fencing is on (site rule)");
    assert_eq!(catalog.get("site_fencing").unwrap().metadata().providers, ["kvm"]);
    assert_eq!(catalog.rejected().len(), 1, "{:?}", catalog.rejected());
    let rejection = &catalog.rejected()[0];
    assert!(rejection.path.ends_with("broken.rego"));
    assert!(rejection.error.contains("broken.rego:"), "the engine's location: {}", rejection.error);
    // A directory that cannot be read is an error, not an empty catalog.
    assert!(Catalog::with_dir(&dir.join("missing"), &PolicyLimits::default()).is_err());
}
