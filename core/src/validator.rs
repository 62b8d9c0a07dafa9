//! The validator: trusted roots, environment policy, the trust state (clock floor, applied
//! revocation lists, heartbeat answers, see [`crate::state`]) and the cache of verified
//! documents; it turns a `site.lic` plus node facts plus the time into a [`Verdict`] or an
//! [`Error`].
//!
//! Order of checks (the first failure is reported): file shape → CML root (trusted kid,
//! environment policy), signature and payload → site signature, org, parent binding, features →
//! revocation → clock rollback → not yet valid → expiry and grace → offline too long →
//! fingerprint.
//!
//! Caching: verified CMLs and site licenses are kept by their exact compact JWS text (signature
//! included), so a repeated validation skips only the signature checks; every rule — the root
//! still trusted, the environment policy, the trust state — is re-checked on every call. Each
//! cache holds at most [`CACHE_CAPACITY`] entries and is emptied when full.
//!
//! Concurrency: every operation takes `&self`. Signature checks run without a lock; the caches
//! are behind a read-write lock and the trust state behind a mutex held only to read or update
//! it. Many threads validate at once with one validator.
//!
//! Time: [`Validator::validate`] reads the validator's [`Clock`] and, on success, raises the
//! clock floor to that time; [`Validator::validate_at`] answers "what if it were `now`" and never
//! writes the trust state.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::chain::{self, EnvironmentPolicy, TrustedRoot, Verified, VerifiedCml};
use crate::claims::{Environment, SiteClaims};
use crate::clock::Clock;
use crate::error::{DocKind, Error, Result};
use crate::file::{parse_license_file, LicenseFile};
use crate::fingerprint::NodeFacts;
use crate::keys::PublicKey;
use crate::pending::{
    Begun, ChainStep, Check, CmlStep, Op, Outcome, Pending, PendingCheck, SiteStep,
};
use crate::state::{
    self, AppliedList, HeldHeartbeat, TrustState, MAX_CONSUMED_NONCES, MAX_OUTSTANDING_NONCES,
};
use crate::sync::{Mutex, RwLock};
use crate::time::{self, check_now, Standing, CLOCK_SKEW, DAY};
use crate::verify::Verifier;

/// Validator ids: a [`Pending`] is finished only by the validator that began it.
static NEXT_ID: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

fn next_id() -> usize {
    NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// The answer function of [`Validator::finish`]: whether `key` verifies the check.
pub type Answer<'a> = dyn FnMut(&PublicKey, &Check) -> Result<bool> + 'a;

const NOT_BEGUN_HERE: &str =
    "a pending validation can only be finished by the validator that began it";

fn default_verifier_arc() -> Arc<dyn Verifier> {
    #[cfg(feature = "native")]
    {
        Arc::new(crate::verify::NativeVerifier)
    }
    #[cfg(not(feature = "native"))]
    {
        Arc::new(crate::verify::PureVerifier)
    }
}

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
    /// The site license's document id (hex SHA-256 of its signing input).
    pub site_document_id: String,
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
    /// The site license's own `expires_at`.
    pub site_expires_at: i64,
    /// The CML's `valid_until`.
    pub cml_valid_until: i64,
    /// The CML's `max_sites` (enforced by the Hub; shown to the operator).
    pub max_sites: u32,
    /// The CML's feature packs (what the org may grant).
    pub feature_packs: Vec<String>,
    /// The CML's `max_offline_days`, if it sets one.
    pub max_offline_days: Option<u32>,
    /// What the site license binds the node to.
    pub fingerprint: crate::Fingerprint,
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

pub(crate) struct SiteEntry {
    cml_id: String,
    site: Verified<SiteClaims>,
}

/// Builds a [`Validator`]: trusted roots, environment policy, clock and nonce seed are fixed
/// before first use.
///
/// ```
/// # use hwf_license::*;
/// let root = SigningKey::from_seed(b"doc root");
/// let validator = Validator::builder(Environment::Prod)
///     .root(TrustedRoot::new("root-1", Environment::Prod, root.public_key().clone()))
///     .clock(|| 1_750_000_000)
///     .nonce_seed([7; 32])
///     .build()
///     .unwrap();
/// assert_eq!(validator.clock_floor(), 0);
/// ```
pub struct ValidatorBuilder {
    environment: Environment,
    roots: Vec<TrustedRoot>,
    accept_other: bool,
    clock: Option<Arc<dyn Clock>>,
    nonce_seed: Option<[u8; 32]>,
    verifier: Arc<dyn Verifier>,
}

impl core::fmt::Debug for ValidatorBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ValidatorBuilder")
            .field("environment", &self.environment)
            .field("roots", &self.roots.len())
            .field("accept_other", &self.accept_other)
            .field("clock", &self.clock.is_some())
            .finish()
    }
}

