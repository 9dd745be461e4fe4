//! The read-model port: the landscape queries the API serves, apart from the tables that
//! answer them.
//!
//! The HTTP layer, the actions' enrichment and the operations see only [`LandscapeReads`];
//! [`SqliteLandscapeReads`] answers from the embedded tables. A second adapter (PostgreSQL)
//! would implement the same trait and pass the same conformance suite
//! ([`landscape_reads_contract_tests!`](crate::landscape_reads_contract_tests)).

use async_trait::async_trait;
use vigil_store::Db;
use vigil_store::sqlite::DbError;

use crate::ListQuery;
use crate::clusters::{ClusterRow, ClusterViews};
use crate::databases::{DatabaseRow, DatabaseViews};
use crate::hosts::{HostQuery, HostRow, HostViews};
use crate::sap_systems::{SapSystemRow, SapSystemViews};

/// A read model could not answer, for reasons outside the caller's control.
#[derive(Clone, Debug, thiserror::Error)]
#[error("read model: {0}")]
pub struct ReadError(pub String);

impl From<DbError> for ReadError {
    fn from(e: DbError) -> Self {
        ReadError(e.0)
    }
}

/// One page of a list and how many items match in all.
pub type Listed<Row> = (Vec<Row>, u64);

/// The landscape as the read models hold it: lists (filtered, counted, paged, in a stable
/// order ending in the id) and single items, deregistered ones included.
#[async_trait]
pub trait LandscapeReads: Send + Sync + 'static {
    /// Hosts matching `query`, by hostname.
    async fn hosts(&self, query: HostQuery) -> Result<Listed<HostRow>, ReadError>;
    /// Host `id` (its agent id).
    async fn host(&self, id: String) -> Result<Option<HostRow>, ReadError>;
    /// Clusters matching `query`, by name.
    async fn clusters(&self, query: ListQuery) -> Result<Listed<ClusterRow>, ReadError>;
    /// Cluster `id`.
    async fn cluster(&self, id: String) -> Result<Option<ClusterRow>, ReadError>;
    /// Databases matching `query`, by SID.
    async fn databases(&self, query: ListQuery) -> Result<Listed<DatabaseRow>, ReadError>;
    /// Database `id`.
    async fn database(&self, id: String) -> Result<Option<DatabaseRow>, ReadError>;
    /// SAP systems matching `query`, by SID.
    async fn sap_systems(&self, query: ListQuery) -> Result<Listed<SapSystemRow>, ReadError>;
    /// SAP system `id`.
    async fn sap_system(&self, id: String) -> Result<Option<SapSystemRow>, ReadError>;
}

/// The read models in the shared SQLite file.
#[derive(Clone)]
pub struct SqliteLandscapeReads {
    hosts: HostViews,
    clusters: ClusterViews,
    databases: DatabaseViews,
    sap_systems: SapSystemViews,
}

impl SqliteLandscapeReads {
    /// Queries on `db`'s read-model tables.
    pub fn new(db: Db) -> Self {
        SqliteLandscapeReads {
            hosts: HostViews::new(db.clone()),
            clusters: ClusterViews::new(db.clone()),
            databases: DatabaseViews::new(db.clone()),
            sap_systems: SapSystemViews::new(db),
        }
    }
}

#[async_trait]
impl LandscapeReads for SqliteLandscapeReads {
    async fn hosts(&self, query: HostQuery) -> Result<Listed<HostRow>, ReadError> {
        Ok(self.hosts.list(query).await?)
    }
    async fn host(&self, id: String) -> Result<Option<HostRow>, ReadError> {
        Ok(self.hosts.get(id).await?)
    }
    async fn clusters(&self, query: ListQuery) -> Result<Listed<ClusterRow>, ReadError> {
        Ok(self.clusters.list(query).await?)
    }
    async fn cluster(&self, id: String) -> Result<Option<ClusterRow>, ReadError> {
        Ok(self.clusters.get(id).await?)
    }
    async fn databases(&self, query: ListQuery) -> Result<Listed<DatabaseRow>, ReadError> {
        Ok(self.databases.list(query).await?)
    }
    async fn database(&self, id: String) -> Result<Option<DatabaseRow>, ReadError> {
        Ok(self.databases.get(id).await?)
    }
    async fn sap_systems(&self, query: ListQuery) -> Result<Listed<SapSystemRow>, ReadError> {
        Ok(self.sap_systems.list(query).await?)
    }
    async fn sap_system(&self, id: String) -> Result<Option<SapSystemRow>, ReadError> {
        Ok(self.sap_systems.get(id).await?)
    }
}
