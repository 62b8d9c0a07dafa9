//! The validator: trusted roots, environment policy, persisted times, applied revocation lists
//! and the cache of verified documents; it turns a `site.lic` plus node facts plus `now` into a
//! [`Verdict`] or an [`Error`].
//!
//! Order of checks (the first failure is reported): file shape → CML signature and environment
//! → site signature, org, parent binding, features → revocation → clock rollback → not yet valid
//! → expiry and grace → fingerprint.
//!
//! Caching: verified CMLs and site licenses are kept by their exact compact JWS text (signature
//! included), so a repeated validation skips only the signature checks; every rule is re-checked
//! on every call. Each cache holds at most [`CACHE_CAPACITY`] entries and is emptied when full.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::chain::{self, EnvironmentPolicy, TrustedRoot, Verified, VerifiedCml};
use crate::claims::{Environment, SiteClaims};
use crate::error::{DocKind, Error, Result};
use crate::file::{parse_license_file, LicenseFile};
use crate::fingerprint::NodeFacts;
use crate::time::{self, check_now, Standing, CLOCK_SKEW, DAY};

/// Entries per cache (CMLs and site licenses each).
pub const CACHE_CAPACITY: usize = 1024;
/// A valid license within this many days of its effective expiry carries an
/// [`Warning::ExpiresSoon`].
pub const EXPIRES_SOON_DAYS: i64 = 14;

/// Whether a license is usable, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Within its validity.
    Valid,
    /// Past its effective expiry but within the grace period: usable, with a warning.
    Grace,
}

impl Status {
    /// `"valid"` or `"grace"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Grace => "grace",
        }
    }
}

/// A warning attached to a usable license.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// The license expired and runs on its grace period.
    InGrace {
        /// Effective expiry.
        expired_at: i64,
        /// End of grace.
        grace_end: i64,
        /// Whole days left, rounded up.
        days_left: u32,
    },
    /// The license expires within [`EXPIRES_SOON_DAYS`] days.
    ExpiresSoon {
        /// Effective expiry.
        expires_at: i64,
        /// Whole days left, rounded up.
        days_left: u32,
    },
}

impl Warning {
    /// The stable name: `"in_grace"` or `"expires_soon"`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::InGrace { .. } => "in_grace",
            Self::ExpiresSoon { .. } => "expires_soon",
        }
    }
}

impl core::fmt::Display for Warning {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InGrace {
                expired_at,
                grace_end,
                days_left,
            } => write!(
                f,
                "license expired at {}; running on grace until {} ({days_left} days left)",
                time::Utc(*expired_at),
                time::Utc(*grace_end)
            ),
            Self::ExpiresSoon {
                expires_at,
                days_left,
            } => write!(
                f,
                "license expires at {} ({days_left} days left)",
                time::Utc(*expires_at)
            ),
        }
    }
}

/// What a usable license allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Valid or in grace.
    pub status: Status,
    /// The site.
    pub site_id: String,
    /// The organisation.
    pub org_id: String,
    /// The site license id.
    pub license_id: String,
    /// The CML's license id.
    pub cml_license_id: String,
    /// The CML's document id (hex SHA-256).
    pub cml_id: String,
    /// The environment of the chain.
    pub environment: Environment,
    /// Product (usage statistics).
    pub product: String,
    /// Tier (usage statistics).
    pub tier: String,
    /// Enabled features.
    pub features: Vec<String>,
    /// When the site license was issued.
    pub issued_at: i64,
    /// Effective expiry: the earlier of the site license's and the CML's.
    pub expires_at: i64,
    /// End of the grace period.
    pub grace_end: i64,
    /// Whole days of grace left (rounded up) when in grace.
    pub grace_days_left: Option<u32>,
    /// Warnings to show the operator.
    pub warnings: Vec<Warning>,
}

impl Verdict {
    /// Whether feature `name` is enabled (see [`has_feature`]).
    pub fn has_feature(&self, name: &str) -> bool {
        has_feature(&self.features, name)
    }
}

/// The feature rule: `name` is enabled when it equals one of `features` exactly (case-sensitive,
/// no wildcards). Bindings that hold a verdict's feature list call this.
pub fn has_feature(features: &[String], name: &str) -> bool {
    features.iter().any(|f| f == name)
}

/// The answer of a verified heartbeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatInfo {
    /// The site's status at the Hub.
    pub status: String,
    /// The Hub's clock.
    pub server_time: i64,
    /// Sequence number of the revocation list now applied.
    pub revocation_seq: u64,
    /// Whether this site license is revoked by that list.
    pub revoked: bool,
}

#[derive(Clone, Debug)]
struct AppliedRevocation {
    cml_id: String,
    id: String,
    seq: u64,
    revoked: Vec<String>,
}

struct SiteEntry {
    cml_id: String,
    site: Verified<SiteClaims>,
}

