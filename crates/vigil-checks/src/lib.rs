//! Best-practice checks for SAP on SUSE HA clusters and their hosts, as Rego.
//!
//! A check is one module, `package vigil.checks.<id>`, with a `metadata` rule (what it
//! checks, where it applies, its values) and a `result` rule (`{"status", "message",
//! "observed", "expected"}`); its unit tests sit beside it in `<id>_test.rego`. The format
//! is `docs/checks.md`; the input document is `docs/checks-input.schema.json`.
//!
//! - [`Catalog`]: the shipped checks (embedded) plus a directory, each compiled alone
//!   through `vigil-policy` (same guards, bytecode VM and instruction budget as every
//!   policy), a broken file rejected with the engine's error.
//! - [`input`]: the document per target from the last discovery payloads.
//! - [`facts`]: the facts wire format (docs/facts.md), server side; a check declares the
//!   facts it needs ([`FactSpec`]) and [`Catalog::fact_requests`] says what to ask each host.
//! - [`Catalog::evaluate`]: the applicable checks of one target, checks with facts once per
//!   host on that host's answers, per-check results and the worst-of [`Health`].
//!
//! - [`execution`]: the checks of one target as a pure decider (ChecksSelected,
//!   ChecksExecutionStarted, ChecksExecutionCompleted), submitted through the gate by the
//!   server's checks runner; [`Catalog::check_selection`]: which selections it may record.
//!
//! The crate does no I/O except [`Catalog::with_dir`], reads no clock and mints no id.
#![deny(missing_docs)]

mod catalog;
mod check;
mod evaluate;
pub mod execution;
pub mod facts;
pub mod input;
mod selection;
mod shipped;

pub use catalog::{Catalog, Check, Rejection};
pub use check::{
    CLUSTER_TYPES, CheckResult, FactSpec, Health, HostResult, Metadata, PROVIDERS, Severity, Status, TargetType,
    ValueSpec,
};
pub use evaluate::{Evaluation, Selection};
pub use input::{CheckInput, HostDiscoveries, InputError, Target, cluster_input, host_input};
pub use shipped::sources as shipped_sources;
