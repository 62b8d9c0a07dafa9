//! The Root (A-Stack): holds the root keys (one active per environment, sealed at rest), issues
//! and refreshes CMLs, receives monthly usage manifests (verified with the org key of a CML it
//! issued, checked for period and CML binding, then recorded) and reports compliance per org.

use hwf_license::{
    issue, verify_cml, verify_manifest, CmlClaims, Environment, EnvironmentPolicy, ErrorCode,
    PublicKey, ReceiptClaims, ReceiptKeyClaims, SigningKey, TrustedRoot, VerifiedCml,
};
use serde::{Deserialize, Serialize};

use super::audit::{self, Actor};
use super::clock::SharedClock;
use super::keys::{random_id, Sealer};
use super::ServiceError;
use crate::domain::{compliance, EnvironmentName};
use crate::store::{
    hub_state, receipt_keys, root_cmls, root_keys, root_manifests, secrets, trusted_roots,
    write_tx, Db,
};

/// How long a receipt key certificate is valid.
pub const RECEIPT_KEY_DAYS: i64 = 400;
/// A receipt key whose certificate ends within this many days is replaced by a new one.
pub const RECEIPT_KEY_RENEW_DAYS: i64 = 30;

/// The Root service.
pub struct Root {
    db: Db,
    sealer: Sealer,
    clock: SharedClock,
    cpu: super::cpu::CpuPool,
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
    pub environment: EnvironmentName,
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

/// The Root's receipt for a manifest: what it recorded, and the signed receipt (core's
/// `hwf-receipt+jws`, signed by the Root's receipt key) with the certificate the root key signed
/// for that key, which the Hub verifies before it marks the manifest `sent`.
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
    /// The signed receipt (compact JWS, `hwf-receipt+jws`): org, manifest id, period,
    /// `received_at` (the first time it was recorded, so a resend gets the same receipt).
    pub receipt: String,
    /// The receipt key certificate (compact JWS, `hwf-receipt-key+jws`) signed by the root key
    /// of the CML's environment.
    pub receipt_key_certificate: String,
}

/// Compliance of one org in one environment (dev and prod CMLs are reported apart).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Compliance {
    /// Org.
    pub org_id: String,
    /// `dev` or `prod`: the environment of the CMLs and manifests this entry reports.
    pub environment: EnvironmentName,
    /// The newest CML's id.
    pub cml_id: String,
    /// Its license id.
    pub cml_license_id: String,
    /// Its site limit.
    pub max_sites: i64,
    /// Its expiry.
    pub cml_valid_until: i64,
    /// Core's standing of the newest CML at the Root's clock: `valid`, `expiring`, `grace` or
    /// `expired`.
    pub cml_status: String,
    /// Days left until its `valid_until` (valid, expiring) or the end of grace (grace); absent
    /// when expired.
    pub cml_days_left: Option<u32>,
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

/// How long (seconds) a CML shown before signing ([`Root::draft_cml`]) may wait for its
/// confirmation.
pub const DRAFT_TTL: i64 = 15 * 60;

/// What fixes a drafted CML between its preview and its confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftId {
    /// The license id chosen when it was first drafted.
    pub license_id: String,
    /// Its issue time.
    pub issued_at: i64,
}

/// The policy the Root reads its own CMLs with: either environment (each is checked against
/// the root key that signed it).
fn any_environment() -> EnvironmentPolicy {
    EnvironmentPolicy {
        environment: Environment::Prod,
        accept_other: true,
    }
}

/// A root public key and whether new CMLs are signed with it.
#[derive(Clone, Debug)]
pub struct RootPublicKey {
    /// The key as a trusted root.
    pub root: TrustedRoot,
    /// Whether it is its environment's active key.
    pub active: bool,
}

fn key_name(kid: &str) -> String {
    format!("root:{kid}")
}

fn receipt_key_name(kid: &str) -> String {
    format!("root:receipt:{kid}")
}

/// Reads an org key: a JWK object, or a PEM / JWK JSON string, with core's strict readers.
fn org_key_from(value: &serde_json::Value) -> Result<PublicKey, ServiceError> {
    let key = match value {
        serde_json::Value::String(s) => PublicKey::from_pem_or_jwk(s),
        serde_json::Value::Object(_) => PublicKey::from_jwk_json(&value.to_string()),
        _ => {
            return Err(ServiceError::Invalid(
                "org_key must be a JWK object or a PEM string".into(),
            ))
        }
    };
    Ok(key?)
}