/// Validates `site.lic` files offline. See the module documentation.
///
/// A `Validator` is `Send + Sync`; `validate` takes `&mut self` because it updates the cache and
/// the clock floor. Share one between threads behind a mutex.
pub struct Validator {
    roots: Vec<TrustedRoot>,
    policy: EnvironmentPolicy,
    last_seen: Option<i64>,
    newest_signed: i64,
    revocations: Vec<AppliedRevocation>,
    cmls: BTreeMap<String, Arc<VerifiedCml>>,
    sites: BTreeMap<String, Arc<SiteEntry>>,
}

impl core::fmt::Debug for Validator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Validator")
            .field("roots", &self.roots.len())
            .field("policy", &self.policy)
            .field("last_seen", &self.last_seen)
            .field("newest_signed", &self.newest_signed)
            .field("cached_cmls", &self.cmls.len())
            .field("cached_sites", &self.sites.len())
            .finish()
    }
}

fn insert_bounded<V>(map: &mut BTreeMap<String, V>, key: &str, value: V) {
    if map.len() >= CACHE_CAPACITY {
        map.clear();
    }
    map.insert(key.into(), value);
}

impl Validator {
    /// A validator for `environment` trusting `roots`.
    pub fn new(environment: Environment, roots: Vec<TrustedRoot>) -> Self {
        Self {
            roots,
            policy: EnvironmentPolicy::only(environment),
            last_seen: None,
            newest_signed: 0,
            revocations: Vec::new(),
            cmls: BTreeMap::new(),
            sites: BTreeMap::new(),
        }
    }

    /// Also accept CMLs of the other environment (explicit opt-in).
    pub fn accept_other_environment(&mut self, accept: bool) {
        self.policy.accept_other = accept;
    }

    /// The environment policy.
    pub fn policy(&self) -> EnvironmentPolicy {
        self.policy
    }

    /// Sets the host's persisted last-seen time (a floor the clock may not go under).
    pub fn set_last_seen(&mut self, last_seen: i64) -> Result<()> {
        check_now(last_seen)?;
        self.last_seen = Some(last_seen);
        Ok(())
    }

    /// The time the clock may not go under (more than [`CLOCK_SKEW`] seconds): the maximum of
    /// the last-seen time and every signed `issued_at` this validator has accepted. Persist it.
    pub fn clock_floor(&self) -> i64 {
        self.newest_signed.max(self.last_seen.unwrap_or(0))
    }

    /// How many verified CMLs and site licenses are cached.
    pub fn cached(&self) -> (usize, usize) {
        (self.cmls.len(), self.sites.len())
    }

    /// The trusted roots.
    pub fn roots(&self) -> &[TrustedRoot] {
        &self.roots
    }

    /// Verifies a CML (cached by its exact text).
    pub fn verify_cml(&mut self, jws: &str) -> Result<Arc<VerifiedCml>> {
        if let Some(hit) = self.cmls.get(jws) {
            return Ok(Arc::clone(hit));
        }
        let cml = Arc::new(chain::verify_cml(&self.roots, self.policy, jws)?);
        insert_bounded(&mut self.cmls, jws, Arc::clone(&cml));
        Ok(cml)
    }

    fn verify_site(&mut self, cml: &VerifiedCml, jws: &str) -> Result<Arc<SiteEntry>> {
        if let Some(hit) = self.sites.get(jws) {
            if hit.cml_id == cml.id {
                chain::check_site_binding(cml, &hit.site.claims)?;
                return Ok(Arc::clone(hit));
            }
        }
        let entry = Arc::new(SiteEntry {
            cml_id: cml.id.clone(),
            site: chain::verify_site(cml, jws)?,
        });
        insert_bounded(&mut self.sites, jws, Arc::clone(&entry));
        Ok(entry)
    }

    fn chain_of(&mut self, file: &LicenseFile) -> Result<(Arc<VerifiedCml>, Arc<SiteEntry>)> {
        let cml = self.verify_cml(&file.cml)?;
        let site = self.verify_site(&cml, &file.site)?;
        Ok((cml, site))
    }

    fn check_not_future(&self, kind: DocKind, issued_at: i64, now: i64) -> Result<()> {
        // Both are within 0..=MAX_TIME, so the sum cannot overflow.
        if issued_at > now + CLOCK_SKEW {
            return Err(Error::NotYetValid {
                kind,
                issued_at,
                now,
                skew: CLOCK_SKEW,
            });
        }
        Ok(())
    }

    fn check_rollback(&self, now: i64) -> Result<()> {
        let floor = self.clock_floor();
        if now + CLOCK_SKEW < floor {
            return Err(Error::ClockRollback {
                now,
                floor,
                skew: CLOCK_SKEW,
            });
        }
        Ok(())
    }

