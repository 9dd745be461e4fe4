//! One compiled revision, and evaluation against it.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use regorus::Engine;
use regorus::languages::rego::compiler::{Compiler, CompilerError};
use regorus::rvm::program::Program;
use regorus::rvm::vm::RegoVM;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::engine::{self, DeclaredRule};
use crate::guard::{self, PolicyLimits};
use crate::{
    AdmissionInput, AuthzInput, Decision, PolicyError, PolicySet, Revision, SlaReport, Violation, mask_in_place,
};

/// Where Vigil asks a policy for a decision. Each point is one Rego package with a
/// documented input document (see the crate's README and `schemas/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvaluationPoint {
    /// `data.vigil.authz`: may this principal run this command? Reads `allow`, `reasons`.
    Authz,
    /// `data.vigil.admission`: may this action run for this event? Reads `allow`, `reasons`.
    Admission,
    /// `data.vigil.sla`: which SLAs do the read models violate? Reads `violations`.
    Sla,
    /// `data.vigil.audit`: which input fields must be masked in records? Reads `mask`.
    Audit,
}

/// A policy set compiled once and evaluated many times, possibly from many threads.
///
/// The rules the evaluation points read are compiled to regorus' bytecode (the RVM), and
/// each evaluation runs them on a fresh VM over the shared, immutable program: that is
/// about six times faster than regorus' tree-walking interpreter for the default authz
/// policy (see `examples/authz_latency.rs`) and needs no pool, lock or cleanup between
/// requests. A set the bytecode compiler does not support is evaluated by the
/// interpreter instead, on a clone of one prepared engine per evaluation; a warning says
/// so. Rego unit tests and ad hoc queries always use the interpreter, which alone
/// supports `with`.
#[derive(Clone, Debug)]
pub struct CompiledPolicies {
    revision: Revision,
    set: PolicySet,
    /// The prepared interpreter: the fallback evaluator, and the source of the program.
    engine: Engine,
    /// Bytecode for every declared evaluation-point rule, when the compiler supports the set.
    program: Option<Arc<Program>>,
    /// `eval_path`s of the rules the modules declare. regorus treats a rule that no module
    /// declares as an error rather than as undefined, so evaluation consults this first.
    declared: BTreeSet<String>,
}

/// One evaluation in progress: an input bound to a VM or to an interpreter clone.
enum Session {
    Vm(Box<RegoVM>),
    Interpreter(Box<Engine>),
}

/// How many bytecode instructions one rule may execute before it is stopped. A budget
/// rather than a timeout, so a runaway policy fails the same way on every machine. The
/// SLA point iterates over whole read models and gets far more room.
const REQUEST_INSTRUCTION_BUDGET: usize = 1_000_000;
const SLA_INSTRUCTION_BUDGET: usize = 200_000_000;

const AUTHZ_ALLOW: &str = "data.vigil.authz.allow";
const AUTHZ_REASONS: &str = "data.vigil.authz.reasons";
const ADMISSION_ALLOW: &str = "data.vigil.admission.allow";
const ADMISSION_REASONS: &str = "data.vigil.admission.reasons";
const SLA_VIOLATIONS: &str = "data.vigil.sla.violations";
const AUDIT_MASK: &str = "data.vigil.audit.mask";

impl EvaluationPoint {
    /// Every evaluation point.
    pub const ALL: [Self; 4] = [Self::Authz, Self::Admission, Self::Sla, Self::Audit];

    /// The Rego package, without `data.`, e.g. `vigil.authz`.
    pub fn package(self) -> &'static str {
        match self {
            Self::Authz => "vigil.authz",
            Self::Admission => "vigil.admission",
            Self::Sla => "vigil.sla",
            Self::Audit => "vigil.audit",
        }
    }

    /// The eval paths of the rules this point reads.
    fn rules(self) -> &'static [&'static str] {
        match self {
            Self::Authz => &[AUTHZ_ALLOW, AUTHZ_REASONS],
            Self::Admission => &[ADMISSION_ALLOW, ADMISSION_REASONS],
            Self::Sla => &[SLA_VIOLATIONS],
            Self::Audit => &[AUDIT_MASK],
        }
    }
}

