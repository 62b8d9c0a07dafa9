//! The Hub: holds the org key and a CML, mints site licenses (at most `max_sites` active, enforced
//! inside one write transaction), answers heartbeats with a signed, nonce-bound status and the
//! current revocation list, validates licenses with one shared core [`Validator`], keeps the
//! signed usage ledger, and generates and sends the monthly usage manifest.
//!
//! Every change and its ledger entry and audit entry commit together (see [`crate::write_tx`]).
//! This module holds the service, the CML and statistics; [`sites`] the site licenses,
//! heartbeats and validation; [`manifest`] the monthly manifests and their delivery.

pub mod manifest;
pub mod sites;

pub use manifest::ManifestRecord;
pub use sites::{
    Facts, HeartbeatAnswer, HeartbeatRequest, NewSite, SitePage, SiteQuery, SiteView,
    ValidateAnswer, VerdictWarning,
};

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hwf_license::{
    Environment, LedgerEvent, LedgerSummary, ProductTierCount, PublicKey, SigningKey, TrustedRoot,
    Validator, VerifiedCml,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::audit::{self, Actor};
use crate::db::Db;
use crate::keys_at_rest::Sealer;
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
    /// The shared validator: validations run concurrently; a reload of the roots swaps it.
    validator: std::sync::RwLock<Arc<Validator>>,
    /// The revocation list last applied to `validator`, per CML id: `/api/validate` applies the
    /// stored list only when it differs, so the list's signature is checked once per change,
    /// not once per request.
    applied_lists: Mutex<std::collections::HashMap<String, String>>,
    root_url: Option<String>,
    http: reqwest::Client,
    /// How many times one send attempts a manifest delivery (`HWF_MANIFEST_ATTEMPTS`, 3).
    pub send_attempts: u32,
    /// The wait before the first retry of a delivery, doubled before each next one
    /// (`HWF_MANIFEST_BACKOFF_MS`, 200 ms).
    pub send_backoff: Duration,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("org_kid", &self.org.public_key().thumbprint())
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

/// The installed CML and how it stands.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CmlStatus {
    /// Document id.
    pub id: String,
    /// License id.
    pub license_id: String,
    /// Org.
    pub org_id: String,
    /// `dev` or `prod`.
    #[schema(value_type = crate::openapi::Environment)]
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

/// Usage statistics of a period.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
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
    #[schema(value_type = Vec<crate::openapi::ProductTierCount>)]
    pub by_product_tier: Vec<ProductTierCount>,
    /// Ledger entries.
    pub ledger_length: u64,
    /// Ledger head.
    pub ledger_head: String,
}

/// The number in environment variable `name` (`default` when unset), which must lie in `range`.
fn env_number(
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, Problem> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                Problem::invalid(format!(
                    "{name} must be a whole number in {}..={}, not {v:?}",
                    range.start(),
                    range.end()
                ))
            }),
    }
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
            validator: std::sync::RwLock::new(Arc::new(Validator::new(environment, roots))),
            applied_lists: Mutex::default(),
            root_url: root_url.map(|u| u.trim_end_matches('/').to_string()),
            http,
            send_attempts: env_number("HWF_MANIFEST_ATTEMPTS", 3, 1..=20)? as u32,
            send_backoff: Duration::from_millis(env_number(
                "HWF_MANIFEST_BACKOFF_MS",
                200,
                0..=60_000,
            )?),
        })
    }

    /// The org public key (what the Root puts in the CML).
    pub fn org_public_key(&self) -> &PublicKey {
        self.org.public_key()
    }

    /// Reloads the trusted roots from the database (after `trust_root`).
    pub async fn reload_roots(&self) -> Result<(), Problem> {
        let roots = load_roots(&self.db).await?;
        *self.validator.write().unwrap_or_else(|p| p.into_inner()) =
            Arc::new(Validator::new(self.environment, roots));
        self.applied_lists
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }

    /// The shared validator, with `list` (the stored revocation list of the CML `cml_id` that
    /// `license` names) applied unless it is the list last applied. A list older than the one
    /// applied (read before another request applied a newer one) is ignored.
    fn validator_with_list(
        &self,
        license: &[u8],
        cml_id: &str,
        list: Option<&str>,
        now: i64,
    ) -> Result<Arc<Validator>, Problem> {
        let v = self.lock();
        if let Some(list) = list {
            let mut applied = self.applied_lists.lock().unwrap_or_else(|p| p.into_inner());
            if applied.get(cml_id).map(String::as_str) != Some(list) {
                match v.apply_revocation_list_at(license, list, now) {
                    Ok(_) => {
                        applied.insert(cml_id.to_string(), list.to_string());
                    }
                    Err(hwf_license::Error::RevocationListStale { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(v)
    }

    /// The current validator (a cheap clone of the shared handle; no lock is held after).
    fn lock(&self) -> Arc<Validator> {
        Arc::clone(&self.validator.read().unwrap_or_else(|p| p.into_inner()))
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
    trust_root_with(&db.pool, kid, environment, key).await
}

/// [`trust_root`] on any executor (e.g. inside the transaction that creates the root key).
pub async fn trust_root_with<'c, E>(
    ex: E,
    kid: &str,
    environment: Environment,
    key: &PublicKey,
) -> Result<(), Problem>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
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
    .execute(ex)
    .await?;
    Ok(())
}
