//! `service_tokens`: scoped, expiring, revocable tokens of scripted clients (only the SHA-256
//! of each secret is stored); `deployment`: the random id of this deployment, which API tokens
//! are bound to.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use super::{get, StoreError};

/// A service token row (its secret is stored as a hash only).
#[derive(Clone, Debug)]
pub struct ServiceTokenRow {
    /// Id (the public part of the token).
    pub id: String,
    /// Realm name.
    pub realm: String,
    /// What it is for.
    pub name: String,
    /// Role name (never admin).
    pub role: String,
    /// Hex SHA-256 of the secret.
    pub secret_hash: String,
    /// Who created it.
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, realm, name, role, secret_hash, created_by, created_at, expires_at, revoked_at";

fn row(r: &AnyRow) -> Result<ServiceTokenRow, StoreError> {
    Ok(ServiceTokenRow {
        id: get(r, 0)?,
        realm: get(r, 1)?,
        name: get(r, 2)?,
        role: get(r, 3)?,
        secret_hash: get(r, 4)?,
        created_by: get(r, 5)?,
        created_at: get(r, 6)?,
        expires_at: get(r, 7)?,
        revoked_at: get(r, 8)?,
    })
}

/// Inserts a token.
pub async fn insert(c: &mut AnyConnection, t: &ServiceTokenRow) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO service_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"
    ))
    .bind(&t.id)
    .bind(&t.realm)
    .bind(&t.name)
    .bind(&t.role)
    .bind(&t.secret_hash)
    .bind(&t.created_by)
    .bind(t.created_at)
    .bind(t.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// A token by id.
pub async fn get_by_id(
    c: &mut AnyConnection,
    id: &str,
) -> Result<Option<ServiceTokenRow>, StoreError> {
    let r = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM service_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await?;
    r.map(|r| row(&r)).transpose()
}

/// How many tokens a realm holds that are neither revoked nor expired at `now`.
pub async fn count_live(c: &mut AnyConnection, realm: &str, now: i64) -> Result<i64, StoreError> {
    get(
        &sqlx::query(
            "SELECT count(*) FROM service_tokens WHERE realm = $1 AND revoked_at IS NULL \
             AND expires_at > $2",
        )
        .bind(realm)
        .bind(now)
        .fetch_one(c)
        .await?,
        0,
    )
}

/// A realm's tokens, newest first, at most `limit`.
pub async fn list(
    c: &mut AnyConnection,
    realm: &str,
    limit: i64,
) -> Result<Vec<ServiceTokenRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM service_tokens WHERE realm = $1 ORDER BY created_at DESC, id \
         LIMIT $2"
    ))
    .bind(realm)
    .bind(limit)
    .fetch_all(c)
    .await?;
    rows.iter().map(row).collect()
}

/// Revokes a realm's token at `at`; `false` when there is no such unrevoked token.
pub async fn revoke(
    c: &mut AnyConnection,
    realm: &str,
    id: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE service_tokens SET revoked_at = $1 WHERE realm = $2 AND id = $3 \
         AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(realm)
    .bind(id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The deployment id: `candidate` when none was stored yet (the first writer wins).
pub async fn deployment_id(c: &mut AnyConnection, candidate: &str) -> Result<String, StoreError> {
    sqlx::query(
        "INSERT INTO deployment (id, deployment_id) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(candidate)
    .execute(&mut *c)
    .await?;
    get(
        &sqlx::query("SELECT deployment_id FROM deployment WHERE id = 1")
            .fetch_one(c)
            .await?,
        0,
    )
}