impl Root {
    /// Opens the Root on `db`; generates a root key for each environment that has none. Two
    /// processes starting on one empty database generate one key per environment between
    /// them: the check and the insert run in one serialised write transaction.
    pub async fn open(db: Db, sealer: Sealer, clock: SharedClock) -> Result<Self, ServiceError> {
        let root = Self {
            db,
            sealer,
            clock,
            cpu: super::cpu::CpuPool::default(),
        };
        for env in [Environment::Prod, Environment::Dev] {
            if root.active_key(env).await?.is_none() {
                if let Some((kid, _)) = root.new_key(env, true).await? {
                    tracing::info!(kid, environment = env.as_str(), "generated a root key");
                }
            }
            root.receipt_key(env).await?;
        }
        Ok(root)
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Runs the manifest verifications on `cpu` (shared with the Hub in one process).
    pub fn with_cpu_pool(mut self, cpu: super::cpu::CpuPool) -> Self {
        self.cpu = cpu;
        self
    }

    /// The active key of `env` and its kid.
    pub async fn active_key(
        &self,
        env: Environment,
    ) -> Result<Option<(String, SigningKey)>, ServiceError> {
        let Some(kid) = root_keys::active_kid(&mut *self.db.conn().await?, env.as_str()).await?
        else {
            return Ok(None);
        };
        let key = self
            .sealer
            .load_key(&self.db, &key_name(&kid))
            .await?
            .ok_or_else(|| ServiceError::internal("root key row without its sealed key"))?;
        Ok(Some((kid, key)))
    }

    /// Generates a new active root key for `env` (older keys stay trusted for verification) and
    /// publishes its public half to this database's trusted roots (for a Hub in the same
    /// process). Returns the kid and public key.
    pub async fn rotate_key(&self, env: Environment) -> Result<(String, PublicKey), ServiceError> {
        self.new_key(env, false)
            .await?
            .ok_or_else(|| ServiceError::internal("root key rotation skipped"))
    }

    /// Generates and activates a root key for `env` (its sealed key, its `root_keys` row and
    /// its trusted-root row in one transaction). With `only_if_none`, does nothing and answers
    /// `None` when `env` already has an active key (another process created it first).
    async fn new_key(
        &self,
        env: Environment,
        only_if_none: bool,
    ) -> Result<Option<(String, PublicKey)>, ServiceError> {
        let key = SigningKey::generate()?;
        let kid = format!(
            "root-{}-{}",
            env.as_str(),
            &key.public_key().thumbprint()[..12]
        );
        let t = self.now();
        let created = write_tx!(&self.db, ServiceError, |tx| {
            hub_state::lock(&self.db, &mut tx).await?;
            if only_if_none
                && root_keys::active_kid(&mut tx, env.as_str())
                    .await?
                    .is_some()
            {
                return Ok(false);
            }
            self.sealer
                .store_key(&mut tx, &key_name(&kid), &key, t)
                .await?;
            root_keys::activate(&mut tx, &kid, env.as_str(), t).await?;
            trusted_roots::put(&mut tx, &kid, env.as_str(), &key.public_key().to_pem(), t).await?;
            Ok(true)
        })?;
        Ok(created.then(|| (kid, key.public_key().clone())))
    }

    /// The receipt key of `env` and its certificate: the current one, or — when there is none
    /// or its certificate ends within [`RECEIPT_KEY_RENEW_DAYS`] days — a new key, sealed like
    /// the root keys, certified by `env`'s active root key for [`RECEIPT_KEY_DAYS`] days. Two
    /// processes renewing at once create one key between them (one serialised transaction).
    pub async fn receipt_key(
        &self,
        env: Environment,
    ) -> Result<(SigningKey, String), ServiceError> {
        let t = self.now();
        let renew_after = t + RECEIPT_KEY_RENEW_DAYS * 86_400;
        if let Some(row) =
            receipt_keys::current(&mut *self.db.conn().await?, env.as_str(), renew_after).await?
        {
            return self.open_receipt_key(row).await;
        }
        let (root_kid, root_key) = self
            .active_key(env)
            .await?
            .ok_or(ServiceError::NoRootKey(env))?;
        let key = SigningKey::generate()?;
        let certificate = issue::sign_receipt_key(
            &root_key,
            &root_kid,
            &ReceiptKeyClaims {
                key: key.public_key().to_jwk(),
                environment: env,
                issued_at: t,
                valid_until: t + RECEIPT_KEY_DAYS * 86_400,
                ..Default::default()
            },
        )?;
        let row = receipt_keys::ReceiptKeyRow {
            kid: key.public_key().thumbprint().into(),
            environment: env.as_str().into(),
            certificate,
            valid_until: t + RECEIPT_KEY_DAYS * 86_400,
        };
        let stored = write_tx!(&self.db, ServiceError, |tx| {
            hub_state::lock(&self.db, &mut tx).await?;
            if let Some(other) = receipt_keys::current(&mut tx, env.as_str(), renew_after).await? {
                return Ok(other);
            }
            self.sealer
                .store_key(&mut tx, &receipt_key_name(&row.kid), &key, t)
                .await?;
            receipt_keys::insert(&mut tx, &row, t).await?;
            Ok(row.clone())
        })?;
        if stored.kid == row.kid {
            tracing::info!(
                kid = row.kid,
                environment = env.as_str(),
                "generated a receipt key"
            );
            return Ok((key, stored.certificate));
        }
        self.open_receipt_key(stored).await
    }

    async fn open_receipt_key(
        &self,
        row: receipt_keys::ReceiptKeyRow,
    ) -> Result<(SigningKey, String), ServiceError> {
        let key = self
            .sealer
            .load_key(&self.db, &receipt_key_name(&row.kid))
            .await?
            .ok_or_else(|| ServiceError::internal("receipt key row without its sealed key"))?;
        Ok((key, row.certificate))
    }

    /// Every root public key (active and retired).
    pub async fn public_keys(&self) -> Result<Vec<RootPublicKey>, ServiceError> {
        let mut c = self.db.conn().await?;
        let mut out = Vec::new();
        for (kid, env, active) in root_keys::all(&mut c).await? {
            let pem = secrets::public_pem(&mut c, &key_name(&kid))
                .await?
                .ok_or_else(|| ServiceError::internal("root key row without its public key"))?;
            out.push(RootPublicKey {
                root: TrustedRoot::new(kid, Environment::parse(&env)?, PublicKey::from_pem(&pem)?),
                active,
            });
        }
        Ok(out)
    }

    /// Issues a CML for an org: [`Root::draft_cml`] then [`Root::sign_draft`].
    pub async fn issue_cml(
        &self,
        req: &IssueCml,
        actor: &Actor,
    ) -> Result<IssuedCml, ServiceError> {
        let draft = self.draft_cml(req, None).await?;
        self.sign_draft(&draft, actor).await
    }

    /// The exact payload a CML for `req` would be signed with, checked by core, without signing
    /// it: a new license id and the Root's clock as its issue time, or — to confirm a draft shown
    /// before — `id`'s, when its issue time is within [`DRAFT_TTL`] seconds of now. The payload
    /// names the active root key of `req`'s environment (`issued_by`).
    pub async fn draft_cml(
        &self,
        req: &IssueCml,
        id: Option<&DraftId>,
    ) -> Result<CmlClaims, ServiceError> {
        let org_key = org_key_from(&req.org_key)?;
        crate::domain::inputs::valid_days(req.valid_days)?;
        let environment: Environment = req.environment.into();
        let kid = root_keys::active_kid(&mut *self.db.conn().await?, environment.as_str())
            .await?
            .ok_or(ServiceError::NoRootKey(environment))?;
        let t = self.now();
        let (license_id, issued_at) = match id {
            None => (random_id("cml-"), t),
            Some(d) => {
                if d.issued_at > t + 60 || d.issued_at < t - DRAFT_TTL {
                    return Err(ServiceError::Invalid(format!(
                        "this preview is older than {} minutes; preview the CML again",
                        DRAFT_TTL / 60
                    )));
                }
                (d.license_id.clone(), d.issued_at)
            }
        };
        let claims = CmlClaims {
            license_id,
            org_id: req.org_id.clone(),
            max_sites: req.max_sites,
            issued_at,
            valid_until: issued_at + i64::from(req.valid_days) * 86_400,
            feature_packs: req.feature_packs.clone(),
            key_type: environment,
            org_key: org_key.to_jwk(),
            grace_days: req.grace_days.unwrap_or(hwf_license::DEFAULT_GRACE_DAYS),
            ..Default::default()
        };
        Ok(issue::cml_payload(&kid, &claims)?)
    }

    /// Signs `draft` (a [`Root::draft_cml`] payload) with the active root key it names and
    /// records it. The key must still be its environment's active one; a draft whose license id
    /// was already issued answers that CML again when it is the same payload (a confirmation
    /// sent twice signs once), else is refused.
    pub async fn sign_draft(
        &self,
        draft: &CmlClaims,
        actor: &Actor,
    ) -> Result<IssuedCml, ServiceError> {
        let environment = draft.key_type;
        let (kid, key) = self
            .active_key(environment)
            .await?
            .ok_or(ServiceError::NoRootKey(environment))?;
        if kid != draft.issued_by {
            return Err(ServiceError::Invalid(format!(
                "the {environment} root key changed since the preview; preview the CML again"
            )));
        }
        if let Some(jws) =
            root_cmls::jws_of_license(&mut *self.db.conn().await?, &draft.license_id).await?
        {
            let roots: Vec<TrustedRoot> = self
                .public_keys()
                .await?
                .into_iter()
                .map(|k| k.root)
                .collect();
            let v = verify_cml(&roots, any_environment(), &jws)?;
            if v.claims != *draft {
                return Err(ServiceError::Invalid(
                    "a CML with this license id was already issued with other terms".into(),
                ));
            }
            return Ok(IssuedCml {
                id: v.id,
                license_id: v.claims.license_id,
                org_id: v.claims.org_id,
                kid,
                valid_until: v.claims.valid_until,
                cml: jws,
            });
        }
        let t = self.now();
        let claims = draft;
        let jws = issue::sign_cml(&key, &kid, claims)?;
        let id = hwf_license::document_id(&jws)?;
        let row = root_cmls::IssuedRow {
            id: id.clone(),
            org_id: claims.org_id.clone(),
            license_id: claims.license_id.clone(),
            jws: jws.clone(),
            environment: environment.as_str().into(),
            max_sites: i64::from(claims.max_sites),
            issued_at: claims.issued_at,
            valid_until: claims.valid_until,
        };
        write_tx!(&self.db, ServiceError, |tx| {
            root_cmls::insert(&mut tx, &row).await?;
            let detail = format!(
                "license_id={} max_sites={} env={}",
                claims.license_id, claims.max_sites, environment
            );
            audit::record(
                &mut tx,
                t,
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
            license_id: claims.license_id.clone(),
            org_id: claims.org_id.clone(),
            kid,
            valid_until: claims.valid_until,
            cml: jws,
        })
    }

    /// Issues a new CML for an org that has one, keeping its org key and terms unless given.
    pub async fn refresh_cml(
        &self,
        req: &RefreshCml,
        actor: &Actor,
    ) -> Result<IssuedCml, ServiceError> {
        let issue = self.refresh_request(req).await?;
        self.issue_cml(&issue, actor).await
    }

    /// The issue request a refresh stands for: the org's newest CML's org key, environment and
    /// terms, each overridden by `req` where given.
    pub async fn refresh_request(&self, req: &RefreshCml) -> Result<IssueCml, ServiceError> {
        let latest = self
            .org_cmls(&req.org_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                ServiceError::NotFound(format!("no CML issued for org {:?}", req.org_id))
            })?;
        let c = &latest.claims;
        let days = (c.valid_until - c.issued_at).div_euclid(86_400).max(1) as u32;
        Ok(IssueCml {
            org_id: c.org_id.clone(),
            org_key: serde_json::Value::String(latest.org_key.to_pem()),
            max_sites: req.max_sites.unwrap_or(c.max_sites),
            valid_days: req.valid_days.unwrap_or(days),
            feature_packs: req
                .feature_packs
                .clone()
                .unwrap_or_else(|| c.feature_packs.clone()),
            environment: c.key_type.into(),
            grace_days: Some(req.grace_days.unwrap_or(c.grace_days)),
        })
    }

    /// The CMLs issued to an org, newest first, verified with this Root's keys.
    pub async fn org_cmls(&self, org_id: &str) -> Result<Vec<VerifiedCml>, ServiceError> {
        let roots: Vec<TrustedRoot> = self
            .public_keys()
            .await?
            .into_iter()
            .map(|k| k.root)
            .collect();
        root_cmls::jws_of_org(&mut *self.db.conn().await?, org_id)
            .await?
            .iter()
            .map(|jws| Ok(verify_cml(&roots, any_environment(), jws)?))
            .collect()
    }

    /// Receives a manifest: verifies it with the org key of a CML this Root issued to
    /// `org_id` (signature, org id, CML binding, totals), checks its period (started, and
    /// within the CML's life), records it, and answers a receipt signed by the receipt key of
    /// the CML's environment. A manifest that does not verify up to its signature, and one of an
    /// org this Root never issued a CML to, get one answer ([`ServiceError::ManifestUnverified`]);
    /// later rejections carry core's code. A manifest that came by mail or by hand is received
    /// the same way (`hwf-license manifest receive`) and gets the same receipt.
    pub async fn receive_manifest(&self, d: &ManifestDelivery) -> Result<Receipt, ServiceError> {
        let cmls = self.org_cmls(&d.org_id).await?;
        if cmls.is_empty() {
            // The same answer as a manifest the org's key did not sign: no org enumeration.
            return Err(ServiceError::ManifestUnverified);
        }
        let manifest = d.manifest.clone();
        let (cmls, found) = self
            .cpu
            .run(move || {
                let found = first_verified(&cmls, &manifest);
                (cmls, found)
            })
            .await?;
        // Until the org's key has signed it, a manifest learns nothing about the org (its
        // CMLs, their keys): every failure up to the signature is one answer, the one an
        // unknown org gets. After it, core's code helps the org's own Hub.
        let (i, m) = found.map_err(|e| {
            if unverified_code(e.code()) {
                ServiceError::ManifestUnverified
            } else {
                e.into()
            }
        })?;
        let cml = &cmls[i];
        let claims = &m.claims;
        let t = self.now();
        super::error::manifest_period(&cml.claims, &claims.period, t)?;
        let (receipt_key, receipt_key_certificate) = self.receipt_key(cml.claims.key_type).await?;
        let sign_at = |received_at: i64| {
            issue::sign_receipt(
                &receipt_key,
                &ReceiptClaims {
                    org_id: claims.org_id.clone(),
                    manifest: m.id.clone(),
                    period: claims.period.clone(),
                    received_at,
                    ..Default::default()
                },
            )
        };
        let row = root_manifests::ReceivedRow {
            id: m.id.clone(),
            org_id: claims.org_id.clone(),
            cml_id: cml.id.clone(),
            period: claims.period.clone(),
            received_at: t,
            jws: d.manifest.clone(),
            total_active_sites: i64::from(claims.stats.total_active_sites),
            ledger_length: claims.ledger_length as i64,
            receipt: Some(sign_at(t)?),
            receipt_key_certificate: Some(receipt_key_certificate.clone()),
        };
        let duplicate = write_tx!(&self.db, ServiceError, |tx| {
            let duplicate = !root_manifests::insert_new(&mut tx, &row).await?;
            if !duplicate {
                let actor = Actor {
                    name: format!("org:{}", claims.org_id),
                    ..Default::default()
                };
                audit::record(
                    &mut tx,
                    t,
                    &actor,
                    "root.manifest.receive",
                    Some(&m.id),
                    Some(&claims.period),
                )
                .await?;
            }
            Ok(duplicate)
        })?;
        // A resend gets the receipt kept with the first delivery (a row received before
        // receipts were kept gets one signed now for its first reception time).
        let stored = root_manifests::get_row(&mut *self.db.conn().await?, &m.id)
            .await?
            .ok_or_else(|| ServiceError::internal("received manifest vanished"))?;
        let received_at = stored.received_at;
        let (receipt, receipt_key_certificate) =
            match (stored.receipt, stored.receipt_key_certificate) {
                (Some(r), Some(c)) => (r, c),
                _ => (sign_at(received_at)?, receipt_key_certificate),
            };
        Ok(Receipt {
            id: m.id.clone(),
            org_id: claims.org_id.clone(),
            period: claims.period.clone(),
            cml_id: cml.id.clone(),
            total_active_sites: claims.stats.total_active_sites,
            received_at,
            duplicate,
            receipt,
            receipt_key_certificate,
        })
    }

    /// Compliance of every org this Root issued a CML to, one entry per environment (newest
    /// CML and newest manifest of that environment), at the Root's clock.
    pub async fn compliance(&self) -> Result<Vec<Compliance>, ServiceError> {
        let orgs = root_cmls::orgs_page(&mut *self.db.conn().await?, 0, i64::MAX).await?;
        self.compliance_of(&orgs).await
    }

    /// Compliance of `orgs` (each org's environments, in order).
    pub async fn compliance_of(&self, orgs: &[String]) -> Result<Vec<Compliance>, ServiceError> {
        let t = self.now();
        let roots = self.trusted_roots().await?;
        let mut c = self.db.conn().await?;
        let mut out = Vec::new();
        for org in orgs {
            for env in root_cmls::environments_of(&mut c, org).await? {
                let newest = root_cmls::newest(&mut c, org, &env)
                    .await?
                    .ok_or_else(|| ServiceError::internal("org without a CML"))?;
                // The standing is read from the signed CML, verified by core.
                let verified = verify_cml(&roots, any_environment(), &newest.jws)
                    .map_err(|_| ServiceError::internal("newest CML does not verify"))?;
                let standing = hwf_license::cml_standing(&verified.claims, t);
                let last = root_manifests::newest(&mut c, org, &env).await?;
                let (period, at, active) = match last {
                    Some((p, at, n)) => (Some(p), Some(at), Some(n)),
                    None => (None, None, None),
                };
                out.push(Compliance {
                    org_id: org.clone(),
                    environment: Environment::parse(&env)?.into(),
                    cml_id: newest.id,
                    cml_license_id: newest.license_id,
                    max_sites: newest.max_sites,
                    cml_valid_until: newest.valid_until,
                    cml_status: standing.as_str().into(),
                    cml_days_left: standing.days_left(),
                    over_limit: compliance::over_limit(active, newest.max_sites),
                    manifest_overdue: compliance::manifest_overdue(
                        newest.first_issued_at,
                        period.as_deref(),
                        t,
                    ),
                    last_manifest_period: period,
                    last_manifest_at: at,
                    last_active_sites: active,
                });
            }
        }
        Ok(out)
    }

    /// One page of [`Root::compliance`]: at most `limit` orgs (by id) from `offset`, and how
    /// many orgs there are.
    pub async fn compliance_page(
        &self,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<Compliance>, i64), ServiceError> {
        let (orgs, total) = {
            let mut c = self.db.conn().await?;
            let orgs =
                root_cmls::orgs_page(&mut c, i64::from(offset), i64::from(limit.min(500))).await?;
            (orgs, root_cmls::org_count(&mut c).await?)
        };
        Ok((self.compliance_of(&orgs).await?, total))
    }

    /// The root public keys as trusted roots.
    async fn trusted_roots(&self) -> Result<Vec<TrustedRoot>, ServiceError> {
        Ok(self
            .public_keys()
            .await?
            .into_iter()
            .map(|k| k.root)
            .collect())
    }

    /// One org as the Root sees it: its compliance per environment, every CML issued to it
    /// (newest first, verified by core, with its standing at the Root's clock) and its newest
    /// [`ORG_MANIFESTS`] received manifests. [`ServiceError::UnknownOrg`] when this Root issued
    /// it no CML.
    pub async fn org(&self, org_id: &str) -> Result<OrgView, ServiceError> {
        let cmls = self.org_cmls(org_id).await?;
        if cmls.is_empty() {
            return Err(ServiceError::UnknownOrg(org_id.to_string()));
        }
        let compliance = self.compliance_of(&[org_id.to_string()]).await?;
        let t = self.now();
        let current: Vec<&str> = compliance.iter().map(|c| c.cml_id.as_str()).collect();
        let cmls = cmls
            .iter()
            .map(|v| {
                let standing = hwf_license::cml_standing(&v.claims, t);
                CmlSummary {
                    id: v.id.clone(),
                    license_id: v.claims.license_id.clone(),
                    environment: v.claims.key_type.into(),
                    kid: v.claims.issued_by.clone(),
                    max_sites: v.claims.max_sites,
                    issued_at: v.claims.issued_at,
                    valid_until: v.claims.valid_until,
                    grace_days: v.claims.grace_days,
                    feature_packs: v.claims.feature_packs.clone(),
                    status: standing.as_str().into(),
                    days_left: standing.days_left(),
                    current: current.contains(&v.id.as_str()),
                    org_key_thumbprint: v.org_key.thumbprint().into(),
                }
            })
            .collect();
        let (manifests, manifest_count) = self
            .received_manifests(Some(org_id), 0, ORG_MANIFESTS)
            .await?;
        Ok(OrgView {
            org_id: org_id.to_string(),
            compliance,
            cmls,
            manifests,
            manifest_count,
        })
    }

    /// At most `limit` (capped at 500) received manifests, of `org_id` or of every org, newest
    /// received first, from `offset`; and how many there are. Each was verified when it was
    /// received (a manifest that does not verify is refused, never recorded).
    pub async fn received_manifests(
        &self,
        org_id: Option<&str>,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<ReceivedManifest>, i64), ServiceError> {
        let mut c = self.db.conn().await?;
        let rows =
            root_manifests::page(&mut c, org_id, i64::from(offset), i64::from(limit.min(500)))
                .await?;
        let total = root_manifests::count(&mut c, org_id).await?;
        Ok((
            rows.into_iter().map(ReceivedManifest::from).collect(),
            total,
        ))
    }

    /// Received manifest `id` checked again now by core under the CML it is bound to and this
    /// Root's keys: the result (verified, or core's code and reason), its claims as JSON, and
    /// whether its receipt is kept.
    pub async fn manifest_check(&self, id: &str) -> Result<ManifestCheck, ServiceError> {
        let row = root_manifests::get_row(&mut *self.db.conn().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("manifest {id}")))?;
        let cmls = self.org_cmls(&row.org_id).await?;
        let jws = row.jws.clone();
        let cml_id = row.cml_id.clone();
        let (verification, claims) = self
            .cpu
            .run(move || {
                let Some(cml) = cmls.iter().find(|c| c.id == cml_id) else {
                    return (Err("its CML is not among the org's CMLs".to_string()), None);
                };
                match verify_manifest(cml, &jws) {
                    Ok(m) => (Ok(()), serde_json::to_string_pretty(&m.claims).ok()),
                    Err(e) => (
                        Err(format!(
                            "{e} (code {}, {})",
                            e.code().code(),
                            e.code().name()
                        )),
                        None,
                    ),
                }
            })
            .await?;
        Ok(ManifestCheck {
            has_receipt: row.receipt.is_some(),
            manifest: ReceivedManifest::from(row),
            verification,
            claims_json: claims,
        })
    }

