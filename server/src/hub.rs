//! The Hub: holds the org key and a CML, mints site licenses (at most `max_sites` active, enforced
//! inside one write transaction), answers heartbeats with a signed, nonce-bound status and the
//! current revocation list, validates licenses with one shared core [`Validator`], keeps the
//! signed usage ledger, and generates and sends the monthly usage manifest.
//!
//! Every change and its ledger entry and audit entry commit together (see [`crate::write_tx`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hwf_license::{
    document_id, issue, parse_license_file, verify_manifest, Environment, Fingerprint,
    HeartbeatClaims, LedgerEvent, LedgerSummary, ManifestClaims, ManifestSite, ManifestStats,
    NodeFacts, ProductTierCount, PublicKey, RevocationListClaims, SigningKey, SiteClaims,
    TrustedRoot, Validator, VerifiedCml,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{self, Actor};
use crate::db::{Db, WriteTx};
use crate::keys_at_rest::{random_id, Sealer};
use crate::problem::Problem;
use crate::{ledger, now, period_of, write_tx};

/// The name of the sealed org key in the `secrets` table.
pub const ORG_KEY_NAME: &str = "hub:org";
/// A CML within this many days of its expiry is `expiring`.
pub const EXPIRING_DAYS: i64 = 30;
/// Largest page of sites.
pub const MAX_PAGE: i64 = 500;

/// The Hub service.
pub struct Hub {
    /// The database.
    pub db: Db,
    org: SigningKey,
    environment: Environment,
    validator: Mutex<Validator>,
    root_url: Option<String>,
    http: reqwest::Client,
    /// How many times a manifest delivery is attempted.
    pub send_attempts: u32,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("org_kid", &self.org.public_key().thumbprint())
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

/// A new site, as posted to `POST /api/sites/create` or read from an import file.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    /// Site id: 1..=128 characters of `A-Z a-z 0-9 . _ -`.
    pub site_id: String,
    /// Optional node binding.
    #[serde(default)]
    pub fingerprint: Option<Fingerprint>,
    /// Product (default `hwf`).
    #[serde(default)]
    pub product: Option<String>,
    /// Tier (default `active`).
    #[serde(default)]
    pub tier: Option<String>,
    /// Features, a subset of the CML's feature packs (default: none).
    #[serde(default)]
    pub features: Vec<String>,
    /// Days of validity (default and maximum: until the CML's `valid_until`).
    #[serde(default)]
    pub valid_days: Option<u32>,
}

/// A site as listed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SiteView {
    /// Site id.
    pub site_id: String,
    /// Site license id (what revocation lists name).
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
    pub fingerprint: Fingerprint,
    /// Document id of the CML the license is bound to.
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

const SITE_COLS: &str = "site_id, license_id, status, product, tier, features, fingerprint, \
                         cml_id, issued_at, expires_at, created_at, created_by, revoked_at, last_seen";

fn site_from_row(r: &AnyRow) -> Result<SiteView, Problem> {
    let json = |i: usize| -> Result<String, Problem> { Ok(r.try_get(i)?) };
    Ok(SiteView {
        site_id: r.try_get(0)?,
        license_id: r.try_get(1)?,
        status: r.try_get(2)?,
        product: r.try_get(3)?,
        tier: r.try_get(4)?,
        features: serde_json::from_str(&json(5)?).map_err(Problem::internal)?,
        fingerprint: serde_json::from_str(&json(6)?).map_err(Problem::internal)?,
        cml_id: r.try_get(7)?,
        issued_at: r.try_get(8)?,
        expires_at: r.try_get(9)?,
        created_at: r.try_get(10)?,
        created_by: r.try_get(11)?,
        revoked_at: r.try_get(12)?,
        last_seen: r.try_get(13)?,
    })
}

/// The installed CML and how it stands.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CmlStatus {
    /// Document id.
    pub id: String,
    /// License id.
    pub license_id: String,
    /// Org.
    pub org_id: String,
    /// `dev` or `prod`.
    pub environment: Environment,
    /// Site limit.
    pub max_sites: u32,
    /// Active sites now.
    pub active_sites: i64,
    /// Feature packs.
    pub feature_packs: Vec<String>,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Valid until (unix seconds).
    pub valid_until: i64,
    /// Grace days after expiry.
    pub grace_days: u32,
    /// `active`, `expiring` (within 30 days) or `expired`.
    pub status: String,
    /// The org key's thumbprint.
    pub org_kid: String,
    /// The CML itself.
    pub jws: String,
}

/// Filter and page of `GET /api/sites`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteQuery {
    /// `active` or `revoked`.
    pub status: Option<String>,
    /// Substring of site id, product or tier.
    pub search: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// A page of sites.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SitePage {
    /// Matching sites in all.
    pub total: i64,
    /// Page size used.
    pub limit: i64,
    /// Offset used.
    pub offset: i64,
    /// The page.
    pub sites: Vec<SiteView>,
}

/// A heartbeat request from a site node.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    /// The license id from the node's `site.lic` (proves the node holds it).
    pub license_id: String,
    /// A fresh random nonce (16..=256 characters); the signed answer echoes it.
    pub nonce: String,
}

/// The heartbeat answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HeartbeatAnswer {
    /// The site's status (`active` or `revoked`), also inside the signed answer.
    pub status: String,
    /// The signed answer (compact JWS, `hwf-heartbeat+jws`) for `Validator::verify_heartbeat`.
    pub answer: String,
}

