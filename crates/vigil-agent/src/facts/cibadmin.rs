//! `cibadmin`: Pacemaker's configuration as this node's CIB holds it, from
//! `cibadmin --query --local` (the resource and operation defaults, the cluster properties:
//! what no discovery carries).
//!
//! The argument is a section of the CIB's `configuration`: `rsc_defaults`, `op_defaults` or
//! `crm_config`. The value is the object of that section's `nvpair`s, name → value (plain
//! integers as numbers, the shared rule), read from its `meta_attributes` sets
//! (`cluster_property_set`s for `crm_config`) the way Pacemaker reads them: sets by `score`,
//! highest first (`cib-bootstrap-options` first of all in `crm_config`), equal scores in
//! document order, and the first value of a name wins, within a set too. A set with a
//! `<rule>` applies only when its rule does (at some hours, to some resources), so it is
//! left out: the value is what applies when no rule does. `id-ref` sets and nvpairs are
//! followed. A section the CIB does not have is `{}`: Pacemaker leaves it out when nothing
//! is set, and every name then has Pacemaker's default. The CIB is read once per execution.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use roxmltree::{Document, Node};
use serde_json::Map;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::{FactValue, scalar};

/// The gatherer's name on the wire.
pub const NAME: &str = "cibadmin";
/// The program.
pub const PROGRAM: &str = "cibadmin";
/// Its arguments: the whole CIB, from this node's copy (no round trip to the DC).
pub const ARGUMENTS: [&str; 2] = ["--query", "--local"];
/// The sections an argument may name.
pub const SECTIONS: [&str; 3] = ["rsc_defaults", "op_defaults", "crm_config"];

/// Each section of [`SECTIONS`], name → value (`{}` for a section the CIB does not have).
pub type Sections = BTreeMap<&'static str, FactValue>;

/// Pacemaker's INFINITY as a score.
const INFINITY: i64 = 1_000_000;

/// The section an argument names, or why it names none.
pub fn section_of(argument: &str) -> Result<&'static str, FactError> {
    if argument.is_empty() {
        return Err(FactError::new(
            FactErrorKind::MissingArgument,
            format!("cibadmin needs a section: one of {}", SECTIONS.join(", ")),
        ));
    }
    SECTIONS.iter().copied().find(|section| *section == argument).ok_or_else(|| {
        FactError::new(
            FactErrorKind::InvalidArgument,
            format!("`{argument}` is not a section cibadmin reads (one of {})", SECTIONS.join(", ")),
        )
    })
}

/// Parses the XML of `cibadmin --query` into its sections.
pub fn parse(text: &str) -> Result<Sections, ParseError> {
    // roxmltree refuses a DTD by default, so no entity can expand the 4 MiB it is given.
    let document = Document::parse(text).map_err(|e| match e {
        // roxmltree places these at 1:1; where the text stops is the line that says why.
        roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode => {
            ParseError::at(text.lines().count().max(1), "the XML ends before the <cib> is closed (output cut off?)")
        }
        roxmltree::Error::NoRootNode => ParseError::at(0, "no XML element (empty output?)"),
        e => ParseError::at(e.pos().row as usize, format!("not the XML of a CIB: {e}")),
    })?;
    let root = document.root_element();
    let line = |node: Node| document.text_pos_at(node.range().start).row as usize;
    if root.tag_name().name() != "cib" {
        return Err(ParseError::at(line(root), format!("the root element is <{}>, not <cib>", root.tag_name().name())));
    }
    let configuration =
        child(root, "configuration").ok_or_else(|| ParseError::at(line(root), "the <cib> has no <configuration>"))?;
    Ok(SECTIONS
        .iter()
        .map(|&section| {
            let (set_element, first_id) = match section {
                "crm_config" => ("cluster_property_set", Some("cib-bootstrap-options")),
                _ => ("meta_attributes", None),
            };
            let values = match child(configuration, section) {
                Some(node) => nvpairs(&document, node, set_element, first_id),
                None => Map::new(),
            };
            (section, FactValue::Object(values))
        })
        .collect())
}

