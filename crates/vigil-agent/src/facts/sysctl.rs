//! `sysctl`: kernel parameters, read from `/proc/sys` as `sysctl` does.
//!
//! The argument is a key as `sysctl` spells it (`vm.swappiness`,
//! `net.ipv4.tcp_keepalive_time`; a `/` in a part stands for a dot in a name, as in
//! `net.ipv4.conf.eth0/100.rp_filter`). A single integer is a number; anything else (`kernel.sem`'s four
//! numbers, a path) is the text with its whitespace runs made single spaces, as
//! `sysctl -a` shows it after its tabs. An unknown key is `value_not_found`; a key the agent
//! may not read is `file_unreadable`.
//!
//! [`parse_listing`] reads a captured `sysctl -a` into the same values, for a capture of a
//! machine instead of its `/proc`.

use std::collections::BTreeMap;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::{FactValue, scalar};

/// The gatherer's name on the wire.
pub const NAME: &str = "sysctl";

/// The value of one parameter's text.
pub fn parse_value(text: &str) -> FactValue {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words[..] {
        [one] => scalar(one),
        _ => FactValue::String(words.join(" ")),
    }
}

/// Parses `sysctl -a` output (`key = value` lines) into key → value.
pub fn parse_listing(text: &str) -> Result<BTreeMap<String, FactValue>, ParseError> {
    let mut values = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once(" = ")
            .or_else(|| line.strip_suffix(" =").map(|k| (k, "")))
            .ok_or_else(|| ParseError::at(index + 1, format!("expected `key = value`, found `{line}`")))?;
        values.insert(key.trim().to_owned(), parse_value(value));
    }
    Ok(values)
}

/// The file under `/proc/sys` of a key, or why the key cannot be one.
pub fn proc_path(key: &str) -> Result<String, FactError> {
    if key.is_empty() {
        return Err(FactError::new(FactErrorKind::MissingArgument, "sysctl needs a key (vm.swappiness)"));
    }
    let mut path = String::from("/proc/sys");
    for part in key.split('.') {
        let name = part.replace('/', ".");
        let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.:+@".contains(&b));
        if name.is_empty() || name == "." || name == ".." || !plain {
            return Err(FactError::new(FactErrorKind::InvalidArgument, format!("`{key}` is not a sysctl key")));
        }
        path.push('/');
        path.push_str(&name);
    }
    Ok(path)
}

/// Reads each key's file.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let mut facts = Vec::with_capacity(arguments.len());
    for key in arguments {
        facts.push(read(sources, key).await);
    }
    facts
}

async fn read(sources: &Sources, key: &str) -> Result<FactValue, FactError> {
    let path = proc_path(key)?;
    match sources.read_file(&path).await {
        Ok(text) => Ok(parse_value(&text)),
        Err(e) if e.kind == FactErrorKind::FileNotFound => {
            Err(FactError::new(FactErrorKind::ValueNotFound, format!("the kernel has no parameter {key}")))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_numbers_or_single_spaced_text() {
        assert_eq!(parse_value("60\n"), json!(60));
        assert_eq!(parse_value("32000\t1024000000\t500\t32000\n"), json!("32000 1024000000 500 32000"));
        assert_eq!(
            parse_value("|/usr/lib/systemd/systemd-coredump %P\n"),
            json!("|/usr/lib/systemd/systemd-coredump %P")
        );
        assert_eq!(parse_value(""), json!(""));
    }

    #[test]
    fn keys_map_to_proc_files_and_nothing_else() {
        assert_eq!(proc_path("vm.swappiness").unwrap(), "/proc/sys/vm/swappiness");
        assert_eq!(
            proc_path("net.ipv4.conf.eth0/100.rp_filter").unwrap(),
            "/proc/sys/net/ipv4/conf/eth0.100/rp_filter"
        );
        assert_eq!(proc_path("").unwrap_err().kind, FactErrorKind::MissingArgument);
        for bad in ["vm..swappiness", "vm./", "vm./.", "../etc/shadow", "vm/../../etc", "vm. swappiness", "vm.*"] {
            assert_eq!(proc_path(bad).unwrap_err().kind, FactErrorKind::InvalidArgument, "{bad:?}");
        }
    }
}
