//! `saptune_discovery` → `UpdateSaptuneStatus`.
//!
//! The agent sends whether saptune is installed, its package version, and the output of
//! `saptune --format json status` as `status` — `null` when it could not run it (saptune
//! missing or older than 3.1.0). Of that output only `result` is read, and of it only what
//! Trento keeps; the envelope around it (`$schema`, `pid`, `messages`, …) is ignored. A
//! `status` without a `result` is refused, as Trento refuses it.

use std::collections::BTreeMap;

use serde::Deserialize;
use uuid::Uuid;

use super::{InvalidDiscovery, parse_payload};
use crate::LandscapeCommand;
use crate::host::{
    HostCommand, SaptuneNote, SaptuneService, SaptuneSolution, SaptuneStaging, SaptuneStatus, SaptuneTuning,
    TuningState,
};

/// The payload as the Trento agent sends it. Unknown keys are ignored: a payload replayed
/// with its envelope inside also carries `agent_id` and `discovery_type`.
#[derive(Deserialize)]
struct SaptuneDiscoveryPayload {
    saptune_installed: bool,
    #[serde(default)]
    package_version: Option<String>,
    #[serde(default)]
    status: Option<StatusOutput>,
}

#[derive(Deserialize)]
struct StatusOutput {
    #[serde(default)]
    result: Option<StatusResult>,
}

#[derive(Deserialize)]
struct StatusResult {
    #[serde(default)]
    services: BTreeMap<String, ServiceState>,
    #[serde(rename = "tuning state")]
    tuning_state: String,
    #[serde(default, rename = "configured version")]
    configured_version: Option<String>,
    #[serde(default, rename = "Solution enabled")]
    solution_enabled: Vec<String>,
    #[serde(default, rename = "Notes enabled by Solution")]
    notes_enabled_by_solution: Vec<NotesOfSolution>,
    #[serde(default, rename = "Solution applied")]
    solution_applied: Vec<AppliedSolution>,
    #[serde(default, rename = "Notes applied by Solution")]
    notes_applied_by_solution: Vec<NotesOfSolution>,
    #[serde(default, rename = "Notes enabled additionally")]
    notes_enabled_additionally: Vec<String>,
    #[serde(default, rename = "Notes enabled")]
    notes_enabled: Vec<String>,
    #[serde(default, rename = "Notes applied")]
    notes_applied: Vec<String>,
    #[serde(default)]
    staging: Option<Staging>,
}

/// A service's `[enabled, active]`, or `[]` when it is not installed.
#[derive(Deserialize)]
#[serde(try_from = "Vec<String>")]
struct ServiceState(Option<(String, String)>);

impl TryFrom<Vec<String>> for ServiceState {
    type Error = &'static str;
    fn try_from(state: Vec<String>) -> Result<Self, Self::Error> {
        match <[String; 2]>::try_from(state) {
            Ok([enabled, active]) => Ok(ServiceState(Some((enabled, active)))),
            Err(state) if state.is_empty() => Ok(ServiceState(None)),
            Err(_) => Err("must be [] or [enabled, active]"),
        }
    }
}

#[derive(Deserialize)]
struct NotesOfSolution {
    #[serde(rename = "Solution ID")]
    solution_id: String,
    #[serde(rename = "Note list")]
    note_list: Vec<String>,
}

#[derive(Deserialize)]
struct AppliedSolution {
    #[serde(rename = "Solution ID")]
    solution_id: String,
    #[serde(rename = "applied partially")]
    applied_partially: bool,
}

#[derive(Deserialize)]
struct Staging {
    #[serde(rename = "staging enabled")]
    staging_enabled: bool,
    #[serde(default, rename = "Notes staged")]
    notes_staged: Vec<String>,
    #[serde(default, rename = "Solutions staged")]
    solutions_staged: Vec<String>,
}

pub(super) fn detect(agent_id: Uuid, payload: &str) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let p: SaptuneDiscoveryPayload = parse_payload(payload)?;
    let tuning = match p.status {
        None => None,
        Some(StatusOutput { result: None }) => {
            return Err(InvalidDiscovery::field(
                "payload.status.result",
                "must not be empty: saptune's status has no result",
            ));
        }
        Some(StatusOutput { result: Some(result) }) => Some(tuning(result)),
    };
    let status = SaptuneStatus {
        saptune_installed: p.saptune_installed,
        package_version: p.package_version.filter(|v| !v.trim().is_empty()),
        tuning,
    };
    Ok(vec![LandscapeCommand::Host {
        host_id: agent_id,
        command: HostCommand::UpdateSaptuneStatus { host_id: agent_id, status },
    }])
}

fn tuning(result: StatusResult) -> SaptuneTuning {
    let services = result
        .services
        .into_iter()
        .map(|(name, ServiceState(state))| {
            let (enabled, active) = state.unzip();
            SaptuneService { name, enabled, active }
        })
        .collect();
    let additionally = &result.notes_enabled_additionally;
    let notes = |ids: Vec<String>| -> Vec<SaptuneNote> {
        ids.into_iter().map(|id| SaptuneNote { additionally_enabled: additionally.contains(&id), id }).collect()
    };
    // saptune enables at most one solution; Trento keeps it only then, with the notes
    // listed for it.
    let enabled_solution = match result.solution_enabled.as_slice() {
        [id] => notes_of(id, &result.notes_enabled_by_solution).map(|notes| SaptuneSolution {
            id: id.clone(),
            notes,
            partial: false,
        }),
        _ => None,
    };
    let applied_solution =
        match result.solution_applied.as_slice() {
            [applied] => notes_of(&applied.solution_id, &result.notes_applied_by_solution).map(|notes| {
                SaptuneSolution { id: applied.solution_id.clone(), notes, partial: applied.applied_partially }
            }),
            _ => None,
        };
    SaptuneTuning {
        configured_version: result.configured_version,
        tuning_state: TuningState::from(result.tuning_state),
        services,
        enabled_notes: notes(result.notes_enabled),
        applied_notes: notes(result.notes_applied),
        enabled_solution,
        applied_solution,
        staging: result.staging.map(|s| SaptuneStaging {
            enabled: s.staging_enabled,
            notes: s.notes_staged,
            solution_ids: s.solutions_staged,
        }),
    }
}

fn notes_of(solution_id: &str, lists: &[NotesOfSolution]) -> Option<Vec<String>> {
    lists.iter().find(|l| l.solution_id == solution_id).map(|l| l.note_list.clone())
}
