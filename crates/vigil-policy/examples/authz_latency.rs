//! Latency of the default authorization policy, as the command gate sees it.
//!
//! Run with `cargo run --release --example authz_latency -p vigil-policy`. Prints
//! percentiles over 100k evaluations of an operator command, first for the whole decision
//! (`CompiledPolicies::authorize`: input conversion, a fresh VM, `allow`, `reasons`, the
//! audit mask, masking and the decision record), then for regorus alone under each
//! strategy that was weighed: the tree-walking interpreter, cloned per evaluation or
//! reused (what a pool would give at best), and the bytecode VM, new or reused.

use std::sync::Arc;
use std::time::Instant;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::RegoVM;
use serde_json::json;
use vigil_policy::{AuthzInput, CommandInput, CompiledPolicies, PolicySet, Principal, PrincipalKind, TargetInput};

const WARMUP: usize = 5_000;
const ITERATIONS: usize = 100_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policies = CompiledPolicies::compile(PolicySet::default_bundle())?;
    let input = AuthzInput {
        principal: Principal { kind: PrincipalKind::User, id: "alice".into(), roles: vec!["operator".into()] },
        command: CommandInput {
            command_type: "RequestChecksExecution".into(),
            body: json!({"cluster_id": "c-1", "checks": ["156F64", "53D035"], "password": "x"}),
            read: false,
        },
        target: Some(TargetInput {
            id: "c-1".into(),
            kind: "cluster".into(),
            state: json!({"health": "passing", "hosts": 2, "tags": ["prod"]}),
        }),
    };
    let decision = policies.authorize(&input)?;
    assert_eq!(decision.allow, Some(true), "{:?}", decision.reasons);

    println!(
        "default authz policy, operator command, {ITERATIONS} evaluations, {} cores",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    report("authorize (full decision)", || policies.authorize(&input).map(|_| ()))?;

    // The engines alone, without this crate's conversions and record: the strategies
    // that were weighed, each reading allow, reasons and the audit mask.
    let bundle = PolicySet::default_bundle();
    let document = regorus::Value::from(serde_json::to_value(&input)?);
    let rules = ["data.vigil.authz.allow", "data.vigil.authz.reasons", "data.vigil.audit.mask"];

    let mut template = regorus::Engine::new();
    for (path, source) in bundle.modules() {
        template.add_policy(path.to_owned(), source.to_owned())?;
    }
    template.set_input(document.clone());
    template.eval_rule(rules[0].to_owned())?;
    report("interpreter, engine clone per evaluation", || {
        let mut engine = template.clone();
        engine.set_input(document.clone());
        for rule in rules {
            engine.eval_rule(rule.to_owned())?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    let mut reused = template.clone();
    report("interpreter, one reused engine (a pool's best case)", || {
        reused.set_input(document.clone());
        for rule in rules {
            reused.eval_rule(rule.to_owned())?;
        }
        Ok::<_, anyhow::Error>(())
    })?;

    let policy = template.clone().compile_with_entrypoint(&rules[0].into())?;
    let program = Compiler::compile_from_policy(&policy, &rules).map_err(|error| anyhow::anyhow!(error.to_string()))?;
    report("bytecode, new VM per evaluation (what authorize does)", || {
        let mut vm = RegoVM::new();
        vm.load_program(Arc::clone(&program));
        vm.set_input(document.clone());
        for rule in rules {
            vm.execute_entry_point_by_name(rule)?;
        }
        Ok::<_, regorus::rvm::vm::VmError>(())
    })?;
    let mut vm = RegoVM::new();
    vm.load_program(Arc::clone(&program));
    report("bytecode, one reused VM", || {
        vm.set_input(document.clone());
        for rule in rules {
            vm.execute_entry_point_by_name(rule)?;
        }
        Ok::<_, regorus::rvm::vm::VmError>(())
    })?;
    Ok(())
}

fn report<E: Into<Box<dyn std::error::Error>>>(
    label: &str,
    mut evaluate: impl FnMut() -> Result<(), E>,
) -> Result<(), Box<dyn std::error::Error>> {
    for _ in 0..WARMUP {
        evaluate().map_err(Into::into)?;
    }
    let mut samples_ns = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let started = Instant::now();
        evaluate().map_err(Into::into)?;
        samples_ns.push(started.elapsed().as_nanos());
    }
    samples_ns.sort_unstable();
    let percentile = |p: f64| {
        let index = ((samples_ns.len() as f64 * p).ceil() as usize).saturating_sub(1);
        samples_ns[index.min(samples_ns.len() - 1)] as f64 / 1_000.0
    };
    println!(
        "{label:<55} p50 {:>7.1} µs  p99 {:>7.1} µs  p99.9 {:>7.1} µs  max {:>8.1} µs",
        percentile(0.50),
        percentile(0.99),
        percentile(0.999),
        percentile(1.0),
    );
    Ok(())
}