impl ValidatorBuilder {
    /// A builder for a validator of `environment`, with no roots yet, accepting only its own
    /// environment, using the system clock and OS randomness for nonces when `std` is on.
    pub fn new(environment: Environment) -> Self {
        Self {
            environment,
            roots: Vec::new(),
            accept_other: false,
            clock: None,
            nonce_seed: None,
            verifier: default_verifier_arc(),
        }
    }

    /// The signature backend (default [`crate::verify::default_verifier`]: native with the
    /// `native` feature, pure Rust otherwise).
    pub fn verifier(mut self, verifier: impl Verifier + 'static) -> Self {
        self.verifier = Arc::new(verifier);
        self
    }

    /// Trusts one more root key.
    pub fn root(mut self, root: TrustedRoot) -> Self {
        self.roots.push(root);
        self
    }

    /// Trusts these root keys too.
    pub fn roots(mut self, roots: impl IntoIterator<Item = TrustedRoot>) -> Self {
        self.roots.extend(roots);
        self
    }

    /// Also accept CMLs of the other environment (explicit opt-in; default `false`).
    pub fn accept_other_environment(mut self, accept: bool) -> Self {
        self.accept_other = accept;
        self
    }

    /// The clock [`Validator::validate`] and the other clock-reading calls use (default: the
    /// system clock with `std`; none without it, and those calls then fail with
    /// `invalid_argument`).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The secret seed heartbeat nonces are derived from. Must be fresh randomness for every
    /// validator (default with `std`: 32 bytes from the OS). A fixed seed makes nonces
    /// predictable: only for tests and conformance vectors.
    pub fn nonce_seed(mut self, seed: [u8; 32]) -> Self {
        self.nonce_seed = Some(seed);
        self
    }

    /// The validator. Two roots with the same `kid` are an `invalid_argument`.
    pub fn build(self) -> Result<Validator> {
        for (i, r) in self.roots.iter().enumerate() {
            if self.roots[..i].iter().any(|o| o.kid == r.kid) {
                return Err(Error::InvalidArgument(
                    "two trusted roots have the same kid",
                ));
            }
        }
        #[cfg(feature = "std")]
        let clock = Some(
            self.clock
                .unwrap_or_else(|| Arc::new(crate::clock::SystemClock)),
        );
        #[cfg(not(feature = "std"))]
        let clock = self.clock;
        #[cfg(feature = "std")]
        let nonce_seed = match self.nonce_seed {
            Some(s) => Some(s),
            None => {
                let mut s = [0u8; 32];
                getrandom::getrandom(&mut s)
                    .map_err(|_| Error::InvalidArgument("the OS gave no randomness"))?;
                Some(s)
            }
        };
        #[cfg(not(feature = "std"))]
        let nonce_seed = self.nonce_seed;
        Ok(Validator {
            id: next_id(),
            roots: self.roots,
            policy: EnvironmentPolicy {
                environment: self.environment,
                accept_other: self.accept_other,
            },
            clock,
            nonce_seed,
            verifier: self.verifier,
            cmls: RwLock::new(Cache::new()),
            sites: RwLock::new(Cache::new()),
            state: Mutex::new(TrustState::default()),
        })
    }
}

/// Validates `site.lic` files offline. See the module documentation.
///
/// `Send + Sync`, every operation takes `&self`: share one validator between threads (in an
/// `Arc`). Build it with [`Validator::builder`].
pub struct Validator {
    id: usize,
    roots: Vec<TrustedRoot>,
    policy: EnvironmentPolicy,
    clock: Option<Arc<dyn Clock>>,
    nonce_seed: Option<[u8; 32]>,
    verifier: Arc<dyn Verifier>,
    cmls: RwLock<Cache<Arc<VerifiedCml>>>,
    sites: RwLock<Cache<Arc<SiteEntry>>>,
    state: Mutex<TrustState>,
}

impl core::fmt::Debug for Validator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (cmls, sites) = self.cached();
        f.debug_struct("Validator")
            .field("roots", &self.roots.len())
            .field("policy", &self.policy)
            .field("clock_floor", &self.clock_floor())
            .field("cached_cmls", &cmls)
            .field("cached_sites", &sites)
            .finish()
    }
}

/// Verified documents by their exact text: a `Vec` sorted by text (binary search), emptied when
/// it holds [`CACHE_CAPACITY`] entries and another comes. (A sorted `Vec` rather than a
/// `BTreeMap`: the same lookups in a fraction of the WASM module's bytes; docs/WASM.md "Size".)
struct Cache<V>(Vec<(String, V)>);

impl<V> Cache<V> {
    const fn new() -> Self {
        Self(Vec::new())
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

fn insert_bounded<V>(map: &mut Cache<V>, key: &str, value: V) {
    if map.0.len() >= CACHE_CAPACITY {
        map.0.clear();
    }
    match map.0.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
        Ok(i) => map.0[i].1 = value,
        Err(i) => map.0.insert(i, (key.into(), value)),
    }
}

/// Whether a call reads the validator's clock (and may write the trust state) or answers a
/// what-if question at a caller's time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum At {
    Clock(i64),
    WhatIf(i64),
}

