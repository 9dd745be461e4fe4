//! Conditions: one Rego expression, true or not for one input.
//!
//! An action rule may carry `when = 'input.event.data.health == "critical"'`. The
//! expression becomes the body of one rule in a module of its own, compiled once when the
//! rule is loaded (under the same size, nesting and time limits as any policy, so a rule
//! that does not compile is refused then, not at its first event) and evaluated per event.

use regorus::Engine;
use serde_json::Value;

use crate::{PolicyError, PolicyLimits, PolicySet, engine, guard};

const PACKAGE: &str = "vigil.condition";
const RULE: &str = "data.vigil.condition.holds";

/// A compiled condition.
#[derive(Clone, Debug)]
pub struct Condition {
    expression: String,
    engine: Engine,
}

impl Condition {
    /// Compiles `expression` (one or more Rego body lines, all of which must hold).
    pub fn compile(expression: &str, limits: &PolicyLimits) -> Result<Self, PolicyError> {
        let source = format!("package {PACKAGE}\n\nholds if {{\n{expression}\n}}\n");
        guard::check_source("condition.rego", &source, limits)?;
        let set = PolicySet::from_modules([("condition.rego", source)]);
        let built = guard::run_bounded(limits.timeout, move || engine::build_engine(&set))??;
        let condition = Condition { expression: expression.to_owned(), engine: built };
        // Evaluated once on an empty input, so an unknown function or a type error that
        // needs no input surfaces now.
        condition.evaluate(&Value::Object(Default::default()))?;
        Ok(condition)
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Whether the expression holds for `input`; undefined (a missing field) is false.
    pub fn evaluate(&self, input: &Value) -> Result<bool, PolicyError> {
        let mut engine = self.engine.clone();
        engine.set_input(engine::to_rego(input)?);
        let value = engine.eval_rule(RULE.to_owned()).map_err(|error| PolicyError::evaluation(PACKAGE, &error))?;
        Ok(matches!(engine::to_json(&value), Ok(Some(Value::Bool(true)))))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_condition_holds_only_for_the_inputs_it_names() {
        let condition =
            Condition::compile(r#"input.event.data.health == "critical""#, &PolicyLimits::default()).unwrap();
        assert!(condition.evaluate(&json!({"event": {"data": {"health": "critical"}}})).unwrap());
        assert!(!condition.evaluate(&json!({"event": {"data": {"health": "passing"}}})).unwrap());
        assert!(!condition.evaluate(&json!({})).unwrap(), "a missing field is false, not an error");
    }

    #[test]
    fn a_condition_that_does_not_parse_is_refused_at_compile_time() {
        let error = Condition::compile("input.event ==", &PolicyLimits::default()).unwrap_err();
        assert!(matches!(error, PolicyError::Compile { .. }), "{error:?}");
        let error = Condition::compile("no_such_function(input)", &PolicyLimits::default()).unwrap_err();
        assert!(!error.to_string().is_empty());
    }
}
