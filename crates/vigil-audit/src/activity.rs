//! Who did what and when: the audit records searched newest first, for the activity page.
//!
//! A search looks through a bounded window of records below `before` ([`SCAN`]), so a rare
//! filter costs bounded work; the caller carries on with the returned `next_before`.

use rusqlite::types::Value as Sql;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

/// Records looked through per search at most.
pub const SCAN: u64 = 20_000;

/// What to look for. Times are RFC 3339 in UTC.
#[derive(Clone, Debug, Default)]
pub struct ActivityQuery {
    /// Only what this principal did (its id).
    pub principal: Option<String>,
    /// Only records of this kind; without it, stored events (`event`) are left out: they
    /// are the landscape's activity, not a person's.
    pub kind: Option<String>,
    /// Only records at or after this time.
    pub since: Option<String>,
    /// Only records before this time.
    pub until: Option<String>,
    /// Only records with an index below this one (at most the log's size).
    pub before: u64,
    /// At most this many records.
    pub limit: usize,
}

/// One record found: its index, kind, time and body (`None` when it does not decode).
pub type ActivityRecord = (u64, String, String, Option<String>);

/// The records matching `query`, newest first, and where an older page starts (`None` at
/// the start of the log).
pub async fn search(db: &Db, query: ActivityQuery) -> Result<(Vec<ActivityRecord>, Option<u64>), DbError> {
    let top = query.before;
    let floor = top.saturating_sub(SCAN);
    let limit = query.limit;
    let mut sql = String::from(
        "SELECT idx, kind, time, json_extract(record, '$.body') FROM audit_records WHERE idx < ?1 AND idx >= ?2",
    );
    let mut args: Vec<Sql> = vec![Sql::Integer(top as i64), Sql::Integer(floor as i64)];
    // Each filter is a clause with one bound value (`{}` marks its place).
    let mut filter = |clause: &str, value: String| {
        args.push(Sql::Text(value));
        sql.push_str(" AND ");
        sql.push_str(&clause.replace("{}", &format!("?{}", args.len())));
    };
    match query.kind {
        Some(kind) => filter("kind = {}", kind),
        None => filter("kind <> {}", "event".to_owned()),
    }
    if let Some(principal) = query.principal {
        filter("coalesce(json_extract(record, '$.body.principal.id'), '') = {}", principal);
    }
    if let Some(since) = query.since {
        filter("julianday(time) >= julianday({})", since);
    }
    if let Some(until) = query.until {
        filter("julianday(time) < julianday({})", until);
    }
    sql.push_str(&format!(" ORDER BY idx DESC LIMIT {limit}"));
    let rows: Vec<ActivityRecord> = db
        .read(move |conn| {
            let mut statement = conn.prepare(&sql)?;
            let rows = statement
                .query_map(rusqlite::params_from_iter(args), |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await?;
    let full = rows.len() == limit;
    let next_before = match rows.last() {
        Some((idx, ..)) if full => Some(*idx),
        // A short page: the scan window is exhausted; older records lie below it.
        _ if floor > 0 => Some(floor),
        _ => None,
    };
    Ok((rows, next_before))
}
