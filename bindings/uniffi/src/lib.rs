//! # hwf-license-uniffi
//!
//! [UniFFI](https://mozilla.github.io/uniffi-rs/) bindings of [`hwf_license`]: the Python package
//! `hwf_license` today (built with maturin, see `docs/PYTHON.md`), Kotlin and Swift from the same
//! crate later. Proc-macros only (`uniffi::setup_scaffolding!`, exported types, no UDL).
//!
//! This crate holds **no license logic**: every rule lives in core. It translates types (unix
//! seconds stay `i64`, keys arrive as PEM or JWK text, the license file as bytes) and errors (every
//! core error becomes a [`LicenseError`] carrying core's stable code, name and message, grouped by
//! the code's domain; an OS failure of a state file is [`LicenseError::Io`]).
//!
//! | item | what it does |
//! |------|--------------|
//! | [`Validator`] | trusted roots + environment (+ clock, nonce seed) → `validate` / `validate_at` (and `validate_kept` / `validate_at_kept` + `kept_verdict` / `kept_verdict_object`: the same validation answered with a verdict id, for hosts whose record conversion is costly), `apply_revocation_list`, `verify_heartbeat`, `new_nonce`, `verify_cml`, `cml_standing`, `manifest_period`, `verify_manifest`, `verify_manifest_with_ledger`, `verify_ledger`; the trust state: `export_state` / `import_state`, `save_state` / `load_state`, `state_changed`, `clock_floor` |
//! | [`ValidatorSettings`] | roots, environment, policy and nonce seed parsed once; `Validator::from_settings` builds validators from it without parsing the keys again |
//! | [`KeptVerdict`] | a kept verdict as an object: `record`, `in_grace`, `has_feature` |
//! | [`Clock`] | a time source the host implements (callback interface), read by `validate` |
//! | [`key_thumbprint`] | RFC 7638 thumbprint of a PEM or JWK public key (core's key rule) |
//! | [`has_feature`] | core's feature rule over a verdict's `features` |
//! | [`period_of`] | the month (`YYYY-MM`) a time falls in, as manifests name it |
//! | [`core_version`] | the version of the core crate |
//!
//! Every exported call runs inside a panic boundary: a panic (a bug) becomes
//! [`LicenseError::Binding`] with code 902 `panic`, the same in every language.
//!
//! The generator is the in-crate `uniffi-bindgen` binary (feature `cli`), so the generated code
//! always matches this crate's uniffi version.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod types;
mod validator;

pub use error::LicenseError;
pub use types::{
    Cml, CmlStanding, Environment, Fingerprint, HeartbeatInfo, LedgerSummary, Manifest,
    ManifestSite, ManifestStats, NodeFacts, PeriodBounds, ProductTierCount, Receipt, Standing,
    Status, TrustedRootKey, Verdict, Warning,
};
pub use validator::{Clock, KeptVerdict, Validator, ValidatorSettings, KEPT_VERDICTS};

uniffi::setup_scaffolding!();

/// The RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-256 public key given as SPKI PEM or
/// as JWK JSON text: the key id an org key is announced with.
#[uniffi::export]
pub fn key_thumbprint(key: String) -> Result<String, LicenseError> {
    error::guard(|| {
        Ok(hwf_license::PublicKey::from_pem_or_jwk(&key)?
            .thumbprint()
            .into())
    })
}

/// Core's feature rule: whether `name` is enabled by a verdict's `features`, i.e. equals one of
/// them exactly (case-sensitive, no wildcards). Bindings call this instead of re-implementing it.
#[uniffi::export]
pub fn has_feature(features: Vec<String>, name: String) -> bool {
    hwf_license::has_feature(&features, &name)
}

/// The month (`YYYY-MM`, UTC) containing `t` (unix seconds, 1970..9999; `invalid_argument`
/// otherwise): the `period` a usage manifest for that time reports (core's `period_of`).
#[uniffi::export]
pub fn period_of(t: i64) -> Result<String, LicenseError> {
    error::guard(|| {
        hwf_license::time::check_now(t)?;
        Ok(hwf_license::standing::period_of(t))
    })
}

/// The version of the `hwf-license` core crate these bindings are built from.
#[uniffi::export]
pub fn core_version() -> String {
    hwf_license::VERSION.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_feature_is_cores_exact_case_sensitive_rule() {
        let features = vec!["analytics".to_owned(), "reports".to_owned()];
        assert!(has_feature(features.clone(), "analytics".into()));
        for name in ["Analytics", "analytics ", "analytic", "", "*", "boost"] {
            assert!(!has_feature(features.clone(), name.into()), "{name:?}");
            assert_eq!(
                has_feature(features.clone(), name.into()),
                hwf_license::has_feature(&features, name)
            );
        }
        assert!(!has_feature(vec![], String::new()));
    }

    #[test]
    fn period_of_is_cores_and_checks_the_time() {
        assert_eq!(period_of(0).as_deref(), Ok("1970-01"));
        assert_eq!(period_of(1_767_225_599).as_deref(), Ok("2025-12"));
        assert_eq!(period_of(1_767_225_600).as_deref(), Ok("2026-01"));
        let e = period_of(-1).unwrap_err();
        assert_eq!((e.code(), e.name()), (Some(110), "invalid_argument"));
    }
}