impl At {
    fn now(self) -> i64 {
        match self {
            Self::Clock(t) | Self::WhatIf(t) => t,
        }
    }
}

impl Validator {
    /// A builder (see [`ValidatorBuilder`]).
    pub fn builder(environment: Environment) -> ValidatorBuilder {
        ValidatorBuilder::new(environment)
    }

    /// A validator for `environment` trusting `roots`, with the builder's defaults.
    ///
    /// # Panics
    ///
    /// Never for distinct root kids; with two roots of the same `kid` the later one is dropped
    /// (use [`Validator::builder`] to get an error instead).
    pub fn new(environment: Environment, roots: Vec<TrustedRoot>) -> Self {
        let mut unique: Vec<TrustedRoot> = Vec::with_capacity(roots.len());
        for r in roots {
            if !unique.iter().any(|u| u.kid == r.kid) {
                unique.push(r);
            }
        }
        match ValidatorBuilder::new(environment).roots(unique).build() {
            Ok(v) => v,
            // Only the OS randomness can fail here: a validator without nonces.
            Err(_) => Self {
                id: next_id(),
                roots: Vec::new(),
                policy: EnvironmentPolicy::only(environment),
                clock: None,
                nonce_seed: None,
                verifier: default_verifier_arc(),
                cmls: RwLock::new(Cache::new()),
                sites: RwLock::new(Cache::new()),
                state: Mutex::new(TrustState::default()),
            },
        }
    }

    /// Also accept CMLs of the other environment (explicit opt-in). Takes effect on the next
    /// call, cached chains included.
    pub fn accept_other_environment(&mut self, accept: bool) {
        self.policy.accept_other = accept;
    }

    /// Trusts one more root key; a second root with the same `kid` is an `invalid_argument`.
    /// The cache and the trust state are kept.
    pub fn add_root(&mut self, root: TrustedRoot) -> Result<()> {
        if self.roots.iter().any(|r| r.kid == root.kid) {
            return Err(Error::InvalidArgument(
                "a trusted root has this kid already",
            ));
        }
        self.roots.push(root);
        Ok(())
    }

    /// The environment policy.
    pub fn policy(&self) -> EnvironmentPolicy {
        self.policy
    }

    /// The trusted roots.
    pub fn roots(&self) -> &[TrustedRoot] {
        &self.roots
    }

    /// How many verified CMLs and site licenses are cached.
    pub fn cached(&self) -> (usize, usize) {
        (self.cmls.read().len(), self.sites.read().len())
    }

    fn clock_now(&self) -> Result<i64> {
        let clock = self.clock.as_ref().ok_or(Error::InvalidArgument(
            "this validator has no clock: give the builder one, or pass the time explicitly",
        ))?;
        let now = clock.now();
        check_now(now)?;
        Ok(now)
    }

    // --- trust state --------------------------------------------------------------------

    /// Raises the clock floor to a host's persisted last-seen time (never lowers it). Prefer
    /// [`Validator::export_state`] / [`Validator::import_state`], which keep the revocation lists
    /// too.
    pub fn set_last_seen(&self, last_seen: i64) -> Result<()> {
        check_now(last_seen)?;
        self.state.lock().raise_floor(last_seen);
        Ok(())
    }

    /// The time the clock may not go under (by more than [`CLOCK_SKEW`] seconds): the highest of
    /// every system-clock validation time, every signed time accepted and every last-seen time
    /// given, lowered only by a heartbeat answer to a nonce of [`Validator::new_nonce`].
    pub fn clock_floor(&self) -> i64 {
        self.state.lock().clock_floor()
    }

    /// Whether the trust state changed since the last [`Validator::export_state`] (or since the
    /// validator was built): persist only when this is true.
    pub fn state_changed(&self) -> bool {
        let s = self.state.lock();
        s.generation != s.exported
    }

    /// The trust state as bytes (`docs/FORMAT.md` §7); clears [`Validator::state_changed`].
    pub fn export_state(&self) -> Vec<u8> {
        let mut s = self.state.lock();
        let bytes = state::export(&s, self.policy.environment);
        s.exported = s.generation;
        bytes
    }

    /// Loads trust state bytes and merges them in: the floor only rises, a list only replaces an
    /// older one. Every document in them is verified under this validator's roots and policy.
    /// Corrupt, truncated, foreign or oversized bytes give `bad_state` (or `too_large`) and
    /// change nothing. Afterwards [`Validator::state_changed`] says whether the validator now
    /// knows more than the bytes held.
    pub fn import_state(&self, bytes: &[u8]) -> Result<()> {
        let incoming = state::import(bytes, self.policy.environment, &self.roots, self.policy)?;
        let mut s = self.state.lock();
        state::merge(&mut s, incoming)?;
        let now_bytes = state::export(&s, self.policy.environment);
        if now_bytes == bytes {
            s.exported = s.generation;
        } else if s.exported == s.generation {
            s.generation += 1;
        }
        Ok(())
    }

