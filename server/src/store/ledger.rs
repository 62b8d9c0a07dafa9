//! `ledger`: the signed entries, by sequence number (the head is in `hub_state`).

use sqlx::AnyConnection;

use super::{get, StoreError};

/// Appends entry `seq`.
pub async fn insert(c: &mut AnyConnection, seq: i64, jws: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO ledger (seq, jws) VALUES ($1, $2)")
        .bind(seq)
        .bind(jws)
        .execute(c)
        .await?;
    Ok(())
}

/// Every entry, in order.
pub async fn all(c: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT jws FROM ledger ORDER BY seq")
        .fetch_all(c)
        .await?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// A page of `(seq, jws)`, oldest first.
pub async fn page(
    c: &mut AnyConnection,
    limit: i64,
    offset: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let rows = sqlx::query("SELECT seq, jws FROM ledger ORDER BY seq LIMIT $1 OFFSET $2")
        .bind(limit)
        .bind(offset)
        .fetch_all(c)
        .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}
