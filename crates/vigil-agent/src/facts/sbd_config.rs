//! `sbd_config`: `/etc/sysconfig/sbd`, the settings of the SBD fencing daemon.
//!
//! The file is a shell fragment of `KEY=value` lines. Values may be double-quoted (with `\"`,
//! `\\`, `\$` and `` \` `` escapes), single-quoted (literal) or bare, and may be followed by a
//! `# comment`; `export KEY=value` is read as `KEY=value`. Integers become numbers
//! (`SBD_WATCHDOG_TIMEOUT=5` is 5, quoted or not, as the shell does not tell them apart).
//! The argument is a key (`SBD_PACEMAKER`); empty, the object of every key.

use serde_json::Map;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::{FactValue, scalar};

/// The gatherer's name on the wire.
pub const NAME: &str = "sbd_config";
/// Where SUSE keeps the SBD settings.
pub const PATH: &str = "/etc/sysconfig/sbd";

/// Parses a sysconfig-style shell fragment into key → value.
pub fn parse(text: &str) -> Result<Map<String, FactValue>, ParseError> {
    let mut values = Map::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let assignment = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let (key, rest) = assignment
            .split_once('=')
            .ok_or_else(|| ParseError::at(index + 1, format!("expected `KEY=value`, found `{line}`")))?;
        if !is_shell_name(key) {
            return Err(ParseError::at(index + 1, format!("`{key}` is not a variable name")));
        }
        let value = shell_word(rest).map_err(|reason| ParseError::at(index + 1, reason))?;
        values.insert(key.to_owned(), scalar(&value));
    }
    Ok(values)
}

fn is_shell_name(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// One shell word (quotes joined, `a"b c"d` is `ab cd`), then nothing but a comment.
fn shell_word(text: &str) -> Result<String, String> {
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next() {
                    None => return Err("a double quote is never closed".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                        Some(other) => {
                            word.push('\\');
                            word.push(other);
                        }
                        None => return Err("a double quote is never closed".into()),
                    },
                    Some(other) => word.push(other),
                }
            },
            '\'' => loop {
                match chars.next() {
                    None => return Err("a single quote is never closed".into()),
                    Some('\'') => break,
                    Some(other) => word.push(other),
                }
            },
            '\\' => match chars.next() {
                Some(e) => word.push(e),
                None => return Err("a line continuation is not supported".into()),
            },
            c if c.is_whitespace() => {
                let rest = chars.as_str().trim_start();
                if rest.is_empty() || rest.starts_with('#') {
                    break;
                }
                return Err(format!("unexpected `{rest}` after the value (quote a value with spaces)"));
            }
            c => word.push(c),
        }
    }
    Ok(word)
}

/// Reads the file once and answers each key.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let values = match sources.read_file(PATH).await {
        Ok(text) => parse(&text).map_err(|e| e.in_source(PATH)),
        Err(e) => Err(e),
    };
    arguments
        .iter()
        .map(|key| {
            let values = values.as_ref().map_err(Clone::clone)?;
            if key.is_empty() {
                return Ok(FactValue::Object(values.clone()));
            }
            values
                .get(*key)
                .cloned()
                .ok_or_else(|| FactError::new(FactErrorKind::ValueNotFound, format!("{PATH} does not set {key}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(text: &str, key: &str, expected: FactValue) {
        let values = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(values[key], expected, "{text:?}");
    }

    #[test]
    fn shell_quoting_is_read_as_the_shell_reads_it() {
        check("SBD_PACEMAKER=yes", "SBD_PACEMAKER", json!("yes"));
        check("SBD_DEVICE=\"/dev/a;/dev/b\"", "SBD_DEVICE", json!("/dev/a;/dev/b"));
        check("SBD_OPTS='-W -P'", "SBD_OPTS", json!("-W -P"));
        check("SBD_OPTS=", "SBD_OPTS", json!(""));
        check("SBD_WATCHDOG_TIMEOUT=\"5\"", "SBD_WATCHDOG_TIMEOUT", json!(5));
        check("SBD_STARTMODE=always # or clean", "SBD_STARTMODE", json!("always"));
        check("export SBD_DELAY_START=no", "SBD_DELAY_START", json!("no"));
        check("X=\"say \\\"hi\\\" \\$HOME\"", "X", json!("say \"hi\" $HOME"));
        check("X=a\"b c\"d", "X", json!("ab cd"));
        check("X=a#b", "X", json!("a#b"));
    }

    #[test]
    fn what_is_not_an_assignment_is_refused_with_its_line() {
        assert_eq!(parse("# c\nSBD_OPTS=-W -P\n").unwrap_err().line, 2);
        assert_eq!(parse("SBD_DEVICE=\"/dev/a\n").unwrap_err().line, 1);
        assert_eq!(parse("just words\n").unwrap_err().line, 1);
        assert_eq!(parse("1X=2\n").unwrap_err().line, 1);
    }
}