impl CompiledPolicies {
    /// Compile `set`, or say why it does not compile.
    ///
    /// Beyond parsing and analysis, the bytecode compiler resolves every function called
    /// from an evaluation point's rules, and every such rule is then evaluated once
    /// against an empty input. regorus' interpreter resolves function names only when a
    /// call is reached, so without these steps a misspelled builtin would surface on the
    /// first request rather than at load. For a set that falls back to the interpreter the
    /// check is best effort: a call behind a condition that an empty input does not satisfy
    /// is still found only at run time, as [`PolicyError::Evaluation`].
    ///
    /// Runs under [`PolicyLimits::default`]; see [`CompiledPolicies::compile_with`].
    pub fn compile(set: PolicySet) -> Result<Self, PolicyError> {
        Self::compile_with(set, &PolicyLimits::default())
    }

    /// [`CompiledPolicies::compile`] under `limits`: every module's size and bracket
    /// nesting are checked on the raw text first ([`PolicyError::TooComplex`]), then the
    /// engine compiles on its own thread, with its own stack, and is abandoned after
    /// `limits.timeout` ([`PolicyError::Timeout`]).
    pub fn compile_with(set: PolicySet, limits: &PolicyLimits) -> Result<Self, PolicyError> {
        guard::check_set(&set, limits)?;
        guard::run_bounded(limits.timeout, move || Self::compile_unbounded(set))?
    }

    fn compile_unbounded(set: PolicySet) -> Result<Self, PolicyError> {
        let mut engine = engine::build_engine(&set)?;
        let declared = engine::declared_rules(&mut engine)?
            .into_iter()
            .filter(|rule| !rule.is_function)
            .map(|rule: DeclaredRule| rule.eval_path)
            .collect::<BTreeSet<_>>();
        let revision = set.revision();
        let program = compile_program(&engine, &declared, &revision)?;
        let compiled = Self { revision, set, engine, program, declared };
        compiled.smoke_test()?;
        Ok(compiled)
    }

    /// Whether evaluations run as bytecode (`true`) or fall back to the interpreter.
    pub fn runs_bytecode(&self) -> bool {
        self.program.is_some()
    }

    /// The revision this was compiled from.
    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    /// The sources this was compiled from.
    pub fn policy_set(&self) -> &PolicySet {
        &self.set
    }

    /// Whether the set defines any rule of `point`. Without one, authz and admission deny
    /// and SLA and audit yield nothing.
    pub fn defines(&self, point: EvaluationPoint) -> bool {
        point.rules().iter().any(|path| self.declared.contains(*path))
    }

    /// Evaluate `point` against `input` and record the decision.
    ///
    /// Undefined rules read as their safe value: `allow` as false (fail closed), `reasons`,
    /// `violations` and `mask` as empty. The recorded input is masked by the audit policy
    /// evaluated on the same input; if that policy fails, the whole input is recorded as
    /// `"***"` rather than risk a secret in the log, and a warning is logged.
    pub fn evaluate(&self, point: EvaluationPoint, input: &Value) -> Result<Decision, PolicyError> {
        self.evaluate_document(point, Cow::Borrowed(input), Instant::now())
    }

