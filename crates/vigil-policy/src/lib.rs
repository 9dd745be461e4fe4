//! Vigil's policies: Rego modules evaluated with [regorus](https://docs.rs/regorus).
//!
//! Policies decide who may run which command (`data.vigil.authz`), which actions may run
//! for which events (`data.vigil.admission`), which SLAs the read models violate
//! (`data.vigil.sla`) and which input fields never reach an audit record
//! (`data.vigil.audit`). The input document of each is described in this crate's README
//! and, as JSON Schema, in `schemas/`.
//!
//! The design in one breath: a [`PolicySet`] (path → source) has a [`Revision`], a hash of
//! its sources. It is compiled once into [`CompiledPolicies`], which holds one prepared
//! engine and clones it for every evaluation, so evaluations are cheap, lock-free and
//! independent. A [`PolicyRepository`] holds the active revision and swaps in new ones
//! atomically; a set that does not compile is rejected and the old revision stays.
//! Every evaluation returns a [`Decision`] record with the masked input, ready for the
//! audit log. [`run_tests`] and [`eval`] are `opa test` and `opa eval` for the CLI.
//!
//! The crate does no I/O on the evaluation path; only loading from a directory and
//! [`watch_dir`] touch the file system.
//!
//! ```
//! use vigil_policy::{AuthzInput, CommandInput, Principal, PrincipalKind, PolicyRepository};
//!
//! let policies = PolicyRepository::with_default_bundle()?;
//! let input = AuthzInput {
//!     principal: Principal {
//!         kind: PrincipalKind::User,
//!         id: "alice".into(),
//!         roles: vec!["operator".into()],
//!     },
//!     command: CommandInput {
//!         command_type: "CreateToken".into(),
//!         body: serde_json::json!({"name": "ci", "secret": "s3cr3t"}),
//!         read: false,
//!     },
//!     target: None,
//! };
//! let decision = policies.current().authorize(&input)?;
//! assert_eq!(decision.allow, Some(false));
//! assert!(decision.reasons[0].contains("requires role admin"));
//! assert_eq!(decision.input["command"]["body"]["secret"], "***");
//! # Ok::<(), vigil_policy::PolicyError>(())
//! ```
#![deny(missing_docs)]

mod compiled;
mod condition;
mod decision;
mod engine;
mod error;
mod guard;
mod input;
mod mask;
mod repository;
mod rules;
mod set;
mod testing;

pub mod publication;
pub mod sla;

pub use compiled::{CompiledPolicies, EvaluationPoint};
pub use condition::Condition;
pub use decision::{Decision, SlaReport, Violation};
pub use error::PolicyError;
pub use guard::{MAX_ENGINE_THREADS, MAX_PATH_BYTES, PolicyLimits, check_source, nesting_depth, validate_policy_path};
pub use input::{ActionInput, AdmissionInput, AuthzInput, CommandInput, Principal, PrincipalKind, TargetInput};
pub use mask::{MASKED, mask, mask_in_place};
pub use repository::{PolicyRepository, watch_dir};
pub use rules::{CompiledRules, RegoInput};
pub use set::{PolicySet, Revision};
pub use testing::{TestReport, TestResult, eval, eval_with, run_tests, run_tests_with};
