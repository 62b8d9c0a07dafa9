//! `sites`: the minted site licenses, their status and last heartbeat. The active-site count
//! that `max_sites` limits is [`count_active`], the one place it is written.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use super::{get, StoreError};
use crate::domain::inputs::SiteSort;
use crate::domain::SiteFingerprint;

/// A stored site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteRow {
    /// Site id.
    pub site_id: String,
    /// Site license id.
    pub license_id: String,
    /// `active` or `revoked`.
    pub status: String,
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Features.
    pub features: Vec<String>,
    /// Node binding.
    pub fingerprint: SiteFingerprint,
    /// The CML's document id.
    pub cml_id: String,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Expires (unix seconds).
    pub expires_at: i64,
    /// Created (unix seconds).
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// Revoked (unix seconds).
    pub revoked_at: Option<i64>,
    /// Last heartbeat (unix seconds).
    pub last_seen: Option<i64>,
}

/// A new site and its `site.lic`.
#[derive(Clone, Debug)]
pub struct NewSiteRow<'a> {
    /// The site (status, revocation and last heartbeat are ignored).
    pub site: &'a SiteRow,
    /// The `site.lic` file.
    pub license: &'a str,
}

const SITE_COLS: &str = "site_id, license_id, status, product, tier, features, fingerprint, \
                         cml_id, issued_at, expires_at, created_at, created_by, revoked_at, last_seen";

fn site_from_row(r: &AnyRow) -> Result<SiteRow, StoreError> {
    let json = |i: usize, what: &str| -> Result<String, StoreError> {
        get::<String>(r, i).map_err(|e| StoreError::Corrupt(format!("sites.{what}: {e}")))
    };
    let features = json(5, "features")?;
    let fingerprint = json(6, "fingerprint")?;
    Ok(SiteRow {
        site_id: get(r, 0)?,
        license_id: get(r, 1)?,
        status: get(r, 2)?,
        product: get(r, 3)?,
        tier: get(r, 4)?,
        features: serde_json::from_str(&features)
            .map_err(|e| StoreError::Corrupt(format!("sites.features: {e}")))?,
        fingerprint: serde_json::from_str(&fingerprint)
            .map_err(|e| StoreError::Corrupt(format!("sites.fingerprint: {e}")))?,
        cml_id: get(r, 7)?,
        issued_at: get(r, 8)?,
        expires_at: get(r, 9)?,
        created_at: get(r, 10)?,
        created_by: get(r, 11)?,
        revoked_at: get(r, 12)?,
        last_seen: get(r, 13)?,
    })
}

async fn count(c: &mut AnyConnection, sql: &str, binds: &[i64]) -> Result<i64, StoreError> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    get(&q.fetch_one(c).await?, 0)
}

/// Active sites: what `max_sites` limits.
pub async fn count_active(c: &mut AnyConnection) -> Result<i64, StoreError> {
    count(c, "SELECT count(*) FROM sites WHERE status = 'active'", &[]).await
}

/// Active sites whose license expires in `(now, until]`.
pub async fn count_expiring(
    c: &mut AnyConnection,
    now: i64,
    until: i64,
) -> Result<i64, StoreError> {
    count(
        c,
        "SELECT count(*) FROM sites WHERE status = 'active' AND expires_at > $1 AND expires_at <= $2",
        &[now, until],
    )
    .await
}

/// Revoked sites.
pub async fn count_revoked(c: &mut AnyConnection) -> Result<i64, StoreError> {
    count(
        c,
        "SELECT count(*) FROM sites WHERE status = 'revoked'",
        &[],
    )
    .await
}

/// What happened to sites in `[start, end)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeriodCounts {
    /// Sites created.
    pub created: i64,
    /// Sites revoked.
    pub revoked: i64,
    /// Sites whose last heartbeat falls in it.
    pub seen: i64,
}

/// Sites created, revoked and last seen in `[start, end)`.
pub async fn count_in_period(
    c: &mut AnyConnection,
    start: i64,
    end: i64,
) -> Result<PeriodCounts, StoreError> {
    Ok(PeriodCounts {
        created: count(
            c,
            "SELECT count(*) FROM sites WHERE created_at >= $1 AND created_at < $2",
            &[start, end],
        )
        .await?,
        revoked: count(
            c,
            "SELECT count(*) FROM sites WHERE revoked_at >= $1 AND revoked_at < $2",
            &[start, end],
        )
        .await?,
        seen: count(
            c,
            "SELECT count(*) FROM sites WHERE last_seen >= $1 AND last_seen < $2",
            &[start, end],
        )
        .await?,
    })
}

/// Active sites per product and tier, sorted.
pub async fn active_by_product_tier(
    c: &mut AnyConnection,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT product, tier, count(*) FROM sites WHERE status = 'active' \
         GROUP BY product, tier ORDER BY product, tier",
    )
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)))
        .collect()
}

