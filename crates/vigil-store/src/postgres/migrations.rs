//! Versioned migrations of the store's schema, run at connect.
//!
//! Each migration runs once, in its own transaction, and is recorded in `schema_migrations`.
//! Nodes starting at once take a session advisory lock (one per schema) around the whole
//! run, so the second waits for the first and then finds nothing left to do.

use tokio_postgres::Client;

use super::pg_error;
use vigil_kernel::store::StoreError;

/// One step of the schema, never edited once released: a change is a new step.
pub struct Migration {
    /// Applied in increasing order, each once.
    pub version: i32,
    /// What it does, recorded beside its version.
    pub name: &'static str,
    /// Runs in one transaction with its record.
    pub sql: &'static str,
}

/// The store's migrations, oldest first.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "events, the event head, snapshots, projection checkpoints",
    sql: "
CREATE TABLE events (
    position       bigint      PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    stream_id      text        NOT NULL,
    stream_version bigint      NOT NULL,
    event_type     text        NOT NULL,
    schema_version bigint      NOT NULL,
    source         text        NOT NULL,
    subject        text        NOT NULL,
    time           timestamptz NOT NULL,
    data           json        NOT NULL,
    correlation_id uuid,
    causation_id   uuid,
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_by_subject ON events (subject, position);
CREATE INDEX events_by_type ON events (event_type, position);
-- The last position given out. Every append batch locks this row (SELECT ... FOR UPDATE)
-- before it picks positions and updates it before it commits: positions are given out in
-- commit order, so no reader can see a position before a lower one commits.
CREATE TABLE event_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    head      bigint  NOT NULL
);
INSERT INTO event_head (head) VALUES (0);
CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END $$;
CREATE TRIGGER events_are_not_changed BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();
CREATE TRIGGER events_are_not_truncated BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_append_only();
CREATE TABLE snapshots (
    stream_id text   PRIMARY KEY,
    version   bigint NOT NULL,
    state     text   NOT NULL
);
CREATE TABLE projection_checkpoints (name text PRIMARY KEY, position bigint NOT NULL);
CREATE TABLE projection_versions (name text PRIMARY KEY, version bigint NOT NULL);
",
}];

/// Brings `schema` up to the newest migration, on a connection of its own (the session
/// lock must not outlive the run inside a pooled connection). Refuses a schema migrated by
/// a newer Vigil than this one.
pub async fn migrate(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", &[&lock_name(schema)])
        .await
        .map_err(pg_error)?;
    let outcome = migrate_locked(client, schema).await;
    let unlocked = client.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", &[&lock_name(schema)]).await;
    outcome?;
    unlocked.map_err(pg_error)?;
    Ok(())
}

fn lock_name(schema: &str) -> String {
    format!("vigil migrations of schema {schema}")
}

async fn migrate_locked(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    // Created only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE right
    // on the database, which a user given an existing schema may not have.
    let exists = client
        .query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema])
        .await
        .map_err(pg_error)?
        .is_some();
    if !exists {
        client.batch_execute(&format!("CREATE SCHEMA \"{schema}\"")).await.map_err(pg_error)?;
    }
    client
        .batch_execute(&format!(
            "SET search_path TO \"{schema}\";
             CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    integer     PRIMARY KEY,
                 name       text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );"
        ))
        .await
        .map_err(pg_error)?;
    let applied: i32 = client
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
        .await
        .map_err(pg_error)?
        .try_get(0)
        .map_err(pg_error)?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.version);
    if applied > newest {
        return Err(StoreError(format!(
            "schema {schema} is at migration {applied}, newer than this Vigil knows ({newest}): run a newer Vigil"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > applied) {
        let tx = client.transaction().await.map_err(pg_error)?;
        tx.batch_execute(m.sql).await.map_err(|e| StoreError(format!("migration {}: {}", m.version, pg_error(e).0)))?;
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[&m.version, &m.name])
            .await
            .map_err(pg_error)?;
        tx.commit().await.map_err(pg_error)?;
        tracing::info!(schema, version = m.version, name = m.name, "applied a PostgreSQL migration");
    }
    Ok(())
}
