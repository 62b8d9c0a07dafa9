//! Storage: one connection pool over SQLite (default, one file in the data directory) or
//! PostgreSQL (`postgres://` URL), the schema migrations for both, and the write transaction
//! that serialises every change that counts sites or appends to the ledger.
//!
//! All SQL is portable: `$n` placeholders (SQLite reads them by number too), BIGINT/TEXT columns
//! only, `INSERT … ON CONFLICT`, `RETURNING`. Queries are built at run time (`sqlx::query`), so
//! nothing needs a database at build time.

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::problem::Problem;

/// SQLite waits this long for a lock before returning SQLITE_BUSY.
pub const BUSY_TIMEOUT_MS: u64 = 5_000;
/// How many times a busy write is retried before answering 503.
pub const BUSY_RETRIES: u32 = 8;

/// Which database engine is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The connection pool and its backend.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// The engine.
    pub backend: Backend,
    /// On SQLite, the in-process queue of writers (see [`Db::write_turn`]).
    gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction (see [`Db::begin_write`]).
pub type WriteTx = Transaction<'static, Any>;

/// Whether an error means "busy, try again": SQLite BUSY/LOCKED, PostgreSQL serialisation
/// failure, deadlock or lock timeout, or no pool connection in time.
pub fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            let primary = code.parse::<u32>().map(|c| c & 0xff).ok();
            matches!(primary, Some(5 | 6))
                || matches!(code.as_ref(), "40001" | "40P01" | "55P03")
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}

/// The SQLite URL of the database file in `dir`.
pub fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("hwf-license.db").display())
}

impl Db {
    /// Connects to `url` (`sqlite://…` or `postgres://…`) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, Problem> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Problem::bad_request(
                "database URL must start with sqlite: or postgres://",
            ));
        };
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
        let pool = opts
            .connect(url)
            .await
            .map_err(|e| Problem::internal(format_args!("cannot open the database: {e}")))?;
        let db = Self {
            pool,
            backend,
            gate: Default::default(),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Opens (creating if needed) the SQLite database in `dir`.
    pub async fn open_dir(dir: &std::path::Path) -> Result<Self, Problem> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Problem::internal(format_args!("cannot create {}: {e}", dir.display())))?;
        Self::connect(&sqlite_url(dir)).await
    }

    /// Starts a transaction that holds the database's write lock on SQLite (`BEGIN IMMEDIATE`).
    /// On PostgreSQL, call [`Db::lock_hub`] inside it before counting sites or appending to the
    /// ledger.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Waits for this process's turn to write, on SQLite: [`crate::write_tx`] holds the turn
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

    /// Serialises Hub writers that count sites or append to the ledger: locks the single
    /// `hub_state` row (`SELECT … FOR UPDATE`) on PostgreSQL; a no-op on SQLite, where
    /// [`Db::begin_write`] already holds the write lock.
    pub async fn lock_hub(&self, tx: &mut WriteTx) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM hub_state WHERE id = 1 FOR UPDATE")
                .fetch_one(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The backoff before retry `attempt` (1-based) of a busy write.
    pub fn backoff(attempt: u32) -> Duration {
        Duration::from_millis(20u64 << attempt.min(6))
    }

    /// Applies the pending migrations, all in one transaction that holds the write lock on
    /// SQLite and a transaction-scoped advisory lock on PostgreSQL, so processes starting at
    /// once on one database migrate it once, one after the other (the later ones find nothing
    /// to do).
    async fn migrate(&self) -> Result<(), Problem> {
        let serial = match self.backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGSERIAL PRIMARY KEY",
        };
        let mut attempt = 0;
        loop {
            match self.migrate_once(serial).await {
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(Self::backoff(attempt)).await;
                }
                r => return Ok(r?),
            }
        }
    }

    async fn migrate_once(&self, serial: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        for (version, sql) in MIGRATIONS.iter().enumerate() {
            let version = version as i64 + 1;
            let done: Option<AnyRow> =
                sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            let sql = sql.replace("{serial}", serial);
            for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                sqlx::query(stmt).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(crate::now())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
}

/// The PostgreSQL advisory lock key that serialises migrations (`hwf-migr` in ASCII).
const MIGRATION_LOCK: i64 = 0x6877_662d_6d69_6772;

/// Runs a write transaction body, retrying the whole transaction while the database is busy.
///
/// `$db` is a [`Db`]; the body sees `$tx` (a [`WriteTx`]) and evaluates to
/// `Result<T, Problem>`. The transaction commits on `Ok` and rolls back on `Err`; a body that is
/// still busy after [`BUSY_RETRIES`] retries answers 503 ([`Problem::busy`]), never 500.
#[macro_export]
macro_rules! write_tx {
    ($db:expr, |$tx:ident| $body:expr) => {{
        let db: &$crate::db::Db = $db;
        let mut attempt = 0u32;
        loop {
            let result: Result<_, $crate::problem::Problem> = async {
                let _turn = db.write_turn().await;
                let mut $tx = db.begin_write().await?;
                let out = async { $body }.await;
                match out {
                    Ok(v) => {
                        $tx.commit().await?;
                        Ok(v)
                    }
                    Err(e) => {
                        let _ = $tx.rollback().await;
                        Err(e)
                    }
                }
            }
            .await;
            match result {
                Err(p) if p.slug() == "database-busy" && attempt < $crate::db::BUSY_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep($crate::db::Db::backoff(attempt)).await;
                }
                other => break other,
            }
        }
    }};
}

