//! `corosync-cmapctl`: the values corosync runs with (its configuration map), which may
//! differ from corosync.conf until corosync is restarted or reloaded.
//!
//! `corosync-cmapctl` prints one `key (type) = value` line per key. Integer types (`u8` …
//! `i64`) become numbers, `flt` and `dbl` decimal numbers, `str` and anything else text. The
//! argument is a key (`runtime.config.totem.token`) and the value is that key's; a prefix of
//! keys (`nodelist.node.0`) gives the object of the keys below it, nested at each dot.

use std::collections::BTreeMap;

use serde_json::Map;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::{FactValue, scalar};

/// The gatherer's name on the wire.
pub const NAME: &str = "corosync-cmapctl";
/// The program.
pub const PROGRAM: &str = "corosync-cmapctl";

/// Parses the output of `corosync-cmapctl` into key → value.
pub fn parse(text: &str) -> Result<BTreeMap<String, FactValue>, ParseError> {
    let mut values = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let refuse = || ParseError::at(index + 1, format!("expected `key (type) = value`, found `{}`", line.trim()));
        let (key, rest) = line.split_once(" (").ok_or_else(refuse)?;
        let (kind, value) =
            rest.split_once(") = ").or_else(|| rest.strip_suffix(") =").map(|k| (k, ""))).ok_or_else(refuse)?;
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(refuse());
        }
        values.insert(key.to_owned(), typed(kind, value));
    }
    Ok(values)
}

fn typed(kind: &str, value: &str) -> FactValue {
    match kind {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => scalar(value),
        "flt" | "dbl" => value
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| scalar(value), FactValue::Number),
        _ => FactValue::String(value.to_owned()),
    }
}

/// The value of `key`, or the keys below it as nested objects.
pub fn value_of(values: &BTreeMap<String, FactValue>, key: &str) -> Result<FactValue, FactError> {
    if let Some(value) = values.get(key) {
        return Ok(value.clone());
    }
    let mut tree = Map::new();
    if key.is_empty() {
        for (full, value) in values {
            insert_nested(&mut tree, full, value.clone());
        }
        return Ok(FactValue::Object(tree));
    }
    let prefix = format!("{key}.");
    for (full, value) in values.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)) {
        insert_nested(&mut tree, &full[prefix.len()..], value.clone());
    }
    if tree.is_empty() {
        return Err(FactError::new(
            FactErrorKind::ValueNotFound,
            format!("corosync has no key `{key}` and no key below it"),
        ));
    }
    Ok(FactValue::Object(tree))
}

/// Puts `value` at the dotted `path`. A key that is both a value and a prefix of others
/// (rare) keeps its value and the others stay flat beside it, so nothing is lost.
fn insert_nested(tree: &mut Map<String, FactValue>, path: &str, value: FactValue) {
    let mut here = tree;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            here.insert(part.to_owned(), value);
            return;
        }
        if !matches!(here.get(part), None | Some(FactValue::Object(_))) {
            let rest: Vec<&str> = parts.collect();
            here.insert(format!("{part}.{}", rest.join(".")), value);
            return;
        }
        here = match here.entry(part.to_owned()).or_insert_with(|| FactValue::Object(Map::new())) {
            FactValue::Object(map) => map,
            _ => unreachable!("checked to be an object or absent"),
        };
    }
}

/// Runs `corosync-cmapctl` once and answers each key.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let values = match sources.run(PROGRAM, &[]).await {
        Ok(out) if out.succeeded() => parse(&out.stdout).map_err(|e| e.in_source(PROGRAM)),
        Ok(out) => Err(out.failure(PROGRAM)),
        Err(e) => Err(e),
    };
    arguments.iter().map(|key| values.as_ref().map_err(Clone::clone).and_then(|v| value_of(v, key))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_are_typed() {
        let values = parse("totem.token (u32) = 30000\ntotem.cluster_name (str) = hacluster\nquorum.x (dbl) = 0.5\ntotem.empty (str) = \n").unwrap();
        assert_eq!(values["totem.token"], json!(30000));
        assert_eq!(values["totem.cluster_name"], json!("hacluster"));
        assert_eq!(values["quorum.x"], json!(0.5));
        assert_eq!(values["totem.empty"], json!(""));
        assert_eq!(parse("not a cmap line\n").unwrap_err().line, 1);
    }

    #[test]
    fn a_prefix_gives_the_keys_below_it() {
        let values = parse("nodelist.node.0.nodeid (u32) = 1\nnodelist.node.0.ring0_addr (str) = 10.0.0.1\nnodelist.node.1.nodeid (u32) = 2\n").unwrap();
        assert_eq!(value_of(&values, "nodelist.node.1").unwrap(), json!({"nodeid": 2}));
        assert_eq!(value_of(&values, "nodelist").unwrap()["node"]["0"]["ring0_addr"], json!("10.0.0.1"));
        assert_eq!(value_of(&values, "nodelist.node.2").unwrap_err().kind, FactErrorKind::ValueNotFound);
        // `nodelist.node.1` is a prefix of `nodelist.node.10` as text, not as a key.
        assert_eq!(value_of(&values, "nodelist.nod").unwrap_err().kind, FactErrorKind::ValueNotFound);
    }
}
