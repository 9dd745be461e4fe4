//! Tags on hosts, clusters, SAP systems and databases: plain CRUD, not events.
//!
//! A tag is a short label an operator puts on a resource to filter lists by. It decides
//! nothing in the landscape, so it is a table, not an aggregate; adding and removing still
//! pass the command gate's authorization and audit (`AddTag`, `RemoveTag`).
//!
//! Values are trimmed; a value already on the resource is not added twice. A valid value
//! has 1 to [`MAX_TAG_CHARS`] characters, each a letter, a digit, a space or one of
//! `-_.:` (letters and digits of any script).

use chrono::{DateTime, Utc};
use rusqlite::params;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use crate::stamp;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tags (
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    value         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id, value)
);
CREATE INDEX IF NOT EXISTS tags_by_value ON tags (resource_type, value);";

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;

/// The kinds of resources that carry tags, with their names in paths and policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagTarget {
    /// A host.
    Host,
    /// A cluster.
    Cluster,
    /// A SAP system.
    SapSystem,
    /// A database.
    Database,
}

impl TagTarget {
    /// The name in the table and in policy inputs (`host`, `cluster`, `sap_system`, `database`).
    pub fn kind(self) -> &'static str {
        match self {
            TagTarget::Host => "host",
            TagTarget::Cluster => "cluster",
            TagTarget::SapSystem => "sap_system",
            TagTarget::Database => "database",
        }
    }
}

/// Why a tag value is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTag {
    /// Nothing left after trimming.
    #[error("tag value must not be empty")]
    Empty,
    /// Too long.
    #[error("tag value must have at most {MAX_TAG_CHARS} characters, not {0}")]
    TooLong(usize),
    /// A character outside the allowed set.
    #[error("tag value may hold letters, digits, spaces and `-_.:` only, not `{0}`")]
    Character(char),
}

/// The value as stored: trimmed and checked.
pub fn validate(value: &str) -> Result<String, InvalidTag> {
    let value = value.trim();
    if value.is_empty() {
        return Err(InvalidTag::Empty);
    }
    let n_chars = value.chars().count();
    if n_chars > MAX_TAG_CHARS {
        return Err(InvalidTag::TooLong(n_chars));
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_alphanumeric() || *c == ' ' || "-_.:".contains(*c))) {
        return Err(InvalidTag::Character(bad));
    }
    Ok(value.to_owned())
}

/// The tags table.
#[derive(Clone)]
pub struct Tags {
    db: Db,
}

impl Tags {
    /// Creates the table if needed.
    pub async fn open(db: Db) -> Result<Tags, DbError> {
        db.write(|conn| conn.execute_batch(SCHEMA)).await??;
        Ok(Tags { db })
    }

    /// Adds `value` (already validated) to the resource; `false` when it was there already.
    pub async fn add(&self, target: TagTarget, id: String, value: String, at: DateTime<Utc>) -> Result<bool, DbError> {
        let added = self
            .db
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO tags (resource_type, resource_id, value, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT DO NOTHING",
                )?
                .execute(params![target.kind(), id, value, stamp(at)])
            })
            .await??;
        Ok(added > 0)
    }

    /// Removes `value` from the resource; `false` when it was not there.
    pub async fn remove(&self, target: TagTarget, id: String, value: String) -> Result<bool, DbError> {
        let removed = self
            .db
            .write(move |conn| {
                conn.prepare_cached("DELETE FROM tags WHERE resource_type = ?1 AND resource_id = ?2 AND value = ?3")?
                    .execute(params![target.kind(), id, value])
            })
            .await??;
        Ok(removed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_checked() {
        assert_eq!(validate("  prod-eu:1.a_b  "), Ok("prod-eu:1.a_b".into()));
        assert_eq!(validate("Straße 7"), Ok("Straße 7".into()), "letters of any script");
        assert_eq!(validate("   "), Err(InvalidTag::Empty));
        assert_eq!(validate(&"x".repeat(64)).map(|v| v.len()), Ok(64));
        assert_eq!(validate(&"x".repeat(65)), Err(InvalidTag::TooLong(65)));
        assert_eq!(validate("a/b"), Err(InvalidTag::Character('/')));
        assert_eq!(validate("a\tb"), Err(InvalidTag::Character('\t')));
    }
}
