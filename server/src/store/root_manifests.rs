//! `root_manifests`: the manifests a Root received, once per document id.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// A received manifest.
#[derive(Clone, Debug)]
pub struct ReceivedRow {
    /// Document id.
    pub id: String,
    /// Org.
    pub org_id: String,
    /// The CML it is bound to.
    pub cml_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Received (unix seconds).
    pub received_at: i64,
    /// The manifest.
    pub jws: String,
    /// Active sites reported.
    pub total_active_sites: i64,
    /// Ledger length reported.
    pub ledger_length: i64,
    /// The receipt the Root answered (compact JWS), absent on rows received before receipts
    /// were kept.
    pub receipt: Option<String>,
    /// The receipt key's certificate sent with it.
    pub receipt_key_certificate: Option<String>,
}

/// Records a manifest unless its id was recorded before; `true` when recorded now.
pub async fn insert_new(c: &mut AnyConnection, r: &ReceivedRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO root_manifests (id, org_id, cml_id, period, received_at, jws, \
         total_active_sites, ledger_length, receipt, receipt_key_certificate) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.cml_id)
    .bind(&r.period)
    .bind(r.received_at)
    .bind(&r.jws)
    .bind(r.total_active_sites)
    .bind(r.ledger_length)
    .bind(&r.receipt)
    .bind(&r.receipt_key_certificate)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// When manifest `id` was first received.
pub async fn received_at(c: &mut AnyConnection, id: &str) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT received_at FROM root_manifests WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// The newest manifest of `org_id` under a CML of `environment`: `(period, received_at,
/// total_active_sites)`.
pub async fn newest(
    c: &mut AnyConnection,
    org_id: &str,
    environment: &str,
) -> Result<Option<(String, i64, i64)>, StoreError> {
    let row = sqlx::query(
        "SELECT m.period, m.received_at, m.total_active_sites FROM root_manifests m \
         JOIN root_cmls c ON c.id = m.cml_id \
         WHERE m.org_id = $1 AND c.environment = $2 \
         ORDER BY m.period DESC, m.received_at DESC LIMIT 1",
    )
    .bind(org_id)
    .bind(environment)
    .fetch_optional(c)
    .await?;
    row.map(|r| Ok((get(&r, 0)?, get(&r, 1)?, get(&r, 2)?)))
        .transpose()
}

const COLUMNS: &str = "id, org_id, cml_id, period, received_at, jws, total_active_sites, \
                       ledger_length, receipt, receipt_key_certificate";

fn row_of(r: &sqlx::any::AnyRow) -> Result<ReceivedRow, StoreError> {
    Ok(ReceivedRow {
        id: get(r, 0)?,
        org_id: get(r, 1)?,
        cml_id: get(r, 2)?,
        period: get(r, 3)?,
        received_at: get(r, 4)?,
        jws: get(r, 5)?,
        total_active_sites: get(r, 6)?,
        ledger_length: get(r, 7)?,
        receipt: get(r, 8)?,
        receipt_key_certificate: get(r, 9)?,
    })
}

/// Manifest `id`, whole.
pub async fn get_row(c: &mut AnyConnection, id: &str) -> Result<Option<ReceivedRow>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM root_manifests WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(c)
    .await?;
    row.as_ref().map(row_of).transpose()
}

/// At most `limit` received manifests (of `org_id`, or of every org), newest received first,
/// from `offset`; without their JWS and receipt (empty strings, `None`), which a list does
/// not show.
pub async fn page(
    c: &mut AnyConnection,
    org_id: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<ReceivedRow>, StoreError> {
    let cols = "id, org_id, cml_id, period, received_at, '' AS jws, total_active_sites, \
                ledger_length, CASE WHEN receipt IS NULL THEN NULL ELSE '' END AS receipt, \
                NULL AS receipt_key_certificate";
    let rows = match org_id {
        Some(org) => {
            sqlx::query(&format!(
                "SELECT {cols} FROM root_manifests WHERE org_id = $1 \
                 ORDER BY received_at DESC, id LIMIT $2 OFFSET $3"
            ))
            .bind(org)
            .bind(limit)
            .bind(offset)
            .fetch_all(c)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {cols} FROM root_manifests ORDER BY received_at DESC, id LIMIT $1 OFFSET $2"
            ))
            .bind(limit)
            .bind(offset)
            .fetch_all(c)
            .await?
        }
    };
    rows.iter().map(row_of).collect()
}

/// How many manifests were received (of `org_id`, or in all).
pub async fn count(c: &mut AnyConnection, org_id: Option<&str>) -> Result<i64, StoreError> {
    let r = match org_id {
        Some(org) => {
            sqlx::query("SELECT count(*) FROM root_manifests WHERE org_id = $1")
                .bind(org)
                .fetch_one(c)
                .await?
        }
        None => {
            sqlx::query("SELECT count(*) FROM root_manifests")
                .fetch_one(c)
                .await?
        }
    };
    get(&r, 0)
}
