//! The exported [`Validator`] and the foreign [`Clock`] it may read.
//!
//! Core's validator takes `&self` for everything but the environment policy, so it sits behind a
//! read-write lock that only [`Validator::accept_other_environment`] takes for writing: every
//! other call (validations, revocation lists, heartbeats, the trust state) runs concurrently with
//! the others, and core does its own fine-grained locking inside. Every call runs inside the
//! panic boundary with every error translated.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use hwf_license as core;

use crate::error::{guard, LicenseError};
use crate::types::{
    Cml, CmlStanding, Environment, HeartbeatInfo, LedgerSummary, Manifest, NodeFacts, PeriodBounds,
    Receipt, TrustedRootKey, Verdict,
};

/// Where a validator reads the time, implemented by the host language: `now()` returns unix
/// seconds. Called once by every operation "at the clock" (`validate`, `apply_revocation_list`,
/// `verify_heartbeat`), on the calling thread. A value outside 1970..9999 makes that call fail
/// with `invalid_argument`; an exception thrown by the host's implementation is a bug of the
/// host and fails the call with `panic` (902).
#[uniffi::export(callback_interface)]
pub trait Clock: Send + Sync {
    /// The current time in unix seconds.
    fn now(&self) -> i64;
}

/// A foreign [`Clock`] as core's clock.
struct ForeignClock(Box<dyn Clock>);

impl core::Clock for ForeignClock {
    fn now(&self) -> i64 {
        self.0.now()
    }
}

/// Validates `site.lic` files offline against trusted root keys, and verifies the documents an
/// org key signs (revocation lists, heartbeat answers, usage manifests and ledgers).
///
/// It holds one trust state (the clock floor, the revocation lists applied, the newest heartbeat
/// answers) that `validate` and the other clock-reading calls update, and that
/// `export_state`/`import_state` (or `save_state`/`load_state`) carry across restarts. It
/// caches what it verified (a repeated validation skips the signature checks, never the rules).
/// Safe to share between threads; calls run concurrently.
#[derive(Debug, uniffi::Object)]
pub struct Validator {
    inner: RwLock<core::Validator>,
    kept: Mutex<KeptVerdicts>,
}

/// What a validator is built from, parsed once (the root keys by core's key rule, the kids
/// checked distinct, the seed's length checked): the environment, the trusted roots, the
/// environment policy and the nonce seed. `Validator::from_settings` builds any number of
/// independent validators from it without parsing the keys again, as a host that creates
/// validators often (one per request, per tenant, per test) would want.
#[derive(Debug, uniffi::Object)]
pub struct ValidatorSettings {
    environment: core::Environment,
    roots: Vec<core::TrustedRoot>,
    accept_other: bool,
    nonce_seed: Option<[u8; 32]>,
}

impl ValidatorSettings {
    fn parse(
        environment: Environment,
        roots: &[TrustedRootKey],
        accept_other_environment: bool,
        nonce_seed: Option<Vec<u8>>,
    ) -> Result<Self, LicenseError> {
        let roots = roots
            .iter()
            .map(TrustedRootKey::to_core)
            .collect::<Result<Vec<_>, _>>()?;
        let nonce_seed = match nonce_seed {
            None => None,
            Some(seed) => Some(<[u8; 32]>::try_from(seed).map_err(|_| {
                core::Error::InvalidArgument("the nonce seed must be exactly 32 bytes")
            })?),
        };
        Ok(Self {
            environment: environment.into(),
            roots,
            accept_other: accept_other_environment,
            nonce_seed,
        })
    }

    fn build(&self, clock: Option<Box<dyn Clock>>) -> Result<Validator, LicenseError> {
        let mut b = core::Validator::builder(self.environment)
            .roots(self.roots.iter().cloned())
            .accept_other_environment(self.accept_other);
        if let Some(clock) = clock {
            b = b.clock(ForeignClock(clock));
        }
        if let Some(seed) = self.nonce_seed {
            b = b.nonce_seed(seed);
        }
        Ok(Validator {
            inner: RwLock::new(b.build()?),
            kept: Mutex::new(KeptVerdicts::default()),
        })
    }
}

#[uniffi::export]
impl ValidatorSettings {
    /// Parses settings for `Validator::from_settings`: the arguments and errors of
    /// `Validator::new` (`bad_key`, `invalid_argument`), checked here once.
    #[uniffi::constructor(default(accept_other_environment = false, nonce_seed = None))]
    pub fn new(
        environment: Environment,
        roots: Vec<TrustedRootKey>,
        accept_other_environment: bool,
        nonce_seed: Option<Vec<u8>>,
    ) -> Result<Self, LicenseError> {
        guard(|| {
            let s = Self::parse(environment, &roots, accept_other_environment, nonce_seed)?;
            s.build(None)?; // two roots with one kid, the OS randomness: fail here, not later
            Ok(s)
        })
    }
}