    /// Writes the trust state to `path` atomically (a temporary file beside it, fsync, rename,
    /// fsync of the directory), mode 0600 on Unix; clears [`Validator::state_changed`] on
    /// success.
    #[cfg(feature = "std")]
    pub fn save_state(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<()> {
        let generation = self.state.lock().generation;
        let bytes = state::export(&self.state.lock(), self.policy.environment);
        crate::persist::write_atomic(path.as_ref(), &bytes)?;
        let mut s = self.state.lock();
        if s.exported < generation {
            s.exported = generation;
        }
        Ok(())
    }

    /// Loads the trust state from `path` if the file exists (`Ok(false)` when it does not).
    /// An unreadable file is an I/O error; bad contents are `bad_state` wrapped in
    /// [`std::io::ErrorKind::InvalidData`]. The validator is unchanged on any error.
    #[cfg(feature = "std")]
    pub fn load_state(&self, path: impl AsRef<std::path::Path>) -> std::io::Result<bool> {
        match crate::persist::read(path.as_ref())? {
            None => Ok(false),
            Some(bytes) => {
                self.import_state(&bytes)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                Ok(true)
            }
        }
    }

    /// A fresh nonce for a heartbeat request. An answer carrying it, verified with
    /// [`Validator::verify_heartbeat`], may also *lower* the clock floor (to the Hub's time, not
    /// below the newest signed time held); each nonce is accepted once.
    pub fn new_nonce(&self) -> Result<String> {
        let seed = self.nonce_seed.ok_or(Error::InvalidArgument(
            "this validator has no nonce seed: give the builder one",
        ))?;
        let mut s = self.state.lock();
        let counter = s.nonces.counter;
        s.nonces.counter += 1;
        let mut h = Sha256::new();
        h.update(b"hwf-license nonce\0");
        h.update(seed);
        h.update(counter.to_be_bytes());
        let digest: [u8; 32] = h.finalize().into();
        let nonce = crate::b64::encode(&digest[..16]);
        if s.nonces.outstanding.len() >= MAX_OUTSTANDING_NONCES {
            s.nonces.outstanding.remove(0);
        }
        s.nonces.outstanding.push(nonce.clone());
        Ok(nonce)
    }

    // --- chain --------------------------------------------------------------------------

    /// The root that signed a verified CML must still be trusted and its environment accepted
    /// by the policy: checked on cache hits (a miss checks the same in [`chain::verify_cml`]).
    /// Roots are only ever added and their kids are unique, so the root named by `issued_by`
    /// is the key that verified the cached signature.
    fn check_root(&self, cml: &VerifiedCml) -> Result<()> {
        let kind = DocKind::Cml;
        let root = self
            .roots
            .iter()
            .find(|r| r.kid == cml.claims.issued_by)
            .ok_or_else(|| Error::UnknownKeyId {
                kind,
                kid: cml.claims.issued_by.clone(),
            })?;
        if !self.policy.accepts(root.environment) {
            return Err(Error::EnvironmentMismatch {
                kind,
                expected: self.policy.environment,
                found: root.environment,
            });
        }
        Ok(())
    }

    /// Verifies a Root's manifest receipt and its receipt key certificate under this
    /// validator's roots and environment policy, at `now` (see [`crate::verify_receipt`]).
    pub fn verify_receipt(
        &self,
        certificate: &str,
        receipt: &str,
        org_id: &str,
        manifest_id: &str,
        now: i64,
    ) -> Result<crate::receipt::VerifiedReceipt> {
        crate::receipt::verify_receipt_with(
            &*self.verifier,
            &self.roots,
            self.policy,
            certificate,
            receipt,
            org_id,
            manifest_id,
            now,
        )
    }

    /// Verifies a CML (cached by its exact text; the root and policy are re-checked on hits).
    pub fn verify_cml(&self, jws: &str) -> Result<Arc<VerifiedCml>> {
        let step = self.prepare_cml(jws)?;
        self.finish_cml(step, &mut self.verify_now())
    }

    /// The validator's own verifier as the answer of the two phases (the one-call methods).
    fn verify_now(&self) -> impl FnMut(&PublicKey, &Check) -> Result<bool> + '_ {
        |key, c| {
            Ok(self
                .verifier
                .verify(key, c.message(), &c.digest, &c.signature))
        }
    }

    // --- two phases (crate::pending) ----------------------------------------------------

    /// Phase 1 of a CML: from the cache (root and policy re-checked), or its root signature
    /// check and what it is if that verifies.
    fn prepare_cml(&self, jws: &str) -> Result<CmlStep> {
        let hit = self.cmls.read().get(jws).cloned();
        if let Some(hit) = hit {
            self.check_root(&hit)?;
            return Ok(CmlStep::Cached(hit));
        }
        let (root, check, then) = chain::prepare_cml(&self.roots, self.policy, jws)?;
        Ok(CmlStep::Fresh {
            text: jws.into(),
            root,
            check,
            then,
        })
    }

