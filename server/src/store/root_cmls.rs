//! `root_cmls`: the CMLs a Root issued.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// An issued CML.
#[derive(Clone, Debug)]
pub struct IssuedRow {
    /// Document id.
    pub id: String,
    /// Org.
    pub org_id: String,
    /// License id.
    pub license_id: String,
    /// The CML.
    pub jws: String,
    /// `dev` or `prod`.
    pub environment: String,
    /// Site limit.
    pub max_sites: i64,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Valid until (unix seconds).
    pub valid_until: i64,
}

/// Records an issued CML.
pub async fn insert(c: &mut AnyConnection, r: &IssuedRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO root_cmls (id, org_id, license_id, jws, environment, max_sites, \
         issued_at, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.license_id)
    .bind(&r.jws)
    .bind(&r.environment)
    .bind(r.max_sites)
    .bind(r.issued_at)
    .bind(r.valid_until)
    .execute(c)
    .await?;
    Ok(())
}

/// The CMLs issued to `org_id`, newest first.
pub async fn jws_of_org(c: &mut AnyConnection, org_id: &str) -> Result<Vec<String>, StoreError> {
    let rows =
        sqlx::query("SELECT jws FROM root_cmls WHERE org_id = $1 ORDER BY issued_at DESC, id")
            .bind(org_id)
            .fetch_all(c)
            .await?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// The CML issued with license id `license_id`, if any.
pub async fn jws_of_license(
    c: &mut AnyConnection,
    license_id: &str,
) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT jws FROM root_cmls WHERE license_id = $1 LIMIT 1")
        .bind(license_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// Every (org, environment) this Root issued a CML for, in order: each is reported apart,
/// so a dev CML never stands in for the prod one.
pub async fn org_environments(c: &mut AnyConnection) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT org_id, environment FROM root_cmls ORDER BY org_id, environment",
    )
    .fetch_all(c)
    .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}

/// The environments `org_id` holds CMLs of, in order.
pub async fn environments_of(
    c: &mut AnyConnection,
    org_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT environment FROM root_cmls WHERE org_id = $1 ORDER BY environment",
    )
    .bind(org_id)
    .fetch_all(c)
    .await?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// At most `limit` of the orgs this Root issued a CML to, by id, from `offset`.
pub async fn orgs_page(
    c: &mut AnyConnection,
    offset: i64,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let rows =
        sqlx::query("SELECT DISTINCT org_id FROM root_cmls ORDER BY org_id LIMIT $1 OFFSET $2")
            .bind(limit)
            .bind(offset)
            .fetch_all(c)
            .await?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// How many orgs this Root issued a CML to.
pub async fn org_count(c: &mut AnyConnection) -> Result<i64, StoreError> {
    let r = sqlx::query("SELECT count(DISTINCT org_id) FROM root_cmls")
        .fetch_one(c)
        .await?;
    get(&r, 0)
}

/// The newest CML of `org_id`: id, license id, site limit, end of validity.
#[derive(Clone, Debug)]
pub struct Newest {
    /// Document id.
    pub id: String,
    /// License id.
    pub license_id: String,
    /// Site limit.
    pub max_sites: i64,
    /// Valid until.
    pub valid_until: i64,
    /// When the org's first CML was issued.
    pub first_issued_at: i64,
    /// The CML.
    pub jws: String,
}

/// The newest CML issued to `org_id` in `environment` and when its first one there was.
pub async fn newest(
    c: &mut AnyConnection,
    org_id: &str,
    environment: &str,
) -> Result<Option<Newest>, StoreError> {
    let Some(r) = sqlx::query(
        "SELECT id, license_id, max_sites, valid_until, jws FROM root_cmls \
         WHERE org_id = $1 AND environment = $2 ORDER BY issued_at DESC, id LIMIT 1",
    )
    .bind(org_id)
    .bind(environment)
    .fetch_optional(&mut *c)
    .await?
    else {
        return Ok(None);
    };
    let first: i64 = get(
        &sqlx::query("SELECT min(issued_at) FROM root_cmls WHERE org_id = $1 AND environment = $2")
            .bind(org_id)
            .bind(environment)
            .fetch_one(c)
            .await?,
        0,
    )?;
    Ok(Some(Newest {
        id: get(&r, 0)?,
        license_id: get(&r, 1)?,
        max_sites: get(&r, 2)?,
        valid_until: get(&r, 3)?,
        first_issued_at: first,
        jws: get(&r, 4)?,
    }))
}
