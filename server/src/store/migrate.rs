//! The schema and its migrations: applied in order, each once, recorded in
//! `schema_migrations`.

use sqlx::any::AnyRow;

use super::{Backend, Db, StoreError, BUSY_RETRIES};

/// The PostgreSQL advisory lock key that serialises migrations (`hwf-migr` in ASCII).
const MIGRATION_LOCK: i64 = 0x6877_662d_6d69_6772;

/// Applies the pending migrations, all in one transaction that holds the write lock on
/// SQLite and a transaction-scoped advisory lock on PostgreSQL, so processes starting at
/// once on one database migrate it once, one after the other (the later ones find nothing
/// to do).
pub(super) async fn run(db: &Db) -> Result<(), StoreError> {
    let serial = match db.backend() {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    let mut attempt = 0;
    loop {
        match once(db, serial).await {
            Err(StoreError::Busy) if attempt < BUSY_RETRIES => {
                attempt += 1;
                tokio::time::sleep(Db::backoff(attempt)).await;
            }
            r => return r,
        }
    }
}

async fn once(db: &Db, serial: &str) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
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
    // Bookkeeping only: when a migration ran is not a rule of the service, so the system
    // clock (not the services' injected clock) dates it.
    let applied_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
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
            .bind(applied_at)
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx.commit().await?)
}

/// The schema, one entry per version; `{serial}` is the backend's auto-increment key type.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    // Accounts that hold (issue 17): users per realm (Root and Hub apart, even in one
    // process), each with a random id and a generation that tokens must match, a second factor
    // (sealed TOTP secret, last accepted time step, hashed recovery codes), per-account
    // failure counting and lockout; service tokens; the deployment id that tokens are bound
    // to; the realm of each audit entry. Existing users are copied into both realms (into a new
    // table renamed afterwards: on PostgreSQL a renamed table keeps its index names).
    r#"
CREATE TABLE users_v2 (
    realm TEXT NOT NULL,
    username TEXT NOT NULL,
    user_id TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    generation BIGINT NOT NULL,
    totp_sealed TEXT,
    totp_pending TEXT,
    totp_last_step BIGINT NOT NULL,
    mfa_enrolled_at BIGINT,
    failed_logins BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    PRIMARY KEY (realm, username)
);
INSERT INTO users_v2 (realm, username, user_id, password_hash, role, created_at, generation,
    totp_last_step, failed_logins, last_failed_at, locked_until)
    SELECT 'hub', username, 'migrated:hub:' || username, password_hash, role, created_at, 1,
        0, 0, 0, 0 FROM users;
INSERT INTO users_v2 (realm, username, user_id, password_hash, role, created_at, generation,
    totp_last_step, failed_logins, last_failed_at, locked_until)
    SELECT 'root', username, 'migrated:root:' || username, password_hash, role, created_at, 1,
        0, 0, 0, 0 FROM users;
DROP TABLE users;
ALTER TABLE users_v2 RENAME TO users;
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE service_tokens (
    id TEXT PRIMARY KEY,
    realm TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX service_tokens_realm ON service_tokens (realm);
CREATE TABLE deployment (
    id BIGINT PRIMARY KEY,
    deployment_id TEXT NOT NULL
);
ALTER TABLE audit ADD COLUMN realm TEXT
"#,
    // Issue 18: the Root's certified receipt keys; the Hub's monthly schedule (one row per
    // period: the claim that makes one replica send it).
    r#"
CREATE TABLE receipt_keys (
    kid TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    certificate TEXT NOT NULL,
    valid_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE manifest_schedule (
    period TEXT PRIMARY KEY,
    claimed_by TEXT,
    lease_until BIGINT NOT NULL,
    runs BIGINT NOT NULL,
    done_at BIGINT,
    last_error TEXT
)
"#,
    // Node activity per UTC day (issue 19's dashboard chart): heartbeats and validation
    // results counted per day and kind; and the dashboard's count of active licenses expiring
    // within 30/60/90 days read from an index alone (not 10,000 rows of the table).
    r#"
CREATE TABLE node_activity (
    day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (day, kind)
);
CREATE INDEX sites_status_expires ON sites (status, expires_at)
"#,
    // Issue 19: the console's site list sorts by creation, expiry and last heartbeat and filters
    // by product and tier; with these a page of 10,000 sites reads the index in order and stops
    // at the page's end instead of sorting every row (docs/SERVER.md "Site listing"). A site's
    // page lists its ledger entries: each entry's site id, indexed ('' for an entry of no site;
    // NULL for entries written before this migration until the Hub indexes them at start).
    r#"
ALTER TABLE ledger ADD COLUMN site_id TEXT;
CREATE INDEX ledger_site ON ledger (site_id, seq);
CREATE INDEX sites_created ON sites (created_at, site_id);
CREATE INDEX sites_expires ON sites (expires_at, site_id);
CREATE INDEX sites_last_seen ON sites (last_seen, site_id);
CREATE INDEX sites_product_tier ON sites (product, tier)
"#,
    // Issue 20's Root console: the receipt the Root answered is kept with its manifest (the
    // console offers it for download; a resent manifest gets the same bytes back); the received
    // manifests are listed newest first; a CML is found by its license id (a confirmed preview
    // is signed once).
    r#"
ALTER TABLE root_manifests ADD COLUMN receipt TEXT;
ALTER TABLE root_manifests ADD COLUMN receipt_key_certificate TEXT;
CREATE INDEX root_manifests_received ON root_manifests (received_at, id);
CREATE INDEX root_manifests_org_received ON root_manifests (org_id, received_at);
CREATE INDEX root_cmls_license ON root_cmls (license_id);
CREATE INDEX root_cmls_org_env ON root_cmls (org_id, environment, issued_at)
"#,
];
