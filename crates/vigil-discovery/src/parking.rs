//! Parked discoveries: discoveries that arrived before what they need, kept durably until it
//! appears or they expire.
//!
//! A discovery is parked, whole, when one of its commands cannot take effect *yet*: its
//! host has not registered (a cloud, subscription or saptune discovery sent first), a
//! database instance is a system replication secondary whose primary has not registered
//! the database, or an application instance's database is not known. The row says what it
//! waits for; the process manager re-evaluates it when an event says that may have
//! appeared, and the expiry task moves it to the discovery log as `discarded` once it has
//! waited longer than `parked_expiry`. One row per (agent, discovery type): a newer
//! snapshot replaces an older one, which is what the agent would send anyway.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;
use vigil_landscape::discovery::DiscoveryType;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use vigil_readmodel::stamp;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS parked_discoveries (
    agent_id       TEXT NOT NULL,
    discovery_type TEXT NOT NULL,
    payload        TEXT NOT NULL,
    payload_hash   TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    parked_at      TEXT NOT NULL,
    reason         TEXT NOT NULL,
    waits          TEXT NOT NULL,
    PRIMARY KEY (agent_id, discovery_type)
);
CREATE INDEX IF NOT EXISTS parked_discoveries_by_time ON parked_discoveries (parked_at);
CREATE TABLE IF NOT EXISTS parked_waits (
    agent_id       TEXT NOT NULL,
    discovery_type TEXT NOT NULL,
    wait           TEXT NOT NULL,
    PRIMARY KEY (agent_id, discovery_type, wait)
);
CREATE INDEX IF NOT EXISTS parked_waits_by_wait ON parked_waits (wait);";

/// What a parked discovery waits for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Wait {
    /// The host's registration (or restoration).
    Host(Uuid),
    /// The database's registration by its primary.
    Database(Uuid),
    /// A database whose instance hosts have the address `db_host` and whose tenants include
    /// `tenant`.
    DatabaseAt {
        /// The database host's address.
        db_host: String,
        /// The tenant.
        tenant: String,
    },
}

impl From<vigil_landscape::prerequisite::Prerequisite> for Wait {
    fn from(prerequisite: vigil_landscape::prerequisite::Prerequisite) -> Self {
        match prerequisite {
            vigil_landscape::prerequisite::Prerequisite::Host(host_id) => Wait::Host(host_id),
            vigil_landscape::prerequisite::Prerequisite::Database(database_id) => Wait::Database(database_id),
        }
    }
}

/// What happened that may let parked discoveries through, with the addresses it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A host registered, was restored or changed its details; `addresses` are its
    /// addresses now.
    Host {
        /// The host.
        host_id: Uuid,
        /// Its addresses (`ip` or `ip/prefix`).
        addresses: Vec<String>,
    },
    /// A database registered, was restored, or gained an instance or tenants; `addresses`
    /// are those of the hosts running its instances.
    Database {
        /// The database.
        database_id: Uuid,
        /// Its instance hosts' addresses.
        addresses: Vec<String>,
    },
}

impl Trigger {
    /// The waits it may end: the host or database itself, and a database expected at one of
    /// the addresses. The address part mirrors `resolve`'s matching (the address before any
    /// `/prefix`, trimmed); waking too few would only delay a discovery to the agent's next
    /// tick, which evaluates it again.
    fn keys(&self) -> (String, Vec<String>) {
        let (exact, addresses) = match self {
            Trigger::Host { host_id, addresses } => (Wait::Host(*host_id).encode(), addresses),
            Trigger::Database { database_id, addresses } => (Wait::Database(*database_id).encode(), addresses),
        };
        let prefixes = addresses
            .iter()
            .map(|a| {
                let a = a.trim();
                let address = a.split_once('/').map_or(a, |(ip, _)| ip);
                format!("database_at {address} ")
            })
            .collect();
        (exact, prefixes)
    }
}

impl Wait {
    /// The wait in words, as stored (`host <id>`, `database <id>`, `database_at <host> <tenant>`).
    pub fn encode(&self) -> String {
        match self {
            Wait::Host(id) => format!("host {id}"),
            Wait::Database(id) => format!("database {id}"),
            Wait::DatabaseAt { db_host, tenant } => format!("database_at {db_host} {tenant}"),
        }
    }