    /// Validates a `site.lic` for a node with `facts` at `now` (unix seconds).
    pub fn validate(&mut self, license: &[u8], facts: &NodeFacts, now: i64) -> Result<Verdict> {
        check_now(now)?;
        let file = parse_license_file(license)?;
        let (cml, entry) = self.chain_of(&file)?;
        let (cml, site) = (&cml.claims, &entry.site.claims);

        if let Some(rl) = self.revocations.iter().find(|r| r.cml_id == entry.cml_id) {
            if rl.revoked.contains(&site.license_id) {
                return Err(Error::Revoked {
                    license_id: site.license_id.clone(),
                    seq: rl.seq,
                });
            }
        }
        self.check_rollback(now)?;
        self.check_not_future(DocKind::Cml, cml.issued_at, now)?;
        self.check_not_future(DocKind::Site, site.issued_at, now)?;
        self.newest_signed = self.newest_signed.max(cml.issued_at).max(site.issued_at);

        let expires_at = site.expires_at.min(cml.valid_until);
        let grace_end = time::grace_end(expires_at, cml.grace_days)
            .ok_or(Error::InvalidArgument("grace period overflows"))?;
        let mut warnings = Vec::new();
        let (status, grace_days_left) = match time::standing(now, expires_at, grace_end) {
            Standing::Expired => {
                return Err(Error::Expired {
                    expired_at: expires_at,
                    grace_end,
                    now,
                })
            }
            Standing::Grace { days_left } => {
                warnings.push(Warning::InGrace {
                    expired_at: expires_at,
                    grace_end,
                    days_left,
                });
                (Status::Grace, Some(days_left))
            }
            Standing::Valid => {
                let left = expires_at - now;
                if left <= EXPIRES_SOON_DAYS * DAY {
                    warnings.push(Warning::ExpiresSoon {
                        expires_at,
                        days_left: u32::try_from(time::ceil_days(left)).unwrap_or(u32::MAX),
                    });
                }
                (Status::Valid, None)
            }
        };
        site.fingerprint.check(facts)?;

        Ok(Verdict {
            status,
            site_id: site.site_id.clone(),
            org_id: site.org_id.clone(),
            license_id: site.license_id.clone(),
            cml_license_id: cml.license_id.clone(),
            cml_id: entry.cml_id.clone(),
            environment: cml.key_type,
            product: site.product.clone(),
            tier: site.tier.clone(),
            features: site.features.clone(),
            issued_at: site.issued_at,
            expires_at,
            grace_end,
            grace_days_left,
            warnings,
        })
    }

    fn apply_verified_revocation(
        &mut self,
        cml: &VerifiedCml,
        jws: &str,
        now: i64,
    ) -> Result<(u64, Vec<String>)> {
        let rl = chain::verify_revocation_list(cml, jws)?;
        self.check_not_future(DocKind::RevocationList, rl.claims.issued_at, now)?;
        if let Some(cur) = self.revocations.iter_mut().find(|r| r.cml_id == cml.id) {
            let same = cur.seq == rl.claims.seq && cur.id == rl.id;
            if !same && rl.claims.seq <= cur.seq {
                return Err(Error::RevocationListStale {
                    seq: rl.claims.seq,
                    current: cur.seq,
                });
            }
            cur.id = rl.id;
            cur.seq = rl.claims.seq;
            cur.revoked = rl.claims.revoked.clone();
        } else {
            self.revocations.push(AppliedRevocation {
                cml_id: cml.id.clone(),
                id: rl.id,
                seq: rl.claims.seq,
                revoked: rl.claims.revoked.clone(),
            });
        }
        self.newest_signed = self.newest_signed.max(rl.claims.issued_at);
        Ok((rl.claims.seq, rl.claims.revoked))
    }

    /// Verifies a revocation list against the license's CML (same org key, org id and CML
    /// binding) and applies it. A list with a lower sequence number than the one applied, or
    /// different content under the same number, is rejected as stale. Returns the sequence.
    pub fn apply_revocation_list(&mut self, license: &[u8], jws: &str, now: i64) -> Result<u64> {
        check_now(now)?;
        let file = parse_license_file(license)?;
        let cml = self.verify_cml(&file.cml)?;
        self.apply_verified_revocation(&cml, jws, now)
            .map(|(seq, _)| seq)
    }

    /// Verifies a heartbeat answer for this license (org key, CML, site id, the `nonce` the node
    /// sent) and applies the revocation list it carries.
    pub fn verify_heartbeat(
        &mut self,
        license: &[u8],
        answer: &str,
        nonce: &str,
        now: i64,
    ) -> Result<HeartbeatInfo> {
        check_now(now)?;
        let file = parse_license_file(license)?;
        let (cml, entry) = self.chain_of(&file)?;
        let site = &entry.site.claims;
        let hb = chain::verify_heartbeat(&cml, &site.site_id, nonce, answer)?;
        let (seq, revoked) =
            self.apply_verified_revocation(&cml, &hb.claims.revocation_list, now)?;
        Ok(HeartbeatInfo {
            status: hb.claims.status,
            server_time: hb.claims.server_time,
            revocation_seq: seq,
            revoked: revoked.contains(&site.license_id),
        })
    }
}