    /// [`CompiledPolicies::evaluate`] on an input that may be owned, so the typed entry
    /// points, which build the document themselves, mask it in place instead of copying it.
    fn evaluate_document(
        &self,
        point: EvaluationPoint,
        input: Cow<'_, Value>,
        started: Instant,
    ) -> Result<Decision, PolicyError> {
        let mut session = self.session(point, engine::to_rego(&input)?);
        let policy = point.package();

        let (result, allow, reasons, mask_paths) = match point {
            EvaluationPoint::Authz | EvaluationPoint::Admission => {
                let (allow_path, reasons_path) = match point {
                    EvaluationPoint::Authz => (AUTHZ_ALLOW, AUTHZ_REASONS),
                    _ => (ADMISSION_ALLOW, ADMISSION_REASONS),
                };
                let allow = match self.read(&mut session, policy, allow_path)? {
                    None => false,
                    Some(Value::Bool(allow)) => allow,
                    Some(other) => return Err(invalid(policy, "allow", "a boolean", &other)),
                };
                let reasons = match self.read(&mut session, policy, reasons_path)? {
                    None => Vec::new(),
                    Some(value) => strings(policy, "reasons", value)?,
                };
                let result = json!({"allow": allow, "reasons": reasons});
                (result, Some(allow), reasons, self.audit_mask(&mut session))
            }
            EvaluationPoint::Sla => {
                let violations = match self.read(&mut session, policy, SLA_VIOLATIONS)? {
                    None => Value::Array(Vec::new()),
                    Some(value @ Value::Array(_)) => value,
                    Some(other) => {
                        return Err(invalid(policy, "violations", "a set of objects", &other));
                    }
                };
                let result = json!({"violations": violations});
                (result, None, Vec::new(), self.audit_mask(&mut session))
            }
            EvaluationPoint::Audit => {
                let paths = match self.read(&mut session, policy, AUDIT_MASK)? {
                    None => Vec::new(),
                    Some(value) => strings(policy, "mask", value)?,
                };
                let result = json!({"mask": paths});
                (result, None, Vec::new(), Some(paths))
            }
        };

        let recorded_input = match mask_paths {
            Some(paths) => {
                let mut recorded = input.into_owned();
                mask_in_place(&mut recorded, &paths);
                recorded
            }
            None => Value::String(crate::MASKED.to_owned()),
        };
        Ok(Decision {
            decision_id: Uuid::now_v7(),
            policy: policy.to_owned(),
            revision: self.revision.clone(),
            input: recorded_input,
            result,
            allow,
            reasons,
            latency_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        })
    }

    /// Authorize a command (`data.vigil.authz`). `decision.allow` is always `Some`.
    pub fn authorize(&self, input: &AuthzInput) -> Result<Decision, PolicyError> {
        let started = Instant::now();
        self.evaluate_document(EvaluationPoint::Authz, Cow::Owned(to_document(input)?), started)
    }

    /// Admit an action (`data.vigil.admission`). `decision.allow` is always `Some`.
    pub fn admit(&self, input: &AdmissionInput) -> Result<Decision, PolicyError> {
        let started = Instant::now();
        self.evaluate_document(EvaluationPoint::Admission, Cow::Owned(to_document(input)?), started)
    }

    /// Check SLAs (`data.vigil.sla`) over read models: an object of arrays such as
    /// `{"hosts": [...], "clusters": [...], "now": "..."}`.
    pub fn check_sla(&self, read_models: &Value) -> Result<SlaReport, PolicyError> {
        let decision = self.evaluate(EvaluationPoint::Sla, read_models)?;
        let violations = decision.result.get("violations").cloned().unwrap_or(Value::Array(Vec::new()));
        let mut violations: Vec<Violation> =
            serde_json::from_value(violations).map_err(|error| PolicyError::InvalidResult {
                policy: EvaluationPoint::Sla.package().to_owned(),
                rule: "violations".to_owned(),
                message: format!(
                    "each violation must be an object with string id, subject, policy and message: {error}"
                ),
            })?;
        violations.sort();
        Ok(SlaReport { violations, decision })
    }

    /// The paths `data.vigil.audit.mask` yields for `input`, for callers that record an
    /// input outside a [`Decision`] (command logs, dead letters).
    pub fn mask_paths(&self, input: &Value) -> Result<Vec<String>, PolicyError> {
        let mut session = self.session(EvaluationPoint::Audit, engine::to_rego(input)?);
        let policy = EvaluationPoint::Audit.package();
        match self.read(&mut session, policy, AUDIT_MASK)? {
            None => Ok(Vec::new()),
            Some(value) => strings(policy, "mask", value),
        }
    }

