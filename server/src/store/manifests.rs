//! `manifests`: the Hub's signed monthly manifests (one per period) and their delivery status.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use super::{get, StoreError};

/// A stored manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestRow {
    /// Document id.
    pub id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Generated (unix seconds).
    pub generated_at: i64,
    /// `generated`, `pending`, `sent` or `rejected`.
    pub status: String,
    /// Delivery attempts.
    pub attempts: i64,
    /// When the Root accepted it.
    pub sent_at: Option<i64>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// The Root's answer when accepted.
    pub receipt: Option<String>,
    /// The signed manifest.
    pub jws: String,
}

const COLS: &str = "id, period, generated_at, status, attempts, sent_at, last_error, receipt, jws";

fn from_row(r: &AnyRow) -> Result<ManifestRow, StoreError> {
    Ok(ManifestRow {
        id: get(r, 0)?,
        period: get(r, 1)?,
        generated_at: get(r, 2)?,
        status: get(r, 3)?,
        attempts: get(r, 4)?,
        sent_at: get(r, 5)?,
        last_error: get(r, 6)?,
        receipt: get(r, 7)?,
        jws: get(r, 8)?,
    })
}

/// The manifest of `period`.
pub async fn by_period(
    c: &mut AnyConnection,
    period: &str,
) -> Result<Option<ManifestRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM manifests WHERE period = $1"))
        .bind(period)
        .fetch_optional(c)
        .await?;
    row.map(|r| from_row(&r)).transpose()
}

/// The manifest `id`.
pub async fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<ManifestRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM manifests WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.map(|r| from_row(&r)).transpose()
}

/// Every manifest, newest period first.
pub async fn all(c: &mut AnyConnection) -> Result<Vec<ManifestRow>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM manifests ORDER BY period DESC"
    ))
    .fetch_all(c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Stores a newly generated manifest.
pub async fn insert(
    c: &mut AnyConnection,
    id: &str,
    period: &str,
    jws: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO manifests (id, period, jws, generated_at, status, attempts) \
         VALUES ($1, $2, $3, $4, 'generated', 0)",
    )
    .bind(id)
    .bind(period)
    .bind(jws)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// Records one delivery attempt of `id` at `at`: its new `status`, its error, and on `sent` the
/// time and the Root's receipt.
pub async fn record_attempt(
    c: &mut AnyConnection,
    id: &str,
    status: &str,
    error: Option<&str>,
    receipt: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE manifests SET attempts = attempts + 1, status = $1, last_error = $2, \
         sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END, \
         receipt = CASE WHEN $1 = 'sent' THEN $4 ELSE receipt END WHERE id = $5",
    )
    .bind(status)
    .bind(error)
    .bind(at)
    .bind(receipt)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}

/// Marks `id` sent at `at` with a verified `receipt` imported by hand (not a delivery attempt).
pub async fn mark_sent(
    c: &mut AnyConnection,
    id: &str,
    receipt: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE manifests SET status = 'sent', last_error = NULL, sent_at = $1, receipt = $2 \
         WHERE id = $3",
    )
    .bind(at)
    .bind(receipt)
    .bind(id)
    .execute(c)
    .await?;
    Ok(())
}

/// Manifests per delivery status, by status.
pub async fn count_by_status(c: &mut AnyConnection) -> Result<Vec<(String, i64)>, StoreError> {
    let rows =
        sqlx::query("SELECT status, count(*) FROM manifests GROUP BY status ORDER BY status")
            .fetch_all(c)
            .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}

/// When the Root last accepted a manifest.
pub async fn last_sent_at(c: &mut AnyConnection) -> Result<Option<i64>, StoreError> {
    get(
        &sqlx::query("SELECT max(sent_at) FROM manifests WHERE status = 'sent'")
            .fetch_one(c)
            .await?,
        0,
    )
}
