//! Embedded SQLite store (the default): one file, WAL journal, `synchronous=FULL`; the hot writes are
//! group-committed on one writer thread and session reads run on the caller's thread (see `batch`).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: Option<PathBuf>,
    /// Group commit of the hot writes and session reads on the calling thread (see `batch`); a file
    /// database only (every connection to `sqlite::memory:` is a separate database).
    pub(super) batcher: Option<super::batch::Batcher>,
}

impl SqliteStore {
    /// Open (creating when missing) the database named by a `sqlite://PATH` URL, `PATH` relative to
    /// `base_dir` unless absolute, and run the migrations. `sqlite::memory:` opens a private
    /// in-memory database.
    pub async fn open(url: &str, base_dir: &Path) -> Result<Self, StoreError> {
        let invalid = |reason: &str| StoreError::InvalidUrl { url: url.to_string(), reason: reason.to_string() };
        let (options, path, max_conns) = if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            let o = SqliteConnectOptions::from_str("sqlite::memory:")
                .map_err(|e| StoreError::Open { url: url.to_string(), source: e })?;
            // Every connection of an in-memory database is a separate database: use one.
            (o, None, 1)
        } else {
            let rest = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .ok_or_else(|| invalid("must start with sqlite://"))?;
            if rest.contains('?') || rest.contains('#') {
                return Err(invalid("query parameters are not supported; give only a file path"));
            }
            if rest.is_empty() {
                return Err(invalid("no database file path after sqlite://"));
            }
            let rel = Path::new(rest);
            let path = if rel.is_absolute() { rel.to_path_buf() } else { base_dir.join(rel) };
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|source| StoreError::CreateDir { path: parent.to_path_buf(), source })?;
            }
            let o = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
            (o, Some(path), 8)
        };
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(max_conns)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { url: url.to_string(), source })?;
        MIGRATOR.run(&pool).await.map_err(|source| StoreError::Migrate { url: url.to_string(), source })?;
        let batcher = match &path {
            Some(p) => Some(super::batch::Batcher::start(p)?),
            None => None,
        };
        Ok(SqliteStore { pool, path, batcher })
    }

    /// The database file (`None` for an in-memory store).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection pool, for tests and maintenance.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Close every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl_sql_store!(SqliteStore, "sqlite");
