//! `hosts`: `/etc/hosts`, which a cluster relies on to resolve its nodes' names without DNS.
//!
//! Read as the C library reads it: `address name [aliases…]`, `#` starts a comment, a line
//! whose first word is not an IP address is skipped. With an empty argument the value is an
//! object of name → list of addresses (in file order, each once); with a host name
//! (compared without regard to case, as resolvers do), that name's list of addresses. A name
//! that is not in the file is `value_not_found`.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::Map;

use super::error::{FactError, FactErrorKind};
use super::sources::Sources;
use super::value::FactValue;

/// The gatherer's name on the wire.
pub const NAME: &str = "hosts";
/// The file.
pub const PATH: &str = "/etc/hosts";

/// One line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostsEntry {
    /// The address.
    pub address: IpAddr,
    /// The canonical name, then the aliases.
    pub names: Vec<String>,
}

/// Parses the text of a hosts file.
pub fn parse(text: &str) -> Vec<HostsEntry> {
    text.lines()
        .filter_map(|line| {
            let content = line.split('#').next().unwrap_or("");
            let mut words = content.split_whitespace();
            let address = words.next()?.parse::<IpAddr>().ok()?;
            let names: Vec<String> = words.map(str::to_owned).collect();
            (!names.is_empty()).then_some(HostsEntry { address, names })
        })
        .collect()
}

/// Name → addresses, names as first written. Linear in the file: blocklist hosts files hold
/// hundreds of thousands of names.
pub fn by_name(entries: &[HostsEntry]) -> Map<String, FactValue> {
    let mut spelled: HashMap<String, String> = HashMap::new();
    let mut addresses: HashMap<String, Vec<FactValue>> = HashMap::new();
    for entry in entries {
        let address = FactValue::String(entry.address.to_string());
        for name in &entry.names {
            let key = spelled.entry(name.to_ascii_lowercase()).or_insert_with(|| name.clone());
            let list = addresses.entry(key.clone()).or_default();
            if !list.contains(&address) {
                list.push(address.clone());
            }
        }
    }
    addresses.into_iter().map(|(name, list)| (name, FactValue::Array(list))).collect()
}

/// Reads the file once and answers each name (or the whole map).
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let map = sources.read_file(PATH).await.map(|text| by_name(&parse(&text)));
    arguments
        .iter()
        .map(|name| {
            let map = map.as_ref().map_err(Clone::clone)?;
            if name.is_empty() {
                return Ok(FactValue::Object(map.clone()));
            }
            map.get(*name)
                .or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
                .cloned()
                .ok_or_else(|| FactError::new(FactErrorKind::ValueNotFound, format!("{PATH} has no entry for {name}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_collect_their_addresses() {
        let text = "127.0.0.1 localhost\n::1 localhost ipv6-localhost # loopback\n10.0.0.1\tNode1 node1.example.com\n# 10.0.0.9 gone\nnot-an-ip name\n10.0.0.1 node1\n";
        let map = by_name(&parse(text));
        assert_eq!(map["localhost"], json!(["127.0.0.1", "::1"]));
        assert_eq!(map["Node1"], json!(["10.0.0.1"]));
        assert!(!map.contains_key("node1"), "one key per name whatever its case");
        assert!(!map.contains_key("gone") && !map.contains_key("name"));
    }

    #[test]
    fn a_blocklist_sized_file_is_read_in_linear_time() {
        // 200,000 names: quadratic work here would take minutes, not milliseconds.
        let text: String = (0..200_000).map(|i| format!("0.0.0.0 ads{i}.example.com\n")).collect();
        let map = by_name(&parse(&text));
        assert_eq!(map.len(), 200_000);
        assert_eq!(map["ads199999.example.com"], json!(["0.0.0.0"]));
    }
}