    /// The receipt the Root answered for manifest `id` and its key certificate, as the Hub
    /// received them (`None` for a manifest received before receipts were kept).
    pub async fn receipt_of(&self, id: &str) -> Result<Option<KeptReceipt>, ServiceError> {
        let row = root_manifests::get_row(&mut *self.db.conn().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("manifest {id}")))?;
        Ok(match (row.receipt, row.receipt_key_certificate) {
            (Some(receipt), Some(receipt_key_certificate)) => Some(KeptReceipt {
                manifest: row.id,
                org_id: row.org_id,
                period: row.period,
                received_at: row.received_at,
                receipt,
                receipt_key_certificate,
            }),
            _ => None,
        })
    }

    /// The root keys with their fingerprints: the kid, the RFC 7638 JWK thumbprint (what
    /// docs/FORMAT.md names key ids by), and the SHA-256 of the key's SubjectPublicKeyInfo DER
    /// (what `openssl pkey -pubin -outform DER | sha256sum` prints), oldest first.
    pub async fn key_fingerprints(&self) -> Result<Vec<RootKeyInfo>, ServiceError> {
        use base64::Engine;
        use sha2::Digest;
        self.public_keys()
            .await?
            .into_iter()
            .map(|k| {
                let pem = k.root.key.to_pem();
                let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(body.trim())
                    .map_err(|_| ServiceError::internal("root key PEM does not decode"))?;
                let spki = sha2::Sha256::digest(&der)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":");
                Ok(RootKeyInfo {
                    kid: k.root.kid.to_string(),
                    environment: k.root.environment.into(),
                    active: k.active,
                    thumbprint: k.root.key.thumbprint().to_string(),
                    spki_sha256: spki,
                    public_key_pem: pem,
                })
            })
            .collect()
    }
}

