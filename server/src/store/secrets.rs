//! `secrets`: sealed private keys by name, with their public key (PEM).

use sqlx::AnyConnection;

use super::{get, StoreError};

/// Stores `sealed` under `name` (replacing any previous one).
pub async fn put(
    c: &mut AnyConnection,
    name: &str,
    sealed: &str,
    public_pem: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO secrets (name, sealed, public_pem, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, \
         public_pem = excluded.public_pem, created_at = excluded.created_at",
    )
    .bind(name)
    .bind(sealed)
    .bind(public_pem)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Stores `sealed` under `name` unless a secret of that name exists (the first writer wins).
pub async fn put_if_absent(
    c: &mut AnyConnection,
    name: &str,
    sealed: &str,
    public_pem: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO secrets (name, sealed, public_pem, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .bind(public_pem)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// The sealed blob stored under `name`.
pub async fn sealed(c: &mut AnyConnection, name: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT sealed FROM secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// The public key (PEM) stored with `name`.
pub async fn public_pem(c: &mut AnyConnection, name: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT public_pem FROM secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}