/// Node facts posted to `POST /api/validate`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// IP addresses.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// DNS name.
    #[serde(default)]
    pub dns_name: Option<String>,
    /// Deployment tag.
    #[serde(default)]
    pub deployment_tag: Option<String>,
}

/// A manifest as stored, with its delivery status.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManifestRecord {
    /// Document id.
    pub id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Generated (unix seconds).
    pub generated_at: i64,
    /// `generated`, `sent`, `rejected` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
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

const MANIFEST_COLS: &str =
    "id, period, generated_at, status, attempts, sent_at, last_error, receipt, jws";

fn manifest_from_row(r: &AnyRow) -> Result<ManifestRecord, Problem> {
    Ok(ManifestRecord {
        id: r.try_get(0)?,
        period: r.try_get(1)?,
        generated_at: r.try_get(2)?,
        status: r.try_get(3)?,
        attempts: r.try_get(4)?,
        sent_at: r.try_get(5)?,
        last_error: r.try_get(6)?,
        receipt: r.try_get(7)?,
        jws: r.try_get(8)?,
    })
}

/// Usage statistics of a period.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stats {
    /// `YYYY-MM`.
    pub period: String,
    /// The CML's limit (0 without a CML).
    pub max_sites: u32,
    /// Active sites now.
    pub active_sites: i64,
    /// Revoked sites now.
    pub revoked_sites: i64,
    /// Sites created in the period.
    pub created_in_period: i64,
    /// Sites revoked in the period.
    pub revoked_in_period: i64,
    /// Sites whose last heartbeat falls in the period.
    pub seen_in_period: i64,
    /// Active sites by product and tier.
    pub by_product_tier: Vec<ProductTierCount>,
    /// Ledger entries.
    pub ledger_length: u64,
    /// Ledger head.
    pub ledger_head: String,
}

fn check_site_id(id: &str) -> Result<(), Problem> {
    if id.is_empty()
        || id.len() > 128
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(Problem::invalid(
            "site_id must be 1..=128 characters of A-Z a-z 0-9 . _ -",
        ));
    }
    Ok(())
}

fn no_site(site_id: &str) -> Problem {
    Problem::new(
        axum::http::StatusCode::NOT_FOUND,
        "unknown-site",
        "Unknown site",
        format!("no site {site_id:?}"),
    )
}

fn no_cml() -> Problem {
    Problem::conflict("no-cml", "No CML installed", "upload a CML first")
}

