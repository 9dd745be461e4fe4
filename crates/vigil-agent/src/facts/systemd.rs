//! `systemd`: the state of a unit, from `systemctl show`.
//!
//! The argument is a unit name (`pacemaker.service`; without a suffix systemd assumes
//! `.service`). The value is an object of the unit's properties in snake_case, as systemd
//! prints them: `id`, `description`, `load_state` (`loaded`, `not-found`, …),
//! `active_state`, `sub_state`, `unit_file_state` (`enabled`, `disabled`, …),
//! `unit_file_preset` and `need_daemon_reload` (`yes`/`no`). An unknown unit is a value
//! (`load_state: not-found`), as systemd reports it; a machine not run by systemd is
//! `tool_failed`. All units of one execution are asked in one run.

use serde_json::Map;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::FactValue;

/// The gatherer's name on the wire.
pub const NAME: &str = "systemd";
/// The properties asked for, in systemd's spelling.
pub const PROPERTIES: &str =
    "Id,Description,LoadState,ActiveState,SubState,UnitFileState,UnitFilePreset,NeedDaemonReload";

/// Parses `systemctl show -p … units…`: one block of `Key=Value` lines per unit, blocks
/// separated by an empty line, in the order the units were named.
pub fn parse(text: &str) -> Result<Vec<Map<String, FactValue>>, ParseError> {
    let mut units = Vec::new();
    let mut current = Map::new();
    for (index, line) in text.lines().enumerate() {
        if line.is_empty() {
            if !current.is_empty() {
                units.push(std::mem::take(&mut current));
            }
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| ParseError::at(index + 1, format!("expected `Property=value`, found `{line}`")))?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ParseError::at(index + 1, format!("`{key}` is not a property name")));
        }
        current.insert(snake_case(key), FactValue::String(value.to_owned()));
    }
    if !current.is_empty() {
        units.push(current);
    }
    Ok(units)
}

/// `UnitFileState` → `unit_file_state`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.char_indices() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A unit name systemctl accepts as a name and never as an option.
fn is_unit_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b != b'-')
        && name.len() <= 256
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b":-_.@\\".contains(&b))
}

/// Asks systemctl once for every valid unit and answers each.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let units: Vec<&str> = arguments.iter().copied().filter(|a| is_unit_name(a)).collect();
    let blocks = if units.is_empty() { Ok(Vec::new()) } else { show(sources, &units).await };
    let mut next = 0;
    arguments
        .iter()
        .map(|unit| {
            if unit.is_empty() {
                return Err(FactError::new(FactErrorKind::MissingArgument, "systemd needs a unit name"));
            }
            if !is_unit_name(unit) {
                return Err(FactError::new(FactErrorKind::InvalidArgument, format!("`{unit}` is not a unit name")));
            }
            let blocks = blocks.as_ref().map_err(Clone::clone)?;
            next += 1;
            Ok(FactValue::Object(blocks[next - 1].clone()))
        })
        .collect()
}

async fn show(sources: &Sources, units: &[&str]) -> Result<Vec<Map<String, FactValue>>, FactError> {
    let mut args = vec!["show", "--no-pager", "-p", PROPERTIES, "--"];
    args.extend(units);
    let out = sources.run("systemctl", &args).await?;
    if !out.succeeded() {
        return Err(out.failure("systemctl show"));
    }
    let blocks = parse(&out.stdout).map_err(|e| e.in_source("systemctl show"))?;
    if blocks.len() != units.len() {
        return Err(FactError::new(
            FactErrorKind::ParseError,
            format!("systemctl show printed {} units for the {} asked", blocks.len(), units.len()),
        ));
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_follow_the_units_named() {
        let units = parse("Id=pacemaker.service\nActiveState=active\nUnitFileState=enabled\n\nId=nope.service\nLoadState=not-found\nUnitFilePreset=\n").unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units[0]["unit_file_state"], "enabled");
        assert_eq!(units[1]["load_state"], "not-found");
        assert_eq!(units[1]["unit_file_preset"], "");
        assert_eq!(parse("no equals sign\n").unwrap_err().line, 1);
    }

    #[test]
    fn unit_names_cannot_be_options() {
        assert!(is_unit_name("sapHA10_10.service"));
        assert!(is_unit_name("getty@tty1.service"));
        for bad in ["", "--all", "-H", "a b", "a;b", "a/b"] {
            assert!(!is_unit_name(bad), "{bad:?}");
        }
    }
}
