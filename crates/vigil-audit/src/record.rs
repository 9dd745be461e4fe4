//! The bytes a record is stored and hashed as.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::AuditError;

/// One stored record, as [`AuditLog::record`](crate::AuditLog::record) reads it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its position in the log, from 0.
    pub index: u64,
    /// What happened, such as `command` or `auth_failure`.
    pub kind: String,
    /// When it happened, RFC 3339 in UTC, exactly as hashed.
    pub time: String,
    /// The canonical JSON bytes the leaf hash is taken over:
    /// `{"body":…,"index":…,"kind":…,"time":…}`.
    pub bytes: Vec<u8>,
}

impl AuditRecord {
    /// Its leaf hash, recomputed from the bytes (not read from storage).
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.bytes)
    }

    /// The caller's body, parsed back from the bytes.
    pub fn body(&self) -> Result<Value, AuditError> {
        let mut record: Value = serde_json::from_slice(&self.bytes)
            .map_err(|e| AuditError::InvalidRecord(format!("stored record {} is not JSON: {e}", self.index)))?;
        Ok(record.get_mut("body").map(Value::take).unwrap_or(Value::Null))
    }
}

/// How a record's time is written: RFC 3339, UTC with `Z`, as many fraction digits as needed.
pub(crate) fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// A record's body in canonical form, made on the caller's task so the single appender only
/// has to splice in the index.
pub(crate) struct PreparedRecord {
    pub(crate) kind: String,
    pub(crate) time: String,
    body: Vec<u8>,
}

impl PreparedRecord {
    pub(crate) fn new(kind: &str, time: DateTime<Utc>, body: &Value) -> Result<PreparedRecord, AuditError> {
        if kind.is_empty() {
            return Err(AuditError::InvalidRecord("the kind is empty".into()));
        }
        let mut canonical = Vec::new();
        write_canonical(body, &mut canonical)?;
        Ok(PreparedRecord { kind: kind.to_owned(), time: format_time(time), body: canonical })
    }

    /// The record's bytes at `index`. The index is inside the hashed bytes so that a record
    /// moved to another row is caught at the row it was moved to, not only by a head.
    pub(crate) fn bytes(&self, index: u64) -> Result<Vec<u8>, AuditError> {
        let mut out = Vec::with_capacity(self.body.len() + self.kind.len() + self.time.len() + 64);
        out.extend_from_slice(b"{\"body\":");
        out.extend_from_slice(&self.body);
        out.extend_from_slice(b",\"index\":");
        out.extend_from_slice(index.to_string().as_bytes());
        out.extend_from_slice(b",\"kind\":");
        write_string(&self.kind, &mut out)?;
        out.extend_from_slice(b",\"time\":");
        write_string(&self.time, &mut out)?;
        out.push(b'}');
        Ok(out)
    }
}

/// The fields a stored record's bytes claim, to compare against its row.
pub(crate) struct ClaimedFields {
    pub(crate) index: Option<u64>,
    pub(crate) kind: Option<String>,
    pub(crate) time: Option<String>,
}

pub(crate) fn claimed_fields(bytes: &[u8]) -> Result<ClaimedFields, serde_json::Error> {
    let record: Value = serde_json::from_slice(bytes)?;
    Ok(ClaimedFields {
        index: record.get("index").and_then(Value::as_u64),
        kind: record.get("kind").and_then(Value::as_str).map(str::to_owned),
        time: record.get("time").and_then(Value::as_str).map(str::to_owned),
    })
}

/// Writes `value` as compact JSON with object keys sorted by their bytes, at every depth.
///
/// Sorting by hand keeps the bytes the same whichever way serde_json's `preserve_order`
/// feature is set elsewhere in the build. Numbers and strings are written by serde_json.
/// This is deterministic but is not RFC 8785 (JCS): verification never re-encodes, it
/// re-hashes the stored bytes, so only this writer has to agree with itself.
fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), AuditError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => out.extend_from_slice(number.to_string().as_bytes()),
        Value::String(text) => write_string(text, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            let mut sorted: Vec<(&String, &Value)> = fields.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out)?;
                out.push(b':');
                write_canonical(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(text: &str, out: &mut Vec<u8>) -> Result<(), AuditError> {
    serde_json::to_writer(out, text).map_err(|e| AuditError::InvalidRecord(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).single().expect("valid time")
    }

    #[test]
    fn keys_are_sorted_at_every_depth_and_output_is_compact() {
        let body = serde_json::json!({"z": 1, "a": {"y": [true, null, "é\"x"], "b": 2.5}});
        let record = PreparedRecord::new("command", time(), &body).expect("valid record");
        assert_eq!(
            String::from_utf8(record.bytes(7).expect("bytes")).expect("utf-8"),
            r#"{"body":{"a":{"b":2.5,"y":[true,null,"é\"x"]},"z":1},"index":7,"kind":"command","time":"2025-03-01T12:00:00Z"}"#
        );
    }

    #[test]
    fn stored_bytes_parse_back_to_their_fields() {
        let record = PreparedRecord::new("auth_failure", time(), &serde_json::json!({"user": "bob"})).expect("valid");
        let fields = claimed_fields(&record.bytes(3).expect("bytes")).expect("json");
        assert_eq!(fields.index, Some(3));
        assert_eq!(fields.kind.as_deref(), Some("auth_failure"));
        assert_eq!(fields.time.as_deref(), Some("2025-03-01T12:00:00Z"));
    }

    #[test]
    fn an_empty_kind_is_refused() {
        assert!(PreparedRecord::new("", time(), &Value::Null).is_err());
    }
}
