//! The seam with regorus: building a prepared engine, listing rules, converting values.
//!
//! Everything that touches regorus' API lives here, so an upgrade of the engine is a
//! change to one file.

use regorus::Engine;
use regorus::unstable::{Rule, RuleHead};
use serde::Deserialize;

use crate::{PolicyError, PolicySet};

/// A rule declared in some module, as the test runner and the evaluation points see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeclaredRule {
    /// The package, dot-joined without `data.`, e.g. `vigil.authz_test`.
    pub(crate) package: String,
    /// The rule's name, e.g. `test_admin_may_publish_policies`.
    pub(crate) name: String,
    /// What `Engine::eval_rule` takes, e.g. `data.vigil.authz.allow`.
    pub(crate) eval_path: String,
    /// Functions take arguments and cannot be evaluated on their own.
    pub(crate) is_function: bool,
}

/// An engine holding every module of `set`, analyzed and ready to be cloned per evaluation.
///
/// regorus parses in `add_policy` but analyzes (unsafe variables, recursion, rule
/// scheduling) only on the first evaluation, so a trivial query is run here: the clones then
/// share the prepared state and a module that fails analysis is rejected now, not on the
/// first request.
pub(crate) fn build_engine(set: &PolicySet) -> Result<Engine, PolicyError> {
    let mut engine = Engine::new();
    // Rego v1 is regorus' default today; stating it keeps an upgrade from silently
    // changing how the bundle parses.
    engine.set_rego_v0(false);
    for (path, source) in set.modules() {
        engine.add_policy(path.to_owned(), source.to_owned()).map_err(|error| PolicyError::compile(&error))?;
    }
    engine.eval_query("true".to_owned(), false).map_err(|error| PolicyError::compile(&error))?;
    Ok(engine)
}

/// Every rule declared in the engine's modules, in module then declaration order. A rule
/// defined by several bodies or in several modules appears once per definition.
pub(crate) fn declared_rules(engine: &mut Engine) -> Result<Vec<DeclaredRule>, PolicyError> {
    let packages = engine.get_policy_package_components().map_err(|error| PolicyError::compile(&error))?;
    let modules = engine.get_modules();
    let mut rules = Vec::new();
    for (package, module) in packages.iter().zip(modules.iter()) {
        for rule in &module.policy {
            let (head_text, is_function) = match rule.as_ref() {
                Rule::Spec { head, .. } => match head {
                    RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr.span().text(), false),
                    RuleHead::Func { refr, .. } => (refr.span().text(), true),
                },
                Rule::Default { refr, args, .. } => (refr.span().text(), !args.is_empty()),
            };
            // `a.b.c := 1` declares rule `a` with a nested value; the name is the first
            // component of the head reference.
            let name = head_text.split(['.', '[']).next().unwrap_or(head_text).trim().to_owned();
            rules.push(DeclaredRule {
                package: package.components.join("."),
                eval_path: eval_path(&package.components, &name),
                name,
                is_function,
            });
        }
    }
    Ok(rules)
}

/// The path `Engine::eval_rule` takes for rule `name` in a package: dotted where the
/// components are identifiers, bracketed string literals where they are not.
pub(crate) fn eval_path(package: &[String], name: &str) -> String {
    let mut path = String::from("data");
    for component in package.iter().map(String::as_str).chain([name]) {
        let is_identifier = component.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && component.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_identifier {
            path.push('.');
            path.push_str(component);
        } else {
            path.push('[');
            // A JSON string literal is a valid Rego string literal.
            path.push_str(&serde_json::Value::from(component).to_string());
            path.push(']');
        }
    }
    path
}

/// A JSON document as an engine value.
pub(crate) fn to_rego(value: &serde_json::Value) -> Result<regorus::Value, PolicyError> {
    regorus::Value::deserialize(value).map_err(|error| PolicyError::InvalidInput { message: error.to_string() })
}

/// An engine value as JSON; `None` for undefined. Sets become sorted arrays.
pub(crate) fn to_json(value: &regorus::Value) -> Result<Option<serde_json::Value>, String> {
    if *value == regorus::Value::Undefined {
        return Ok(None);
    }
    serde_json::to_value(value).map(Some).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_paths_bracket_components_that_are_not_identifiers() {
        let package = vec!["vigil".to_owned(), "authz".to_owned()];
        assert_eq!(eval_path(&package, "allow"), "data.vigil.authz.allow");
        let package = vec!["graph".to_owned(), "1.0".to_owned()];
        assert_eq!(eval_path(&package, "ok"), r#"data.graph["1.0"].ok"#);
    }
}
