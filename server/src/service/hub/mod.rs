//! The Hub: holds the org key and a CML, mints site licenses (at most `max_sites` active,
//! enforced inside one write transaction), answers heartbeats with a signed, nonce-bound status
//! and the current revocation list, validates licenses with one shared core [`Validator`],
//! keeps the signed usage ledger, and generates and sends the monthly usage manifest.
//!
//! Every change and its ledger entry and audit entry commit together (see
//! `store::write_tx!`). This module holds the service, the CML, trusted roots and
//! statistics; [`sites`] the site licenses; [`import`] bulk site imports; [`nodes`] heartbeats and validation; [`ledger`]
//! the ledger; [`manifests`] the monthly manifests and their delivery; [`schedule`] the monthly
//! send on its own.

pub mod activity;
pub mod import;
pub mod ledger;
pub mod manifests;
pub mod nodes;
pub mod report;
pub mod schedule;
pub mod sites;

pub use activity::{DayActivity, Expiring};
pub use import::{ImportLine, ImportReport, ImportResult};
pub use ledger::EntryView;
pub use manifests::ReceiptFile;
pub use manifests::{ManifestPreview, ManifestRecord};
pub use nodes::{Facts, HeartbeatAnswer, HeartbeatRequest, ValidateAnswer, VerdictWarning};
pub use report::{TrendMonth, UsageReport};
pub use schedule::ScheduleRun;
pub use sites::{NewSite, SitePage, SiteQuery, SiteView};

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use hwf_license::{Environment, PublicKey, SigningKey, TrustedRoot, Validator, VerifiedCml};
use serde::Serialize;

use super::audit::{self, Actor};
use super::clock::{ClockHandle, SharedClock};
use super::keys::Sealer;
use super::ServiceError;
use crate::config::HubConfig;
use crate::domain::{self, period, EnvironmentName, TierCount};
use crate::store::{
    hub_cmls, hub_state, manifests as manifest_rows, sites as site_rows, trusted_roots, write_tx,
    Db,
};

/// The name of the sealed org key in the `secrets` table.
pub const ORG_KEY_NAME: &str = "hub:org";

/// The Hub service.
pub struct Hub {
    db: Db,
    org: SigningKey,
    environment: Environment,
    clock: SharedClock,
    /// The shared validator: validations run concurrently; a reload of the roots swaps it.
    validator: RwLock<Arc<Validator>>,
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
    /// Where validations and ledger verifications run.
    cpu: super::cpu::CpuPool,
    /// The last ledger that verified: (CML id, length, head, SHA-256 of its entries).
    ledger_verified: Mutex<Option<ledger::Checked>>,
    /// Whole-ledger signature checks that passed (the other verifications answered from the
    /// last of them).
    ledger_checks: std::sync::atomic::AtomicU64,
    /// Validation results counted in memory, per (UTC day, kind), until written
    /// ([`Hub::flush_activity`]).
    activity_pending: Mutex<std::collections::HashMap<(i64, &'static str), i64>>,
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
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CmlStatus {
    /// Document id.
    pub id: String,
    /// License id.
    pub license_id: String,
    /// Org.
    pub org_id: String,
    /// `dev` or `prod`.
    pub environment: EnvironmentName,
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
    /// Core's standing at the Hub's clock: `valid`, `expiring` (at most 30 days left),
    /// `grace` (ended, its site licenses still work) or `expired` (grace ended).
    pub status: String,
    /// Days left until `valid_until` (valid, expiring) or the end of grace (grace), rounded up;
    /// absent when expired.
    pub days_left: Option<u32>,
    /// The org key's thumbprint.
    pub org_kid: String,
    /// The CML itself.
    pub jws: String,
}

/// Usage statistics of a period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
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
    pub by_product_tier: Vec<TierCount>,
    /// Ledger entries.
    pub ledger_length: u64,
    /// Ledger head.
    pub ledger_head: String,
}

/// What the Hub's gauges report (read from the database, so every replica agrees).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gauges {
    /// Active sites.
    pub active_sites: i64,
    /// Revoked sites.
    pub revoked_sites: i64,
    /// Ledger entries.
    pub ledger_length: i64,
    /// Manifests per delivery status.
    pub manifests: Vec<(String, i64)>,
    /// The installed CML's `max_sites` and `valid_until`.
    pub cml: Option<(u32, i64)>,
}

