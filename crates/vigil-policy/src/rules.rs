//! Rules named by the caller rather than by an evaluation point.
//!
//! The evaluation points ([`crate::EvaluationPoint`]) read fixed packages. Best-practice
//! checks (`vigil-checks`) are one package each, `vigil.checks.<id>`, and read their own
//! `metadata` and `result` rules: this type compiles such a set with the same guards
//! (size, nesting, deadline), the same bytecode-or-interpreter choice and the same
//! instruction budget, so there is one engine seam, not two.

use std::collections::BTreeSet;
use std::sync::Arc;

use regorus::Engine;
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use serde_json::Value;

use crate::engine::{self, DeclaredRule};
use crate::guard::{self, PolicyLimits};
use crate::{PolicyError, PolicySet, Revision};

/// How many bytecode instructions one rule of a [`CompiledRules`] may execute: a check
/// walks a CIB of a few hundred resources, far below this; a runaway loop stops here.
const RULE_INSTRUCTION_BUDGET: usize = 10_000_000;

/// An input document converted once for the engine, so evaluating many rules (or many
/// sets) against the same input does not convert it again. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RegoInput(regorus::Value);

impl RegoInput {
    /// Convert `input` for the engine.
    pub fn new(input: &Value) -> Result<Self, PolicyError> {
        engine::to_rego(input).map(Self)
    }

    /// This input with the top-level field `key` set to `value`: only the top level is
    /// copied, the rest is shared, so one converted document serves many variants (each
    /// check's `input.values`). An input that is not an object becomes one.
    pub fn with_field(&self, key: &str, value: &Value) -> Result<Self, PolicyError> {
        let mut document = match &self.0 {
            object @ regorus::Value::Object(_) => object.clone(),
            _ => regorus::Value::new_object(),
        };
        let object =
            document.as_object_mut().map_err(|error| PolicyError::InvalidInput { message: error.to_string() })?;
        object.insert(regorus::Value::from(key), engine::to_rego(value)?);
        Ok(Self(document))
    }
}

/// A policy set compiled for the rules a caller names (`data.<package>.<rule>`).
#[derive(Clone, Debug)]
pub struct CompiledRules {
    revision: Revision,
    engine: Engine,
    program: Option<Arc<Program>>,
    /// `eval_path`s of every non-function rule the modules declare.
    declared: BTreeSet<String>,
    packages: Vec<String>,
}

impl CompiledRules {
    /// Compile `set` for evaluating `entry_points` (eval paths such as
    /// `data.vigil.checks.x.result`; those no module declares are left out), under `limits`.
    ///
    /// As with [`crate::CompiledPolicies::compile_with`], sources are checked before the
    /// engine sees them, compiling happens on an engine thread abandoned after
    /// `limits.timeout`, an unknown function is a compile error, and every entry point is
    /// evaluated once against an empty input so that an error needing no input surfaces now.
    pub fn compile_with(set: PolicySet, entry_points: &[&str], limits: &PolicyLimits) -> Result<Self, PolicyError> {
        guard::check_set(&set, limits)?;
        let entry_points: Vec<String> = entry_points.iter().map(|path| (*path).to_owned()).collect();
        guard::run_bounded(limits.timeout, move || Self::compile_unbounded(&set, &entry_points))?
    }

    fn compile_unbounded(set: &PolicySet, entry_points: &[String]) -> Result<Self, PolicyError> {
        let mut engine = engine::build_engine(set)?;
        let rules = engine::declared_rules(&mut engine)?;
        let mut packages: Vec<String> = rules.iter().map(|rule: &DeclaredRule| rule.package.clone()).collect();
        let from_engine = engine.get_policy_package_components().map_err(|error| PolicyError::compile(&error))?;
        packages.extend(from_engine.iter().map(|package| package.components.join(".")));
        packages.sort();
        packages.dedup();
        let declared: BTreeSet<String> =
            rules.into_iter().filter(|rule| !rule.is_function).map(|rule| rule.eval_path).collect();
        let revision = set.revision();
        let wanted: Vec<&str> =
            entry_points.iter().map(String::as_str).filter(|path| declared.contains(*path)).collect();
        let program = crate::compiled::compile_entry_points(&engine, &wanted, &revision)?;
        let compiled = Self { revision, engine, program, declared, packages };
        let empty = RegoInput(regorus::Value::new_object());
        for path in wanted {
            if let Err(error) = compiled.evaluate_prepared(path, &empty) {
                return Err(PolicyError::Compile {
                    message: match error {
                        PolicyError::Evaluation { message, .. } => message,
                        other => other.to_string(),
                    },
                });
            }
        }
        Ok(compiled)
    }

