//! `vigil policy test|eval`.

use std::process::ExitCode;

use anyhow::Context;
use vigil_policy::{PolicyLimits, PolicySet};

use crate::args::PolicyCommand;

pub fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    match command {
        PolicyCommand::Test { dir, timeout } => {
            let limits = PolicyLimits { timeout, ..Default::default() };
            let set =
                PolicySet::from_dir(&dir).with_context(|| format!("cannot load policies from {}", dir.display()))?;
            let report = vigil_policy::run_tests_with(&set, &limits)?;
            for result in &report.results {
                let verdict = if result.ok { "PASS" } else { "FAIL" };
                let error = result.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
                println!("{verdict} {}.{} ({} µs){error}", result.package, result.name, result.duration_us);
            }
            println!("{} passed, {} failed", report.passed, report.failed);
            Ok(if report.is_success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        PolicyCommand::Eval { query, input, dir, timeout } => {
            let limits = PolicyLimits { timeout, ..Default::default() };
            let set = match dir {
                Some(dir) => {
                    PolicySet::from_dir(&dir).with_context(|| format!("cannot load policies from {}", dir.display()))?
                }
                None => PolicySet::default_bundle(),
            };
            let input: Option<serde_json::Value> = input
                .map(|path| {
                    let text =
                        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
                })
                .transpose()?;
            let result = vigil_policy::eval_with(&set, input.as_ref(), &query, &limits)?;
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