impl Hub {
    /// Opens the Hub on `db`: loads (or generates on first start) the sealed org key and the
    /// trusted roots, for a validator of `config.environment` reading `clock`; manifests go to
    /// `config.root_url`.
    pub async fn open(
        db: Db,
        sealer: &Sealer,
        config: &HubConfig,
        clock: SharedClock,
    ) -> Result<Self, ServiceError> {
        let (org, generated) = sealer
            .load_or_generate(&db, ORG_KEY_NAME, clock.now())
            .await?;
        if generated {
            tracing::info!(kid = org.public_key().thumbprint(), "generated the org key");
        }
        let validator = build_validator(config.environment, load_roots(&db).await?, &clock)?;
        if let Some(url) = &config.root_url {
            crate::tls::check_root_url(url).map_err(ServiceError::Config)?;
        }
        let http =
            crate::tls::root_client(config).map_err(|e| ServiceError::Config(e.to_string()))?;
        let hub = Self {
            db,
            org,
            environment: config.environment,
            clock,
            validator: RwLock::new(Arc::new(validator)),
            applied_lists: Mutex::default(),
            root_url: config
                .root_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_string()),
            http,
            send_attempts: config.manifest_attempts.max(1),
            send_backoff: Duration::from_millis(config.manifest_backoff_ms),
            cpu: super::cpu::CpuPool::default(),
            ledger_verified: Mutex::default(),
            ledger_checks: Default::default(),
            activity_pending: Mutex::default(),
        };
        let indexed = hub.index_ledger_sites().await?;
        if indexed > 0 {
            tracing::info!(entries = indexed, "indexed the ledger's entries by site");
        }
        Ok(hub)
    }

    /// Runs validations and ledger verifications on `cpu` (shared with the Root in one
    /// process).
    pub fn with_cpu_pool(mut self, cpu: super::cpu::CpuPool) -> Self {
        self.cpu = cpu;
        self
    }

    /// The time now, at the Hub's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The environment this Hub validates for.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The trusted root keys (what the console's chain preview checks the CML against).
    pub async fn trusted_roots(&self) -> Result<Vec<TrustedRoot>, ServiceError> {
        load_roots(&self.db).await
    }

    /// The org public key (what the Root puts in the CML).
    pub fn org_public_key(&self) -> &PublicKey {
        self.org.public_key()
    }

    /// Adds (or replaces) a trusted root key; a running Hub uses it after
    /// [`Hub::reload_roots`] (or a restart).
    pub async fn trust_root(
        &self,
        kid: &str,
        environment: Environment,
        key: &PublicKey,
    ) -> Result<(), ServiceError> {
        domain::inputs::kid(kid)?;
        trusted_roots::put(
            &mut *self.db.conn().await?,
            kid,
            environment.as_str(),
            &key.to_pem(),
            self.now(),
        )
        .await?;
        Ok(())
    }

    /// Reloads the trusted roots from the database (after `trust_root`).
    pub async fn reload_roots(&self) -> Result<(), ServiceError> {
        let v = build_validator(self.environment, load_roots(&self.db).await?, &self.clock)?;
        *self.validator.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(v);
        self.applied_lists
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }

    /// The current validator (a cheap clone of the shared handle; no lock is held after).
    fn validator(&self) -> Arc<Validator> {
        Arc::clone(&self.validator.read().unwrap_or_else(|p| p.into_inner()))
    }

    fn verify_cml(&self, jws: &str) -> Result<Arc<VerifiedCml>, ServiceError> {
        Ok(self.validator().verify_cml(jws)?)
    }

    /// The active CML, verified, if one is installed.
    pub async fn active_cml(&self) -> Result<Option<Arc<VerifiedCml>>, ServiceError> {
        match hub_cmls::active_jws(&mut *self.db.conn().await?).await? {
            Some(jws) => Ok(Some(self.verify_cml(&jws)?)),
            None => Ok(None),
        }
    }

    async fn require_cml(&self) -> Result<Arc<VerifiedCml>, ServiceError> {
        self.active_cml().await?.ok_or(ServiceError::NoCml)
    }

    /// The installed CML's status, or [`ServiceError::NoCml`].
    pub async fn cml_status(&self) -> Result<CmlStatus, ServiceError> {
        let cml = self.require_cml().await?;
        let active = site_rows::count_active(&mut *self.db.conn().await?).await?;
        let c = &cml.claims;
        let standing = hwf_license::cml_standing(c, self.now());
        Ok(CmlStatus {
            id: cml.id.clone(),
            license_id: c.license_id.clone(),
            org_id: c.org_id.clone(),
            environment: c.key_type.into(),
            max_sites: c.max_sites,
            active_sites: active,
            feature_packs: c.feature_packs.clone(),
            issued_at: c.issued_at,
            valid_until: c.valid_until,
            grace_days: c.grace_days,
            status: standing.as_str().into(),
            days_left: standing.days_left(),
            org_kid: cml.org_key.thumbprint().into(),
            jws: cml.jws.clone(),
        })
    }

    /// Installs a CML after verifying it against the trusted roots: it must carry this Hub's org
    /// key and not be expired; a CML for the same org as the installed one and not older
    /// (`cml-older` for upload and refresh alike). With `refresh`, a CML must already be
    /// installed. Idempotent for the CML already active.
    pub async fn install_cml(
        &self,
        jws: &str,
        refresh: bool,
        actor: &Actor,
    ) -> Result<CmlStatus, ServiceError> {
        let cml = self.verify_cml(jws.trim())?;
        if &cml.org_key != self.org.public_key() {
            return Err(hwf_license::Error::SignerMismatch {
                kind: hwf_license::DocKind::Cml,
                expected: self.org.public_key().thumbprint().into(),
                found: cml.org_key.thumbprint().into(),
            }
            .into());
        }
        let t = self.now();
        if cml.claims.valid_until <= t {
            return Err(ServiceError::CmlExpired {
                valid_until: cml.claims.valid_until,
            });
        }
        let action = if refresh { "cml.refresh" } else { "cml.upload" };
        write_tx!(&self.db, ServiceError, |tx| {
            hub_state::lock(&self.db, &mut tx).await?;
            match hub_cmls::active_summary(&mut tx).await? {
                Some((id, _, _)) if id == cml.id => return Ok(()),
                Some((_, org, _)) if org != cml.claims.org_id => {
                    return Err(ServiceError::CmlOrgChanged {
                        installed: org,
                        offered: cml.claims.org_id.clone(),
                    })
                }
                // Upload and refresh alike: an older CML would downgrade max_sites and features.
                Some((_, _, issued)) if cml.claims.issued_at < issued => {
                    return Err(ServiceError::CmlOlder)
                }
                None if refresh => return Err(ServiceError::NoCml),
                _ => {}
            }
            let row = hub_cmls::CmlRow {
                id: cml.id.clone(),
                jws: cml.jws.clone(),
                org_id: cml.claims.org_id.clone(),
                license_id: cml.claims.license_id.clone(),
                max_sites: i64::from(cml.claims.max_sites),
                issued_at: cml.claims.issued_at,
                valid_until: cml.claims.valid_until,
            };
            hub_cmls::activate(&mut tx, &row, t).await?;
            let detail = format!(
                "license_id={} max_sites={}",
                cml.claims.license_id, cml.claims.max_sites
            );
            self.append(
                &mut tx,
                &cml,
                ledger::Event {
                    at: t,
                    kind: hwf_license::LedgerEvent::CmlInstalled,
                    site_id: None,
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(&mut tx, t, actor, action, Some(&cml.id), Some(&detail)).await?;
            Ok(())
        })?;
        self.cml_status().await
    }

    /// Usage statistics for `period` (`YYYY-MM`).
    pub async fn stats(&self, period: &str) -> Result<Stats, ServiceError> {
        let (start, end) = period::bounds(period)?;
        let max_sites = self
            .active_cml()
            .await?
            .map(|c| c.claims.max_sites)
            .unwrap_or(0);
        let mut c = self.db.conn().await?;
        let active = site_rows::count_active(&mut c).await?;
        let revoked = site_rows::count_revoked(&mut c).await?;
        let counts = site_rows::count_in_period(&mut c, start, end).await?;
        let by_product_tier = site_rows::active_by_product_tier(&mut c)
            .await?
            .into_iter()
            .map(|(product, tier, n)| TierCount {
                product,
                tier,
                count: n as u32,
            })
            .collect();
        let head = hub_state::ledger_head(&mut c).await?;
        Ok(Stats {
            period: period.into(),
            max_sites,
            active_sites: active,
            revoked_sites: revoked,
            created_in_period: counts.created,
            revoked_in_period: counts.revoked,
            seen_in_period: counts.seen,
            by_product_tier,
            ledger_length: head.length as u64,
            ledger_head: head.head,
        })
    }

    /// The numbers behind the Hub's gauges.
    pub async fn gauges(&self) -> Result<Gauges, ServiceError> {
        let cml = self
            .active_cml()
            .await?
            .map(|c| (c.claims.max_sites, c.claims.valid_until));
        let mut c = self.db.conn().await?;
        Ok(Gauges {
            active_sites: site_rows::count_active(&mut c).await?,
            revoked_sites: site_rows::count_revoked(&mut c).await?,
            ledger_length: hub_state::ledger_head(&mut c).await?.length,
            manifests: manifest_rows::count_by_status(&mut c).await?,
            cml,
        })
    }

    /// What the alerts are computed from: the installed CML (none without one), the active
    /// sites, and the manifest deliveries.
    pub async fn alert_facts(&self) -> Result<Option<domain::alerts::Facts>, ServiceError> {
        // The alert watch runs this periodically: it writes the validation counts too.
        if let Err(e) = self.flush_activity().await {
            tracing::warn!("node activity not written: {e}");
        }
        let Some(cml) = self.active_cml().await? else {
            return Ok(None);
        };
        let c = &cml.claims;
        let mut conn = self.db.conn().await?;
        Ok(Some(domain::alerts::Facts {
            license_id: c.license_id.clone(),
            valid_until: c.valid_until,
            grace_days: c.grace_days,
            max_sites: c.max_sites,
            active_sites: site_rows::count_active(&mut conn).await?,
            last_sent_at: manifest_rows::last_sent_at(&mut conn).await?,
            first_upload_at: hub_cmls::first_installed_at(&mut conn).await?,
        }))
    }

    /// The current period `YYYY-MM`, at the Hub's clock.
    pub fn current_period(&self) -> String {
        hwf_license::standing::period_of(self.now())
    }
}

fn build_validator(
    environment: Environment,
    roots: Vec<TrustedRoot>,
    clock: &SharedClock,
) -> Result<Validator, ServiceError> {
    Ok(Validator::builder(environment)
        .roots(roots)
        .clock(ClockHandle(Arc::clone(clock)))
        .build()?)
}

/// The trusted root keys stored in the database.
pub async fn load_roots(db: &Db) -> Result<Vec<TrustedRoot>, ServiceError> {
    trusted_roots::all(&mut *db.conn().await?)
        .await?
        .into_iter()
        .map(|r| {
            Ok(TrustedRoot::new(
                r.kid,
                Environment::parse(&r.environment)?,
                PublicKey::from_pem(&r.public_pem)?,
            ))
        })
        .collect()
}