    /// The revision of the compiled set.
    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    /// The packages the modules declare, sorted, without `data.`.
    pub fn packages(&self) -> &[String] {
        &self.packages
    }

    /// Whether some module declares the rule at `eval_path`.
    pub fn declares(&self, eval_path: &str) -> bool {
        self.declared.contains(eval_path)
    }

    /// Whether entry points run as bytecode (`true`) or on the interpreter.
    pub fn runs_bytecode(&self) -> bool {
        self.program.is_some()
    }

    /// The same rules evaluated by the interpreter only: the Rego unit tests run there, so a
    /// caller can check that both evaluators agree on its inputs.
    pub fn interpreted(&self) -> Self {
        Self { program: None, ..self.clone() }
    }

    /// The value of the rule at `eval_path` for `input`; `None` when it is undefined or no
    /// module declares it.
    pub fn evaluate(&self, eval_path: &str, input: &Value) -> Result<Option<Value>, PolicyError> {
        self.evaluate_prepared(eval_path, &RegoInput::new(input)?)
    }

    /// [`CompiledRules::evaluate`] on an input converted once.
    pub fn evaluate_prepared(&self, eval_path: &str, input: &RegoInput) -> Result<Option<Value>, PolicyError> {
        if !self.declared.contains(eval_path) {
            return Ok(None);
        }
        let policy = eval_path.rsplit_once('.').map_or(eval_path, |(package, _)| package);
        let policy = policy.strip_prefix("data.").unwrap_or(policy);
        let in_program = self.program.as_ref().filter(|program| program.entry_points.contains_key(eval_path));
        let value = match in_program {
            Some(program) => {
                let mut vm = RegoVM::new();
                vm.load_program(Arc::clone(program));
                vm.set_max_instructions(RULE_INSTRUCTION_BUDGET);
                vm.set_input(input.0.clone());
                vm.execute_entry_point_by_name(eval_path).map_err(|error| PolicyError::Evaluation {
                    policy: policy.to_owned(),
                    message: error.to_string(),
                })?
            }
            None => {
                let mut engine = self.engine.clone();
                engine.set_input(input.0.clone());
                engine.eval_rule(eval_path.to_owned()).map_err(|error| PolicyError::evaluation(policy, &error))?
            }
        };
        engine::to_json(&value).map_err(|message| PolicyError::InvalidResult {
            policy: policy.to_owned(),
            rule: eval_path.rsplit('.').next().unwrap_or(eval_path).to_owned(),
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const MODULE: &str = r#"package team.rules

default verdict := "unknown"

verdict := "big" if input.n > 10

verdict := "small" if input.n <= 10
"#;

    #[test]
    fn named_rules_evaluate_as_bytecode_and_agree_with_the_interpreter() {
        let set = PolicySet::from_modules([("team/rules.rego", MODULE)]);
        let rules = CompiledRules::compile_with(set, &["data.team.rules.verdict"], &PolicyLimits::default()).unwrap();
        assert!(rules.runs_bytecode());
        assert_eq!(rules.packages(), ["team.rules"]);
        let interpreter = CompiledRules { program: None, ..rules.clone() };
        for (input, expected) in [(json!({"n": 11}), "big"), (json!({"n": 3}), "small"), (json!({}), "unknown")] {
            assert_eq!(rules.evaluate("data.team.rules.verdict", &input).unwrap(), Some(json!(expected)));
            assert_eq!(interpreter.evaluate("data.team.rules.verdict", &input).unwrap(), Some(json!(expected)));
        }
        assert_eq!(rules.evaluate("data.team.rules.nothing", &json!({})).unwrap(), None);
        let base = RegoInput::new(&json!({"n": 3, "other": [1]})).unwrap();
        let bigger = base.with_field("n", &json!(12)).unwrap();
        assert_eq!(rules.evaluate_prepared("data.team.rules.verdict", &bigger).unwrap(), Some(json!("big")));
        assert_eq!(rules.evaluate_prepared("data.team.rules.verdict", &base).unwrap(), Some(json!("small")));
    }

    #[test]
    fn a_module_that_does_not_compile_is_refused_with_the_engines_error() {
        let set = PolicySet::from_modules([("bad.rego", "package bad\n\nx := no_such_builtin(1)\n")]);
        let error = CompiledRules::compile_with(set, &["data.bad.x"], &PolicyLimits::default()).unwrap_err();
        assert!(matches!(error, PolicyError::Compile { .. }), "{error:?}");
        assert!(error.to_string().contains("no_such_builtin"), "{error}");
    }
}