/// The status of site `site_id`, if it exists.
pub async fn status(c: &mut AnyConnection, site_id: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT status FROM sites WHERE site_id = $1")
        .bind(site_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// Inserts a new, active site.
pub async fn insert(c: &mut AnyConnection, new: &NewSiteRow<'_>) -> Result<(), StoreError> {
    let s = new.site;
    let features = serde_json::to_string(&s.features)
        .map_err(|e| StoreError::Corrupt(format!("sites.features: {e}")))?;
    let fingerprint = serde_json::to_string(&s.fingerprint)
        .map_err(|e| StoreError::Corrupt(format!("sites.fingerprint: {e}")))?;
    sqlx::query(
        "INSERT INTO sites (site_id, license_id, cml_id, product, tier, features, \
         fingerprint, status, license, issued_at, expires_at, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12)",
    )
    .bind(&s.site_id)
    .bind(&s.license_id)
    .bind(&s.cml_id)
    .bind(&s.product)
    .bind(&s.tier)
    .bind(&features)
    .bind(&fingerprint)
    .bind(new.license)
    .bind(s.issued_at)
    .bind(s.expires_at)
    .bind(s.created_at)
    .bind(&s.created_by)
    .execute(c)
    .await?;
    Ok(())
}

/// One site.
pub async fn get_site(c: &mut AnyConnection, site_id: &str) -> Result<Option<SiteRow>, StoreError> {
    let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE site_id = $1"))
        .bind(site_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| site_from_row(&r)).transpose()
}

/// A filter, order and page of [`page`].
#[derive(Clone, Debug, Default)]
pub struct Filter<'a> {
    /// Only this status.
    pub status: Option<&'a str>,
    /// Only this product.
    pub product: Option<&'a str>,
    /// Only this tier.
    pub tier: Option<&'a str>,
    /// Only sites whose id, product, tier or fingerprint (its JSON text) contains this,
    /// ignoring ASCII case.
    pub search: Option<&'a str>,
    /// Sort key (ties are broken by site id, so pages never overlap).
    pub sort: SiteSort,
    /// Descending.
    pub descending: bool,
    /// Page size.
    pub limit: i64,
    /// Offset.
    pub offset: i64,
}

/// The `ORDER BY` of a listing: fixed text per key and direction (never built from input).
/// `last_seen` puts never-seen sites last in both directions, on SQLite and PostgreSQL alike
/// (their default places for NULL differ).
fn order_by(sort: SiteSort, descending: bool) -> &'static str {
    match (sort, descending) {
        (SiteSort::SiteId, false) => "site_id ASC",
        (SiteSort::SiteId, true) => "site_id DESC",
        (SiteSort::Created, false) => "created_at ASC, site_id ASC",
        (SiteSort::Created, true) => "created_at DESC, site_id DESC",
        (SiteSort::Expiry, false) => "expires_at ASC, site_id ASC",
        (SiteSort::Expiry, true) => "expires_at DESC, site_id DESC",
        (SiteSort::LastSeen, false) => "last_seen ASC NULLS LAST, site_id ASC",
        (SiteSort::LastSeen, true) => "last_seen DESC NULLS LAST, site_id DESC",
    }
}

/// A filtered, sorted page of sites and the count of all matching ones. Values are bound
/// parameters; the only text put into the SQL is fixed (column names, `order_by`).
pub async fn page(
    c: &mut AnyConnection,
    f: &Filter<'_>,
) -> Result<(i64, Vec<SiteRow>), StoreError> {
    let mut conds = Vec::new();
    let mut args: Vec<String> = Vec::new();
    for (col, v) in [
        ("status", f.status),
        ("product", f.product),
        ("tier", f.tier),
    ] {
        if let Some(v) = v {
            args.push(v.into());
            conds.push(format!("{col} = ${}", args.len()));
        }
    }
    if let Some(s) = f.search.filter(|s| !s.is_empty()) {
        let escaped = s
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        args.push(format!("%{escaped}%"));
        let n = args.len();
        // Case ignored on both: SQLite's LIKE ignores ASCII case, PostgreSQL's needs ILIKE
        // (rather than lower() on every column: a function call per column and row).
        let like = if c.backend_name() == "PostgreSQL" {
            "ILIKE"
        } else {
            "LIKE"
        };
        conds.push(format!(
            "(site_id {like} ${n} ESCAPE '\\' OR product {like} ${n} ESCAPE '\\' \
             OR tier {like} ${n} ESCAPE '\\' OR fingerprint {like} ${n} ESCAPE '\\')"
        ));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    let count_sql = format!("SELECT count(*) FROM sites{filter}");
    let mut q = sqlx::query(&count_sql);
    for a in &args {
        q = q.bind(a.as_str());
    }
    let total: i64 = get(&q.fetch_one(&mut *c).await?, 0)?;
    let page_sql = format!(
        "SELECT {SITE_COLS} FROM sites{filter} ORDER BY {} LIMIT ${} OFFSET ${}",
        order_by(f.sort, f.descending),
        args.len() + 1,
        args.len() + 2
    );
    let mut q = sqlx::query(&page_sql);
    for a in &args {
        q = q.bind(a.as_str());
    }
    let rows = q.bind(f.limit).bind(f.offset).fetch_all(c).await?;
    Ok((
        total,
        rows.iter().map(site_from_row).collect::<Result<_, _>>()?,
    ))
}

/// Revokes an active site at `at`; `false` when it is not active (absent or revoked).
pub async fn revoke(c: &mut AnyConnection, site_id: &str, at: i64) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE sites SET status = 'revoked', revoked_at = $1 \
         WHERE site_id = $2 AND status = 'active'",
    )
    .bind(at)
    .bind(site_id)
    .execute(c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The license ids of the revoked sites of the CML `cml_id`, sorted.
pub async fn revoked_license_ids(
    c: &mut AnyConnection,
    cml_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT license_id FROM sites WHERE cml_id = $1 AND status = 'revoked' \
         ORDER BY license_id",
    )
    .bind(cml_id)
    .fetch_all(c)
    .await?;
    rows.iter().map(|r| get(r, 0)).collect()
}

