//! The Root (A-Stack): holds the root keys (one active per environment, sealed at rest), issues
//! and refreshes CMLs, receives monthly usage manifests (verified with the org key of a CML it
//! issued, checked for period and CML binding, then recorded) and reports compliance per org.

use hwf_license::{
    issue, verify_cml, verify_manifest, CmlClaims, Environment, EnvironmentPolicy, ErrorCode, Jwk,
    PublicKey, SigningKey, TrustedRoot, VerifiedCml,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{self, Actor};
use crate::db::Db;
use crate::keys_at_rest::{random_id, Sealer};
use crate::problem::Problem;
use crate::{now, period_of, write_tx};

/// The Root service.
pub struct Root {
    /// The database.
    pub db: Db,
    sealer: Sealer,
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Root").finish_non_exhaustive()
    }
}

/// A CML issue request (`POST /api/root/cml`).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCml {
    /// The organisation.
    pub org_id: String,
    /// The org public key the Hub generated: a JWK object, or an SPKI PEM / JWK JSON string.
    pub org_key: serde_json::Value,
    /// How many active sites the org may have.
    pub max_sites: u32,
    /// Days of validity from now.
    #[schema(minimum = 1)]
    pub valid_days: u32,
    /// Feature packs.
    #[serde(default)]
    pub feature_packs: Vec<String>,
    /// `dev` or `prod` (signed by that environment's root key).
    #[schema(value_type = crate::openapi::Environment)]
    pub environment: Environment,
    /// Grace days after expiry (default 30).
    #[serde(default)]
    pub grace_days: Option<u32>,
}

/// A refresh request (`POST /api/root/cml/refresh`): a new CML for the same org, with the
/// previous one's terms unless overridden.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshCml {
    /// The organisation.
    pub org_id: String,
    /// Days of validity from now (default: the previous CML's length).
    #[serde(default)]
    pub valid_days: Option<u32>,
    /// New site limit.
    #[serde(default)]
    pub max_sites: Option<u32>,
    /// New feature packs.
    #[serde(default)]
    pub feature_packs: Option<Vec<String>>,
    /// New grace days.
    #[serde(default)]
    pub grace_days: Option<u32>,
}

/// An issued CML.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedCml {
    /// Document id.
    pub id: String,
    /// License id.
    pub license_id: String,
    /// Org.
    pub org_id: String,
    /// The signing root key's id.
    pub kid: String,
    /// Valid until (unix seconds).
    pub valid_until: i64,
    /// The CML (compact JWS) to hand to the Hub.
    pub cml: String,
}

/// A manifest posted by a Hub (`POST /api/root/manifests`).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestDelivery {
    /// The org the manifest claims to be from.
    pub org_id: String,
    /// The signed manifest (compact JWS).
    pub manifest: String,
}

/// The Root's receipt for a manifest.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Receipt {
    /// Manifest document id.
    pub id: String,
    /// Org.
    pub org_id: String,
    /// Period.
    pub period: String,
    /// The CML it is bound to.
    pub cml_id: String,
    /// Active sites reported.
    pub total_active_sites: u32,
    /// When the Root recorded it.
    pub received_at: i64,
    /// Whether this exact manifest had been received before.
    pub duplicate: bool,
}

/// Compliance of one org.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Compliance {
    /// Org.
    pub org_id: String,
    /// The newest CML's id.
    pub cml_id: String,
    /// Its license id.
    pub cml_license_id: String,
    /// Its site limit.
    pub max_sites: i64,
    /// Its expiry.
    pub cml_valid_until: i64,
    /// `active`, `expiring` or `expired`.
    pub cml_status: String,
    /// The newest manifest's period, if any.
    pub last_manifest_period: Option<String>,
    /// When it was received.
    pub last_manifest_at: Option<i64>,
    /// Active sites it reported.
    pub last_active_sites: Option<i64>,
    /// Reported more active sites than allowed.
    pub over_limit: bool,
    /// No manifest for the previous month yet.
    pub manifest_overdue: bool,
}

fn key_name(kid: &str) -> String {
    format!("root:{kid}")
}

fn org_key_from(value: &serde_json::Value) -> Result<PublicKey, Problem> {
    let key = match value {
        serde_json::Value::String(s) => PublicKey::from_pem_or_jwk(s),
        serde_json::Value::Object(_) => {
            let jwk: Jwk = serde_json::from_value(value.clone())
                .map_err(|e| Problem::invalid(format!("org_key: {e}")))?;
            PublicKey::from_jwk(&jwk)
        }
        _ => {
            return Err(Problem::invalid(
                "org_key must be a JWK object or a PEM string",
            ))
        }
    };
    Ok(key?)
}

