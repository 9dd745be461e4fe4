//! `saptune`: the SAP tuning of the host, from `saptune --format json …` (saptune 3.1 and
//! later; older saptune has no JSON output and answers `parse_error`).
//!
//! The argument names what to ask: `status` (also the empty argument), `note-list`,
//! `note-verify`, `solution-list`, `solution-verify` or `check`. The value is the `result`
//! object of saptune's JSON, with each key that has a space in it written in snake_case
//! (`Solution applied` → `solution_applied`, `tuning state` → `tuning_state`, `Note ID` →
//! `note_id`), so Rego can use dotted access; other keys (note and parameter names such as
//! `SAP_HANA` or `vm.dirty_bytes`) stay as saptune prints them. saptune exits non-zero when
//! the system is not compliant, so its exit code is no failure as long as it printed JSON.

use serde_json::Map;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::FactValue;

/// The gatherer's name on the wire.
pub const NAME: &str = "saptune";

/// The saptune words of an argument.
pub fn command_of(argument: &str) -> Result<&'static [&'static str], FactError> {
    Ok(match argument {
        "" | "status" => &["status"],
        "note-list" => &["note", "list"],
        "note-verify" => &["note", "verify"],
        "solution-list" => &["solution", "list"],
        "solution-verify" => &["solution", "verify"],
        "check" => &["check"],
        other => {
            return Err(FactError::new(
                FactErrorKind::InvalidArgument,
                format!(
                    "`{other}` is not one of status, note-list, note-verify, solution-list, solution-verify, check"
                ),
            ));
        }
    })
}

/// Parses saptune's JSON output into its `result`, keys with spaces in snake_case.
pub fn parse(text: &str) -> Result<FactValue, ParseError> {
    let document: FactValue = serde_json::from_str(text.trim()).map_err(|e| {
        ParseError::at(e.line(), format!("not saptune's JSON output (saptune 3.1 or later is needed): {e}"))
    })?;
    let result = match document {
        FactValue::Object(mut map) => map.remove("result"),
        _ => None,
    };
    result.map(normalise).ok_or_else(|| ParseError::at(0, "saptune's JSON has no `result`"))
}

fn normalise(value: FactValue) -> FactValue {
    match value {
        FactValue::Object(map) => FactValue::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = if k.contains(' ') {
                        k.to_lowercase().split_whitespace().collect::<Vec<_>>().join("_")
                    } else {
                        k
                    };
                    (key, normalise(v))
                })
                .collect::<Map<_, _>>(),
        ),
        FactValue::Array(items) => FactValue::Array(items.into_iter().map(normalise).collect()),
        other => other,
    }
}

/// Runs saptune once per distinct sub-command and answers each argument.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let mut asked: Vec<(&[&str], Result<FactValue, FactError>)> = Vec::new();
    let mut facts = Vec::with_capacity(arguments.len());
    for argument in arguments {
        let words = match command_of(argument) {
            Ok(words) => words,
            Err(e) => {
                facts.push(Err(e));
                continue;
            }
        };
        if let Some((_, answer)) = asked.iter().find(|(w, _)| *w == words) {
            facts.push(answer.clone());
            continue;
        }
        let answer = run(sources, words).await;
        facts.push(answer.clone());
        asked.push((words, answer));
    }
    facts
}

async fn run(sources: &Sources, words: &[&str]) -> Result<FactValue, FactError> {
    let mut args = vec!["--format", "json"];
    args.extend(words);
    let shown = format!("saptune --format json {}", words.join(" "));
    let out = sources.run("saptune", &args).await?;
    if out.stdout.trim().is_empty() {
        return Err(out.failure(&shown));
    }
    parse(&out.stdout).map_err(|e| e.in_source(&shown))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_with_spaces_become_snake_case_and_names_stay() {
        let v =
            parse(r#"{"result": {"Solution applied": [{"Solution ID": "HANA"}], "SAP_HANA": {"vm.dirty_bytes": 1}}}"#)
                .unwrap();
        assert_eq!(v, json!({"solution_applied": [{"solution_id": "HANA"}], "SAP_HANA": {"vm.dirty_bytes": 1}}));
    }

    #[test]
    fn text_output_and_json_without_result_are_refused() {
        assert!(parse("saptune is not configured\n").unwrap_err().reason.contains("3.1 or later"));
        assert_eq!(parse(r#"{"command": "status"}"#).unwrap_err().line, 0);
        assert_eq!(command_of("note apply").unwrap_err().kind, FactErrorKind::InvalidArgument);
    }
}
