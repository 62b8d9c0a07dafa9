//! `trusted_roots`: the root public keys a Hub's validator trusts.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// A trusted root row.
#[derive(Clone, Debug)]
pub struct RootRow {
    /// Key id.
    pub kid: String,
    /// `dev` or `prod`.
    pub environment: String,
    /// SPKI PEM.
    pub public_pem: String,
}

/// Adds (or replaces) a trusted root key.
pub async fn put(
    c: &mut AnyConnection,
    kid: &str,
    environment: &str,
    public_pem: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO trusted_roots (kid, environment, public_pem, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kid) DO UPDATE SET environment = excluded.environment, \
         public_pem = excluded.public_pem",
    )
    .bind(kid)
    .bind(environment)
    .bind(public_pem)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Every trusted root, by kid.
pub async fn all(c: &mut AnyConnection) -> Result<Vec<RootRow>, StoreError> {
    let rows = sqlx::query("SELECT kid, environment, public_pem FROM trusted_roots ORDER BY kid")
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RootRow {
                kid: get(r, 0)?,
                environment: get(r, 1)?,
                public_pem: get(r, 2)?,
            })
        })
        .collect()
}
