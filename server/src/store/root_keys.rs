//! `root_keys`: the Root's signing keys per environment (one active); the sealed keys
//! themselves are in `secrets`.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// The kid of the active key of `environment`.
pub async fn active_kid(
    c: &mut AnyConnection,
    environment: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query(
        "SELECT kid FROM root_keys WHERE environment = $1 AND active = 1 ORDER BY created_at DESC",
    )
    .bind(environment)
    .fetch_optional(c)
    .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// Makes `kid` the active key of `environment` (created at `at`; older keys stay, inactive).
pub async fn activate(
    c: &mut AnyConnection,
    kid: &str,
    environment: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE root_keys SET active = 0 WHERE environment = $1")
        .bind(environment)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO root_keys (kid, environment, active, created_at) VALUES ($1, $2, 1, $3)",
    )
    .bind(kid)
    .bind(environment)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Every key as `(kid, environment, active)`, oldest first.
pub async fn all(c: &mut AnyConnection) -> Result<Vec<(String, String, bool)>, StoreError> {
    let rows = sqlx::query("SELECT kid, environment, active FROM root_keys ORDER BY created_at")
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?, get::<i64>(r, 2)? == 1)))
        .collect()
}
