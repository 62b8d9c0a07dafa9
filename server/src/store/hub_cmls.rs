//! `hub_cmls`: the CMLs a Hub installed; one is active.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// An installed CML.
#[derive(Clone, Debug)]
pub struct CmlRow {
    /// Document id.
    pub id: String,
    /// The CML.
    pub jws: String,
    /// Its org.
    pub org_id: String,
    /// Its license id.
    pub license_id: String,
    /// Its site limit.
    pub max_sites: i64,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Valid until (unix seconds).
    pub valid_until: i64,
}

/// The active CML's text.
pub async fn active_jws(c: &mut AnyConnection) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT jws FROM hub_cmls WHERE active = 1")
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// The active CML's id, org and issue time.
pub async fn active_summary(
    c: &mut AnyConnection,
) -> Result<Option<(String, String, i64)>, StoreError> {
    let row = sqlx::query("SELECT id, org_id, issued_at FROM hub_cmls WHERE active = 1")
        .fetch_optional(c)
        .await?;
    row.map(|r| Ok((get(&r, 0)?, get(&r, 1)?, get(&r, 2)?)))
        .transpose()
}

/// Makes `cml` the only active CML (inserting it, or reactivating it), installed at `at`.
pub async fn activate(c: &mut AnyConnection, cml: &CmlRow, at: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE hub_cmls SET active = 0 WHERE active = 1")
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO hub_cmls (id, jws, org_id, license_id, max_sites, issued_at, \
         valid_until, installed_at, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) \
         ON CONFLICT (id) DO UPDATE SET active = 1, installed_at = excluded.installed_at",
    )
    .bind(&cml.id)
    .bind(&cml.jws)
    .bind(&cml.org_id)
    .bind(&cml.license_id)
    .bind(cml.max_sites)
    .bind(cml.issued_at)
    .bind(cml.valid_until)
    .bind(at)
    .execute(c)
    .await?;
    Ok(())
}

/// When a CML was first installed.
pub async fn first_installed_at(c: &mut AnyConnection) -> Result<Option<i64>, StoreError> {
    get(
        &sqlx::query("SELECT min(installed_at) FROM hub_cmls")
            .fetch_one(c)
            .await?,
        0,
    )
}

/// Every installed CML's id and `valid_until` (a Hub installs a few in its life).
pub async fn valid_until_by_id(c: &mut AnyConnection) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query("SELECT id, valid_until FROM hub_cmls")
        .fetch_all(c)
        .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}