    /// A VM (or interpreter clone) with `input` set, ready to read the rules of `point`.
    fn session(&self, point: EvaluationPoint, input: regorus::Value) -> Session {
        match &self.program {
            Some(program) => {
                let mut vm = RegoVM::new();
                vm.load_program(Arc::clone(program));
                vm.set_max_instructions(match point {
                    EvaluationPoint::Sla => SLA_INSTRUCTION_BUDGET,
                    _ => REQUEST_INSTRUCTION_BUDGET,
                });
                vm.set_input(input);
                Session::Vm(Box::new(vm))
            }
            None => {
                let mut engine = self.engine.clone();
                engine.set_input(input);
                Session::Interpreter(Box::new(engine))
            }
        }
    }

    /// The value of one rule, `None` when it is undefined or no module declares it.
    fn read(&self, session: &mut Session, policy: &str, eval_path: &str) -> Result<Option<Value>, PolicyError> {
        if !self.declared.contains(eval_path) {
            return Ok(None);
        }
        let value = match session {
            Session::Vm(vm) => vm
                .execute_entry_point_by_name(eval_path)
                .map_err(|error| PolicyError::Evaluation { policy: policy.to_owned(), message: error.to_string() })?,
            Session::Interpreter(engine) => {
                engine.eval_rule(eval_path.to_owned()).map_err(|error| PolicyError::evaluation(policy, &error))?
            }
        };
        engine::to_json(&value).map_err(|message| PolicyError::InvalidResult {
            policy: policy.to_owned(),
            rule: eval_path.rsplit('.').next().unwrap_or(eval_path).to_owned(),
            message,
        })
    }

    /// The audit mask for the input already bound to `session`; `None` if the audit policy
    /// failed, which the caller turns into masking everything.
    fn audit_mask(&self, session: &mut Session) -> Option<Vec<String>> {
        let policy = EvaluationPoint::Audit.package();
        let paths = self.read(session, policy, AUDIT_MASK).and_then(|value| match value {
            None => Ok(Vec::new()),
            Some(value) => strings(policy, "mask", value),
        });
        match paths {
            Ok(paths) => Some(paths),
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    revision = %self.revision,
                    "Audit mask policy failed; the decision records its whole input as masked."
                );
                None
            }
        }
    }

    /// Evaluate every rule an evaluation point reads once, against an empty input, with
    /// the evaluator requests will use.
    fn smoke_test(&self) -> Result<(), PolicyError> {
        for point in EvaluationPoint::ALL {
            let mut session = self.session(point, regorus::Value::new_object());
            for path in point.rules() {
                if let Err(error) = self.read(&mut session, point.package(), path) {
                    return Err(PolicyError::Compile {
                        message: match error {
                            PolicyError::Evaluation { message, .. } => message,
                            other => other.to_string(),
                        },
                    });
                }
            }
        }
        Ok(())
    }
}

/// Bytecode for the declared evaluation-point rules; `None` when the set declares none of
/// them, or uses something the bytecode compiler does not support (a warning says so).
///
/// The bytecode compiler resolves every call statically, so an unknown function is
/// reported here as a compile error, with its location, even where the interpreter would
/// only have found it on the first request that reaches the call.
fn compile_program(
    engine: &Engine,
    declared: &BTreeSet<String>,
    revision: &Revision,
) -> Result<Option<Arc<Program>>, PolicyError> {
    let entry_points: Vec<&str> = EvaluationPoint::ALL
        .iter()
        .flat_map(|point| point.rules().iter().copied())
        .filter(|path| declared.contains(*path))
        .collect();
    compile_entry_points(engine, &entry_points, revision)
}

