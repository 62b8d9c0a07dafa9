//! The exported [`Validator`]: core's validator behind a mutex (uniffi objects are shared between
//! threads), with every call inside the panic boundary and every error translated.

use std::sync::{Arc, Mutex, MutexGuard};

use hwf_license as core;

use crate::error::{guard, LicenseError};
use crate::types::{
    Cml, Environment, HeartbeatInfo, LedgerSummary, Manifest, NodeFacts, TrustedRootKey, Verdict,
};

/// Validates `site.lic` files offline against trusted root keys, and verifies the documents an
/// org key signs (revocation lists, heartbeat answers, usage manifests and ledgers).
///
/// It remembers what it has verified (a repeated validation skips the signature checks, never
/// the rules), the revocation lists applied and the newest trusted time (clock-rollback floor).
/// Safe to share between threads; calls are serialised.
#[derive(Debug, uniffi::Object)]
pub struct Validator {
    inner: Mutex<core::Validator>,
}

impl Validator {
    fn lock(&self) -> Result<MutexGuard<'_, core::Validator>, LicenseError> {
        self.inner
            .lock()
            .map_err(|_| LicenseError::panic("validator unusable after a panic in an earlier call"))
    }
}

#[uniffi::export]
impl Validator {
    /// A validator for `environment` trusting `roots`; `accept_other_environment` is the explicit
    /// opt-in to CMLs of the other environment; `last_seen` is the host's persisted last-seen time
    /// (unix seconds), a floor the clock may not go under. A root key that is not a P-256 PEM or
    /// JWK fails with `bad_key`.
    #[uniffi::constructor]
    pub fn new(
        environment: Environment,
        roots: Vec<TrustedRootKey>,
        accept_other_environment: bool,
        last_seen: Option<i64>,
    ) -> Result<Self, LicenseError> {
        guard(|| {
            let roots = roots
                .iter()
                .map(TrustedRootKey::to_core)
                .collect::<Result<Vec<_>, _>>()?;
            let mut v = core::Validator::new(environment.into(), roots);
            v.accept_other_environment(accept_other_environment);
            if let Some(t) = last_seen {
                v.set_last_seen(t)?;
            }
            Ok(Self {
                inner: Mutex::new(v),
            })
        })
    }

    /// Validates the bytes of a `site.lic` for a node with `facts` at `now` (unix seconds).
    pub fn validate(
        &self,
        license: &[u8],
        facts: Arc<NodeFacts>,
        now: i64,
    ) -> Result<Verdict, LicenseError> {
        guard(|| Ok(self.lock()?.validate(license, facts.facts(), now)?.into()))
    }

    /// Verifies a revocation list (compact JWS) against the CML of `license` and applies it;
    /// returns its sequence number. An older list than the one applied fails with
    /// `revocation_list_stale`.
    pub fn apply_revocation_list(
        &self,
        license: &[u8],
        revocation_list: String,
        now: i64,
    ) -> Result<u64, LicenseError> {
        guard(|| {
            Ok(self
                .lock()?
                .apply_revocation_list(license, &revocation_list, now)?)
        })
    }

    /// Verifies a heartbeat answer (compact JWS) for `license` carrying the `nonce` the node sent,
    /// and applies the revocation list it carries.
    pub fn verify_heartbeat(
        &self,
        license: &[u8],
        answer: String,
        nonce: String,
        now: i64,
    ) -> Result<HeartbeatInfo, LicenseError> {
        guard(|| {
            let info = self
                .lock()?
                .verify_heartbeat(license, &answer, &nonce, now)?;
            Ok(info.into())
        })
    }

    /// Verifies a CML (compact JWS) against the trusted roots and the environment policy.
    pub fn verify_cml(&self, cml: String) -> Result<Cml, LicenseError> {
        guard(|| Ok(Cml::from(&*self.lock()?.verify_cml(&cml)?)))
    }

    /// Verifies a usage manifest (compact JWS) signed by the org key of `cml` (compact JWS,
    /// verified first): signature, org, CML binding, period and totals.
    pub fn verify_manifest(&self, cml: String, manifest: String) -> Result<Manifest, LicenseError> {
        guard(|| {
            let cml = self.lock()?.verify_cml(&cml)?;
            Ok(core::verify_manifest(&cml, &manifest)?.into())
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
            let cml = self.lock()?.verify_cml(&cml)?;
            Ok(core::verify_ledger(&cml, entries.iter().map(String::as_str))?.into())
        })
    }

    /// Sets the host's persisted last-seen time (unix seconds): the clock may not go under it.
    pub fn set_last_seen(&self, last_seen: i64) -> Result<(), LicenseError> {
        guard(|| Ok(self.lock()?.set_last_seen(last_seen)?))
    }

    /// The time (unix seconds) the clock may not go under: the maximum of the last-seen time and
    /// every signed `issued_at` accepted so far. Persist it and give it back as `last_seen`.
    pub fn clock_floor(&self) -> Result<i64, LicenseError> {
        guard(|| Ok(self.lock()?.clock_floor()))
    }

    /// The validator's own environment.
    pub fn environment(&self) -> Result<Environment, LicenseError> {
        guard(|| Ok(self.lock()?.policy().environment.into()))
    }

    /// Whether CMLs of the other environment are accepted too.
    pub fn accepts_other_environment(&self) -> Result<bool, LicenseError> {
        guard(|| Ok(self.lock()?.policy().accept_other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validator_poisoned_by_a_panic_answers_code_902_not_a_second_panic() {
        let v = Validator::new(Environment::Prod, vec![], false, Some(10)).unwrap();
        assert_eq!(v.clock_floor(), Ok(10));
        let poisoned = std::thread::scope(|s| {
            s.spawn(|| {
                let _guard = v.inner.lock().unwrap();
                panic!("poison");
            })
            .join()
        });
        assert!(poisoned.is_err());
        let e = v.clock_floor().unwrap_err();
        assert_eq!((e.code(), e.name()), (902, "panic"));
        assert_eq!(
            e.to_string(),
            "validator unusable after a panic in an earlier call"
        );
        let e = v
            .validate(b"{}", Arc::new(NodeFacts::none()), 0)
            .unwrap_err();
        assert_eq!(e.code(), 902);
    }

    #[test]
    fn constructor_errors_are_translated() {
        let bad = TrustedRootKey {
            kid: "k".into(),
            environment: Environment::Prod,
            key: "not a key".into(),
        };
        let e = Validator::new(Environment::Prod, vec![bad], false, None).unwrap_err();
        assert_eq!((e.code(), e.name()), (109, "bad_key"));
        assert!(matches!(e, LicenseError::Format { .. }));
        let e = Validator::new(Environment::Dev, vec![], true, Some(-1)).unwrap_err();
        assert_eq!((e.code(), e.name()), (110, "invalid_argument"));
        let v = Validator::new(Environment::Dev, vec![], true, None).unwrap();
        assert_eq!(v.environment(), Ok(Environment::Dev));
        assert_eq!(v.accepts_other_environment(), Ok(true));
    }
}
