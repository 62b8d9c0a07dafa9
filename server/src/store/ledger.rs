//! `ledger`: the signed entries, by sequence number (the head is in `hub_state`).

use sqlx::AnyConnection;

use super::{get, StoreError};

/// Appends entry `seq` about site `site_id` (`None`: no site).
pub async fn insert(
    c: &mut AnyConnection,
    seq: i64,
    jws: &str,
    site_id: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO ledger (seq, jws, site_id) VALUES ($1, $2, $3)")
        .bind(seq)
        .bind(jws)
        .bind(site_id.unwrap_or(""))
        .execute(c)
        .await?;
    Ok(())
}

/// The last `limit` entries `(seq, jws)` about site `site_id`, newest first.
pub async fn for_site(
    c: &mut AnyConnection,
    site_id: &str,
    limit: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let rows =
        sqlx::query("SELECT seq, jws FROM ledger WHERE site_id = $1 ORDER BY seq DESC LIMIT $2")
            .bind(site_id)
            .bind(limit)
            .fetch_all(c)
            .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}

/// Up to `limit` entries `(seq, jws)` whose site is not indexed yet (written before the
/// index existed), oldest first.
pub async fn unindexed(
    c: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let rows =
        sqlx::query("SELECT seq, jws FROM ledger WHERE site_id IS NULL ORDER BY seq LIMIT $1")
            .bind(limit)
            .fetch_all(c)
            .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}

/// Records the site of entry `seq` (`""`: no site).
pub async fn set_site(c: &mut AnyConnection, seq: i64, site_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE ledger SET site_id = $1 WHERE seq = $2")
        .bind(site_id)
        .bind(seq)
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

/// The last `limit` entries `(seq, jws)`, newest first (by the key, however long the ledger).
pub async fn tail(c: &mut AnyConnection, limit: i64) -> Result<Vec<(i64, String)>, StoreError> {
    let rows = sqlx::query("SELECT seq, jws FROM ledger ORDER BY seq DESC LIMIT $1")
        .bind(limit)
        .fetch_all(c)
        .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
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
