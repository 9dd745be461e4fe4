//! `fstab`: `/etc/fstab`, where an SAP system's file systems (`/hana/data`, `/usr/sap`, NFS
//! shares) are declared.
//!
//! Each entry is `{"device", "mount_point", "file_system_type", "options", "backup_frequency",
//! "check_order"}`: `options` a list of strings, the last two numbers (0 when left out, as
//! mount does). Octal escapes (`\040` for a space) are decoded. With an empty argument the
//! value is the list of entries; with a mount point (`/hana/data`), that entry (the last, if
//! the file declares it twice, as mount would use it). A mount point that is not in the file
//! is `value_not_found`; a line with fewer than two fields, or a non-numeric fifth or sixth
//! field, makes the file unreadable as a whole (`parse_error`), as `mount -a` refuses it.

use serde_json::json;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::FactValue;

/// The gatherer's name on the wire.
pub const NAME: &str = "fstab";
/// The file.
pub const PATH: &str = "/etc/fstab";

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FstabEntry {
    /// What is mounted (`UUID=…`, `/dev/…`, `host:/export`).
    pub device: String,
    /// Where.
    pub mount_point: String,
    /// File system type (`auto` when left out).
    pub file_system_type: String,
    /// Mount options (`defaults` when left out).
    pub options: Vec<String>,
    /// dump's field.
    pub backup_frequency: u32,
    /// fsck's pass.
    pub check_order: u32,
}

/// Parses the text of an fstab.
pub fn parse(text: &str) -> Result<Vec<FstabEntry>, ParseError> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<String> = line.split_whitespace().map(unescape).collect();
        if fields.len() < 2 || fields.len() > 6 {
            return Err(ParseError::at(index + 1, format!("expected 2 to 6 fields, found {}", fields.len())));
        }
        let number = |i: usize| -> Result<u32, ParseError> {
            fields.get(i).map_or(Ok(0), |f| {
                f.parse().map_err(|_| ParseError::at(index + 1, format!("field {} `{f}` is not a number", i + 1)))
            })
        };
        entries.push(FstabEntry {
            device: fields[0].clone(),
            mount_point: fields[1].clone(),
            file_system_type: fields.get(2).cloned().unwrap_or_else(|| "auto".into()),
            options: fields.get(3).map_or("defaults", String::as_str).split(',').map(str::to_owned).collect(),
            backup_frequency: number(4)?,
            check_order: number(5)?,
        });
    }
    Ok(entries)
}

/// `\040` → space; a backslash not followed by three octal digits stays as written.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let code = bytes[i + 1..i + 4].iter().fold(0u32, |n, b| n * 8 + u32::from(b - b'0'));
            if let Ok(byte) = u8::try_from(code) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FstabEntry {
    /// The entry as a fact.
    pub fn to_value(&self) -> FactValue {
        json!({
            "device": self.device,
            "mount_point": self.mount_point,
            "file_system_type": self.file_system_type,
            "options": self.options,
            "backup_frequency": self.backup_frequency,
            "check_order": self.check_order,
        })
    }
}

/// Reads the file once and answers each mount point (or the whole list).
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let entries = match sources.read_file(PATH).await {
        Ok(text) => parse(&text).map_err(|e| e.in_source(PATH)),
        Err(e) => Err(e),
    };
    arguments
        .iter()
        .map(|mount_point| {
            let entries = entries.as_ref().map_err(Clone::clone)?;
            if mount_point.is_empty() {
                return Ok(FactValue::Array(entries.iter().map(FstabEntry::to_value).collect()));
            }
            let wanted = mount_point.trim_end_matches('/');
            let wanted = if wanted.is_empty() { "/" } else { wanted };
            entries
                .iter()
                .rev()
                .find(|e| e.mount_point == wanted || e.mount_point.trim_end_matches('/') == wanted)
                .map(FstabEntry::to_value)
                .ok_or_else(|| {
                    FactError::new(FactErrorKind::ValueNotFound, format!("{PATH} has no entry for {mount_point}"))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_default_and_escapes_decode() {
        let entries = parse("/dev/sda1 /mnt/my\\040disk\n").unwrap();
        assert_eq!(entries[0].mount_point, "/mnt/my disk");
        assert_eq!(entries[0].file_system_type, "auto");
        assert_eq!(entries[0].options, ["defaults"]);
        assert_eq!((entries[0].backup_frequency, entries[0].check_order), (0, 0));
        assert_eq!(unescape("a\\b"), "a\\b");
        assert_eq!(unescape("end\\04"), "end\\04");
    }

    #[test]
    fn malformed_lines_are_refused_with_their_number() {
        assert_eq!(parse("# c\n/dev/sda1\n").unwrap_err().line, 2);
        assert_eq!(parse("/dev/sda1 / xfs defaults x 0\n").unwrap_err().line, 1);
        assert_eq!(parse("a b c d 0 0 extra\n").unwrap_err().line, 1);
    }
}
