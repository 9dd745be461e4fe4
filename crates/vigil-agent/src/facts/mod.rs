//! Facts gathering: what a check needs from a machine that discoveries do not carry (the
//! `token` of corosync.conf, a package's version, a unit's state, the resource defaults).
//!
//! The server sends a [`FactsGatheringRequested`]; the agent answers a [`FactsGathered`]
//! with one [`Fact`] per request, in order (`docs/facts.md` is the reference of both).
//! Each gatherer is a module of its own: a pure parser of a tool's output or a file's text,
//! tested on captured samples, and a thin `gather` that reads its source once for all the
//! requests it gets, through [`Sources`] (a timeout and a size cap on every program and
//! file). A missing tool or file, a timeout, output that does not parse: each is a
//! [`FactError`] in the answer, never a panic.
//!
//! ```no_run
//! # async fn example() {
//! use vigil_agent::facts::{self, FactRequest, Sources};
//! let request = FactRequest {
//!     check_id: "C1".into(),
//!     name: "token".into(),
//!     gatherer: "corosync.conf".into(),
//!     argument: "totem.token".into(),
//! };
//! let facts = facts::gather(&Sources::local(), &[request]).await;
//! println!("{}", serde_json::to_string(&facts).unwrap());
//! # }
//! ```

pub mod channel;
pub mod cibadmin;
pub mod corosync_cmapctl;
pub mod corosync_conf;
mod error;
pub mod fstab;
pub mod hosts;
pub mod package_version;
pub mod saptune;
pub mod sbd_config;
mod sources;
pub mod sysctl;
pub mod systemd;
mod value;
pub mod wire;

use std::time::{Duration, Instant};

use uuid::Uuid;

pub use error::{FactError, FactErrorKind, ParseError};
pub use sources::{Sources, ToolOutput};
pub use value::{FactValue, lookup, scalar};
pub use wire::{Fact, FactRequest, FactsGathered, FactsGatheringRequested, Outcome, Target};

/// Every gatherer's wire name.
pub const GATHERERS: [&str; 10] = [
    corosync_conf::NAME,
    corosync_cmapctl::NAME,
    sbd_config::NAME,
    package_version::NAME,
    systemd::NAME,
    sysctl::NAME,
    hosts::NAME,
    fstab::NAME,
    saptune::NAME,
    cibadmin::NAME,
];

/// Most fact requests one agent answers per execution; those past it are refused one by one
/// (`invalid_argument`), so a runaway request cannot keep an agent busy for hours.
pub const MAX_FACT_REQUESTS: usize = 1000;

/// Longest one execution's gathering may take; what is not gathered by then is `timeout`.
pub const EXECUTION_BUDGET: Duration = Duration::from_secs(60);

/// Gathers `requests`, one fact per request in the same order. Requests to one gatherer are
/// answered together (one read of a file, one run of a tool); gatherers run one after another.
pub async fn gather(sources: &Sources, requests: &[FactRequest]) -> Vec<Fact> {
    let mut outcomes: Vec<Option<Result<FactValue, FactError>>> = vec![None; requests.len()];
    let (accepted, refused) = requests.split_at(requests.len().min(MAX_FACT_REQUESTS));
    for (index, _) in refused.iter().enumerate() {
        outcomes[MAX_FACT_REQUESTS + index] = Some(Err(FactError::new(
            FactErrorKind::InvalidArgument,
            format!("more than {MAX_FACT_REQUESTS} facts asked of one agent"),
        )));
    }
    let mut names: Vec<&str> = Vec::new();
    for request in accepted {
        if !names.contains(&request.gatherer.as_str()) {
            names.push(&request.gatherer);
        }
    }
    for name in names {
        let indices: Vec<usize> = (0..accepted.len()).filter(|&i| accepted[i].gatherer == name).collect();
        let arguments: Vec<&str> = indices.iter().map(|&i| accepted[i].argument.as_str()).collect();
        let answers = gather_one(sources, name, &arguments).await;
        debug_assert_eq!(answers.len(), arguments.len(), "{name} answers every argument");
        for (index, answer) in indices.into_iter().zip(answers) {
            outcomes[index] = Some(answer);
        }
    }
    requests
        .iter()
        .zip(outcomes)
        .map(|(request, outcome)| {
            let outcome = outcome.unwrap_or_else(|| {
                Err(FactError::new(FactErrorKind::ToolFailed, format!("{} gave no answer", request.gatherer)))
            });
            Fact::answering(request, outcome)
        })
        .collect()
}

/// Answers `request` for `agent_id`: its target's facts within [`EXECUTION_BUDGET`], or
/// `None` when the agent is not a target.
pub async fn answer(sources: &Sources, request: &FactsGatheringRequested, agent_id: Uuid) -> Option<FactsGathered> {
    let target = request.target_of(agent_id)?;
    let sources = Sources { deadline: Some(Instant::now() + EXECUTION_BUDGET), ..sources.clone() };
    let facts_gathered = gather(&sources, &target.fact_requests).await;
    Some(FactsGathered { execution_id: request.execution_id, agent_id, facts_gathered })
}

/// One gatherer's answers to its arguments, in order.
pub async fn gather_one(sources: &Sources, gatherer: &str, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    match gatherer {
        corosync_conf::NAME => corosync_conf::gather(sources, arguments).await,
        corosync_cmapctl::NAME => corosync_cmapctl::gather(sources, arguments).await,
        sbd_config::NAME => sbd_config::gather(sources, arguments).await,
        package_version::NAME => package_version::gather(sources, arguments).await,
        systemd::NAME => systemd::gather(sources, arguments).await,
        sysctl::NAME => sysctl::gather(sources, arguments).await,
        hosts::NAME => hosts::gather(sources, arguments).await,
        fstab::NAME => fstab::gather(sources, arguments).await,
        saptune::NAME => saptune::gather(sources, arguments).await,
        cibadmin::NAME => cibadmin::gather(sources, arguments).await,
        unknown => {
            let error = FactError::new(
                FactErrorKind::UnknownGatherer,
                format!("no gatherer `{unknown}` (known: {})", GATHERERS.join(", ")),
            );
            vec![Err(error); arguments.len()]
        }
    }
}
