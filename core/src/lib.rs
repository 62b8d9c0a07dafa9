//! # hwf-license
//!
//! Offline validation of hwf site licenses. A **Root** key signs a **Customer Master License**
//! (CML) for an organisation; the org key inside the CML signs one **site license** per site
//! node; a node holding `site.lic` and only the root public key verifies the whole chain, then
//! the rules: expiry with grace, fingerprint, features, dev/prod separation, revocation and clock
//! rollback. Usage ledger entries, monthly usage manifests and the Root's signed manifest
//! receipts are signed and verified here too.
//!
//! Every document is a JWS (RFC 7515) in compact form with `alg` exactly `ES256` and a distinct
//! `typ` per kind; see `docs/FORMAT.md` for the wire format and the stable error codes.
//!
//! ```
//! use hwf_license::*;
//! let root = SigningKey::from_seed(b"doc root");
//! let org = SigningKey::from_seed(b"doc org");
//! let cml_jws = issue::sign_cml(&root, "root-1", &CmlClaims {
//!     license_id: "cml-1".into(), org_id: "acme".into(), max_sites: 10,
//!     issued_at: 1_700_000_000, valid_until: 1_900_000_000,
//!     feature_packs: vec!["analytics".into()], key_type: Environment::Prod,
//!     org_key: org.public_key().to_jwk(), grace_days: 30, ..Default::default()
//! }).unwrap();
//! let mut v = Validator::new(Environment::Prod,
//!     vec![TrustedRoot::new("root-1", Environment::Prod, root.public_key().clone())]);
//! let cml = v.verify_cml(&cml_jws).unwrap();
//! let lic = issue::mint_site_license(&org, &cml, &SiteClaims {
//!     license_id: "site-lic-1".into(), site_id: "site-1".into(),
//!     issued_at: 1_700_000_000, expires_at: 1_800_000_000,
//!     features: vec!["analytics".into()], product: "hwf".into(), tier: "active".into(),
//!     ..Default::default()
//! }).unwrap();
//! let verdict = v.validate_at(lic.as_bytes(), &NodeFacts::default(), 1_750_000_000).unwrap();
//! assert_eq!(verdict.status, Status::Valid);
//! assert!(verdict.has_feature("analytics"));
//! ```
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---------|---------|--------------|
//! | `std`   | yes     | private-key PEM (PKCS#8, SEC1) import/export, [`SigningKey::generate`], `std::error::Error` |
//! | `native` | no     | verify signatures with `ring`'s assembly P-256 (`verify::NativeVerifier`); implies `std` |
//!
//! Public keys are read from JWK or SPKI PEM with or without `std`.
//!
//! Without `std` the crate is `no_std + alloc` (checked on `x86_64-unknown-none` and
//! `wasm32-unknown-unknown`).

#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod b64;
pub mod chain;
pub mod claims;
pub mod clock;
pub mod error;
pub mod file;
pub mod fingerprint;
mod ip;
pub mod issue;
mod json;
mod jws;
pub mod keys;
pub mod pending;
#[cfg(feature = "std")]
mod persist;
pub mod receipt;
mod spki;
pub mod standing;
pub mod state;
mod sync;
pub mod time;
pub mod validator;
pub mod verify;

/// The format version carried as `v` in every signed payload.
pub const FORMAT_VERSION: u32 = 1;

pub use chain::{
    check_manifest_ledger, check_site_scope, verify_cml, verify_heartbeat, verify_ledger,
    verify_ledger_entry, verify_manifest, verify_revocation_list, verify_site, EnvironmentPolicy,
    LedgerSummary, TrustedRoot, Verified, VerifiedCml,
};
pub use claims::{
    CmlClaims, Environment, HeartbeatClaims, LedgerEntryClaims, LedgerEvent, ManifestClaims,
    ManifestSite, ManifestStats, ProductTierCount, ReceiptClaims, ReceiptKeyClaims,
    RevocationListClaims, SiteClaims, DEFAULT_GRACE_DAYS, GENESIS_PREV,
};
pub use clock::Clock;
#[cfg(feature = "std")]
pub use clock::SystemClock;
pub use error::{DocKind, Error, ErrorCode, Result};
pub use file::{license_file, parse_license_file, LicenseFile, MAX_LICENSE_BYTES};
pub use fingerprint::{Fingerprint, NodeFacts};
pub use jws::{document_id, ALG};
pub use keys::{Jwk, PublicKey, SigningKey};
pub use pending::{Begun, Check, Outcome, Pending, PendingCheck};
pub use receipt::{verify_receipt, verify_receipt_key, VerifiedReceipt, VerifiedReceiptKey};
pub use standing::{check_manifest_period, cml_standing, manifest_stats, CmlStanding};
pub use state::{MAX_STATE_BYTES, MAX_STATE_CMLS, STATE_MAGIC};
pub use time::{CLOCK_SKEW, MAX_TIME};
pub use validator::{
    has_feature, HeartbeatInfo, Status, Validator, ValidatorBuilder, Verdict, Warning,
};

/// The payload versions this library reads, per payload `type` (FORMAT.md §8): what a node
/// announces as `speaks` in its heartbeat requests.
pub const SPEAKS: &[(&str, &[u32])] = &[
    ("cml", claims::CML_VERSIONS),
    ("site", &[1]),
    ("revocation_list", &[1]),
    ("heartbeat", &[1]),
    ("ledger_entry", &[1]),
    ("manifest", &[1]),
];

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