    /// Phase 1 of a site license under `cml` (which may still be pending).
    fn prepare_site(&self, cml: &VerifiedCml, jws: &str) -> SiteStep {
        let hit = self.sites.read().get(jws).cloned();
        if let Some(hit) = hit {
            if hit.cml_id == cml.id {
                return SiteStep::Cached(
                    chain::check_site_binding(cml, &hit.site.claims).map(|()| hit),
                );
            }
        }
        match chain::prepare_site(cml, jws) {
            Ok(check) => SiteStep::Fresh {
                text: jws.into(),
                check,
                then: None,
            },
            Err(e) => SiteStep::Failed(e),
        }
    }

    fn prepare_chain(&self, file: &LicenseFile) -> Result<ChainStep> {
        let cml = self.prepare_cml(&file.cml)?;
        let read = match &cml {
            CmlStep::Cached(c) => Some(&**c),
            CmlStep::Fresh { then, .. } => then.as_ref().ok(),
        };
        let site = read.map(|c| self.prepare_site(c, &file.site));
        Ok(ChainStep { cml, site })
    }

    /// Phase 2 of a CML: refused unless its root signature verified, then its payload's rules,
    /// the root and policy again (they may have changed since phase 1), the cache.
    fn finish_cml(&self, step: CmlStep, answer: &mut Answer<'_>) -> Result<Arc<VerifiedCml>> {
        let (text, root, check, then) = match step {
            CmlStep::Cached(c) => return Ok(c),
            CmlStep::Fresh {
                text,
                root,
                check,
                then,
            } => (text, root, check, then),
        };
        let root = self
            .roots
            .get(root)
            .ok_or(Error::InvalidArgument(NOT_BEGUN_HERE))?;
        if !answer(&root.key, &check)? {
            return Err(Error::BadSignature { kind: DocKind::Cml });
        }
        let cml = Arc::new(then?);
        self.check_root(&cml)?;
        insert_bounded(&mut self.cmls.write(), &text, Arc::clone(&cml));
        Ok(cml)
    }

    /// Phase 2 of a chain: the CML ([`Validator::finish_cml`]), then the site license.
    fn finish_chain(
        &self,
        chain: ChainStep,
        answer: &mut Answer<'_>,
    ) -> Result<(Arc<VerifiedCml>, Arc<SiteEntry>)> {
        let cml = self.finish_cml(chain.cml, answer)?;
        let entry = match chain.site.ok_or(Error::InvalidArgument(NOT_BEGUN_HERE))? {
            SiteStep::Cached(hit) => hit?,
            SiteStep::Failed(e) => return Err(e),
            SiteStep::Fresh { text, check, then } => {
                if !answer(&cml.org_key, &check)? {
                    return Err(Error::BadSignature {
                        kind: DocKind::Site,
                    });
                }
                // Read in phase 1 against the CML's payload as read then: the same CML (the
                // one just verified), so the same result as reading it now.
                let site = match then {
                    Some(then) => then?,
                    None => chain::read_site(&cml, &text, &check)?,
                };
                let entry = Arc::new(SiteEntry {
                    cml_id: cml.id.clone(),
                    site,
                });
                insert_bounded(&mut self.sites.write(), &text, Arc::clone(&entry));
                entry
            }
        };
        Ok((cml, entry))
    }

    /// Phase 1 of [`Validator::validate`] (see [`crate::pending`]): the clock is read now.
    pub fn begin_validate(&self, license: &[u8], facts: &NodeFacts) -> Result<Begun> {
        let now = self.clock_now()?;
        self.begin_inner(license, facts, At::Clock(now))
    }

    /// Phase 1 of [`Validator::validate_at`] (see [`crate::pending`]).
    pub fn begin_validate_at(&self, license: &[u8], facts: &NodeFacts, now: i64) -> Result<Begun> {
        check_now(now)?;
        self.begin_inner(license, facts, At::WhatIf(now))
    }

    fn begin_inner(&self, license: &[u8], facts: &NodeFacts, at: At) -> Result<Begun> {
        let file = parse_license_file(license)?;
        let chain = self.prepare_chain(&file)?;
        if chain.ready() {
            let (cml, entry) = self.finish_chain(chain, &mut self.verify_now())?;
            return Ok(Begun::Done(Outcome::Verdict(Box::new(
                self.rules(&cml, &entry, facts, at)?,
            ))));
        }
        Ok(Begun::Pending(Pending {
            validator: self.id,
            op: Box::new(Op::Validate {
                chain,
                facts: facts.clone(),
                at,
            }),
        }))
    }