impl Hub {
    /// Opens the Hub on `db`: loads (or generates on first start) the sealed org key and the
    /// trusted roots, for a validator of `environment`; manifests go to `root_url`.
    pub async fn open(
        db: Db,
        sealer: &Sealer,
        environment: Environment,
        root_url: Option<String>,
    ) -> Result<Self, Problem> {
        let (org, generated) = sealer.load_or_generate(&db, ORG_KEY_NAME).await?;
        if generated {
            tracing::info!(kid = org.public_key().thumbprint(), "generated the org key");
        }
        let roots = load_roots(&db).await?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("hwf-license-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Problem::internal)?;
        Ok(Self {
            db,
            org,
            environment,
            validator: Mutex::new(Validator::new(environment, roots)),
            root_url: root_url.map(|u| u.trim_end_matches('/').to_string()),
            http,
            send_attempts: 3,
        })
    }

    /// The org public key (what the Root puts in the CML).
    pub fn org_public_key(&self) -> &PublicKey {
        self.org.public_key()
    }

    /// Reloads the trusted roots from the database (after `trust_root`).
    pub async fn reload_roots(&self) -> Result<(), Problem> {
        let roots = load_roots(&self.db).await?;
        *self.lock() = Validator::new(self.environment, roots);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Validator> {
        self.validator.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn verify_cml(&self, jws: &str) -> Result<Arc<VerifiedCml>, Problem> {
        Ok(self.lock().verify_cml(jws)?)
    }

    /// The active CML, verified, if one is installed.
    pub async fn active_cml(&self) -> Result<Option<Arc<VerifiedCml>>, Problem> {
        let row = sqlx::query("SELECT jws FROM hub_cmls WHERE active = 1")
            .fetch_optional(&self.db.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.verify_cml(&r.try_get::<String, _>(0)?)?)),
            None => Ok(None),
        }
    }

    async fn require_cml(&self) -> Result<Arc<VerifiedCml>, Problem> {
        self.active_cml().await?.ok_or_else(no_cml)
    }

    /// The installed CML's status, or 409 `no-cml`.
    pub async fn cml_status(&self) -> Result<CmlStatus, Problem> {
        let cml = self.require_cml().await?;
        let active: i64 = sqlx::query("SELECT count(*) FROM sites WHERE status = 'active'")
            .fetch_one(&self.db.pool)
            .await?
            .try_get(0)?;
        let c = &cml.claims;
        let t = now();
        let status = if t >= c.valid_until {
            "expired"
        } else if c.valid_until - t <= EXPIRING_DAYS * 86_400 {
            "expiring"
        } else {
            "active"
        };
        Ok(CmlStatus {
            id: cml.id.clone(),
            license_id: c.license_id.clone(),
            org_id: c.org_id.clone(),
            environment: c.key_type,
            max_sites: c.max_sites,
            active_sites: active,
            feature_packs: c.feature_packs.clone(),
            issued_at: c.issued_at,
            valid_until: c.valid_until,
            grace_days: c.grace_days,
            status: status.into(),
            org_kid: cml.org_key.thumbprint().into(),
            jws: cml.jws.clone(),
        })
    }

    /// Installs a CML after verifying it against the trusted roots: it must carry this Hub's org
    /// key and not be expired. With `refresh`, a CML must already be installed and the new one
    /// must be for the same org and not older. Idempotent for the CML already active.
    pub async fn install_cml(
        &self,
        jws: &str,
        refresh: bool,
        actor: &Actor,
    ) -> Result<CmlStatus, Problem> {
        let cml = self.verify_cml(jws.trim())?;
        if &cml.org_key != self.org.public_key() {
            return Err(Problem::license(&hwf_license::Error::SignerMismatch {
                kind: hwf_license::DocKind::Cml,
                expected: self.org.public_key().thumbprint().into(),
                found: cml.org_key.thumbprint().into(),
            }));
        }
        let t = now();
        if cml.claims.valid_until <= t {
            return Err(Problem::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "cml-expired",
                "CML expired",
                format!(
                    "the CML expired at {}",
                    hwf_license::time::Utc(cml.claims.valid_until)
                ),
            ));
        }
        let action = if refresh { "cml.refresh" } else { "cml.upload" };
        write_tx!(&self.db, |tx| {
            self.db.lock_hub(&mut tx).await?;
            let current =
                sqlx::query("SELECT id, org_id, issued_at FROM hub_cmls WHERE active = 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(cur) = &current {
                let (id, org, issued): (String, String, i64) =
                    (cur.try_get(0)?, cur.try_get(1)?, cur.try_get(2)?);
                if id == cml.id {
                    return Ok(());
                }
                if org != cml.claims.org_id {
                    return Err(Problem::conflict(
                        "cml-org-changed",
                        "CML for another org",
                        format!(
                            "the installed CML is for org {org:?}, this one for {:?}",
                            cml.claims.org_id
                        ),
                    ));
                }
                if refresh && cml.claims.issued_at < issued {
                    return Err(Problem::conflict(
                        "cml-older",
                        "Older CML",
                        "the new CML was issued before the installed one",
                    ));
                }
            } else if refresh {
                return Err(no_cml());
            }
            sqlx::query("UPDATE hub_cmls SET active = 0 WHERE active = 1")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO hub_cmls (id, jws, org_id, license_id, max_sites, issued_at, \
                 valid_until, installed_at, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) \
                 ON CONFLICT (id) DO UPDATE SET active = 1, installed_at = excluded.installed_at",
            )
            .bind(&cml.id)
            .bind(&cml.jws)
            .bind(&cml.claims.org_id)
            .bind(&cml.claims.license_id)
            .bind(i64::from(cml.claims.max_sites))
            .bind(cml.claims.issued_at)
            .bind(cml.claims.valid_until)
            .bind(t)
            .execute(&mut *tx)
            .await?;
            let detail = format!(
                "license_id={} max_sites={}",
                cml.claims.license_id, cml.claims.max_sites
            );
            ledger::append(
                &self.db,
                &mut tx,
                &self.org,
                &cml,
                ledger::Event {
                    at: t,
                    kind: LedgerEvent::CmlInstalled,
                    site_id: None,
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(&mut tx, actor, action, Some(&cml.id), Some(&detail)).await?;
            Ok(())
        })?;
        self.cml_status().await
    }

    /// Mints a site license under the active CML. The site limit is checked and the site, its
    /// ledger entry and audit entry are written in one serialised transaction, so concurrent
    /// requests never exceed `max_sites` (409 `max-sites-reached`).
    pub async fn create_site(&self, new: &NewSite, actor: &Actor) -> Result<SiteView, Problem> {
        check_site_id(&new.site_id)?;
        let cml = self.require_cml().await?;
        let t = now();
        let mut expires_at = cml.claims.valid_until;
        if let Some(days) = new.valid_days {
            if days == 0 {
                return Err(Problem::invalid("valid_days must be at least 1"));
            }
            expires_at = expires_at.min(t + i64::from(days) * 86_400);
        }
        if expires_at <= t {
            return Err(Problem::conflict(
                "cml-expired",
                "CML expired",
                "the CML has expired; refresh it first",
            ));
        }
        let claims = SiteClaims {
            license_id: random_id("lic-"),
            site_id: new.site_id.clone(),
            fingerprint: new.fingerprint.clone().unwrap_or_default(),
            issued_at: t,
            expires_at,
            features: new.features.clone(),
            product: new.product.clone().unwrap_or_else(|| "hwf".into()),
            tier: new.tier.clone().unwrap_or_else(|| "active".into()),
            ..Default::default()
        };
        // Sign before taking the lock: a bad request fails here and writes nothing.
        let license = issue::mint_site_license(&self.org, &cml, &claims)?;
        let features = serde_json::to_string(&claims.features).map_err(Problem::internal)?;
        let fingerprint = serde_json::to_string(&claims.fingerprint).map_err(Problem::internal)?;
        write_tx!(&self.db, |tx| {
            self.db.lock_hub(&mut tx).await?;
            let exists = sqlx::query("SELECT status FROM sites WHERE site_id = $1")
                .bind(&new.site_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = exists {
                let status: String = r.try_get(0)?;
                return Err(Problem::conflict(
                    "site-exists",
                    "Site exists",
                    format!("site {:?} already exists ({status})", new.site_id),
                ));
            }
            let active: i64 = sqlx::query("SELECT count(*) FROM sites WHERE status = 'active'")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if active >= i64::from(cml.claims.max_sites) {
                return Err(Problem::conflict(
                    "max-sites-reached",
                    "Site limit reached",
                    format!(
                        "the CML allows {} active sites and {active} are active",
                        cml.claims.max_sites
                    ),
                ));
            }
            sqlx::query(
                "INSERT INTO sites (site_id, license_id, cml_id, product, tier, features, \
                 fingerprint, status, license, issued_at, expires_at, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12)",
            )
            .bind(&claims.site_id)
            .bind(&claims.license_id)
            .bind(&cml.id)
            .bind(&claims.product)
            .bind(&claims.tier)
            .bind(&features)
            .bind(&fingerprint)
            .bind(&license)
            .bind(claims.issued_at)
            .bind(claims.expires_at)
            .bind(t)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
            let detail = format!("product={} tier={}", claims.product, claims.tier);
            ledger::append(
                &self.db,
                &mut tx,
                &self.org,
                &cml,
                ledger::Event {
                    at: t,
                    kind: LedgerEvent::SiteCreated,
                    site_id: Some(&claims.site_id),
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(
                &mut tx,
                actor,
                "site.create",
                Some(&claims.site_id),
                Some(&detail),
            )
            .await?;
            Ok(())
        })?;
        self.site(&new.site_id).await
    }

    /// One site, or 404 `unknown-site`.
    pub async fn site(&self, site_id: &str) -> Result<SiteView, Problem> {
        let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE site_id = $1"))
            .bind(site_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| no_site(site_id))?;
        site_from_row(&row)
    }

    /// A filtered page of sites with the total count.
    pub async fn list_sites(&self, q: &SiteQuery) -> Result<SitePage, Problem> {
        let limit = q.limit.unwrap_or(50);
        let offset = q.offset.unwrap_or(0);
        if !(1..=MAX_PAGE).contains(&limit) || offset < 0 {
            return Err(Problem::invalid(format!(
                "limit must be 1..={MAX_PAGE} and offset at least 0"
            )));
        }
        let mut conds = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(s) = &q.status {
            if s != "active" && s != "revoked" {
                return Err(Problem::invalid("status must be \"active\" or \"revoked\""));
            }
            args.push(s.clone());
            conds.push(format!("status = ${}", args.len()));
        }
        if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
            let escaped = s
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(format!("%{escaped}%"));
            let n = args.len();
            conds.push(format!(
                "(site_id LIKE ${n} ESCAPE '\\' OR product LIKE ${n} ESCAPE '\\' \
                 OR tier LIKE ${n} ESCAPE '\\')"
            ));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        let count_sql = format!("SELECT count(*) FROM sites{filter}");
        let mut count = sqlx::query(&count_sql);
        for a in &args {
            count = count.bind(a.as_str());
        }
        let total: i64 = count.fetch_one(&self.db.pool).await?.try_get(0)?;
        let page_sql = format!(
            "SELECT {SITE_COLS} FROM sites{filter} ORDER BY site_id LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        );
        let mut page = sqlx::query(&page_sql);
        for a in &args {
            page = page.bind(a.as_str());
        }
        let rows = page
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.db.pool)
            .await?;
        Ok(SitePage {
            total,
            limit,
            offset,
            sites: rows.iter().map(site_from_row).collect::<Result<_, _>>()?,
        })
    }

    /// Revokes a site: marks it revoked, signs a new revocation list for its CML (next sequence
    /// number), and records it in the ledger and the audit log, all in one transaction.
    pub async fn revoke_site(&self, site_id: &str, actor: &Actor) -> Result<SiteView, Problem> {
        let cml = self.require_cml().await?;
        let t = now();
        write_tx!(&self.db, |tx| {
            let r = sqlx::query(
                "UPDATE sites SET status = 'revoked', revoked_at = $1 \
                 WHERE site_id = $2 AND status = 'active'",
            )
            .bind(t)
            .bind(site_id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                let exists = sqlx::query("SELECT status FROM sites WHERE site_id = $1")
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return match exists {
                    None => Err(no_site(site_id)),
                    Some(_) => Err(Problem::conflict(
                        "site-revoked",
                        "Site already revoked",
                        format!("site {site_id:?} is already revoked"),
                    )),
                };
            }
            let site_cml: String = sqlx::query("SELECT cml_id FROM sites WHERE site_id = $1")
                .bind(site_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            self.sign_revocations(&mut tx, &site_cml, &cml.claims.org_id, t)
                .await?;
            ledger::append(
                &self.db,
                &mut tx,
                &self.org,
                &cml,
                ledger::Event {
                    at: t,
                    kind: LedgerEvent::SiteRevoked,
                    site_id: Some(site_id),
                    detail: None,
                },
            )
            .await?;
            audit::record(&mut tx, actor, "site.revoke", Some(site_id), None).await?;
            Ok(())
        })?;
        self.site(site_id).await
    }

    /// Signs and stores the next revocation list for `cml_id` (under the hub lock).
    async fn sign_revocations(
        &self,
        tx: &mut WriteTx,
        cml_id: &str,
        org_id: &str,
        t: i64,
    ) -> Result<(), Problem> {
        self.db.lock_hub(tx).await?;
        let seq: i64 = sqlx::query("SELECT revocation_seq FROM hub_state WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?
            .try_get::<i64, _>(0)?
            + 1;
        sqlx::query("UPDATE hub_state SET revocation_seq = $1 WHERE id = 1")
            .bind(seq)
            .execute(&mut **tx)
            .await?;
        let revoked = sqlx::query(
            "SELECT license_id FROM sites WHERE cml_id = $1 AND status = 'revoked' \
             ORDER BY license_id",
        )
        .bind(cml_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, _>>()?;
        let jws = issue::sign_revocation_list(
            &self.org,
            &RevocationListClaims {
                org_id: org_id.into(),
                cml: cml_id.into(),
                seq: seq as u64,
                issued_at: t,
                revoked,
                ..Default::default()
            },
        )?;
        sqlx::query(
            "INSERT INTO revocation_lists (cml_id, seq, jws) VALUES ($1, $2, $3) \
             ON CONFLICT (cml_id) DO UPDATE SET seq = excluded.seq, jws = excluded.jws",
        )
        .bind(cml_id)
        .bind(seq)
        .bind(&jws)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The current revocation list for `cml_id`, creating an empty one (sequence 0) if none.
    async fn revocation_list(
        &self,
        tx: &mut WriteTx,
        cml_id: &str,
        org_id: &str,
        t: i64,
    ) -> Result<String, Problem> {
        let get = "SELECT jws FROM revocation_lists WHERE cml_id = $1";
        if let Some(r) = sqlx::query(get)
            .bind(cml_id)
            .fetch_optional(&mut **tx)
            .await?
        {
            return Ok(r.try_get(0)?);
        }
        let jws = issue::sign_revocation_list(
            &self.org,
            &RevocationListClaims {
                org_id: org_id.into(),
                cml: cml_id.into(),
                seq: 0,
                issued_at: t,
                revoked: Vec::new(),
                ..Default::default()
            },
        )?;
        sqlx::query(
            "INSERT INTO revocation_lists (cml_id, seq, jws) VALUES ($1, 0, $2) \
             ON CONFLICT (cml_id) DO NOTHING",
        )
        .bind(cml_id)
        .bind(&jws)
        .execute(&mut **tx)
        .await?;
        Ok(sqlx::query(get)
            .bind(cml_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?)
    }

    /// Records a node's heartbeat (last seen; a `site_seen` ledger entry at most once per site
    /// per UTC day) and answers with a signed heartbeat bound to the node's nonce, carrying the
    /// site's status and the current revocation list of its CML.
    pub async fn heartbeat(
        &self,
        site_id: &str,
        req: &HeartbeatRequest,
    ) -> Result<HeartbeatAnswer, Problem> {
        if req.nonce.len() < 16 || req.nonce.len() > 256 || req.nonce.chars().any(char::is_control)
        {
            return Err(Problem::invalid(
                "nonce must be 16..=256 characters without control characters",
            ));
        }
        let cml = self.require_cml().await?;
        let t = now();
        let day = t.div_euclid(86_400);
        let (status, site_cml, list) = write_tx!(&self.db, |tx| {
            let row =
                sqlx::query("SELECT license_id, status, cml_id FROM sites WHERE site_id = $1")
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| no_site(site_id))?;
            let (license_id, status, site_cml): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if license_id != req.license_id {
                return Err(Problem::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "license-mismatch",
                    "License mismatch",
                    "the license id is not this site's license",
                ));
            }
            let first_today = sqlx::query(
                "UPDATE sites SET last_seen = $1, seen_day = $2 \
                 WHERE site_id = $3 AND (seen_day IS NULL OR seen_day <> $2)",
            )
            .bind(t)
            .bind(day)
            .bind(site_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if first_today {
                let detail = format!("status={status}");
                ledger::append(
                    &self.db,
                    &mut tx,
                    &self.org,
                    &cml,
                    ledger::Event {
                        at: t,
                        kind: LedgerEvent::SiteSeen,
                        site_id: Some(site_id),
                        detail: Some(&detail),
                    },
                )
                .await?;
            } else {
                sqlx::query("UPDATE sites SET last_seen = $1 WHERE site_id = $2")
                    .bind(t)
                    .bind(site_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let list = self
                .revocation_list(&mut tx, &site_cml, &cml.claims.org_id, t)
                .await?;
            Ok((status, site_cml, list))
        })?;
        let answer = issue::sign_heartbeat(
            &self.org,
            &HeartbeatClaims {
                org_id: cml.claims.org_id.clone(),
                cml: site_cml,
                site_id: site_id.into(),
                status: status.clone(),
                nonce: req.nonce.clone(),
                server_time: t,
                revocation_list: list,
                ..Default::default()
            },
        )?;
        Ok(HeartbeatAnswer { status, answer })
    }

    /// Validates a `site.lic` for a node with `facts`, with the Hub's shared validator after
    /// applying the current revocation list of the license's CML.
    pub async fn validate(
        &self,
        license: &str,
        facts: &Facts,
    ) -> Result<serde_json::Value, Problem> {
        let file = parse_license_file(license.as_bytes())?;
        let cml_id = document_id(&file.cml)?;
        let list: Option<String> =
            sqlx::query("SELECT jws FROM revocation_lists WHERE cml_id = $1")
                .bind(&cml_id)
                .fetch_optional(&self.db.pool)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        let facts = NodeFacts::from_strs(
            facts.addresses.iter().map(String::as_str),
            facts.dns_name.as_deref(),
            facts.deployment_tag.as_deref(),
        )?;
        let t = now();
        let mut v = self.lock();
        if let Some(list) = list {
            match v.apply_revocation_list(license.as_bytes(), &list, t) {
                Ok(_) | Err(hwf_license::Error::RevocationListStale { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let verdict = v.validate(license.as_bytes(), &facts, t)?;
        Ok(serde_json::json!({
            "status": verdict.status.as_str(),
            "site_id": verdict.site_id,
            "org_id": verdict.org_id,
            "license_id": verdict.license_id,
            "cml_license_id": verdict.cml_license_id,
            "cml_id": verdict.cml_id,
            "environment": verdict.environment.as_str(),
            "product": verdict.product,
            "tier": verdict.tier,
            "features": verdict.features,
            "issued_at": verdict.issued_at,
            "expires_at": verdict.expires_at,
            "grace_end": verdict.grace_end,
            "grace_days_left": verdict.grace_days_left,
            "warnings": verdict.warnings.iter().map(|w| serde_json::json!({
                "name": w.name(), "message": w.to_string()
            })).collect::<Vec<_>>(),
        }))
    }

    /// The stored `site.lic` of a site (recorded in the audit log as a download).
    pub async fn site_license(&self, site_id: &str, actor: &Actor) -> Result<String, Problem> {
        let license = self.stored_license(site_id).await?;
        audit::record_now(&self.db, actor, "site.download", Some(site_id), None).await?;
        Ok(license)
    }

    /// The stored `site.lic` of a site, without an audit entry (right after minting it).
    pub async fn stored_license(&self, site_id: &str) -> Result<String, Problem> {
        let row = sqlx::query("SELECT license FROM sites WHERE site_id = $1")
            .bind(site_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| no_site(site_id))?;
        Ok(row.try_get(0)?)
    }

    /// Usage statistics for `period` (`YYYY-MM`).
    pub async fn stats(&self, period: &str) -> Result<Stats, Problem> {
        let (start, end) = hwf_license::time::period_bounds(period)
            .ok_or_else(|| Problem::invalid("period must be YYYY-MM"))?;
        let max_sites = self
            .active_cml()
            .await?
            .map(|c| c.claims.max_sites)
            .unwrap_or(0);
        let count = |sql: &'static str, binds: Vec<i64>| {
            let pool = self.db.pool.clone();
            async move {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(b);
                }
                let n: i64 = q.fetch_one(&pool).await?.try_get(0)?;
                Ok::<i64, Problem>(n)
            }
        };
        let active = count("SELECT count(*) FROM sites WHERE status = 'active'", vec![]).await?;
        let revoked = count(
            "SELECT count(*) FROM sites WHERE status = 'revoked'",
            vec![],
        )
        .await?;
        let created = count(
            "SELECT count(*) FROM sites WHERE created_at >= $1 AND created_at < $2",
            vec![start, end],
        )
        .await?;
        let revoked_in = count(
            "SELECT count(*) FROM sites WHERE revoked_at >= $1 AND revoked_at < $2",
            vec![start, end],
        )
        .await?;
        let seen = count(
            "SELECT count(*) FROM sites WHERE last_seen >= $1 AND last_seen < $2",
            vec![start, end],
        )
        .await?;
        let rows = sqlx::query(
            "SELECT product, tier, count(*) FROM sites WHERE status = 'active' \
             GROUP BY product, tier ORDER BY product, tier",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let by_product_tier = rows
            .iter()
            .map(|r| {
                Ok(ProductTierCount {
                    product: r.try_get(0)?,
                    tier: r.try_get(1)?,
                    count: r.try_get::<i64, _>(2)? as u32,
                })
            })
            .collect::<Result<_, Problem>>()?;
        let (ledger_length, ledger_head) = ledger::head(&self.db).await?;
        Ok(Stats {
            period: period.into(),
            max_sites,
            active_sites: active,
            revoked_sites: revoked,
            created_in_period: created,
            revoked_in_period: revoked_in,
            seen_in_period: seen,
            by_product_tier,
            ledger_length,
            ledger_head,
        })
    }

    /// Verifies the stored ledger end to end against the active CML.
    pub async fn verify_ledger(&self) -> Result<LedgerSummary, Problem> {
        let cml = self.require_cml().await?;
        ledger::verify(&self.db, &cml).await
    }

    /// A page of ledger entries, each verified.
    pub async fn ledger_page(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ledger::EntryView>, Problem> {
        if !(1..=MAX_PAGE).contains(&limit) || offset < 0 {
            return Err(Problem::invalid(format!(
                "limit must be 1..={MAX_PAGE} and offset at least 0"
            )));
        }
        let cml = self.active_cml().await?;
        ledger::page(&self.db, cml.as_deref(), limit, offset).await
    }

    /// Generates the signed usage manifest of `period` (idempotent: the stored one is returned
    /// if it exists). Returns the record and whether it was generated now. The manifest reports
    /// the ledger head before its own `manifest_generated` entry.
    pub async fn generate_manifest(
        &self,
        period: &str,
        actor: &Actor,
    ) -> Result<(ManifestRecord, bool), Problem> {
        let (start, end) = hwf_license::time::period_bounds(period)
            .ok_or_else(|| Problem::invalid("period must be YYYY-MM"))?;
        let t = now();
        if start > t {
            return Err(Problem::invalid(format!(
                "period {period} has not started yet"
            )));
        }
        if let Some(m) = self.manifest_by_period(period).await? {
            return Ok((m, false));
        }
        let cml = self.require_cml().await?;
        let created = write_tx!(&self.db, |tx| {
            self.db.lock_hub(&mut tx).await?;
            if sqlx::query("SELECT id FROM manifests WHERE period = $1")
                .bind(period)
                .fetch_optional(&mut *tx)
                .await?
                .is_some()
            {
                return Ok(false);
            }
            let rows = sqlx::query(
                "SELECT site_id, product, tier, issued_at, last_seen, revoked_at FROM sites \
                 WHERE created_at < $1 AND (revoked_at IS NULL OR revoked_at >= $2) \
                 ORDER BY site_id",
            )
            .bind(end)
            .bind(start)
            .fetch_all(&mut *tx)
            .await?;
            let mut sites = Vec::with_capacity(rows.len());
            for r in &rows {
                let revoked_at: Option<i64> = r.try_get(5)?;
                sites.push(ManifestSite {
                    site_id: r.try_get(0)?,
                    product: r.try_get(1)?,
                    tier: r.try_get(2)?,
                    issued_at: r.try_get(3)?,
                    last_seen: r.try_get(4)?,
                    status: if revoked_at.is_some_and(|at| at < end) {
                        "revoked".into()
                    } else {
                        "active".into()
                    },
                });
            }
            let mut by: Vec<ProductTierCount> = Vec::new();
            for s in sites.iter().filter(|s| s.status == "active") {
                match by
                    .iter_mut()
                    .find(|c| c.product == s.product && c.tier == s.tier)
                {
                    Some(c) => c.count += 1,
                    None => by.push(ProductTierCount {
                        product: s.product.clone(),
                        tier: s.tier.clone(),
                        count: 1,
                    }),
                }
            }
            by.sort_by(|a, b| (&a.product, &a.tier).cmp(&(&b.product, &b.tier)));
            let users = sqlx::query("SELECT role FROM users")
                .fetch_all(&mut *tx)
                .await?;
            let admins = users
                .iter()
                .filter(|r| r.try_get::<String, _>(0).is_ok_and(|s| s == "admin"))
                .count();
            let head = sqlx::query("SELECT ledger_length, ledger_head FROM hub_state WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
            let total_active = by.iter().map(|c| c.count).sum();
            let jws = issue::sign_manifest(
                &self.org,
                &ManifestClaims {
                    org_id: cml.claims.org_id.clone(),
                    cml: cml.id.clone(),
                    period: period.into(),
                    generated_at: t,
                    stats: ManifestStats {
                        admin_users: admins as u32,
                        total_users: users.len() as u32,
                        sites_by_product_tier: by,
                        total_active_sites: total_active,
                    },
                    sites,
                    ledger_head: head.try_get(1)?,
                    ledger_length: head.try_get::<i64, _>(0)? as u64,
                    ..Default::default()
                },
            )?;
            let id = document_id(&jws)?;
            sqlx::query(
                "INSERT INTO manifests (id, period, jws, generated_at, status, attempts) \
                 VALUES ($1, $2, $3, $4, 'generated', 0)",
            )
            .bind(&id)
            .bind(period)
            .bind(&jws)
            .bind(t)
            .execute(&mut *tx)
            .await?;
            let detail = format!("period={period} manifest={id}");
            ledger::append(
                &self.db,
                &mut tx,
                &self.org,
                &cml,
                ledger::Event {
                    at: t,
                    kind: LedgerEvent::ManifestGenerated,
                    site_id: None,
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(&mut tx, actor, "manifest.generate", Some(&id), Some(period)).await?;
            Ok(true)
        })?;
        let m = self
            .manifest_by_period(period)
            .await?
            .ok_or_else(|| Problem::internal("generated manifest vanished"))?;
        Ok((m, created))
    }

    async fn manifest_by_period(&self, period: &str) -> Result<Option<ManifestRecord>, Problem> {
        sqlx::query(&format!(
            "SELECT {MANIFEST_COLS} FROM manifests WHERE period = $1"
        ))
        .bind(period)
        .fetch_optional(&self.db.pool)
        .await?
        .map(|r| manifest_from_row(&r))
        .transpose()
    }

    /// One manifest by id, or 404.
    pub async fn manifest(&self, id: &str) -> Result<ManifestRecord, Problem> {
        sqlx::query(&format!(
            "SELECT {MANIFEST_COLS} FROM manifests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .map(|r| manifest_from_row(&r))
        .transpose()?
        .ok_or_else(|| Problem::not_found(format!("no manifest {id:?}")))
    }

    /// Manifests, newest period first, optionally only `period`.
    pub async fn manifests(&self, period: Option<&str>) -> Result<Vec<ManifestRecord>, Problem> {
        let rows = match period {
            Some(p) => {
                sqlx::query(&format!(
                    "SELECT {MANIFEST_COLS} FROM manifests WHERE period = $1"
                ))
                .bind(p)
                .fetch_all(&self.db.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {MANIFEST_COLS} FROM manifests ORDER BY period DESC"
                ))
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        rows.iter().map(manifest_from_row).collect()
    }

    /// Checks a stored manifest with core against the active CML (signature, binding, totals).
    pub async fn verify_stored_manifest(&self, id: &str) -> Result<ManifestClaims, Problem> {
        let cml = self.require_cml().await?;
        let m = self.manifest(id).await?;
        Ok(verify_manifest(&cml, &m.jws)?.claims)
    }

    /// Sends a manifest to the Root (`POST {root_url}/api/root/manifests`), retrying network
    /// failures and 5xx/429 answers with backoff; records attempts, the last error and, on
    /// success, `sent_at` and the Root's receipt. A Root that rejects the manifest (4xx) is
    /// not retried. Answers the record, or 502 `delivery-failed` with the record's error.
    pub async fn send_manifest(
        &self,
        id: &str,
        root_url: Option<&str>,
        actor: &Actor,
    ) -> Result<ManifestRecord, Problem> {
        let m = self.manifest(id).await?;
        let base = root_url
            .map(|u| u.trim_end_matches('/').to_string())
            .or_else(|| self.root_url.clone())
            .ok_or_else(|| {
                Problem::conflict(
                    "no-root-url",
                    "No Root endpoint",
                    "set --root-url (HWF_ROOT_URL) to send manifests",
                )
            })?;
        let cml = self.require_cml().await?;
        let url = format!("{base}/api/root/manifests");
        let body = serde_json::json!({ "org_id": cml.claims.org_id, "manifest": m.jws });
        let mut outcome: Result<String, (String, bool)> = Err(("not attempted".into(), false));
        for attempt in 1..=self.send_attempts.max(1) {
            outcome = match self.http.post(&url).json(&body).send().await {
                Ok(res) => {
                    let status = res.status();
                    let text = res.text().await.unwrap_or_default();
                    if status.is_success() {
                        Ok(text)
                    } else {
                        let retry = status.is_server_error() || status.as_u16() == 429;
                        Err((format!("Root answered {status}: {text}"), !retry))
                    }
                }
                Err(e) => Err((format!("cannot reach the Root: {e}"), false)),
            };
            let (status, err) = match &outcome {
                Ok(_) => ("sent", None),
                Err((e, true)) => ("rejected", Some(e.as_str())),
                Err((e, false)) => ("failed", Some(e.as_str())),
            };
            let receipt = outcome.as_ref().ok();
            write_tx!(&self.db, |tx| {
                sqlx::query(
                    "UPDATE manifests SET attempts = attempts + 1, status = $1, last_error = $2, \
                     sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END, \
                     receipt = CASE WHEN $1 = 'sent' THEN $4 ELSE receipt END WHERE id = $5",
                )
                .bind(status)
                .bind(err)
                .bind(now())
                .bind(receipt.map(String::as_str))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if outcome.is_ok()
                    || matches!(outcome, Err((_, true)))
                    || attempt == self.send_attempts.max(1)
                {
                    audit::record(&mut tx, actor, "manifest.send", Some(id), Some(status)).await?;
                }
                Ok(())
            })?;
            match &outcome {
                Ok(_) | Err((_, true)) => break,
                Err(_) if attempt < self.send_attempts => {
                    tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                }
                Err(_) => {}
            }
        }
        let record = self.manifest(id).await?;
        match outcome {
            Ok(_) => Ok(record),
            Err((e, rejected)) => Err(Problem::new(
                axum::http::StatusCode::BAD_GATEWAY,
                if rejected {
                    "delivery-rejected"
                } else {
                    "delivery-failed"
                },
                if rejected {
                    "Root rejected the manifest"
                } else {
                    "Manifest delivery failed"
                },
                format!("after {} attempt(s): {e}", record.attempts),
            )),
        }
    }

    /// The current period `YYYY-MM`.
    pub fn current_period(&self) -> String {
        period_of(now())
    }
}

/// The trusted root keys stored in the database.
pub async fn load_roots(db: &Db) -> Result<Vec<TrustedRoot>, Problem> {
    let rows = sqlx::query("SELECT kid, environment, public_pem FROM trusted_roots ORDER BY kid")
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            let env: String = r.try_get(1)?;
            Ok(TrustedRoot::new(
                r.try_get::<String, _>(0)?,
                Environment::parse(&env)?,
                PublicKey::from_pem(&r.try_get::<String, _>(2)?)?,
            ))
        })
        .collect()
}

/// Adds (or replaces) a trusted root public key.
pub async fn trust_root(
    db: &Db,
    kid: &str,
    environment: Environment,
    key: &PublicKey,
) -> Result<(), Problem> {
    if kid.is_empty() || kid.len() > 256 {
        return Err(Problem::invalid("kid must be 1..=256 bytes"));
    }
    sqlx::query(
        "INSERT INTO trusted_roots (kid, environment, public_pem, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kid) DO UPDATE SET environment = excluded.environment, \
         public_pem = excluded.public_pem",
    )
    .bind(kid)
    .bind(environment.as_str())
    .bind(key.to_pem())
    .bind(now())
    .execute(&db.pool)
    .await?;
    Ok(())
}