/// What a heartbeat checks of a site: its license id, status and CML id.
pub async fn node_view(
    c: &mut AnyConnection,
    site_id: &str,
) -> Result<Option<(String, String, String)>, StoreError> {
    let row = sqlx::query("SELECT license_id, status, cml_id FROM sites WHERE site_id = $1")
        .bind(site_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| Ok((get(&r, 0)?, get(&r, 1)?, get(&r, 2)?)))
        .transpose()
}

/// Records a heartbeat at `at` on UTC day `day`; `true` when it is the site's first that day.
pub async fn seen(
    c: &mut AnyConnection,
    site_id: &str,
    at: i64,
    day: i64,
) -> Result<bool, StoreError> {
    let first_today = sqlx::query(
        "UPDATE sites SET last_seen = $1, seen_day = $2 \
         WHERE site_id = $3 AND (seen_day IS NULL OR seen_day <> $2)",
    )
    .bind(at)
    .bind(day)
    .bind(site_id)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    if !first_today {
        sqlx::query("UPDATE sites SET last_seen = $1 WHERE site_id = $2")
            .bind(at)
            .bind(site_id)
            .execute(c)
            .await?;
    }
    Ok(first_today)
}

/// The stored `site.lic` of a site.
pub async fn license(c: &mut AnyConnection, site_id: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT license FROM sites WHERE site_id = $1")
        .bind(site_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// A site as a manifest reports it.
#[derive(Clone, Debug)]
pub struct PeriodSite {
    /// Site id.
    pub site_id: String,
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Last heartbeat.
    pub last_seen: Option<i64>,
    /// Revoked.
    pub revoked_at: Option<i64>,
}

/// The sites that existed in `[start, end)`: created before its end and not revoked before
/// its start, by id.
pub async fn in_period(
    c: &mut AnyConnection,
    start: i64,
    end: i64,
) -> Result<Vec<PeriodSite>, StoreError> {
    let rows = sqlx::query(
        "SELECT site_id, product, tier, issued_at, last_seen, revoked_at FROM sites \
         WHERE created_at < $1 AND (revoked_at IS NULL OR revoked_at >= $2) \
         ORDER BY site_id",
    )
    .bind(end)
    .bind(start)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PeriodSite {
                site_id: get(r, 0)?,
                product: get(r, 1)?,
                tier: get(r, 2)?,
                issued_at: get(r, 3)?,
                last_seen: get(r, 4)?,
                revoked_at: get(r, 5)?,
            })
        })
        .collect()
}

/// `(created_at, revoked_at)` of every site that can count in `[start, end)`: created before its
/// end and not revoked before its start (one indexed pass; at most one row per site).
pub async fn lifetimes(
    c: &mut AnyConnection,
    start: i64,
    end: i64,
) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT created_at, revoked_at FROM sites \
         WHERE created_at < $1 AND (revoked_at IS NULL OR revoked_at >= $2)",
    )
    .bind(end)
    .bind(start)
    .fetch_all(c)
    .await?;
    rows.iter().map(|r| Ok((get(r, 0)?, get(r, 1)?))).collect()
}

/// Sites active at `at` (created before it, not revoked before it) per product and tier,
/// sorted.
pub async fn active_by_product_tier_at(
    c: &mut AnyConnection,
    at: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT product, tier, count(*) FROM sites \
         WHERE created_at < $1 AND (revoked_at IS NULL OR revoked_at >= $1) \
         GROUP BY product, tier ORDER BY product, tier",
    )
    .bind(at)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)))
        .collect()
}