impl Root {
    /// Opens the Root on `db`; generates a root key for each environment that has none. Two
    /// processes starting on one empty database generate one key per environment between
    /// them: the check and the insert run in one serialised write transaction.
    pub async fn open(db: Db, sealer: Sealer) -> Result<Self, Problem> {
        let root = Self { db, sealer };
        for env in [Environment::Prod, Environment::Dev] {
            if root.active_key(env).await?.is_none() {
                if let Some((kid, _)) = root.new_key(env, true).await? {
                    tracing::info!(kid, environment = env.as_str(), "generated a root key");
                }
            }
        }
        Ok(root)
    }

    /// The active key of `env` and its kid.
    pub async fn active_key(
        &self,
        env: Environment,
    ) -> Result<Option<(String, SigningKey)>, Problem> {
        let row = sqlx::query(
            "SELECT kid FROM root_keys WHERE environment = $1 AND active = 1 ORDER BY created_at DESC",
        )
        .bind(env.as_str())
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let kid: String = row.try_get(0)?;
        let key = self
            .sealer
            .load_key(&self.db, &key_name(&kid))
            .await?
            .ok_or_else(|| Problem::internal("root key row without its sealed key"))?;
        Ok(Some((kid, key)))
    }

    /// Generates a new active root key for `env` (older keys stay trusted for verification) and
    /// publishes its public half to this database's trusted roots (for a Hub in the same
    /// process). Returns the kid and public key.
    pub async fn rotate_key(&self, env: Environment) -> Result<(String, PublicKey), Problem> {
        self.new_key(env, false)
            .await?
            .ok_or_else(|| Problem::internal("root key rotation skipped"))
    }

