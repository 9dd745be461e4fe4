//! Fact values and the two rules every gatherer shares: how text becomes a scalar, and how a
//! dotted argument finds a value inside a document.

use super::error::{FactError, FactErrorKind};

/// A gathered value. Facts are JSON of whatever shape the source has (a number, a section of
/// corosync.conf, the list of fstab entries), so the value is JSON rather than a type per
/// gatherer; each gatherer's module documents its shape.
pub type FactValue = serde_json::Value;

/// A value as read from a configuration file or a tool: a decimal integer becomes a number,
/// anything else stays the text (so `yes`, `0x10`, `2.1.5` and `010` keep their spelling; only
/// a leading zero-free integer is a number, as a check comparing `token` with 30000 expects).
pub fn scalar(text: &str) -> FactValue {
    let (negative, digits) = text.strip_prefix('-').map_or((false, text), |d| (true, d));
    // `-0` and `007` are not how a number is written back, so they stay text.
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (!digits.starts_with('0') || (digits == "0" && !negative));
    if canonical {
        if let Ok(n) = text.parse::<i64>() {
            return FactValue::from(n);
        }
        if let Ok(n) = text.parse::<u64>() {
            return FactValue::from(n);
        }
    }
    FactValue::String(text.to_owned())
}

/// The value at a dotted `path` inside `document`: each part is an object's key or, on a list,
/// an index (`nodelist.node.1.ring0_addr`). The empty path is the whole document.
pub fn lookup<'a>(document: &'a FactValue, path: &str) -> Result<&'a FactValue, FactError> {
    if path.is_empty() {
        return Ok(document);
    }
    let mut here = document;
    for (depth, part) in path.split('.').enumerate() {
        let next = match here {
            FactValue::Object(map) => map.get(part),
            FactValue::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        here = next.ok_or_else(|| {
            let reached = path.split('.').take(depth).collect::<Vec<_>>().join(".");
            let within = if reached.is_empty() { String::new() } else { format!(" within `{reached}`") };
            FactError::new(FactErrorKind::ValueNotFound, format!("`{path}` not found: no `{part}`{within}"))
        })?;
    }
    Ok(here)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_plain_integers_become_numbers() {
        assert_eq!(scalar("30000"), json!(30000));
        assert_eq!(scalar("-1"), json!(-1));
        assert_eq!(scalar("0"), json!(0));
        assert_eq!(scalar("18446744073692774399"), json!(18446744073692774399u64));
        for text in ["yes", "010", "-0", "0x10", "2.1.5", "", "-", "1e3", " 1", "99999999999999999999999"] {
            assert_eq!(scalar(text), json!(text), "{text:?} stays text");
        }
    }

    #[test]
    fn a_path_walks_objects_and_lists() {
        let doc = json!({"totem": {"token": 30000}, "nodelist": {"node": [{"nodeid": 1}, {"nodeid": 2}]}});
        assert_eq!(lookup(&doc, "totem.token").unwrap(), &json!(30000));
        assert_eq!(lookup(&doc, "nodelist.node.1.nodeid").unwrap(), &json!(2));
        assert_eq!(lookup(&doc, "").unwrap(), &doc);
        let missing = lookup(&doc, "totem.consensus").unwrap_err();
        assert_eq!(missing.kind, FactErrorKind::ValueNotFound);
        assert!(missing.message.contains("no `consensus` within `totem`"), "{}", missing.message);
        assert!(lookup(&doc, "nodelist.node.2").is_err());
        assert!(lookup(&doc, "totem.token.x").is_err());
    }
}