    fn decode(text: &str) -> Option<Wait> {
        let mut parts = text.splitn(3, ' ');
        match (parts.next()?, parts.next()?, parts.next()) {
            ("host", id, None) => id.parse().ok().map(Wait::Host),
            ("database", id, None) => id.parse().ok().map(Wait::Database),
            ("database_at", db_host, Some(tenant)) => {
                Some(Wait::DatabaseAt { db_host: db_host.to_owned(), tenant: tenant.to_owned() })
            }
            _ => None,
        }
    }
}

/// A parked discovery.
#[derive(Clone, Debug, PartialEq)]
pub struct ParkedDiscovery {
    /// The agent.
    pub agent_id: Uuid,
    /// Its type.
    pub discovery_type: DiscoveryType,
    /// The payload, as received.
    pub payload: String,
    /// Its SHA-256, hex.
    pub payload_hash: String,
    /// When the agent sent it.
    pub received_at: DateTime<Utc>,
    /// When it was first parked (a re-evaluation that parks it again keeps this).
    pub parked_at: DateTime<Utc>,
    /// Why, in words.
    pub reason: String,
    /// What it waits for.
    pub waits: Vec<Wait>,
}

/// The table of parked discoveries.
///
/// Every discovery that is not parked asks for its (agent, type) to be removed from the
/// table, in case an older snapshot was parked. Almost none was, so the keys with a row are
/// also kept in memory and `remove` writes only for those: the ingest's answer then waits
/// for one commit fewer. This holds while this process is the only one parking in the
/// database (a second node would need the table itself).
#[derive(Clone)]
pub struct Parking {
    db: Db,
    keys: Arc<Mutex<ParkedKeys>>,
}

/// The (agent, discovery type) of every row. A superset while writes are in flight: a key
/// is added before its park is written, and dropped only after a removal has committed and
/// no park committed meanwhile (a park racing a removal may have written the row the
/// removal's answer says is gone).
#[derive(Default)]
struct ParkedKeys {
    keys: HashSet<(Uuid, DiscoveryType)>,
    /// Parks committed so far.
    parks: u64,
}

impl Parking {
    /// Creates the table if needed.
    pub async fn open(db: Db) -> Result<Parking, DbError> {
        db.write(|conn| conn.execute_batch(SCHEMA)).await??;
        let (keys, unreadable) = db
            .read(|conn| {
                let mut statement = conn.prepare("SELECT agent_id, discovery_type FROM parked_discoveries")?;
                let mut rows = statement.query([])?;
                let (mut keys, mut unreadable) = (HashSet::new(), 0);
                while let Some(r) = rows.next()? {
                    let agent = r.get_ref(0)?.as_str().ok().and_then(|a| a.parse().ok());
                    let ty = r.get_ref(1)?.as_str().ok().and_then(|t| t.parse().ok());
                    match agent.zip(ty) {
                        Some(key) => _ = keys.insert(key),
                        None => unreadable += 1,
                    }
                }
                Ok((keys, unreadable))
            })
            .await?;
        // Such a row cannot be what `remove` deletes (it binds the canonical text), nor can
        // this build list or retry it.
        if unreadable > 0 {
            tracing::warn!(rows = unreadable, "parked discoveries whose agent id or type this build cannot read");
        }
        Ok(Parking { db, keys: Arc::new(Mutex::new(ParkedKeys { keys, parks: 0 })) })
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, ParkedKeys> {
        self.keys.lock().expect("parking keys lock")
    }

    /// Parks `discovery` durably, replacing what was parked for the same agent and type. The
    /// same payload parked again keeps its first `parked_at`, so that it still expires.
    pub async fn park(&self, discovery: ParkedDiscovery) -> Result<(), DbError> {
        let encoded: Vec<String> = discovery.waits.iter().map(Wait::encode).collect();
        let waits = encoded.join("\n");
        let key = (discovery.agent_id, discovery.discovery_type);
        self.keys().keys.insert(key);
        self.db
            .write(move |conn| {
                let (agent_id, discovery_type) = (discovery.agent_id.to_string(), discovery.discovery_type.as_str());
                conn.prepare_cached("DELETE FROM parked_waits WHERE agent_id = ?1 AND discovery_type = ?2")?
                    .execute(params![agent_id, discovery_type])?;
                for wait in &encoded {
                    conn.prepare_cached(
                        "INSERT INTO parked_waits (agent_id, discovery_type, wait) VALUES (?1, ?2, ?3)
                         ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![agent_id, discovery_type, wait])?;
                }
                conn.prepare_cached(
                    "INSERT INTO parked_discoveries (agent_id, discovery_type, payload, payload_hash, received_at,
                                                     parked_at, reason, waits)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (agent_id, discovery_type) DO UPDATE SET
                         parked_at = CASE WHEN payload_hash = excluded.payload_hash THEN parked_at
                                          ELSE excluded.parked_at END,
                         payload = excluded.payload, payload_hash = excluded.payload_hash,
                         received_at = excluded.received_at, reason = excluded.reason, waits = excluded.waits",
                )?
                .execute(params![
                    agent_id,
                    discovery_type,
                    discovery.payload,
                    discovery.payload_hash,
                    stamp(discovery.received_at),
                    stamp(discovery.parked_at),
                    discovery.reason,
                    waits
                ])
            })
            .await??;
        let mut keys = self.keys();
        keys.keys.insert(key);
        keys.parks += 1;
        Ok(())
    }

