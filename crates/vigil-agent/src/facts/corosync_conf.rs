//! `corosync.conf`: `/etc/corosync/corosync.conf` as nested sections.
//!
//! The value is an object per section (`totem`, `nodelist`, `quorum`, `logging`, …) holding
//! its `key: value` lines, integers as numbers. Sections that corosync.conf(5) lets repeat,
//! `node` and `interface`, are always lists, so that `nodelist.node.0.ring0_addr` holds on a
//! one-node cluster too; any other section that happens to repeat becomes a list as well. The
//! argument is a dotted path into that document (`totem.token`); empty, the whole document.

use serde_json::Map;

use super::error::{FactError, ParseError};
use super::sources::Sources;
use super::value::{FactValue, lookup, scalar};

/// The gatherer's name on the wire.
pub const NAME: &str = "corosync.conf";
/// Where corosync reads its configuration.
pub const PATH: &str = "/etc/corosync/corosync.conf";

/// Sections that are lists whether they appear once or many times.
const LIST_SECTIONS: [&str; 2] = ["node", "interface"];

/// Parses the text of a corosync.conf.
pub fn parse(text: &str) -> Result<FactValue, ParseError> {
    // The open sections, innermost last, each with the line that opened it.
    let mut open: Vec<(String, Map<String, FactValue>, usize)> = vec![(String::new(), Map::new(), 0)];
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_suffix('{') {
            let name = name.trim();
            if !is_name(name) {
                return Err(ParseError::at(number, format!("`{name}` is not a section name")));
            }
            open.push((name.to_owned(), Map::new(), number));
        } else if line == "}" {
            if open.len() == 1 {
                return Err(ParseError::at(number, "`}` closes no section"));
            }
            let (name, section, _) = open.pop().expect("more than the top level is open");
            let parent = &mut open.last_mut().expect("the top level stays open").1;
            insert_section(parent, name, FactValue::Object(section));
        } else if let Some((key, value)) = line.split_once(':') {
            let key = key.trim();
            if !is_name(key) {
                return Err(ParseError::at(number, format!("`{key}` is not a key")));
            }
            let section = &mut open.last_mut().expect("the top level stays open").1;
            section.insert(key.to_owned(), scalar(value.trim()));
        } else {
            return Err(ParseError::at(number, format!("expected `key: value`, `name {{` or `}}`, found `{line}`")));
        }
    }
    if open.len() > 1 {
        let (name, _, line) = open.pop().expect("checked");
        return Err(ParseError::at(line, format!("section `{name}` is never closed")));
    }
    Ok(FactValue::Object(open.pop().expect("the top level").1))
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn insert_section(parent: &mut Map<String, FactValue>, name: String, section: FactValue) {
    match parent.get_mut(&name) {
        Some(FactValue::Array(items)) => items.push(section),
        Some(earlier) => {
            let first = earlier.take();
            *earlier = FactValue::Array(vec![first, section]);
        }
        None if LIST_SECTIONS.contains(&name.as_str()) => {
            parent.insert(name, FactValue::Array(vec![section]));
        }
        None => {
            parent.insert(name, section);
        }
    }
}

/// Reads corosync.conf once and answers each dotted path.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let document = match sources.read_file(PATH).await {
        Ok(text) => parse(&text).map_err(|e| e.in_source(PATH)),
        Err(e) => Err(e),
    };
    arguments
        .iter()
        .map(|path| document.as_ref().map_err(Clone::clone).and_then(|d| lookup(d, path).cloned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sections_nest_and_node_is_always_a_list() {
        let doc = parse("totem {\n  token: 5000\n  interface {\n ringnumber: 0\n }\n}\nnodelist {\n node {\n  ring0_addr: fe80::1\n }\n}\n")
            .unwrap();
        assert_eq!(
            doc,
            json!({"totem": {"token": 5000, "interface": [{"ringnumber": 0}]}, "nodelist": {"node": [{"ring0_addr": "fe80::1"}]}})
        );
    }

    #[test]
    fn a_repeated_section_becomes_a_list() {
        let doc = parse("logging {\n logger_subsys {\n subsys: QUORUM\n }\n logger_subsys {\n subsys: KNET\n }\n}\n")
            .unwrap();
        assert_eq!(doc["logging"]["logger_subsys"], json!([{"subsys": "QUORUM"}, {"subsys": "KNET"}]));
    }

    #[test]
    fn broken_structure_is_refused_with_its_line() {
        assert_eq!(parse("totem {\n token: 1\n").unwrap_err(), ParseError::at(1, "section `totem` is never closed"));
        assert_eq!(parse("}\n").unwrap_err().line, 1);
        assert_eq!(parse("totem {\n token 5000\n}\n").unwrap_err().line, 2);
        assert_eq!(parse("to tem {\n}\n").unwrap_err().line, 1);
    }
}
