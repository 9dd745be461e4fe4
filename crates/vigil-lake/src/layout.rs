//! Where things are in a lake directory, and the durable file steps every writer shares.
//!
//! ```text
//! <lake>/events/topic=<topic>/date=<YYYY-MM-DD>/part-<first position>.parquet
//! <lake>/events/_checkpoint                      the sink's position (JSON)
//! <lake>/snapshots/model=<name>/date=<YYYY-MM-DD>/part-<position>.parquet
//! <lake>/LOCK                                    held by whoever writes events/
//! ```
//!
//! A file is written under `<name>.tmp`, fsynced, renamed to its name and its directory
//! fsynced: a reader never sees a part file that is not complete, and `*.tmp` files are
//! leftovers of a crash that the next writer deletes.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// The suffix of a file being written.
pub const TEMP_SUFFIX: &str = ".tmp";

/// `<lake>/events`.
pub fn events_dir(lake: &Path) -> PathBuf {
    lake.join("events")
}

/// `<lake>/snapshots`.
pub fn snapshots_dir(lake: &Path) -> PathBuf {
    lake.join("snapshots")
}

/// The sink's checkpoint file.
pub fn checkpoint_file(lake: &Path) -> PathBuf {
    events_dir(lake).join("_checkpoint")
}

/// The directory of one Hive partition: `<base>/<key>=<value>/date=<date>`.
pub fn partition_dir(base: &Path, key: &str, value: &str, date: NaiveDate) -> PathBuf {
    base.join(format!("{key}={}", escape(value))).join(format!("date={}", date.format("%Y-%m-%d")))
}

/// The name of the part file whose first row is at `first`.
pub fn part_name(first: u64) -> String {
    format!("part-{first}.parquet")
}

/// The first position of a part file's name (`part-42.parquet` → 42).
pub fn part_first(name: &str) -> Option<u64> {
    name.strip_prefix("part-")?.strip_suffix(".parquet")?.parse().ok()
}

/// A value as a path segment: Hive's escaping, `%XX` for every byte outside
/// `A-Z a-z 0-9 . _ -` (an outside source's topic may hold `/` or `:`).
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The value of a path segment written by [`escape`] (`None`: not one of its spellings).
pub fn unescape(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The partition value of a part file at `<base>/<key>=<value>/date=…/part-….parquet`.
pub fn partition_value_of(part: &Path, key: &str) -> Option<String> {
    let segment = part.parent()?.parent()?.file_name()?.to_str()?;
    unescape(segment.strip_prefix(key)?.strip_prefix('=')?)
}

/// A file found under a partitioned directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A complete part file and its first position.
    Part(PathBuf, u64),
    /// A file left half-written by a crash.
    Temp(PathBuf),
}

/// Every part and temp file two levels below `base` (`<key>=…/date=…/`), in no order.
pub fn scan(base: &Path) -> io::Result<Vec<Found>> {
    let mut found = Vec::new();
    for partition in subdirs(base)? {
        for date in subdirs(&partition)? {
            for entry in std::fs::read_dir(&date)? {
                let path = entry?.path();
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
                if name.ends_with(TEMP_SUFFIX) {
                    found.push(Found::Temp(path));
                } else if let Some(first) = part_first(name) {
                    found.push(Found::Part(path, first));
                }
            }
        }
    }
    Ok(found)
}

fn subdirs(dir: &Path) -> io::Result<Vec<PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut dirs = Vec::new();
            for entry in entries {
                let entry = entry?;
                if entry.file_type()?.is_dir() {
                    dirs.push(entry.path());
                }
            }
            Ok(dirs)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Makes `dir` and its missing parents, fsyncing each parent that got a new entry, so the
/// new directories survive a power loss with the files later renamed into them.
pub fn create_dir_durably(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durably(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// fsyncs a directory: what was renamed into it or removed from it stays so.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The temp name of `path`.
pub fn temp_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(TEMP_SUFFIX);
    PathBuf::from(name)
}

/// Makes the fsynced temp file `temp` visible as `path` (rename, then fsync its directory).
pub fn publish(temp: &Path, path: &Path) -> io::Result<()> {
    std::fs::rename(temp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Writes `bytes` to `path` all at once: temp file, fsync, rename, fsync directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let temp = temp_of(path);
    let mut file = File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    publish(&temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_name_gives_its_first_position_back() {
        assert_eq!(part_first(&part_name(42)), Some(42));
        assert_eq!(part_first("part-42.parquet.tmp"), None);
        assert_eq!(part_first("other.parquet"), None);
    }

    #[test]
    fn topics_become_safe_path_segments() {
        assert_eq!(escape("hosts"), "hosts");
        assert_eq!(escape("external.https://ci.example.com/x"), "external.https%3A%2F%2Fci.example.com%2Fx");
        assert_eq!(
            unescape(&escape("external.https://ci.example.com/x")).as_deref(),
            Some("external.https://ci.example.com/x")
        );
        let part = Path::new("/l/events/topic=a%2Fb/date=2026-03-09/part-1.parquet");
        assert_eq!(partition_value_of(part, "topic").as_deref(), Some("a/b"));
        let date = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(
            partition_dir(Path::new("/l/events"), "topic", "hosts", date),
            Path::new("/l/events/topic=hosts/date=2026-03-09")
        );
    }
}
