//! When each cluster's CIB was last written (Trento's `cib_last_written`), as its members'
//! cluster discoveries last reported it.
//!
//! Plain CRUD, not events, as the heartbeat timestamps are: Pacemaker writes the CIB
//! whenever a node attribute changes (SAPHanaSR rewrites the primary's `lpa_<sid>_lpt` as it
//! monitors it), so an event per write would grow the store forever for a value of which
//! only the latest matters. Trento keeps it outside its event stream too, in a table a
//! command middleware writes (`clusters_enrichment_data`). The ingest records the value an
//! admitted `RegisterOnlineClusterHost` carries; the clusters read model joins it when read.

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::params;
use uuid::Uuid;
use vigil_store::Db;
use vigil_store::sqlite::{Commit, DbError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS cluster_cib (
    cluster_id       TEXT PRIMARY KEY,
    cib_last_written TEXT NOT NULL
) WITHOUT ROWID;";

/// The `cluster_cib` table and the values it holds, so that an unchanged one is not written.
pub struct CibWrites {
    db: Db,
    last: Mutex<HashMap<Uuid, String>>,
}

impl CibWrites {
    /// Creates the table if needed and loads it.
    pub async fn open(db: Db) -> Result<CibWrites, DbError> {
        db.write(|conn| conn.execute_batch(SCHEMA)).await??;
        let rows: Vec<(String, String)> = db
            .read(|conn| {
                let mut stmt = conn.prepare("SELECT cluster_id, cib_last_written FROM cluster_cib")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        let last = rows.into_iter().filter_map(|(id, written)| Some((id.parse().ok()?, written))).collect();
        Ok(CibWrites { db, last: Mutex::new(last) })
    }

    /// Records that the CIB of `cluster_id` was last written at `cib_last_written`.
    ///
    /// The commit is [`Commit::Deferred`], as for heartbeat timestamps: a power loss may take
    /// the newest value, and the members' next discoveries report it again.
    pub async fn record(&self, cluster_id: Uuid, cib_last_written: &str) -> Result<(), DbError> {
        if self.last.lock().expect("cib lock").get(&cluster_id).map(String::as_str) == Some(cib_last_written) {
            return Ok(());
        }
        let written = cib_last_written.to_owned();
        self.db
            .write_as(Commit::Deferred, move |conn| {
                conn.prepare_cached(
                    "INSERT INTO cluster_cib (cluster_id, cib_last_written) VALUES (?1, ?2)
                     ON CONFLICT (cluster_id) DO UPDATE SET cib_last_written = excluded.cib_last_written",
                )?
                .execute(params![cluster_id.to_string(), written])
            })
            .await??;
        self.last.lock().expect("cib lock").insert(cluster_id, cib_last_written.to_owned());
        Ok(())
    }
}