/// A verdict a validator keeps (`Validator::kept_verdict_object`), as an object: the record
/// stays in Rust and a host reads what it needs. Immutable; it outlives the validator.
#[derive(Debug, uniffi::Object)]
pub struct KeptVerdict(Arc<Verdict>);

#[uniffi::export]
impl KeptVerdict {
    /// The whole verdict record.
    pub fn record(&self) -> Verdict {
        Verdict::clone(&self.0)
    }

    /// Whether the status is grace (else valid).
    pub fn in_grace(&self) -> bool {
        self.0.status == crate::Status::Grace
    }

    /// Core's feature rule (`has_feature`) over the verdict's `features`.
    pub fn has_feature(&self, name: String) -> bool {
        core::has_feature(&self.0.features, &name)
    }
}

/// How many verdicts a validator keeps for [`Validator::validate_kept`] (the oldest goes first).
pub const KEPT_VERDICTS: usize = 64;

/// The verdicts handed out by id, so that a host whose record conversion is costly (Python's
/// uniffi runtime parses a verdict field by field) converts each distinct verdict once.
///
/// This is a cache of *results*, never of decisions: a `*_kept` call validates exactly as
/// `validate`/`validate_at` do (every rule, every time) and only then compares the verdict it got
/// with the one kept under the host's id, member by member.
#[derive(Debug, Default)]
struct KeptVerdicts {
    next: u64,
    slots: VecDeque<(u64, Arc<Verdict>)>,
}

impl KeptVerdicts {
    /// `known` when the verdict kept under it equals `verdict`, else a fresh id it is kept under.
    fn id_of(&mut self, known: u64, verdict: Verdict) -> u64 {
        if known != 0
            && self
                .slots
                .iter()
                .any(|(id, v)| *id == known && **v == verdict)
        {
            return known;
        }
        if self.slots.len() >= KEPT_VERDICTS {
            self.slots.pop_front();
        }
        self.next += 1;
        self.slots.push_back((self.next, Arc::new(verdict)));
        self.next
    }

    fn get(&self, id: u64) -> Option<Verdict> {
        self.slots
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| Verdict::clone(v))
    }
}

impl Validator {
    fn read(&self) -> Result<RwLockReadGuard<'_, core::Validator>, LicenseError> {
        self.inner.read().map_err(|_| poisoned())
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, core::Validator>, LicenseError> {
        self.inner.write().map_err(|_| poisoned())
    }
}

impl Validator {
    fn kept_lock(&self) -> Result<std::sync::MutexGuard<'_, KeptVerdicts>, LicenseError> {
        self.kept.lock().map_err(|_| poisoned())
    }

    fn keep(&self, known: u64, verdict: Verdict) -> Result<u64, LicenseError> {
        Ok(self.kept_lock()?.id_of(known, verdict))
    }
}

fn poisoned() -> LicenseError {
    LicenseError::panic("validator unusable after a panic in an earlier call")
}

