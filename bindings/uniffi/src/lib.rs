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
//! | [`Validator`] | trusted roots + environment (+ clock, nonce seed) → `validate` / `validate_at`, `apply_revocation_list`, `verify_heartbeat`, `new_nonce`, `verify_cml`, `cml_standing`, `manifest_period`, `verify_manifest`, `verify_ledger`; the trust state: `export_state` / `import_state`, `save_state` / `load_state`, `state_changed`, `clock_floor` |
//! | [`Clock`] | a time source the host implements (callback interface), read by `validate` |
//! | [`key_thumbprint`] | RFC 7638 thumbprint of a PEM or JWK public key |
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
    Cml, CmlStanding, Environment, HeartbeatInfo, LedgerSummary, Manifest, ManifestSite,
    ManifestStats, NodeFacts, PeriodBounds, ProductTierCount, Standing, Status, TrustedRootKey,
    Verdict, Warning,
};
pub use validator::{Clock, Validator};

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

/// The version of the `hwf-license` core crate these bindings are built from.
#[uniffi::export]
pub fn core_version() -> String {
    hwf_license::VERSION.into()
}