/// The schema, one entry per version; `{serial}` is the backend's auto-increment key type.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    public_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE audit (
    id {serial},
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    ip TEXT,
    user_agent TEXT,
    detail TEXT
);
CREATE TABLE trusted_roots (
    kid TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    public_pem TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE TABLE hub_state (
    id BIGINT PRIMARY KEY,
    ledger_length BIGINT NOT NULL,
    ledger_head TEXT NOT NULL,
    ledger_last_at BIGINT NOT NULL,
    revocation_seq BIGINT NOT NULL
);
INSERT INTO hub_state (id, ledger_length, ledger_head, ledger_last_at, revocation_seq)
    VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, 0);
CREATE TABLE hub_cmls (
    id TEXT PRIMARY KEY,
    jws TEXT NOT NULL,
    org_id TEXT NOT NULL,
    license_id TEXT NOT NULL,
    max_sites BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    installed_at BIGINT NOT NULL,
    active BIGINT NOT NULL
);
CREATE TABLE sites (
    site_id TEXT PRIMARY KEY,
    license_id TEXT NOT NULL UNIQUE,
    cml_id TEXT NOT NULL,
    product TEXT NOT NULL,
    tier TEXT NOT NULL,
    features TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    license TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at BIGINT,
    last_seen BIGINT,
    seen_day BIGINT
);
CREATE INDEX sites_status ON sites (status);
CREATE TABLE revocation_lists (
    cml_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    jws TEXT NOT NULL
);
CREATE TABLE ledger (
    seq BIGINT PRIMARY KEY,
    jws TEXT NOT NULL
);
CREATE TABLE manifests (
    id TEXT PRIMARY KEY,
    period TEXT NOT NULL UNIQUE,
    jws TEXT NOT NULL,
    generated_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT,
    receipt TEXT
);
CREATE TABLE root_keys (
    kid TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE root_cmls (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    license_id TEXT NOT NULL,
    jws TEXT NOT NULL,
    environment TEXT NOT NULL,
    max_sites BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    valid_until BIGINT NOT NULL
);
CREATE INDEX root_cmls_org ON root_cmls (org_id);
CREATE TABLE root_manifests (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    cml_id TEXT NOT NULL,
    period TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    jws TEXT NOT NULL,
    total_active_sites BIGINT NOT NULL,
    ledger_length BIGINT NOT NULL
);
CREATE INDEX root_manifests_org ON root_manifests (org_id)
"#];