    /// Generates and activates a root key for `env` (its sealed key, its `root_keys` row and
    /// its trusted-root row in one transaction). With `only_if_none`, does nothing and answers
    /// `None` when `env` already has an active key (another process created it first).
    async fn new_key(
        &self,
        env: Environment,
        only_if_none: bool,
    ) -> Result<Option<(String, PublicKey)>, Problem> {
        let key = SigningKey::generate()?;
        let kid = format!(
            "root-{}-{}",
            env.as_str(),
            &key.public_key().thumbprint()[..12]
        );
        let t = now();
        let created = write_tx!(&self.db, |tx| {
            self.db.lock_hub(&mut tx).await?;
            if only_if_none
                && sqlx::query("SELECT kid FROM root_keys WHERE environment = $1 AND active = 1")
                    .bind(env.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some()
            {
                return Ok(false);
            }
            self.sealer
                .store_key_with(&mut *tx, &key_name(&kid), &key)
                .await?;
            sqlx::query("UPDATE root_keys SET active = 0 WHERE environment = $1")
                .bind(env.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO root_keys (kid, environment, active, created_at) VALUES ($1, $2, 1, $3)",
            )
            .bind(&kid)
            .bind(env.as_str())
            .bind(t)
            .execute(&mut *tx)
            .await?;
            crate::hub::trust_root_with(&mut *tx, &kid, env, key.public_key()).await?;
            Ok(true)
        })?;
        Ok(created.then(|| (kid, key.public_key().clone())))
    }

    /// Every root public key (active and retired) as trusted roots.
    pub async fn public_keys(&self) -> Result<Vec<(TrustedRoot, bool)>, Problem> {
        let rows =
            sqlx::query("SELECT kid, environment, active FROM root_keys ORDER BY created_at")
                .fetch_all(&self.db.pool)
                .await?;
        let mut out = Vec::new();
        for r in &rows {
            let kid: String = r.try_get(0)?;
            let env = Environment::parse(&r.try_get::<String, _>(1)?)?;
            let active = r.try_get::<i64, _>(2)? == 1;
            let pem: String = sqlx::query("SELECT public_pem FROM secrets WHERE name = $1")
                .bind(key_name(&kid))
                .fetch_one(&self.db.pool)
                .await?
                .try_get(0)?;
            out.push((
                TrustedRoot::new(kid, env, PublicKey::from_pem(&pem)?),
                active,
            ));
        }
        Ok(out)
    }

    /// Issues a CML for an org.
    pub async fn issue_cml(&self, req: &IssueCml, actor: &Actor) -> Result<IssuedCml, Problem> {
        let org_key = org_key_from(&req.org_key)?;
        if req.valid_days == 0 {
            return Err(Problem::invalid("valid_days must be at least 1"));
        }
        let (kid, key) = self.active_key(req.environment).await?.ok_or_else(|| {
            Problem::conflict(
                "no-root-key",
                "No root key",
                format!("no root key for {}", req.environment),
            )
        })?;
        let t = now();
        let claims = CmlClaims {
            license_id: random_id("cml-"),
            org_id: req.org_id.clone(),
            max_sites: req.max_sites,
            issued_at: t,
            valid_until: t + i64::from(req.valid_days) * 86_400,
            feature_packs: req.feature_packs.clone(),
            key_type: req.environment,
            org_key: org_key.to_jwk(),
            grace_days: req.grace_days.unwrap_or(hwf_license::DEFAULT_GRACE_DAYS),
            ..Default::default()
        };
        let jws = issue::sign_cml(&key, &kid, &claims)?;
        let id = hwf_license::document_id(&jws)?;
        write_tx!(&self.db, |tx| {
            sqlx::query(
                "INSERT INTO root_cmls (id, org_id, license_id, jws, environment, max_sites, \
                 issued_at, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&id)
            .bind(&claims.org_id)
            .bind(&claims.license_id)
            .bind(&jws)
            .bind(req.environment.as_str())
            .bind(i64::from(claims.max_sites))
            .bind(claims.issued_at)
            .bind(claims.valid_until)
            .execute(&mut *tx)
            .await?;
            let detail = format!(
                "license_id={} max_sites={} env={}",
                claims.license_id, claims.max_sites, req.environment
            );
            audit::record(
                &mut tx,
                actor,
                "root.cml.issue",
                Some(&claims.org_id),
                Some(&detail),
            )
            .await?;
            Ok(())
        })?;
        Ok(IssuedCml {
            id,
            license_id: claims.license_id,
            org_id: claims.org_id,
            kid,
            valid_until: claims.valid_until,
            cml: jws,
        })
    }

    /// Issues a new CML for an org that has one, keeping its org key and terms unless given.
    pub async fn refresh_cml(&self, req: &RefreshCml, actor: &Actor) -> Result<IssuedCml, Problem> {
        let latest = self
            .org_cmls(&req.org_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Problem::not_found(format!("no CML issued for org {:?}", req.org_id)))?;
        let c = &latest.claims;
        let days = (c.valid_until - c.issued_at).div_euclid(86_400).max(1) as u32;
        self.issue_cml(
            &IssueCml {
                org_id: c.org_id.clone(),
                org_key: serde_json::to_value(&c.org_key).map_err(Problem::internal)?,
                max_sites: req.max_sites.unwrap_or(c.max_sites),
                valid_days: req.valid_days.unwrap_or(days),
                feature_packs: req
                    .feature_packs
                    .clone()
                    .unwrap_or_else(|| c.feature_packs.clone()),
                environment: c.key_type,
                grace_days: Some(req.grace_days.unwrap_or(c.grace_days)),
            },
            actor,
        )
        .await
    }

    /// The CMLs issued to an org, newest first, verified with this Root's keys.
    pub async fn org_cmls(&self, org_id: &str) -> Result<Vec<VerifiedCml>, Problem> {
        let roots: Vec<TrustedRoot> = self.public_keys().await?.into_iter().map(|r| r.0).collect();
        let policy = EnvironmentPolicy {
            environment: Environment::Prod,
            accept_other: true,
        };
        let rows =
            sqlx::query("SELECT jws FROM root_cmls WHERE org_id = $1 ORDER BY issued_at DESC, id")
                .bind(org_id)
                .fetch_all(&self.db.pool)
                .await?;
        rows.iter()
            .map(|r| Ok(verify_cml(&roots, policy, &r.try_get::<String, _>(0)?)?))
            .collect()
    }

    /// Receives a manifest: verifies it with the org key of a CML this Root issued to
    /// `org_id` (signature, org id, CML binding, totals), checks its period (started, and
    /// within the CML's life), and records it. Rejections are 4xx problems with core's code.
    pub async fn receive_manifest(&self, d: &ManifestDelivery) -> Result<Receipt, Problem> {
        let cmls = self.org_cmls(&d.org_id).await?;
        if cmls.is_empty() {
            return Err(Problem::new(
                axum::http::StatusCode::NOT_FOUND,
                "unknown-org",
                "Unknown org",
                format!("this Root issued no CML to org {:?}", d.org_id),
            ));
        }
        let mut verified = None;
        let mut first_err = None;
        for cml in &cmls {
            match verify_manifest(cml, &d.manifest) {
                Ok(m) => {
                    verified = Some((cml, m));
                    break;
                }
                Err(e) => {
                    // A binding to another of the org's CMLs is expected while searching; any
                    // other failure is the more useful error.
                    let better = first_err.as_ref().is_none_or(|f: &hwf_license::Error| {
                        f.code() == ErrorCode::BindingMismatch
                    });
                    if better {
                        first_err = Some(e);
                    }
                }
            }
        }
        let Some((cml, m)) = verified else {
            return Err(Problem::license(
                &first_err.unwrap_or(hwf_license::Error::ManifestInvalid("no CML")),
            ));
        };
        let claims = &m.claims;
        let t = now();
        crate::manifest_period(&cml.claims, &claims.period, t)?;
        let duplicate = write_tx!(&self.db, |tx| {
            let r = sqlx::query(
                "INSERT INTO root_manifests (id, org_id, cml_id, period, received_at, jws, \
                 total_active_sites, ledger_length) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(&m.id)
            .bind(&claims.org_id)
            .bind(&cml.id)
            .bind(&claims.period)
            .bind(t)
            .bind(&d.manifest)
            .bind(i64::from(claims.stats.total_active_sites))
            .bind(claims.ledger_length as i64)
            .execute(&mut *tx)
            .await?;
            let duplicate = r.rows_affected() == 0;
            if !duplicate {
                let actor = Actor {
                    name: format!("org:{}", claims.org_id),
                    ..Default::default()
                };
                audit::record(
                    &mut tx,
                    &actor,
                    "root.manifest.receive",
                    Some(&m.id),
                    Some(&claims.period),
                )
                .await?;
            }
            Ok(duplicate)
        })?;
        let received_at: i64 = sqlx::query("SELECT received_at FROM root_manifests WHERE id = $1")
            .bind(&m.id)
            .fetch_one(&self.db.pool)
            .await?
            .try_get(0)?;
        Ok(Receipt {
            id: m.id.clone(),
            org_id: claims.org_id.clone(),
            period: claims.period.clone(),
            cml_id: cml.id.clone(),
            total_active_sites: claims.stats.total_active_sites,
            received_at,
            duplicate,
        })
    }

    /// Compliance of every org this Root issued a CML to.
    pub async fn compliance(&self) -> Result<Vec<Compliance>, Problem> {
        let orgs = sqlx::query("SELECT DISTINCT org_id FROM root_cmls ORDER BY org_id")
            .fetch_all(&self.db.pool)
            .await?;
        let t = now();
        let (y, m) = {
            let p = period_of(t);
            (
                p[..4].parse::<i32>().unwrap_or(1970),
                p[5..].parse::<i32>().unwrap_or(1),
            )
        };
        let previous = if m == 1 {
            format!("{:04}-12", y - 1)
        } else {
            format!("{y:04}-{:02}", m - 1)
        };
        let this_month_start = hwf_license::time::period_bounds(&period_of(t))
            .map(|b| b.0)
            .unwrap_or(0);
        let mut out = Vec::new();
        for o in &orgs {
            let org: String = o.try_get(0)?;
            let c: AnyRow = sqlx::query(
                "SELECT id, license_id, max_sites, valid_until FROM root_cmls WHERE org_id = $1 \
                 ORDER BY issued_at DESC, id LIMIT 1",
            )
            .bind(&org)
            .fetch_one(&self.db.pool)
            .await?;
            let last = sqlx::query(
                "SELECT period, received_at, total_active_sites FROM root_manifests \
                 WHERE org_id = $1 ORDER BY period DESC, received_at DESC LIMIT 1",
            )
            .bind(&org)
            .fetch_optional(&self.db.pool)
            .await?;
            let first_issued: i64 =
                sqlx::query("SELECT min(issued_at) FROM root_cmls WHERE org_id = $1")
                    .bind(&org)
                    .fetch_one(&self.db.pool)
                    .await?
                    .try_get(0)?;
            let valid_until: i64 = c.try_get(3)?;
            let max_sites: i64 = c.try_get(2)?;
            let (period, at, active) = match &last {
                Some(r) => (
                    Some(r.try_get::<String, _>(0)?),
                    Some(r.try_get::<i64, _>(1)?),
                    Some(r.try_get::<i64, _>(2)?),
                ),
                None => (None, None, None),
            };
            out.push(Compliance {
                org_id: org,
                cml_id: c.try_get(0)?,
                cml_license_id: c.try_get(1)?,
                max_sites,
                cml_valid_until: valid_until,
                cml_status: if t >= valid_until {
                    "expired".into()
                } else if valid_until - t <= crate::hub::EXPIRING_DAYS * 86_400 {
                    "expiring".into()
                } else {
                    "active".into()
                },
                over_limit: active.is_some_and(|a| a > max_sites),
                // A manifest for last month is due once the org held a CML before this month.
                manifest_overdue: first_issued < this_month_start
                    && period.as_deref().is_none_or(|p| p < previous.as_str()),
                last_manifest_period: period,
                last_manifest_at: at,
                last_active_sites: active,
            });
        }
        Ok(out)
    }
}
