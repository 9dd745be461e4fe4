//! Checkpoints of durable subscriptions on PostgreSQL, as `sqlite::checkpoints` keeps them:
//! one row per subscription, written in the same transaction as what the subscription did
//! with the events up to it, so a crash can neither repeat nor skip one. The table is made
//! by the store's migrations.

use deadpool_postgres::GenericClient;
use vigil_kernel::store::StoreError;

use super::{PgEventStore, pg_error, pool_error};

/// The stored checkpoint of subscription `name` (0: none).
pub async fn load_checkpoint(store: &PgEventStore, name: &str) -> Result<u64, StoreError> {
    let client = store.pool().get().await.map_err(pool_error)?;
    let row = client
        .query_opt("SELECT position FROM projection_checkpoints WHERE name = $1", &[&name])
        .await
        .map_err(pg_error)?;
    Ok(row.map(|r| r.try_get::<_, i64>(0)).transpose().map_err(pg_error)?.unwrap_or(0) as u64)
}

/// Stores the checkpoint of subscription `name`, inside the caller's transaction.
pub async fn save_checkpoint(client: &impl GenericClient, name: &str, position: u64) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            &[&name, &(position as i64)],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}

/// Sets the checkpoint of subscription `name` to `position` unless it has one, inside the
/// caller's transaction: a subscription that reacts (rather than rebuilds) starts at the
/// store's head on its first start, and where it stands after that.
pub async fn start_checkpoint(client: &impl GenericClient, name: &str, position: u64) -> Result<(), StoreError> {
    client
        .execute(
            "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &(position as i64)],
        )
        .await
        .map_err(pg_error)?;
    Ok(())
}