/// How many received manifests an org's page lists.
pub const ORG_MANIFESTS: u32 = 60;

/// One CML the Root issued, as its pages show it.
#[derive(Clone, Debug, Serialize)]
pub struct CmlSummary {
    /// Document id.
    pub id: String,
    /// License id.
    pub license_id: String,
    /// Its environment.
    pub environment: EnvironmentName,
    /// The root key that signed it.
    pub kid: String,
    /// Site limit.
    pub max_sites: u32,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Valid until (unix seconds).
    pub valid_until: i64,
    /// Grace days after it.
    pub grace_days: u32,
    /// Feature packs.
    pub feature_packs: Vec<String>,
    /// Core's standing at the Root's clock (`valid`, `expiring`, `grace`, `expired`).
    pub status: String,
    /// Days left (see [`Compliance::cml_days_left`]).
    pub days_left: Option<u32>,
    /// The newest CML of its environment (the one compliance reports).
    pub current: bool,
    /// The org key's RFC 7638 thumbprint.
    pub org_key_thumbprint: String,
}

/// One org: compliance per environment, its CMLs, its newest received manifests.
#[derive(Clone, Debug, Serialize)]
pub struct OrgView {
    /// Org.
    pub org_id: String,
    /// One entry per environment.
    pub compliance: Vec<Compliance>,
    /// Every CML issued to it, newest first.
    pub cmls: Vec<CmlSummary>,
    /// Its newest [`ORG_MANIFESTS`] received manifests.
    pub manifests: Vec<ReceivedManifest>,
    /// How many it sent in all.
    pub manifest_count: i64,
}