    /// Phase 1 of [`Validator::verify_cml`] (see [`crate::pending`]).
    pub fn begin_verify_cml(&self, jws: &str) -> Result<Begun> {
        Ok(match self.prepare_cml(jws)? {
            CmlStep::Cached(c) => Begun::Done(Outcome::Cml(c)),
            step => Begun::Pending(Pending {
                validator: self.id,
                op: Box::new(Op::Cml(step)),
            }),
        })
    }

    /// The signature checks `pending` waits for (at most two: the CML's by a root, the site
    /// license's by the org key read from that CML), in the order phase 2 asks for them. None
    /// for a pending validation of another validator.
    pub fn pending_checks<'a>(&'a self, pending: &'a Pending) -> Vec<PendingCheck<'a>> {
        let mut out = Vec::new();
        if pending.validator != self.id {
            return out;
        }
        let (cml, site) = match &*pending.op {
            Op::Validate { chain, .. } => (&chain.cml, chain.site.as_ref()),
            Op::Cml(step) => (step, None),
        };
        let org_key = match cml {
            CmlStep::Cached(c) => Some(&c.org_key),
            CmlStep::Fresh {
                root, check, then, ..
            } => {
                if let Some(r) = self.roots.get(*root) {
                    out.push(PendingCheck {
                        key: &r.key,
                        by_root: true,
                        check,
                    });
                }
                then.as_ref().ok().map(|c| &c.org_key)
            }
        };
        if let (Some(key), Some(SiteStep::Fresh { check, .. })) = (org_key, site) {
            out.push(PendingCheck {
                key,
                by_root: false,
                check,
            });
        }
        out
    }

    /// The part of phase 1 that the checks do not need (see [`crate::pending`]): reads the site
    /// license's payload, claims and their rules into `pending`, for a caller to run while its
    /// backend verifies the checks. Optional ([`Validator::finish`] reads what is not read yet)
    /// and idempotent; nothing for a pending validation of another validator.
    pub fn prepare(&self, pending: &mut Pending) {
        if pending.validator != self.id {
            return;
        }
        let Op::Validate { chain, .. } = &mut *pending.op else {
            return;
        };
        let cml = match &chain.cml {
            CmlStep::Cached(c) => &**c,
            CmlStep::Fresh { then: Ok(c), .. } => c,
            CmlStep::Fresh { then: Err(_), .. } => return,
        };
        if let Some(SiteStep::Fresh { text, check, then }) = &mut chain.site {
            if then.is_none() {
                *then = Some(chain::read_site(cml, text, check));
            }
        }
    }

    /// Phase 2 (see [`crate::pending`]): completes `pending` with `answer` (whether a key
    /// verifies a check; asked only for the checks of [`Validator::pending_checks`], in that
    /// order, and only as far as the rules get; its error ends the call). Every rule after the
    /// signatures runs here, against the trust state as it is now.
    pub fn finish(&self, pending: Pending, answer: &mut Answer<'_>) -> Result<Outcome> {
        if pending.validator != self.id {
            return Err(Error::InvalidArgument(NOT_BEGUN_HERE));
        }
        match *pending.op {
            Op::Validate { chain, facts, at } => {
                let (cml, entry) = self.finish_chain(chain, answer)?;
                self.rules(&cml, &entry, &facts, at)
                    .map(|v| Outcome::Verdict(Box::new(v)))
            }
            Op::Cml(step) => self.finish_cml(step, answer).map(Outcome::Cml),
        }
    }

    fn chain_of(&self, file: &LicenseFile) -> Result<(Arc<VerifiedCml>, Arc<SiteEntry>)> {
        let chain = self.prepare_chain(file)?;
        self.finish_chain(chain, &mut self.verify_now())
    }

