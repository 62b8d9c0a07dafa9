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
}

/// Records a manifest unless its id was recorded before; `true` when recorded now.
pub async fn insert_new(c: &mut AnyConnection, r: &ReceivedRow) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO root_manifests (id, org_id, cml_id, period, received_at, jws, \
         total_active_sites, ledger_length) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.cml_id)
    .bind(&r.period)
    .bind(r.received_at)
    .bind(&r.jws)
    .bind(r.total_active_sites)
    .bind(r.ledger_length)
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