/// The value of the section `argument` names.
pub fn value_of(sections: &Sections, argument: &str) -> Result<FactValue, FactError> {
    let section = section_of(argument)?;
    Ok(sections.get(section).cloned().unwrap_or_else(|| FactValue::Object(Map::new())))
}

/// Runs `cibadmin --query --local` once (when some argument names a section) and answers
/// each argument.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let asks_a_section = arguments.iter().any(|argument| section_of(argument).is_ok());
    let sections = if asks_a_section { read(sources).await } else { Ok(Sections::new()) };
    arguments
        .iter()
        .map(|argument| {
            // A wrong argument is said as such, whatever cibadmin answered.
            section_of(argument)?;
            sections.as_ref().map_err(Clone::clone).and_then(|s| value_of(s, argument))
        })
        .collect()
}

async fn read(sources: &Sources) -> Result<Sections, FactError> {
    let shown = format!("{PROGRAM} {}", ARGUMENTS.join(" "));
    let out = sources.run(PROGRAM, &ARGUMENTS).await?;
    if !out.succeeded() {
        return Err(out.failure(&shown));
    }
    parse(&out.stdout).map_err(|e| e.in_source(&shown))
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The element an `id-ref` points to (an element of the same kind with that `id`), or the
/// node itself; `None` when the reference leads nowhere.
fn resolved<'a, 'input>(document: &'a Document<'input>, node: Node<'a, 'input>) -> Option<Node<'a, 'input>> {
    let Some(target) = node.attribute("id-ref") else { return Some(node) };
    document.descendants().find(|candidate| {
        candidate.is_element()
            && candidate.tag_name() == node.tag_name()
            && candidate.attribute("id") == Some(target)
            && candidate.attribute("id-ref").is_none()
    })
}

/// A set's `score` as Pacemaker reads it: an integer or ±INFINITY, capped at INFINITY;
/// anything else is 0.
fn score(set: Node) -> i64 {
    match set.attribute("score").map(str::trim) {
        Some("INFINITY" | "+INFINITY") => INFINITY,
        Some("-INFINITY") => -INFINITY,
        Some(text) => text.parse::<i64>().map_or(0, |s| s.clamp(-INFINITY, INFINITY)),
        None => 0,
    }
}

/// The nvpairs of `section`'s sets of `set_element`, in Pacemaker's precedence.
fn nvpairs(document: &Document, section: Node, set_element: &str, first_id: Option<&str>) -> Map<String, FactValue> {
    let mut sets: Vec<Node> = section
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == set_element)
        .filter_map(|set| resolved(document, set))
        .filter(|set| child(*set, "rule").is_none())
        .collect();
    // A stable sort: sets of one score stay in document order.
    sets.sort_by_key(|set| (Reverse(first_id.is_some() && set.attribute("id") == first_id), Reverse(score(*set))));
    let mut values = Map::new();
    for set in sets {
        let pairs = set.children().filter(|c| c.is_element() && c.tag_name().name() == "nvpair");
        for pair in pairs.filter_map(|pair| resolved(document, pair)) {
            let (Some(name), Some(value)) = (pair.attribute("name"), pair.attribute("value")) else { continue };
            // `#default` (deprecated) takes back a value set before it, as Pacemaker does.
            if value.eq_ignore_ascii_case("#default") {
                values.remove(name);
            } else if !values.contains_key(name) {
                values.insert(name.to_owned(), scalar(value));
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cib(configuration: &str) -> String {
        format!("<cib epoch=\"1\">\n  <configuration>\n{configuration}\n  </configuration>\n  <status/>\n</cib>\n")
    }

    #[test]
    fn sets_are_read_by_score_and_the_first_value_of_a_name_wins() {
        let text = cib(r#"<rsc_defaults>
  <meta_attributes id="low"><nvpair id="l1" name="resource-stickiness" value="1"/><nvpair id="l2" name="target-role" value="Started"/></meta_attributes>
  <meta_attributes id="high" score="10"><nvpair id="h1" name="resource-stickiness" value="1000"/><nvpair id="h2" name="resource-stickiness" value="5"/></meta_attributes>
  <meta_attributes id="also-low"><nvpair id="a1" name="target-role" value="Stopped"/><nvpair id="a2" name="priority" value="-1"/></meta_attributes>
</rsc_defaults>"#);
        let sections = parse(&text).unwrap();
        assert_eq!(
            sections["rsc_defaults"],
            json!({"resource-stickiness": 1000, "target-role": "Started", "priority": -1})
        );
        assert_eq!(sections["op_defaults"], json!({}));
    }

    #[test]
    fn bootstrap_options_come_first_rules_are_left_out_and_references_followed() {
        let text = cib(r#"<crm_config>
  <cluster_property_set id="site" score="INFINITY"><nvpair id="s1" name="stonith-timeout" value="60s"/></cluster_property_set>
  <cluster_property_set id="cib-bootstrap-options"><nvpair id="b1" name="stonith-timeout" value="150"/></cluster_property_set>
  <cluster_property_set id="weekend"><rule id="r" score="0"><date_expression id="d" operation="date_spec"><date_spec id="ds" weekdays="6-7"/></date_expression></rule><nvpair id="w1" name="maintenance-mode" value="true"/></cluster_property_set>
</crm_config>
<op_defaults><meta_attributes id-ref="shared"/></op_defaults>
<rsc_defaults><meta_attributes id="shared"><nvpair id="t" name="timeout" value="600"/><nvpair id-ref="s1"/></meta_attributes></rsc_defaults>"#);
        let sections = parse(&text).unwrap();
        assert_eq!(sections["crm_config"], json!({"stonith-timeout": 150}));
        assert_eq!(sections["op_defaults"], json!({"timeout": 600, "stonith-timeout": "60s"}));
    }

    #[test]
    fn a_default_takes_back_an_earlier_value() {
        let text = cib(r##"<rsc_defaults>
  <meta_attributes id="a" score="2"><nvpair id="a1" name="migration-threshold" value="3"/></meta_attributes>
  <meta_attributes id="b" score="1"><nvpair id="b1" name="migration-threshold" value="#default"/></meta_attributes>
</rsc_defaults>"##);
        assert_eq!(parse(&text).unwrap()["rsc_defaults"], json!({}));
    }

    #[test]
    fn what_is_not_a_cib_is_refused_with_its_line() {
        let broken = parse("<cib>\n  <configuration>\n  </configuratio>\n</cib>\n").unwrap_err();
        assert_eq!(broken.line, 3, "{broken}");
        let cut = parse("<cib>\n  <configuration>\n    <rsc_defaults").unwrap_err();
        assert_eq!(cut.line, 3, "{cut}");
        assert_eq!(parse("  \n").unwrap_err().line, 0);
        let other = parse("<?xml version=\"1.0\"?>\n<crm_mon version=\"2.1.7\"/>\n").unwrap_err();
        assert_eq!((other.line, other.reason.as_str()), (2, "the root element is <crm_mon>, not <cib>"));
        assert_eq!(parse("<cib/>").unwrap_err().reason, "the <cib> has no <configuration>");
        let entity = parse("<!DOCTYPE cib [<!ENTITY x \"y\">]>\n<cib><configuration/></cib>").unwrap_err();
        assert_eq!(entity.line, 1, "a DTD is refused: {entity}");
    }

    #[test]
    fn only_the_three_sections_are_arguments() {
        let sections = parse(&cib("")).unwrap();
        assert_eq!(value_of(&sections, "crm_config").unwrap(), json!({}));
        assert_eq!(value_of(&sections, "nodes").unwrap_err().kind, FactErrorKind::InvalidArgument);
        assert_eq!(value_of(&sections, "").unwrap_err().kind, FactErrorKind::MissingArgument);
    }
}