    fn check_not_future(kind: DocKind, issued_at: i64, now: i64) -> Result<()> {
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

    fn check_rollback(floor: i64, now: i64) -> Result<()> {
        if now + CLOCK_SKEW < floor {
            return Err(Error::ClockRollback {
                now,
                floor,
                skew: CLOCK_SKEW,
            });
        }
        Ok(())
    }

    // --- validation ---------------------------------------------------------------------

    /// Validates a `site.lic` for a node with `facts` at the validator's clock. On success the
    /// clock floor rises to that time; the signed `issued_at` times accepted raise it too.
    pub fn validate(&self, license: &[u8], facts: &NodeFacts) -> Result<Verdict> {
        let now = self.clock_now()?;
        self.validate_inner(license, facts, At::Clock(now))
    }

    /// What-if: validates a `site.lic` as if the time were `now` (unix seconds). Every rule,
    /// the trust state included, is checked, but the trust state is never written.
    pub fn validate_at(&self, license: &[u8], facts: &NodeFacts, now: i64) -> Result<Verdict> {
        check_now(now)?;
        self.validate_inner(license, facts, At::WhatIf(now))
    }

    fn validate_inner(&self, license: &[u8], facts: &NodeFacts, at: At) -> Result<Verdict> {
        let file = parse_license_file(license)?;
        let (cml, entry) = self.chain_of(&file)?;
        self.rules(&cml, &entry, facts, at)
    }

    /// Every rule of a validation after the chain's signatures: the trust state (revocation,
    /// rollback, not yet valid), expiry and grace, offline too long, fingerprint.
    fn rules(
        &self,
        cml_v: &VerifiedCml,
        entry: &SiteEntry,
        facts: &NodeFacts,
        at: At,
    ) -> Result<Verdict> {
        let now = at.now();
        let (cml, site) = (&cml_v.claims, &entry.site.claims);

        // One lock for every state rule before expiry: revocation, rollback, not yet valid, and
        // (at the clock) the signed times accepted. The checks are arithmetic; no signature
        // check runs under it.
        let hub_time = {
            let mut s = self.state.lock();
            let held = s.cmls.get(&entry.cml_id);
            if let Some(list) = held.and_then(|h| h.list.as_ref()) {
                if list.revoked.binary_search(&site.license_id).is_ok() {
                    return Err(Error::Revoked {
                        license_id: site.license_id.clone(),
                        seq: list.seq,
                    });
                }
            }
            let hub_time = held.and_then(|h| h.hub_time());
            Self::check_rollback(s.clock_floor(), now)?;
            Self::check_not_future(DocKind::Cml, cml.issued_at, now)?;
            Self::check_not_future(DocKind::Site, site.issued_at, now)?;
            if let At::Clock(_) = at {
                s.accept_signed(cml.issued_at.max(site.issued_at));
            }
            hub_time
        };

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
        if let Some(max_days) = cml.max_offline_days {
            let last_contact = hub_time.map_or(site.issued_at, |t| t.max(site.issued_at));
            // Both terms are bounded (MAX_TIME and 3650 days): no overflow.
            if now > last_contact + i64::from(max_days) * DAY {
                return Err(Error::OfflineTooLong {
                    last_contact,
                    max_days,
                    now,
                });
            }
        }
        site.fingerprint.check(facts)?;

        if let At::Clock(now) = at {
            self.state.lock().raise_floor(now);
        }
        Ok(Verdict {
            status,
            site_id: site.site_id.clone(),
            org_id: site.org_id.clone(),
            license_id: site.license_id.clone(),
            cml_license_id: cml.license_id.clone(),
            cml_id: entry.cml_id.clone(),
            site_document_id: entry.site.id.clone(),
            environment: cml.key_type,
            product: site.product.clone(),
            tier: site.tier.clone(),
            features: site.features.clone(),
            issued_at: site.issued_at,
            expires_at,
            site_expires_at: site.expires_at,
            cml_valid_until: cml.valid_until,
            max_sites: cml.max_sites,
            feature_packs: cml.feature_packs.clone(),
            max_offline_days: cml.max_offline_days,
            fingerprint: site.fingerprint.clone(),
            grace_end,
            grace_days_left,
            warnings,
        })
    }

    // --- revocation lists and heartbeats ------------------------------------------------

    /// Applies a verified revocation list to the state (stale check, floor). Returns the
    /// sequence number and the revoked ids now in force.
    fn apply_list(
        s: &mut TrustState,
        cml: &VerifiedCml,
        jws: &str,
        rl: Verified<crate::claims::RevocationListClaims>,
    ) -> Result<(u64, bool)> {
        let held = s.entry(cml)?;
        if let Some(cur) = &held.list {
            if cur.seq == rl.claims.seq && cur.id == rl.id {
                return Ok((cur.seq, false));
            }
            if rl.claims.seq <= cur.seq {
                return Err(Error::RevocationListStale {
                    seq: rl.claims.seq,
                    current: cur.seq,
                });
            }
        }
        let seq = rl.claims.seq;
        let issued_at = rl.claims.issued_at;
        held.list = Some(AppliedList {
            jws: jws.trim_matches(|c: char| c.is_ascii_whitespace()).into(),
            id: rl.id,
            seq,
            issued_at,
            revoked: state::sorted(rl.claims.revoked),
        });
        s.generation += 1;
        s.accept_signed(issued_at);
        Ok((seq, true))
    }

    fn apply_revocation_inner(&self, license: &[u8], jws: &str, now: i64) -> Result<u64> {
        let file = parse_license_file(license)?;
        let cml = self.verify_cml(&file.cml)?;
        let rl = chain::verify_revocation_list_with(&*self.verifier, &cml, jws)?;
        Self::check_not_future(DocKind::RevocationList, rl.claims.issued_at, now)?;
        let mut s = self.state.lock();
        Self::apply_list(&mut s, &cml, jws, rl).map(|(seq, _)| seq)
    }

    /// Verifies a revocation list against the license's CML (same org key, org id and CML
    /// binding; not issued after the validator's clock) and applies it. A list with a lower
    /// sequence number than the one applied, or different content under the same number, is
    /// rejected as stale; the same list again is a no-op. Returns the sequence number.
    pub fn apply_revocation_list(&self, license: &[u8], jws: &str) -> Result<u64> {
        let now = self.clock_now()?;
        self.apply_revocation_inner(license, jws, now)
    }

    /// [`Validator::apply_revocation_list`] with `now` given for the "not issued in the future"
    /// check. The list is applied (a list only ever restricts).
    pub fn apply_revocation_list_at(&self, license: &[u8], jws: &str, now: i64) -> Result<u64> {
        check_now(now)?;
        self.apply_revocation_inner(license, jws, now)
    }

    fn heartbeat_inner(
        &self,
        license: &[u8],
        answer: &str,
        nonce: &str,
        now: i64,
    ) -> Result<HeartbeatInfo> {
        let file = parse_license_file(license)?;
        let (cml, entry) = self.chain_of(&file)?;
        let site = &entry.site.claims;
        let hb = chain::verify_heartbeat_with(&*self.verifier, &cml, &site.site_id, nonce, answer)?;
        let rl =
            chain::verify_revocation_list_with(&*self.verifier, &cml, &hb.claims.revocation_list)?;
        Self::check_not_future(DocKind::RevocationList, rl.claims.issued_at, now)?;
        let server_time = hb.claims.server_time;

        let mut s = self.state.lock();
        if s.nonces.consumed.iter().any(|n| n == nonce) {
            return Err(Error::NonceMismatch);
        }
        let ours = s.nonces.outstanding.iter().position(|n| n == nonce);
        let revoked = rl.claims.revoked.iter().any(|id| id == &site.license_id);
        let (seq, _) = Self::apply_list(&mut s, &cml, &hb.claims.revocation_list, rl)?;
        if let Some(i) = ours {
            s.nonces.outstanding.remove(i);
            if s.nonces.consumed.len() >= MAX_CONSUMED_NONCES {
                s.nonces.consumed.remove(0);
            }
            s.nonces.consumed.push(String::from(nonce));
            // The Hub's time, for a nonce nobody could have asked about before now: the floor
            // may come down to it, never under a signed time held.
            let target = server_time.max(s.newest_signed);
            if target != s.floor {
                s.floor = target;
                s.generation += 1;
            }
        } else {
            s.raise_floor(server_time);
        }
        let held = s.entry(&cml)?;
        let newer = held
            .heartbeat
            .as_ref()
            .is_none_or(|h| server_time > h.server_time);
        if newer {
            held.heartbeat = Some(HeldHeartbeat {
                jws: answer
                    .trim_matches(|c: char| c.is_ascii_whitespace())
                    .into(),
                server_time,
            });
            s.generation += 1;
        }
        Ok(HeartbeatInfo {
            status: hb.claims.status,
            server_time,
            revocation_seq: seq,
            revoked,
        })
    }

    /// Verifies a heartbeat answer for this license (org key, CML, site id, the `nonce` the node
    /// sent), applies the revocation list it carries and records the Hub's time: the floor
    /// rises to `server_time`; for a nonce from [`Validator::new_nonce`] (accepted once) it may
    /// also come down to `server_time`, never under the newest signed time held. A nonce already
    /// answered is `nonce_mismatch`.
    pub fn verify_heartbeat(
        &self,
        license: &[u8],
        answer: &str,
        nonce: &str,
    ) -> Result<HeartbeatInfo> {
        let now = self.clock_now()?;
        self.heartbeat_inner(license, answer, nonce, now)
    }

    /// [`Validator::verify_heartbeat`] with `now` given for the "not issued in the future" check
    /// of the embedded revocation list. The answer is applied as by `verify_heartbeat`.
    pub fn verify_heartbeat_at(
        &self,
        license: &[u8],
        answer: &str,
        nonce: &str,
        now: i64,
    ) -> Result<HeartbeatInfo> {
        check_now(now)?;
        self.heartbeat_inner(license, answer, nonce, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::format;

    /// The sorted-`Vec` cache answers as the `BTreeMap` it replaced, emptied at capacity alike.
    #[test]
    fn cache_answers_as_a_map_and_is_emptied_at_capacity() {
        let mut cache = Cache::new();
        let mut map: BTreeMap<String, usize> = BTreeMap::new();
        // Keys in a scrambled order, some twice (a second insert replaces), past the capacity.
        for i in 0..(3 * CACHE_CAPACITY) {
            let key = format!("jws-{}", (i * 7919) % (2 * CACHE_CAPACITY));
            insert_bounded(&mut cache, &key, i);
            if map.len() >= CACHE_CAPACITY {
                map.clear();
            }
            map.insert(key, i);
            assert_eq!(cache.len(), map.len());
        }
        for i in 0..(2 * CACHE_CAPACITY) {
            let key = format!("jws-{i}");
            assert_eq!(cache.get(&key), map.get(&key), "{key}");
        }
        assert_eq!(cache.get("jws-"), None);
        assert!(cache.0.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
