//! A fresh schema on the test PostgreSQL server (`VIGIL_TEST_POSTGRES`, by default
//! `postgres://postgres@127.0.0.1:5432/test`) for each test, dropped when the test ends.
//! Where the server cannot be reached, [`FreshSchema::new`] says on stderr that the test
//! is skipped and why, and returns `None`.

#![allow(dead_code)]

use std::time::Duration;

use vigil_store::{PgEventStore, PgOptions};

/// The server the tests use.
pub fn url() -> String {
    std::env::var("VIGIL_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema name no other test uses; the store creates the schema when it connects.
pub struct FreshSchema {
    pub url: String,
    pub schema: String,
}

impl FreshSchema {
    pub async fn new() -> Option<FreshSchema> {
        let url = url();
        let reached =
            tokio::time::timeout(Duration::from_secs(5), tokio_postgres::connect(&url, tokio_postgres::NoTls)).await;
        match reached {
            Ok(Ok((client, connection))) => {
                drop(client);
                let _ = connection.await;
            }
            Ok(Err(error)) => {
                let cause = std::error::Error::source(&error).map(|c| format!(": {c}")).unwrap_or_default();
                eprintln!("skipped: PostgreSQL not reachable at {url}: {error}{cause}");
                return None;
            }
            Err(_) => {
                eprintln!("skipped: PostgreSQL not reachable at {url}: no answer within 5 s");
                return None;
            }
        }
        Some(FreshSchema { url, schema: format!("vigil_test_{}", uuid::Uuid::now_v7().simple()) })
    }

    /// The store's options on this schema, small pools (tests run side by side).
    pub fn options(&self) -> PgOptions {
        PgOptions { schema: self.schema.clone(), max_readers: 4, ..Default::default() }
    }

    /// A store on this schema.
    pub async fn connect(&self) -> PgEventStore {
        PgEventStore::connect(&self.url, self.options()).await.expect("connect to the test PostgreSQL")
    }

    /// A plain connection with the schema on its search path.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(&format!("SET search_path TO {}", self.schema)).await.unwrap();
        client
    }
}

impl Drop for FreshSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        // Drop runs inside the test's runtime; the cleanup gets a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let Ok((client, connection)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await else {
                    return;
                };
                tokio::spawn(connection);
                if let Err(error) = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await {
                    eprintln!("could not drop test schema {schema}: {error}");
                }
            });
        });
        let _ = cleanup.join();
    }
}