    /// Removes what is parked for `agent_id` and `discovery_type`; only when its payload hash
    /// is `hash`, if given (a newer payload parked meanwhile stays).
    pub async fn remove(
        &self,
        agent_id: Uuid,
        discovery_type: DiscoveryType,
        hash: Option<String>,
    ) -> Result<bool, DbError> {
        let key = (agent_id, discovery_type);
        let parks = {
            let keys = self.keys();
            if !keys.keys.contains(&key) {
                return Ok(false);
            }
            keys.parks
        };
        let removed = self
            .db
            .write(move |conn| {
                let removed = conn
                    .prepare_cached(
                        "DELETE FROM parked_discoveries
                         WHERE agent_id = ?1 AND discovery_type = ?2 AND (?3 IS NULL OR payload_hash = ?3)",
                    )?
                    .execute(params![agent_id.to_string(), discovery_type.as_str(), hash])?;
                if removed > 0 {
                    conn.prepare_cached("DELETE FROM parked_waits WHERE agent_id = ?1 AND discovery_type = ?2")?
                        .execute(params![agent_id.to_string(), discovery_type.as_str()])?;
                }
                // What is left: a newer payload than `hash` keeps its row.
                let left = conn
                    .prepare_cached("SELECT 1 FROM parked_discoveries WHERE agent_id = ?1 AND discovery_type = ?2")?
                    .exists(params![agent_id.to_string(), discovery_type.as_str()])?;
                Ok::<_, rusqlite::Error>((removed, left))
            })
            .await??;
        let (removed, left) = removed;
        let mut keys = self.keys();
        if !left && keys.parks == parks {
            keys.keys.remove(&key);
        }
        Ok(removed > 0)
    }

    /// Removes everything parked for `agent_id` (its host was deregistered).
    pub async fn remove_agent(&self, agent_id: Uuid) -> Result<usize, DbError> {
        let parks = self.keys().parks;
        let removed = self
            .db
            .write(move |conn| {
                conn.prepare_cached("DELETE FROM parked_waits WHERE agent_id = ?1")?.execute([agent_id.to_string()])?;
                conn.prepare_cached("DELETE FROM parked_discoveries WHERE agent_id = ?1")?
                    .execute([agent_id.to_string()])
            })
            .await??;
        let mut keys = self.keys();
        if keys.parks == parks {
            keys.keys.retain(|(agent, _)| *agent != agent_id);
        }
        Ok(removed)
    }

