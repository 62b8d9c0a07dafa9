//! The connection pool, its backend, the write transaction and this process's write turn.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor, Transaction};

use super::StoreError;

/// SQLite waits this long for a lock before returning SQLITE_BUSY.
pub const BUSY_TIMEOUT_MS: u64 = 5_000;
/// How many times a busy write is retried before its busy error is answered.
pub const BUSY_RETRIES: u32 = 8;

/// Which database engine is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A write transaction (see [`Db::begin_write`]).
pub type Tx = Transaction<'static, Any>;
/// A connection from the pool.
pub type Conn = PoolConnection<Any>;

/// The connection pool and its backend.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// On SQLite, the in-process queue of writers (see [`Db::write_turn`]).
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// The SQLite URL of the database file in `dir`.
pub fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("hwf-license.db").display())
}

/// Before SQLite opens the file of `url` (`sqlite://PATH?…`), creates it empty with mode
/// 0600 when it does not exist, and tightens an existing one to 0600 (SQLite gives its `-wal`
/// and `-shm` files the database file's mode); a missing parent directory is created 0700.
fn private_sqlite_file(url: &str) -> Result<(), StoreError> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or("");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" || path.starts_with("file:") {
        return Ok(());
    }
    let path = std::path::Path::new(path);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let io = |e: std::io::Error| StoreError::Open(sqlx::Error::Io(e));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(io)?;
            }
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::BadUrl);
        };
        if backend == Backend::Sqlite {
            private_sqlite_file(url)?;
        }
        let opts = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30));
        let opts = if backend == Backend::Sqlite {
            opts.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        format!(
                            "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                        )
                        .as_str(),
                    )
                    .await?;
                    Ok(())
                })
            })
        } else {
            opts
        };
        let pool = opts.connect(url).await.map_err(StoreError::Open)?;
        let db = Self {
            pool,
            backend,
            gate: Default::default(),
        };
        super::migrate::run(&db).await?;
        Ok(db)
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool itself, for checks from outside the server (tests read the tables they
    /// verify); the server's own queries are the repository functions of this module.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection from the pool, for reads and single-statement writes.
    pub async fn conn(&self) -> Result<Conn, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Answers when the database does (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool: every later call fails.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a transaction that holds the database's write lock on SQLite (`BEGIN IMMEDIATE`).
    /// On PostgreSQL, call [`super::hub_state::lock`] inside it before counting sites or
    /// appending to the ledger.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Waits for this process's turn to write, on SQLite: `write_tx!` holds the turn
    /// for the whole transaction, so this process's writers queue in order instead of each
    /// spinning on SQLite's busy handler (which sleeps up to 100 ms between tries, the source
    /// of long tail latencies under load). Other processes still meet the database's own lock
    /// and `busy_timeout`. `None` on PostgreSQL, whose row locks queue writers themselves.
    pub async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.gate.lock().await),
            Backend::Postgres => None,
        }
    }

    /// The backoff before retry `attempt` (1-based) of a busy write.
    pub fn backoff(attempt: u32) -> Duration {
        Duration::from_millis(20u64 << attempt.min(6))
    }
}