#[uniffi::export]
impl Validator {
    /// A validator for `environment` trusting `roots`.
    ///
    /// - `accept_other_environment`: the explicit opt-in to CMLs of the other environment;
    /// - `last_seen`: a host's persisted last-seen time (unix seconds), a floor the clock may not
    ///   go under (prefer `import_state`, which keeps revocation lists too);
    /// - `clock`: where `validate` and the other clock-reading calls read the time (default: the
    ///   system clock);
    /// - `nonce_seed`: the 32-byte secret heartbeat nonces are derived from (default: fresh OS
    ///   randomness; a fixed seed is for tests and conformance vectors only). Another length is
    ///   `invalid_argument`.
    ///
    /// A root key that is not a P-256 PEM or JWK fails with `bad_key`; two roots with the same
    /// kid with `invalid_argument`.
    #[uniffi::constructor(default(
        accept_other_environment = false,
        last_seen = None,
        clock = None,
        nonce_seed = None
    ))]
    pub fn new(
        environment: Environment,
        roots: Vec<TrustedRootKey>,
        accept_other_environment: bool,
        last_seen: Option<i64>,
        clock: Option<Box<dyn Clock>>,
        nonce_seed: Option<Vec<u8>>,
    ) -> Result<Self, LicenseError> {
        guard(|| {
            let settings = ValidatorSettings::parse(
                environment,
                &roots,
                accept_other_environment,
                nonce_seed,
            )?;
            let v = settings.build(clock)?;
            if let Some(t) = last_seen {
                v.read()?.set_last_seen(t)?;
            }
            Ok(v)
        })
    }

    /// A new validator (empty caches, empty trust state, fresh nonce randomness unless the
    /// settings fix a seed) from settings parsed once, at the system clock. The same validator
    /// as `new` with those arguments builds, without parsing the root keys again.
    #[uniffi::constructor]
    pub fn from_settings(settings: Arc<ValidatorSettings>) -> Result<Self, LicenseError> {
        guard(|| settings.build(None))
    }

    /// `from_settings` at a host's clock.
    #[uniffi::constructor]
    pub fn from_settings_with_clock(
        settings: Arc<ValidatorSettings>,
        clock: Box<dyn Clock>,
    ) -> Result<Self, LicenseError> {
        guard(|| settings.build(Some(clock)))
    }

    /// Validates the bytes of a `site.lic` for a node with `facts` at the validator's clock. On
    /// success the clock floor rises to that time.
    pub fn validate(&self, license: &[u8], facts: Arc<NodeFacts>) -> Result<Verdict, LicenseError> {
        guard(|| Ok(self.read()?.validate(license, facts.facts())?.into()))
    }

    /// What-if: validates as if the time were `now` (unix seconds). Every rule, the trust state
    /// included, is checked, but the trust state is never written.
    pub fn validate_at(
        &self,
        license: &[u8],
        facts: Arc<NodeFacts>,
        now: i64,
    ) -> Result<Verdict, LicenseError> {
        guard(|| {
            Ok(self
                .read()?
                .validate_at(license, facts.facts(), now)?
                .into())
        })
    }

    /// `validate`, answering with the id of the verdict instead of the verdict: `known` (the id
    /// the host got before, `0` for none) when this call's verdict equals the one kept under it,
    /// member by member, else a new id its verdict is kept under (fetch it with
    /// [`Validator::kept_verdict`]). The validation is exactly `validate`'s, every rule checked
    /// and the clock floor raised on every call: only the host's conversion of an unchanged
    /// verdict is saved. The last [`KEPT_VERDICTS`] distinct verdicts are kept.
    pub fn validate_kept(
        &self,
        license: &[u8],
        facts: Arc<NodeFacts>,
        known: u64,
    ) -> Result<u64, LicenseError> {
        guard(|| {
            let verdict = self.read()?.validate(license, facts.facts())?.into();
            self.keep(known, verdict)
        })
    }

    /// `validate_at`, answering with the id of the verdict as [`Validator::validate_kept`] does.
    pub fn validate_at_kept(
        &self,
        license: &[u8],
        facts: Arc<NodeFacts>,
        now: i64,
        known: u64,
    ) -> Result<u64, LicenseError> {
        guard(|| {
            let verdict = self
                .read()?
                .validate_at(license, facts.facts(), now)?
                .into();
            self.keep(known, verdict)
        })
    }

    /// The verdict kept under `id` (by `validate_kept` or `validate_at_kept`), or `None` when it
    /// is no longer kept (more than [`KEPT_VERDICTS`] distinct verdicts since).
    pub fn kept_verdict(&self, id: u64) -> Result<Option<Verdict>, LicenseError> {
        guard(|| Ok(self.kept_lock()?.get(id)))
    }

    /// The verdict kept under `id` as an object, its members read when asked (for a host that
    /// reads a few members of a fresh verdict: each read is one call, the whole record one
    /// call too). `invalid_argument` when that verdict is no longer kept.
    pub fn kept_verdict_object(&self, id: u64) -> Result<Arc<KeptVerdict>, LicenseError> {
        guard(|| {
            let kept = self.kept_lock()?;
            let (_, v) =
                kept.slots
                    .iter()
                    .find(|(i, _)| *i == id)
                    .ok_or(core::Error::InvalidArgument(
                        "that verdict is no longer kept",
                    ))?;
            Ok(Arc::new(KeptVerdict(Arc::clone(v))))
        })
    }

    /// Verifies a revocation list (compact JWS) against the CML of `license` and applies it (not
    /// issued after the validator's clock); returns its sequence number. An older list than the
    /// one applied fails with `revocation_list_stale`.
    pub fn apply_revocation_list(
        &self,
        license: &[u8],
        revocation_list: String,
    ) -> Result<u64, LicenseError> {
        guard(|| {
            Ok(self
                .read()?
                .apply_revocation_list(license, &revocation_list)?)
        })
    }

    /// `apply_revocation_list` with `now` (unix seconds) for the "not issued in the future"
    /// check. The list is applied.
    pub fn apply_revocation_list_at(
        &self,
        license: &[u8],
        revocation_list: String,
        now: i64,
    ) -> Result<u64, LicenseError> {
        guard(|| {
            Ok(self
                .read()?
                .apply_revocation_list_at(license, &revocation_list, now)?)
        })
    }

    /// Verifies a heartbeat answer (compact JWS) for `license` carrying the `nonce` the node
    /// sent, applies the revocation list it carries and records the Hub's time. For a nonce of
    /// `new_nonce` (accepted once) the clock floor may also come down to the Hub's time.
    pub fn verify_heartbeat(
        &self,
        license: &[u8],
        answer: String,
        nonce: String,
    ) -> Result<HeartbeatInfo, LicenseError> {
        guard(|| {
            Ok(self
                .read()?
                .verify_heartbeat(license, &answer, &nonce)?
                .into())
        })
    }

    /// `verify_heartbeat` with `now` (unix seconds) for the "not issued in the future" check of
    /// the embedded revocation list. The answer is applied.
    pub fn verify_heartbeat_at(
        &self,
        license: &[u8],
        answer: String,
        nonce: String,
        now: i64,
    ) -> Result<HeartbeatInfo, LicenseError> {
        guard(|| {
            Ok(self
                .read()?
                .verify_heartbeat_at(license, &answer, &nonce, now)?
                .into())
        })
    }

    /// A fresh nonce for a heartbeat request (see `verify_heartbeat`).
    pub fn new_nonce(&self) -> Result<String, LicenseError> {
        guard(|| Ok(self.read()?.new_nonce()?))
    }

    /// Verifies a CML (compact JWS) against the trusted roots and the environment policy.
    pub fn verify_cml(&self, cml: String) -> Result<Cml, LicenseError> {
        guard(|| Ok(Cml::from(&*self.read()?.verify_cml(&cml)?)))
    }

    /// Verifies a usage manifest (compact JWS) signed by the org key of `cml` (compact JWS,
    /// verified first): signature, org, CML binding, period and totals.
    pub fn verify_manifest(&self, cml: String, manifest: String) -> Result<Manifest, LicenseError> {
        guard(|| {
            let cml = self.read()?.verify_cml(&cml)?;
            Ok(core::verify_manifest(&cml, &manifest)?.into())
        })
    }

    /// Verifies a Root's manifest receipt (compact JWS, `hwf-receipt+jws`) and its receipt key
    /// certificate (`hwf-receipt-key+jws`) at `now` with this validator's roots and environment
    /// policy (core's `Validator::verify_receipt`): the certificate signed by a trusted root and
    /// valid at `now`, the receipt signed by the certified key and dated within the certificate,
    /// for `org_id` and the manifest whose document id is `manifest_id`.
    pub fn verify_receipt(
        &self,
        certificate: String,
        receipt: String,
        org_id: String,
        manifest_id: String,
        now: i64,
    ) -> Result<Receipt, LicenseError> {
        guard(|| {
            Ok(self
                .read()?
                .verify_receipt(&certificate, &receipt, &org_id, &manifest_id, now)?
                .into())
        })
    }

    /// Verifies a usage manifest as `verify_manifest` does, the whole ledger it reports as
    /// `verify_ledger` does, and that the manifest's `ledger_head`/`ledger_length` are that
    /// ledger's (core's `check_manifest_ledger`; `manifest_invalid` otherwise).
    pub fn verify_manifest_with_ledger(
        &self,
        cml: String,
        manifest: String,
        entries: Vec<String>,
    ) -> Result<Manifest, LicenseError> {
        guard(|| {
            let cml = self.read()?.verify_cml(&cml)?;
            let m = core::verify_manifest(&cml, &manifest)?;
            let ledger = core::verify_ledger(&cml, entries.iter().map(String::as_str))?;
            core::check_manifest_ledger(&m.claims, &ledger)?;
            Ok(m.into())
        })
    }

    /// Verifies a whole usage ledger (compact JWS entries, oldest first) of the org of `cml`:
    /// signatures, sequence, hash chain and time order. A bad entry fails with `ledger_broken`
    /// and its index.
    pub fn verify_ledger(
        &self,
        cml: String,
        entries: Vec<String>,
    ) -> Result<LedgerSummary, LicenseError> {
        guard(|| {
            let cml = self.read()?.verify_cml(&cml)?;
            Ok(core::verify_ledger(&cml, entries.iter().map(String::as_str))?.into())
        })
    }

    /// The standing of a CML (compact JWS, verified first) at `now` (unix seconds): valid,
    /// expiring (30 days or fewer left), in grace or expired, with the days left.
    pub fn cml_standing(&self, cml: String, now: i64) -> Result<CmlStanding, LicenseError> {
        guard(|| {
            core::time::check_now(now)?;
            let cml = self.read()?.verify_cml(&cml)?;
            Ok(core::cml_standing(&cml.claims, now).into())
        })
    }

    /// Whether a usage manifest may cover `period` (`YYYY-MM`) under a CML (compact JWS,
    /// verified first) at `now`: the month has started, did not end before the CML was issued
    /// and does not start after its grace ended. The month's bounds, or `manifest_invalid`.
    pub fn manifest_period(
        &self,
        cml: String,
        period: String,
        now: i64,
    ) -> Result<PeriodBounds, LicenseError> {
        guard(|| {
            core::time::check_now(now)?;
            let cml = self.read()?.verify_cml(&cml)?;
            let (start, end) = core::check_manifest_period(&cml.claims, &period, now)?;
            Ok(PeriodBounds { start, end })
        })
    }

    // --- trust state ---------------------------------------------------------------------

    /// The trust state as bytes (`docs/FORMAT.md` §7); clears `state_changed`.
    pub fn export_state(&self) -> Result<Vec<u8>, LicenseError> {
        guard(|| Ok(self.read()?.export_state()))
    }

    /// Merges trust state bytes in (the floor only rises, a list only replaces an older one;
    /// every document is re-verified under this validator's roots and policy). Corrupt,
    /// truncated or foreign bytes fail with `bad_state` (oversized ones with `too_large`) and
    /// change nothing.
    pub fn import_state(&self, state: &[u8]) -> Result<(), LicenseError> {
        guard(|| Ok(self.read()?.import_state(state)?))
    }

    /// Whether the trust state changed since the last export or save: persist only then.
    pub fn state_changed(&self) -> Result<bool, LicenseError> {
        guard(|| Ok(self.read()?.state_changed()))
    }

    /// Writes the trust state to the file `path` atomically (mode 0600 on Unix); clears
    /// `state_changed`. An OS failure is [`LicenseError::Io`].
    pub fn save_state(&self, path: String) -> Result<(), LicenseError> {
        guard(|| Ok(self.read()?.save_state(path)?))
    }

    /// Loads and merges the trust state of the file `path`; `false` when there is no such file.
    /// Bad contents fail with `bad_state` (the validator unchanged), an OS failure with
    /// [`LicenseError::Io`].
    pub fn load_state(&self, path: String) -> Result<bool, LicenseError> {
        guard(|| Ok(self.read()?.load_state(path)?))
    }

    /// Raises the clock floor to a host's persisted last-seen time (unix seconds; never lowers
    /// it).
    pub fn set_last_seen(&self, last_seen: i64) -> Result<(), LicenseError> {
        guard(|| Ok(self.read()?.set_last_seen(last_seen)?))
    }

    /// The time (unix seconds) the clock may not go under (by more than the tolerated skew).
    pub fn clock_floor(&self) -> Result<i64, LicenseError> {
        guard(|| Ok(self.read()?.clock_floor()))
    }

    // --- policy --------------------------------------------------------------------------

    /// Accepts CMLs of the other environment too, or stops accepting them: takes effect on the
    /// next call, cached chains included. Waits for the calls in flight.
    pub fn accept_other_environment(&self, accept: bool) -> Result<(), LicenseError> {
        guard(|| {
            self.write()?.accept_other_environment(accept);
            Ok(())
        })
    }

    /// The validator's own environment.
    pub fn environment(&self) -> Result<Environment, LicenseError> {
        guard(|| Ok(self.read()?.policy().environment.into()))
    }

    /// Whether CMLs of the other environment are accepted too.
    pub fn accepts_other_environment(&self) -> Result<bool, LicenseError> {
        guard(|| Ok(self.read()?.policy().accept_other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicI64, Ordering};

    fn validator(clock: Option<Box<dyn Clock>>, seed: Option<Vec<u8>>) -> Validator {
        Validator::new(Environment::Prod, vec![], false, None, clock, seed).unwrap()
    }

    struct Fixed(Arc<AtomicI64>);

    impl Clock for Fixed {
        fn now(&self) -> i64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    struct Panicking;

    impl Clock for Panicking {
        fn now(&self) -> i64 {
            panic!("the host's clock threw")
        }
    }

    fn verdict(site: &str) -> Verdict {
        Verdict {
            status: crate::Status::Valid,
            site_id: site.into(),
            org_id: "acme".into(),
            license_id: "lic".into(),
            cml_license_id: "cml".into(),
            cml_id: "00".into(),
            site_document_id: "11".into(),
            environment: Environment::Prod,
            product: "p".into(),
            tier: "t".into(),
            features: vec!["analytics".into()],
            issued_at: 1,
            expires_at: 2,
            site_expires_at: 2,
            cml_valid_until: 3,
            max_sites: 4,
            feature_packs: vec![],
            max_offline_days: None,
            fingerprint: crate::Fingerprint::default(),
            grace_end: 5,
            grace_days_left: None,
            warnings: vec![],
        }
    }

    #[test]
    fn kept_verdicts_reuse_an_id_only_for_an_equal_verdict() {
        let mut kept = KeptVerdicts::default();
        let a = kept.id_of(0, verdict("a"));
        assert_eq!(a, 1);
        assert_eq!(kept.id_of(a, verdict("a")), a);
        assert_eq!(kept.get(a), Some(verdict("a")));
        // Any member differing gives a new id; the known one is not reused.
        let mut grace = verdict("a");
        grace.grace_days_left = Some(3);
        let g = kept.id_of(a, grace.clone());
        assert_ne!(g, a);
        assert_eq!(kept.get(g), Some(grace));
        // An unknown or zero id never matches, even for an equal verdict.
        assert_ne!(kept.id_of(0, verdict("a")), a);
        assert_ne!(kept.id_of(999, verdict("a")), 999);
        // At most KEPT_VERDICTS are kept, the oldest goes first.
        for i in 0..KEPT_VERDICTS {
            kept.id_of(0, verdict(&format!("s{i}")));
        }
        assert_eq!(kept.slots.len(), KEPT_VERDICTS);
        assert_eq!(kept.get(a), None);
        assert_ne!(kept.id_of(a, verdict("a")), a);
    }

    #[test]
    fn a_failed_kept_validation_is_the_same_error_and_keeps_nothing() {
        let v = validator(None, None);
        let facts = Arc::new(NodeFacts::none());
        let plain = v.validate_at(b"{}", Arc::clone(&facts), 1_000).unwrap_err();
        let kept = v.validate_at_kept(b"{}", Arc::clone(&facts), 1_000, 0);
        assert_eq!(kept, Err(plain));
        let e = v.validate_kept(b"{}", facts, 0).unwrap_err();
        assert_eq!(e.code(), Some(100));
        assert_eq!(v.kept_verdict(1), Ok(None));
        assert!(v.kept.lock().unwrap().slots.is_empty());
    }

    #[test]
    fn settings_build_independent_validators_and_check_what_new_checks() {
        let settings = Arc::new(
            ValidatorSettings::new(Environment::Dev, vec![], true, Some(vec![7; 32])).unwrap(),
        );
        let a = Validator::from_settings(Arc::clone(&settings)).unwrap();
        let b = Validator::from_settings(Arc::clone(&settings)).unwrap();
        let n = Validator::new(
            Environment::Dev,
            vec![],
            true,
            None,
            None,
            Some(vec![7; 32]),
        )
        .unwrap();
        assert_eq!(a.environment(), Ok(Environment::Dev));
        assert_eq!(a.accepts_other_environment(), Ok(true));
        // Same seed, same nonces; separate trust states and policies.
        let first = n.new_nonce().unwrap();
        assert_eq!(a.new_nonce().unwrap(), first);
        assert_eq!(b.new_nonce().unwrap(), first);
        a.set_last_seen(900).unwrap();
        assert_eq!((a.clock_floor(), b.clock_floor()), (Ok(900), Ok(0)));
        a.accept_other_environment(false).unwrap();
        assert_eq!(b.accepts_other_environment(), Ok(true));
        let now = Arc::new(AtomicI64::new(-5));
        let c = Validator::from_settings_with_clock(settings, Box::new(Fixed(now))).unwrap();
        let e = c.validate(b"{}", Arc::new(NodeFacts::none())).unwrap_err();
        assert_eq!(e.code(), Some(110));

        let e = ValidatorSettings::new(Environment::Prod, vec![], false, Some(vec![1; 31]))
            .unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(110), "invalid_argument"));
        let bad = TrustedRootKey {
            kid: "k".into(),
            environment: Environment::Prod,
            key: "not a key".into(),
        };
        let e = ValidatorSettings::new(Environment::Prod, vec![bad], false, None).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(109), "bad_key"));
        let key = core::SigningKey::from_seed(b"k").public_key().to_pem();
        let root = TrustedRootKey {
            kid: "same".into(),
            environment: Environment::Prod,
            key,
        };
        let e = ValidatorSettings::new(Environment::Prod, vec![root.clone(), root], false, None)
            .unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(110), "invalid_argument"));
    }

    #[test]
    fn a_kept_verdict_object_reads_the_kept_verdict_and_outlives_the_validator() {
        let v = validator(None, None);
        let id = v.keep(0, verdict("a")).unwrap();
        let o = v.kept_verdict_object(id).unwrap();
        drop(v);
        assert_eq!(o.record(), verdict("a"));
        assert!(!o.in_grace());
        assert!(o.has_feature("analytics".into()));
        assert!(!o.has_feature("Analytics".into()));
        let v = validator(None, None);
        let mut grace = verdict("g");
        grace.status = crate::Status::Grace;
        let id = v.keep(0, grace).unwrap();
        assert!(v.kept_verdict_object(id).unwrap().in_grace());
        let e = v.kept_verdict_object(id + 1).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(110), "invalid_argument"));
    }

    #[test]
    fn a_validator_poisoned_by_a_panic_answers_code_902_not_a_second_panic() {
        let v = Validator::new(Environment::Prod, vec![], false, Some(10), None, None).unwrap();
        assert_eq!(v.clock_floor(), Ok(10));
        let poisoned = std::thread::scope(|s| {
            s.spawn(|| {
                let _guard = v.inner.write().unwrap();
                panic!("poison");
            })
            .join()
        });
        assert!(poisoned.is_err());
        let e = v.clock_floor().unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(902), "panic"));
        assert_eq!(
            e.to_string(),
            "validator unusable after a panic in an earlier call"
        );
        let e = v
            .validate_at(b"{}", Arc::new(NodeFacts::none()), 0)
            .unwrap_err();
        assert_eq!(e.code(), Some(902));
    }

    #[test]
    fn a_panicking_clock_fails_the_call_with_902_and_leaves_the_validator_usable() {
        let v = validator(Some(Box::new(Panicking)), None);
        let e = v.validate(b"{}", Arc::new(NodeFacts::none())).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(902), "panic"));
        assert!(e.to_string().ends_with("the host's clock threw"), "{e}");
        // A panic under a read lock does not poison it.
        assert_eq!(v.clock_floor(), Ok(0));
        assert!(v.export_state().is_ok());
    }

    #[test]
    fn validate_reads_the_foreign_clock_and_validate_at_does_not() {
        let now = Arc::new(AtomicI64::new(-5));
        let v = validator(Some(Box::new(Fixed(Arc::clone(&now)))), None);
        let facts = Arc::new(NodeFacts::none());
        let e = v.validate(b"{}", Arc::clone(&facts)).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(110), "invalid_argument"));
        now.store(1_000_000, Ordering::Relaxed);
        let e = v.validate(b"{}", Arc::clone(&facts)).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(100), "malformed"));
        let e = v.validate_at(b"{}", facts, -1).unwrap_err();
        assert_eq!(e.code(), Some(110));
    }

    #[test]
    fn the_nonce_seed_must_be_32_bytes_and_fixes_the_nonces() {
        for len in [0, 31, 33] {
            let e = Validator::new(
                Environment::Prod,
                vec![],
                false,
                None,
                None,
                Some(vec![7; len]),
            )
            .unwrap_err();
            assert_eq!((e.code(), e.name()), (Some(110), "invalid_argument"));
            assert_eq!(
                e.to_string(),
                "invalid argument: the nonce seed must be exactly 32 bytes"
            );
        }
        let a = validator(None, Some(vec![7; 32]));
        let b = validator(None, Some(vec![7; 32]));
        let first = a.new_nonce().unwrap();
        assert_eq!(first, b.new_nonce().unwrap());
        assert_ne!(first, a.new_nonce().unwrap());
        assert_ne!(validator(None, None).new_nonce().unwrap(), first);
    }

    #[test]
    fn state_round_trips_and_bad_bytes_are_bad_state() {
        let v = Validator::new(Environment::Prod, vec![], false, Some(500), None, None).unwrap();
        assert_eq!(v.state_changed(), Ok(true));
        let bytes = v.export_state().unwrap();
        assert_eq!(v.state_changed(), Ok(false));
        let w = validator(None, None);
        w.import_state(&bytes).unwrap();
        assert_eq!(w.clock_floor(), Ok(500));
        let e = w.import_state(&bytes[..bytes.len() - 1]).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(111), "bad_state"));
        assert_eq!(w.clock_floor(), Ok(500));
    }

    #[test]
    fn save_and_load_state_files_and_their_errors() {
        let dir = std::env::temp_dir().join(format!("hwf-uniffi-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("trust.state");
        let path_s = path.to_str().unwrap().to_owned();
        let v = Validator::new(Environment::Prod, vec![], false, Some(700), None, None).unwrap();
        let w = validator(None, None);
        assert_eq!(w.load_state(path_s.clone()), Ok(false));
        v.save_state(path_s.clone()).unwrap();
        assert_eq!(v.state_changed(), Ok(false));
        assert_eq!(w.load_state(path_s.clone()), Ok(true));
        assert_eq!(w.clock_floor(), Ok(700));

        std::fs::write(&path, b"hwf-trust-state 1\ngarbage").unwrap();
        let e = w.load_state(path_s).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(111), "bad_state"));

        // A directory where the file should be: an OS error, not a license error.
        let e = w.load_state(dir.to_str().unwrap().to_owned()).unwrap_err();
        assert!(
            matches!(e, LicenseError::Io { errno: Some(_), .. }),
            "{e:?}"
        );
        let e = v
            .save_state(dir.join("missing/x").to_str().unwrap().to_owned())
            .unwrap_err();
        assert!(
            matches!(&e, LicenseError::Io { kind, errno: Some(2), .. } if kind == "NotFound"),
            "{e:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_manifest_is_checked_against_the_ledger_it_reports() {
        use hwf_license::issue;
        const T0: i64 = 1_767_225_600;
        let root = core::SigningKey::from_seed(b"uniffi root");
        let org = core::SigningKey::from_seed(b"uniffi org");
        let cml_claims = core::CmlClaims {
            license_id: "cml-1".into(),
            org_id: "acme".into(),
            max_sites: 10,
            issued_at: T0,
            valid_until: T0 + 365 * 86_400,
            feature_packs: vec!["analytics".into()],
            key_type: core::Environment::Prod,
            org_key: org.public_key().to_jwk(),
            grace_days: 30,
            ..Default::default()
        };
        let cml = issue::sign_cml(&root, "root-1", &cml_claims).unwrap();
        let v = Validator::new(
            Environment::Prod,
            vec![TrustedRootKey {
                kid: "root-1".into(),
                environment: Environment::Prod,
                key: root.public_key().to_pem(),
            }],
            false,
            None,
            None,
            None,
        )
        .unwrap();
        let cml_id = v.verify_cml(cml.clone()).unwrap().id;
        let mut prev = core::GENESIS_PREV.to_owned();
        let entries: Vec<String> = (0..3)
            .map(|seq| {
                let e = issue::sign_ledger_entry(
                    &org,
                    &core::LedgerEntryClaims {
                        org_id: "acme".into(),
                        cml: cml_id.clone(),
                        seq,
                        prev: prev.clone(),
                        at: T0 + seq as i64,
                        event: core::LedgerEvent::SiteCreated,
                        site_id: Some(format!("site-{seq}")),
                        ..Default::default()
                    },
                )
                .unwrap();
                prev = core::document_id(&e).unwrap();
                e
            })
            .collect();
        let summary = v.verify_ledger(cml.clone(), entries.clone()).unwrap();
        let manifest = issue::sign_manifest(
            &org,
            &core::ManifestClaims {
                org_id: "acme".into(),
                cml: cml_id,
                period: "2026-01".into(),
                generated_at: T0 + 86_400,
                ledger_head: summary.head.clone(),
                ledger_length: summary.length,
                ..Default::default()
            },
        )
        .unwrap();
        let m = v
            .verify_manifest_with_ledger(cml.clone(), manifest.clone(), entries.clone())
            .unwrap();
        assert_eq!(m, v.verify_manifest(cml.clone(), manifest.clone()).unwrap());
        assert_eq!((m.ledger_head, m.ledger_length), (summary.head, 3));
        let e = v
            .verify_manifest_with_ledger(cml.clone(), manifest.clone(), entries[..2].to_vec())
            .unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(501), "manifest_invalid"));
        let mut broken = entries;
        broken.swap(1, 2);
        let e = v
            .verify_manifest_with_ledger(cml, manifest, broken)
            .unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(500), "ledger_broken"));
        assert!(
            matches!(e, LicenseError::Usage { index: Some(1), .. }),
            "{e:?}"
        );
    }

    #[test]
    fn constructor_errors_are_translated() {
        let bad = TrustedRootKey {
            kid: "k".into(),
            environment: Environment::Prod,
            key: "not a key".into(),
        };
        let e = Validator::new(Environment::Prod, vec![bad], false, None, None, None).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(109), "bad_key"));
        assert!(matches!(e, LicenseError::Format { .. }));
        let e = Validator::new(Environment::Dev, vec![], true, Some(-1), None, None).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(110), "invalid_argument"));
        let v = Validator::new(Environment::Dev, vec![], true, None, None, None).unwrap();
        assert_eq!(v.environment(), Ok(Environment::Dev));
        assert_eq!(v.accepts_other_environment(), Ok(true));
        v.accept_other_environment(false).unwrap();
        assert_eq!(v.accepts_other_environment(), Ok(false));
    }
}