    /// What is parked for `agent_id` and `discovery_type`.
    pub async fn get(&self, agent_id: Uuid, discovery_type: DiscoveryType) -> Result<Option<ParkedDiscovery>, DbError> {
        self.db
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(&format!("{SELECT} WHERE agent_id = ?1 AND discovery_type = ?2"))?
                    .query_row(params![agent_id.to_string(), discovery_type.as_str()], row)
                    .optional()?
                    .flatten())
            })
            .await
    }

    /// The parked discoveries `trigger` may let through, oldest first: found through the
    /// index of waits, so a trigger costs what it wakes, not what is parked.
    pub async fn woken_by(&self, trigger: &Trigger) -> Result<Vec<ParkedDiscovery>, DbError> {
        let (exact, prefixes) = trigger.keys();
        self.db
            .read(move |conn| {
                let mut keys = std::collections::BTreeSet::new();
                let mut collect = |rows: &mut rusqlite::Rows<'_>| -> rusqlite::Result<()> {
                    while let Some(row) = rows.next()? {
                        keys.insert((row.get::<_, String>(0)?, row.get::<_, String>(1)?));
                    }
                    Ok(())
                };
                let mut by_wait =
                    conn.prepare_cached("SELECT agent_id, discovery_type FROM parked_waits WHERE wait = ?1")?;
                collect(&mut by_wait.query([&exact])?)?;
                // A prefix ends with a space; the next character, `!`, bounds its range.
                let mut by_prefix = conn.prepare_cached(
                    "SELECT agent_id, discovery_type FROM parked_waits WHERE wait >= ?1 AND wait < ?2",
                )?;
                for prefix in &prefixes {
                    let end = format!("{}!", prefix.trim_end_matches(' '));
                    collect(&mut by_prefix.query(params![prefix, end])?)?;
                }
                let mut get = conn.prepare_cached(&format!("{SELECT} WHERE agent_id = ?1 AND discovery_type = ?2"))?;
                let mut found = Vec::new();
                for (agent_id, discovery_type) in keys {
                    if let Some(parked) = get.query_row(params![agent_id, discovery_type], row).optional()?.flatten() {
                        found.push(parked);
                    }
                }
                found.sort_by_key(|p| (p.parked_at, p.agent_id));
                Ok(found)
            })
            .await
    }

    /// Everything parked, oldest first.
    pub async fn all(&self) -> Result<Vec<ParkedDiscovery>, DbError> {
        self.list("", None).await
    }

    /// What was parked before `cutoff`, oldest first.
    pub async fn parked_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<ParkedDiscovery>, DbError> {
        self.list(" WHERE parked_at < ?1", Some(stamp(cutoff))).await
    }

    async fn list(&self, filter: &'static str, arg: Option<String>) -> Result<Vec<ParkedDiscovery>, DbError> {
        self.db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(&format!("{SELECT}{filter} ORDER BY parked_at, agent_id"))?;
                let rows = match &arg {
                    Some(arg) => stmt.query_map([arg], row)?.collect::<Result<Vec<_>, _>>()?,
                    None => stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?,
                };
                Ok(rows.into_iter().flatten().collect())
            })
            .await
    }
}

const SELECT: &str = "SELECT agent_id, discovery_type, payload, payload_hash, received_at, parked_at, reason, waits
                      FROM parked_discoveries";