/// A received manifest (each was verified when received).
#[derive(Clone, Debug, Serialize)]
pub struct ReceivedManifest {
    /// Document id.
    pub id: String,
    /// Org.
    pub org_id: String,
    /// The CML it is bound to.
    pub cml_id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// When it was first received.
    pub received_at: i64,
    /// Active sites it reported.
    pub total_active_sites: i64,
    /// Ledger length it reported.
    pub ledger_length: i64,
    /// Whether the receipt the Root answered is kept.
    pub has_receipt: bool,
}

impl From<root_manifests::ReceivedRow> for ReceivedManifest {
    fn from(r: root_manifests::ReceivedRow) -> Self {
        Self {
            has_receipt: r.receipt.is_some(),
            id: r.id,
            org_id: r.org_id,
            cml_id: r.cml_id,
            period: r.period,
            received_at: r.received_at,
            total_active_sites: r.total_active_sites,
            ledger_length: r.ledger_length,
        }
    }
}

/// A received manifest checked again now ([`Root::manifest_check`]).
#[derive(Clone, Debug)]
pub struct ManifestCheck {
    /// The manifest.
    pub manifest: ReceivedManifest,
    /// `Ok` when it verifies now, else why not (core's message and code).
    pub verification: Result<(), String>,
    /// Its verified claims, pretty JSON (when it verifies).
    pub claims_json: Option<String>,
    /// Whether its receipt is kept.
    pub has_receipt: bool,
}

