//! PostgreSQL store, for several gateway processes sharing one database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{StoreError, redact_url};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// PostgreSQL implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connect to `postgres://…` / `postgresql://…` and run the migrations. Connection problems
    /// fail here (not at first use), within a few seconds.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let shown = redact_url(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidUrl { url: shown.clone(), reason: e.to_string() })?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { url: shown.clone(), source })?;
        MIGRATOR.run(&pool).await.map_err(|source| StoreError::Migrate { url: shown, source })?;
        Ok(PgStore { pool })
    }

    /// The connection pool, for tests and maintenance.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Close every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl_sql_store!(PgStore, "postgres");