/// Bytecode for `entry_points` (eval paths the modules declare); `None` when there are
/// none or the bytecode compiler does not support the set (a warning says so). An unknown
/// function is a compile error.
pub(crate) fn compile_entry_points(
    engine: &Engine,
    entry_points: &[&str],
    revision: &Revision,
) -> Result<Option<Arc<Program>>, PolicyError> {
    let Some(first) = entry_points.first() else {
        return Ok(None);
    };
    let unsupported = |message: String| {
        tracing::warn!(
            error = %message.trim(),
            revision = %revision,
            "Policy set cannot be compiled to bytecode; evaluating it with the slower interpreter."
        );
        Ok(None)
    };
    let policy = match engine.clone().compile_with_entrypoint(&(*first).into()) {
        Ok(policy) => policy,
        Err(error) => return unsupported(format!("{error:#}")),
    };
    match Compiler::compile_from_policy(&policy, entry_points) {
        Ok(program) => Ok(Some(program)),
        Err(error) => match error.error {
            CompilerError::UnknownFunction { .. }
            | CompilerError::UnknownBuiltinFunction { .. }
            | CompilerError::NotBuiltinFunction { .. } => {
                Err(PolicyError::Compile { message: error.to_string().trim().to_owned() })
            }
            _ => unsupported(error.to_string()),
        },
    }
}

fn to_document<T: serde::Serialize>(input: &T) -> Result<Value, PolicyError> {
    serde_json::to_value(input).map_err(|error| PolicyError::InvalidInput { message: error.to_string() })
}

/// A set or array of strings as a sorted, deduplicated list.
fn strings(policy: &str, rule: &str, value: Value) -> Result<Vec<String>, PolicyError> {
    let Value::Array(items) = value else {
        return Err(invalid(policy, rule, "a set of strings", &value));
    };
    let mut strings = items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => Ok(text),
            other => Err(invalid(policy, rule, "a set of strings", &other)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    strings.sort();
    strings.dedup();
    Ok(strings)
}

fn invalid(policy: &str, rule: &str, expected: &str, got: &Value) -> PolicyError {
    PolicyError::InvalidResult {
        policy: policy.to_owned(),
        rule: rule.to_owned(),
        message: format!("expected {expected}, got {got}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Production runs bytecode while Rego unit tests run on the interpreter, so the two
    /// must agree on the shipped bundle, or a green `vigil policy test` would prove nothing
    /// about live decisions.
    #[test]
    fn bytecode_and_interpreter_agree_on_the_default_bundle() {
        let bytecode = CompiledPolicies::compile(PolicySet::default_bundle()).expect("compiles");
        assert!(bytecode.runs_bytecode());
        let interpreter = CompiledPolicies { program: None, ..bytecode.clone() };
        let mut inputs = vec![json!({}), json!(null), json!({"principal": "root"})];
        for kind in ["agent", "user", "service", "system", "robot"] {
            for roles in [
                json!([]),
                json!(["admin"]),
                json!(["operator"]),
                json!(["viewer"]),
                json!(["viewer", "operator"]),
                json!(["auditor"]),
            ] {
                for command_type in [
                    "SubmitDiscovery",
                    "RecordHeartbeat",
                    "ReadHost",
                    "ListHosts",
                    "DeregisterHost",
                    "PublishPolicy",
                    "RetirePolicy",
                    "CreateToken",
                    "RevokeToken",
                ] {
                    for read in [false, true] {
                        inputs.push(json!({
                            "principal": {"kind": kind, "id": "p", "roles": roles},
                            "command": {"type": command_type, "body": {"password": "p", "nested": {"api_key": "k"}}, "read": read},
                            "target": {"id": "t", "kind": "host", "state": {}},
                        }));
                    }
                }
            }
        }
        for point in EvaluationPoint::ALL {
            for input in &inputs {
                let expected = interpreter.evaluate(point, input).expect("interpreter evaluates");
                let actual = bytecode.evaluate(point, input).expect("bytecode evaluates");
                assert_eq!(
                    (&actual.result, actual.allow, &actual.reasons, &actual.input),
                    (&expected.result, expected.allow, &expected.reasons, &expected.input),
                    "{point:?} {input}"
                );
            }
        }
    }
}