/// The receipt kept for a manifest: what the Hub received.
#[derive(Clone, Debug, Serialize)]
pub struct KeptReceipt {
    /// Manifest document id.
    pub manifest: String,
    /// Org.
    pub org_id: String,
    /// Period.
    pub period: String,
    /// First received (unix seconds).
    pub received_at: i64,
    /// The signed receipt (compact JWS, `hwf-receipt+jws`).
    pub receipt: String,
    /// The receipt key's certificate (compact JWS, `hwf-receipt-key+jws`).
    pub receipt_key_certificate: String,
}

/// A root key and its fingerprints ([`Root::key_fingerprints`]).
#[derive(Clone, Debug, Serialize)]
pub struct RootKeyInfo {
    /// Key id (`root-<env>-<first 12 characters of the thumbprint>`).
    pub kid: String,
    /// Its environment.
    pub environment: EnvironmentName,
    /// Whether new CMLs of its environment are signed with it.
    pub active: bool,
    /// RFC 7638 JWK thumbprint (base64url of SHA-256).
    pub thumbprint: String,
    /// SHA-256 of the SubjectPublicKeyInfo DER, hex pairs separated by colons.
    pub spki_sha256: String,
    /// The public key, PEM.
    pub public_key_pem: String,
}

/// The first of `cmls` under which `manifest` verifies (its index), else the most useful error
/// (a binding to another of the org's CMLs is expected while searching).
fn first_verified(
    cmls: &[VerifiedCml],
    manifest: &str,
) -> Result<(usize, hwf_license::Verified<hwf_license::ManifestClaims>), hwf_license::Error> {
    let mut first_err = None;
    for (i, cml) in cmls.iter().enumerate() {
        match verify_manifest(cml, manifest) {
            Ok(m) => return Ok((i, m)),
            Err(e) => {
                let better = first_err
                    .as_ref()
                    .is_none_or(|f: &hwf_license::Error| f.code() == ErrorCode::BindingMismatch);
                if better {
                    first_err = Some(e);
                }
            }
        }
    }
    Err(first_err.unwrap_or(hwf_license::Error::ManifestInvalid("no CML")))
}

/// Core codes of the failures up to and including a manifest's signature: what anyone can
/// cause without the org's key.
fn unverified_code(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::TooLarge
            | ErrorCode::BadEncoding
            | ErrorCode::BadJws
            | ErrorCode::UnsupportedAlgorithm
            | ErrorCode::WrongDocumentType
            | ErrorCode::SignerMismatch
            | ErrorCode::BadSignature
    )
}
