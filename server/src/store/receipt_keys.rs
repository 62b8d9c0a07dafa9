//! `receipt_keys`: the Root's receipt keys (the sealed private key lives in `secrets` under
//! `root:receipt:<kid>`), each with the certificate a root key signed for it.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// A receipt key's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptKeyRow {
    /// The receipt key's thumbprint (its `kid` in receipts).
    pub kid: String,
    /// `dev` or `prod`.
    pub environment: String,
    /// The receipt key certificate (compact JWS, `hwf-receipt-key+jws`).
    pub certificate: String,
    /// The certificate's `valid_until`.
    pub valid_until: i64,
}

/// The receipt key of `environment` whose certificate ends last, if it ends after `after`.
pub async fn current(
    c: &mut AnyConnection,
    environment: &str,
    after: i64,
) -> Result<Option<ReceiptKeyRow>, StoreError> {
    let row = sqlx::query(
        "SELECT kid, environment, certificate, valid_until FROM receipt_keys \
         WHERE environment = $1 AND valid_until > $2 ORDER BY valid_until DESC, kid LIMIT 1",
    )
    .bind(environment)
    .bind(after)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(ReceiptKeyRow {
            kid: get(&r, 0)?,
            environment: get(&r, 1)?,
            certificate: get(&r, 2)?,
            valid_until: get(&r, 3)?,
        })
    })
    .transpose()
}

/// Records a new receipt key's certificate.
pub async fn insert(c: &mut AnyConnection, r: &ReceiptKeyRow, at: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO receipt_keys (kid, environment, certificate, valid_until, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&r.kid)
    .bind(&r.environment)
    .bind(&r.certificate)
    .bind(r.valid_until)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}
