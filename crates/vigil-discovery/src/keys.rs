//! The agent API key: what Trento agents send as `X-Trento-Apikey`.
//!
//! The database keeps only the key's SHA-256. The key itself is written once to
//! `<data dir>/agent-api-key` (mode 0600) so that `vigil keys show` can print it for the
//! operator who installs agents; deleting that file leaves a working server whose key can
//! only be replaced (`vigil keys rotate`), not shown.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use rusqlite::OptionalExtension;
use sha2::{Digest, Sha256};
use vigil_store::Db;
use vigil_store::sqlite::DbError;

const SETTING: &str = "agent_api_key_sha256";
const KEY_FILE: &str = "agent-api-key";

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);";

/// Checks presented agent keys against the stored hash.
pub struct AgentKeys {
    db: Db,
    hash: RwLock<(Option<[u8; 32]>, Instant)>,
}

impl AgentKeys {
    /// Loads the key's hash, generating a key first if there is none.
    pub async fn open(db: Db, data_dir: &Path) -> Result<AgentKeys, DbError> {
        ensure_schema(&db).await?;
        let hash = match load_hash(&db).await? {
            Some(hash) => hash,
            None => hash_of(&rotate(&db, data_dir).await?),
        };
        Ok(AgentKeys { db, hash: RwLock::new((Some(hash), Instant::now())) })
    }

    /// Whether `presented` is the agent key. The stored hash is re-read when it is over a
    /// second old, so `vigil keys rotate` takes effect on a running server within a second.
    pub async fn verify(&self, presented: &str) -> bool {
        let presented = hash_of(presented);
        let (mut stored, loaded_at) = *self.hash.read().expect("key lock");
        if loaded_at.elapsed() >= Duration::from_secs(1) {
            // Keep the last known hash if the database cannot be read right now.
            if let Ok(fresh) = load_hash(&self.db).await {
                stored = fresh;
            }
            *self.hash.write().expect("key lock") = (stored, Instant::now());
        }
        stored.is_some_and(|s| constant_time_eq(&s, &presented))
    }
}

/// Generates a new key, stores its hash and writes it to the key file. The old key stops
/// working at once.
pub async fn rotate(db: &Db, data_dir: &Path) -> Result<String, DbError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| DbError(format!("no randomness for a key: {e}")))?;
    let key = format!("vigil_{}", hex::encode(bytes));
    write_key_file(&key_file(data_dir), &key).map_err(|e| DbError(format!("cannot write the key file: {e}")))?;
    let hash = hex::encode(hash_of(&key));
    ensure_schema(db).await?;
    db.write(move |conn| {
        conn.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [SETTING, &hash],
        )
    })
    .await??;
    Ok(key)
}

/// The key as written to the data directory, if the file is there and matches the stored
/// hash.
pub async fn show(db: &Db, data_dir: &Path) -> Result<Option<String>, DbError> {
    ensure_schema(db).await?;
    let Ok(text) = std::fs::read_to_string(key_file(data_dir)) else {
        return Ok(None);
    };
    let key = text.trim().to_owned();
    Ok(load_hash(db).await?.filter(|h| constant_time_eq(h, &hash_of(&key))).map(|_| key))
}

fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

async fn ensure_schema(db: &Db) -> Result<(), DbError> {
    Ok(db.write(|conn| conn.execute_batch(SCHEMA)).await??)
}

async fn load_hash(db: &Db) -> Result<Option<[u8; 32]>, DbError> {
    let stored: Option<String> = db
        .read(|conn| {
            Ok(conn.query_row("SELECT value FROM settings WHERE name = ?1", [SETTING], |r| r.get(0)).optional()?)
        })
        .await?;
    Ok(stored.and_then(|h| hex::decode(h).ok()).and_then(|b| b.try_into().ok()))
}

fn hash_of(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Compares without an early exit, so response time does not reveal how much matched.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn write_key_file(path: &Path, key: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(key.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(tmp, path)
}