/// A row as a parked discovery; `None` for a row this build cannot read (left to expire).
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<ParkedDiscovery>> {
    let time = |column: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        let text: String = r.get(column)?;
        Ok(DateTime::parse_from_rfc3339(&text).ok().map(|t| t.to_utc()))
    };
    let agent_id: String = r.get(0)?;
    let discovery_type: String = r.get(1)?;
    let waits: String = r.get(7)?;
    let (Ok(agent_id), Ok(discovery_type), Some(received_at), Some(parked_at)) =
        (agent_id.parse(), discovery_type.parse(), time(4)?, time(5)?)
    else {
        return Ok(None);
    };
    Ok(Some(ParkedDiscovery {
        agent_id,
        discovery_type,
        payload: r.get(2)?,
        payload_hash: r.get(3)?,
        received_at,
        parked_at,
        reason: r.get(6)?,
        waits: waits.lines().filter_map(Wait::decode).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_survive_their_encoding() {
        let waits = [
            Wait::Host(Uuid::from_u128(1)),
            Wait::Database(Uuid::from_u128(2)),
            Wait::DatabaseAt { db_host: "10.0.1.10".into(), tenant: "PRD DB".into() },
        ];
        for wait in waits {
            assert_eq!(Wait::decode(&wait.encode()), Some(wait));
        }
    }

    #[test]
    fn a_trigger_names_its_own_wait_and_the_addresses_a_database_may_be_expected_at() {
        let host = Uuid::from_u128(1);
        let trigger = Trigger::Host { host_id: host, addresses: vec!["10.0.1.10/24".into(), " fe80::1 ".into()] };
        let (exact, prefixes) = trigger.keys();
        assert_eq!(exact, Wait::Host(host).encode());
        assert_eq!(prefixes, ["database_at 10.0.1.10 ", "database_at fe80::1 "]);
        let waiting = Wait::DatabaseAt { db_host: "10.0.1.10".into(), tenant: "PRD".into() }.encode();
        assert!(waiting.starts_with(&prefixes[0]));
        assert!(!waiting.starts_with("database_at 10.0.1.1 "), "10.0.1.1 is another address");
    }

    fn parked(agent: u128, hash: &str) -> ParkedDiscovery {
        ParkedDiscovery {
            agent_id: Uuid::from_u128(agent),
            discovery_type: DiscoveryType::Cloud,
            payload: "{}".into(),
            payload_hash: hash.into(),
            received_at: Utc::now(),
            parked_at: Utc::now(),
            reason: "host not registered".into(),
            waits: vec![Wait::Host(Uuid::from_u128(agent))],
        }
    }

    /// `remove` skips the write for keys it does not hold: the keys must survive a restart
    /// and follow removals that leave a newer payload behind, or a stale row would stay.
    #[tokio::test]
    async fn what_was_parked_before_a_restart_is_still_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parking.db");
        let open = || Db::open(&path, vigil_store::sqlite::DbOptions::default()).unwrap();
        let parking = Parking::open(open()).await.unwrap();
        parking.park(parked(1, "aa")).await.unwrap();
        parking.park(parked(2, "bb")).await.unwrap();
        drop(parking);

        let parking = Parking::open(open()).await.unwrap();
        assert!(parking.remove(Uuid::from_u128(1), DiscoveryType::Cloud, None).await.unwrap());
        // An older hash leaves the newer payload, which a later removal must still reach.
        assert!(!parking.remove(Uuid::from_u128(2), DiscoveryType::Cloud, Some("old".into())).await.unwrap());
        assert!(parking.remove(Uuid::from_u128(2), DiscoveryType::Cloud, None).await.unwrap());
        assert!(parking.all().await.unwrap().is_empty());
        assert!(!parking.remove(Uuid::from_u128(3), DiscoveryType::Cloud, None).await.unwrap());

        parking.park(parked(4, "dd")).await.unwrap();
        assert_eq!(parking.remove_agent(Uuid::from_u128(4)).await.unwrap(), 1);
        parking.park(parked(4, "ee")).await.unwrap();
        assert!(parking.remove(Uuid::from_u128(4), DiscoveryType::Cloud, None).await.unwrap());
    }

    /// The keys are read at start: a row that does not decode is skipped, not a failed start.
    #[tokio::test]
    async fn a_parked_row_that_does_not_decode_does_not_stop_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parking.db");
        let open = || Db::open(&path, vigil_store::sqlite::DbOptions::default()).unwrap();
        let parking = Parking::open(open()).await.unwrap();
        parking.park(parked(1, "aa")).await.unwrap();
        drop(parking);
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO parked_discoveries (agent_id, discovery_type, payload, payload_hash, received_at,
                                             parked_at, reason, waits)
             VALUES (X'FF00', 'toaster_discovery', '{}', 'bb', 'x', 'x', 'x', '')",
            [],
        )
        .unwrap();
        drop(conn);

        let parking = Parking::open(open()).await.unwrap();
        assert!(parking.remove(Uuid::from_u128(1), DiscoveryType::Cloud, None).await.unwrap());
    }
}
