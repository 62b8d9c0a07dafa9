//! Errors: every core error becomes one [`LicenseError`], a variant per domain (the code ranges of
//! `hwf_license::error`), carrying core's stable numeric `code`, its stable `name` and core's
//! one-line English `message` (its `Display`, unchanged, so every language shows the same text).
//!
//! Callers compare `code` (or `name`), never `message`.
//!
//! One variant has no code: [`LicenseError::Io`], an operating-system failure of
//! `save_state`/`load_state` (core reports those as `std::io::Error`, outside its codes). Each
//! language's wrapper raises its own I/O error for it (Python: `OSError` with `errno`).

use std::panic::{catch_unwind, AssertUnwindSafe};

use hwf_license::{Error, ErrorCode};

/// A failure of any call, with core's stable code and name. One variant per domain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum LicenseError {
    /// 100–199, input shape: size, encoding, JWS structure, payload schema, keys, arguments.
    #[error("{message}")]
    Format {
        /// The stable numeric code.
        code: u32,
        /// The stable snake_case name, e.g. `malformed`.
        name: String,
        /// Core's message.
        message: String,
    },
    /// 200–299, chain of trust: signatures, environment, parent binding, org, features, signer.
    #[error("{message}")]
    Trust {
        /// The stable numeric code.
        code: u32,
        /// The stable snake_case name, e.g. `bad_signature`.
        name: String,
        /// Core's message.
        message: String,
    },
    /// 300–399, time: not yet valid, expired past grace, clock rollback.
    #[error("{message}")]
    Time {
        /// The stable numeric code.
        code: u32,
        /// The stable snake_case name, e.g. `expired`.
        name: String,
        /// Core's message.
        message: String,
    },
    /// 400–499, node binding and revocation: fingerprint fields, revoked ids, revocation lists,
    /// heartbeats.
    #[error("{message}")]
    Node {
        /// The stable numeric code.
        code: u32,
        /// The stable snake_case name, e.g. `revoked`.
        name: String,
        /// Core's message.
        message: String,
    },
    /// 500–599, usage ledger and manifests.
    #[error("{message}")]
    Usage {
        /// The stable numeric code.
        code: u32,
        /// The stable snake_case name, e.g. `ledger_broken`.
        name: String,
        /// Core's message.
        message: String,
        /// For `ledger_broken`: the zero-based index of the first bad ledger entry.
        index: Option<u64>,
    },
    /// 900–999, the binding itself: a panic caught at the boundary (a bug; please report).
    #[error("{message}")]
    Binding {
        /// The stable numeric code.
        code: u32,
        /// The stable snake_case name, e.g. `panic`.
        name: String,
        /// What happened.
        message: String,
    },
    /// The operating system refused to read or write a trust state file (no code: not a
    /// license failure). Bad *contents* of a file are `bad_state` (111) instead.
    #[error("{message}")]
    Io {
        /// The kind of failure (Rust's `std::io::ErrorKind`, e.g. `PermissionDenied`).
        kind: String,
        /// The OS error number (`errno`), when the failure came from the OS.
        errno: Option<i32>,
        /// The OS's message, e.g. `Permission denied (os error 13)`.
        message: String,
    },
}

impl LicenseError {
    fn new(code: ErrorCode, message: String, index: Option<u64>) -> Self {
        let (name, code) = (code.name().to_owned(), code.code());
        match code {
            100..=199 => Self::Format {
                code,
                name,
                message,
            },
            200..=299 => Self::Trust {
                code,
                name,
                message,
            },
            300..=399 => Self::Time {
                code,
                name,
                message,
            },
            400..=499 => Self::Node {
                code,
                name,
                message,
            },
            500..=599 => Self::Usage {
                code,
                name,
                message,
                index,
            },
            _ => Self::Binding {
                code,
                name,
                message,
            },
        }
    }

    /// The stable numeric code (core's `ErrorCode`); `None` for [`LicenseError::Io`].
    pub fn code(&self) -> Option<u32> {
        match self {
            Self::Format { code, .. }
            | Self::Trust { code, .. }
            | Self::Time { code, .. }
            | Self::Node { code, .. }
            | Self::Usage { code, .. }
            | Self::Binding { code, .. } => Some(*code),
            Self::Io { .. } => None,
        }
    }

    /// The stable snake_case name (core's `ErrorCode::name`); `"io"` for [`LicenseError::Io`].
    pub fn name(&self) -> &str {
        match self {
            Self::Format { name, .. }
            | Self::Trust { name, .. }
            | Self::Time { name, .. }
            | Self::Node { name, .. }
            | Self::Usage { name, .. }
            | Self::Binding { name, .. } => name,
            Self::Io { .. } => "io",
        }
    }

    /// A panic caught at the boundary, or a validator left unusable by one.
    pub(crate) fn panic(message: &str) -> Self {
        Self::new(ErrorCode::Panic, message.into(), None)
    }
}

impl From<Error> for LicenseError {
    fn from(e: Error) -> Self {
        let index = match e {
            Error::LedgerBroken { index, .. } => u64::try_from(index).ok(),
            _ => None,
        };
        Self::new(e.code(), e.to_string(), index)
    }
}

impl From<std::io::Error> for LicenseError {
    /// A failure of `save_state`/`load_state`: bad contents (core's `bad_state` or `too_large`,
    /// which `load_state` wraps as `InvalidData`) keep their code; anything else is [`Self::Io`].
    fn from(e: std::io::Error) -> Self {
        if let Some(core) = e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            return core.clone().into();
        }
        Self::Io {
            kind: format!("{:?}", e.kind()),
            errno: e.raw_os_error(),
            message: e.to_string(),
        }
    }
}

/// Runs an exported call inside a panic boundary: a panic becomes [`LicenseError`] code 902.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, LicenseError>) -> Result<T, LicenseError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown panic");
        Err(LicenseError::panic(&format!(
            "panic in hwf-license (a bug; please report): {what}"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwf_license::{DocKind, Environment};

    /// Every core error variant, converted: (error, code, name, domain, pinned Display text).
    /// The text is what every binding (Python, Kotlin, Swift) shows; a change here is a change
    /// of the public messages and must be deliberate.
    fn cases() -> Vec<(Error, u32, &'static str, &'static str, &'static str)> {
        let k = DocKind::Site;
        vec![
            (
                Error::Malformed("expected a JSON object with string members cml and site"),
                100,
                "malformed",
                "format",
                "malformed license file: expected a JSON object with string members cml and site",
            ),
            (
                Error::TooLarge {
                    size: 65537,
                    limit: 65536,
                },
                101,
                "too_large",
                "format",
                "input of 65537 bytes exceeds the limit of 65536 bytes",
            ),
            (
                Error::BadEncoding { kind: DocKind::Cml },
                102,
                "bad_encoding",
                "format",
                "cml: segment is not canonical unpadded base64url",
            ),
            (
                Error::BadJws {
                    kind: k,
                    reason: "expected three segments",
                },
                103,
                "bad_jws",
                "format",
                "site: expected three segments",
            ),
            (
                Error::UnsupportedAlgorithm {
                    kind: DocKind::Cml,
                    alg: "none".into(),
                },
                104,
                "unsupported_algorithm",
                "format",
                "cml: algorithm \"none\" is not accepted (only ES256)",
            ),
            (
                Error::WrongDocumentType {
                    expected: DocKind::Manifest,
                    found: "hwf-site+jws".into(),
                },
                105,
                "wrong_document_type",
                "format",
                "expected a manifest document, found typ \"hwf-site+jws\"",
            ),
            (
                Error::UnknownKeyId {
                    kind: DocKind::Cml,
                    kid: "root-9".into(),
                },
                106,
                "unknown_key_id",
                "format",
                "cml: no trusted key with kid \"root-9\"",
            ),
            (
                Error::BadPayload {
                    kind: DocKind::LedgerEntry,
                    reason: "unknown field `x`".into(),
                },
                107,
                "bad_payload",
                "format",
                "ledger_entry: invalid payload: unknown field `x`",
            ),
            (
                Error::UnsupportedVersion {
                    kind: DocKind::Heartbeat,
                    version: 2,
                    supported: 1,
                },
                108,
                "unsupported_version",
                "format",
                "heartbeat: format version 2 is not supported (expected 1)",
            ),
            (
                Error::BadKey("not a P-256 SPKI PEM public key"),
                109,
                "bad_key",
                "format",
                "bad key: not a P-256 SPKI PEM public key",
            ),
            (
                Error::InvalidArgument("time must be unix seconds between 1970 and 9999"),
                110,
                "invalid_argument",
                "format",
                "invalid argument: time must be unix seconds between 1970 and 9999",
            ),
            (
                Error::BadState("checksum does not match the body".into()),
                111,
                "bad_state",
                "format",
                "trust state not imported: checksum does not match the body",
            ),
            (
                Error::BadSignature {
                    kind: DocKind::RevocationList,
                },
                200,
                "bad_signature",
                "trust",
                "revocation_list: signature does not verify",
            ),
            (
                Error::EnvironmentMismatch {
                    kind: DocKind::Cml,
                    expected: Environment::Prod,
                    found: Environment::Dev,
                },
                201,
                "environment_mismatch",
                "trust",
                "cml: environment dev is not accepted by this prod validator",
            ),
            (
                Error::ParentMismatch {
                    expected: "aa".into(),
                    found: "bb".into(),
                },
                202,
                "parent_mismatch",
                "trust",
                "site license is bound to CML bb, not to this CML aa",
            ),
            (
                Error::OrgMismatch {
                    kind: k,
                    expected: "acme".into(),
                    found: "evil".into(),
                },
                203,
                "org_mismatch",
                "trust",
                "site: org id \"evil\" differs from the CML's \"acme\"",
            ),
            (
                Error::FeatureNotInCml {
                    feature: "boost".into(),
                },
                204,
                "feature_not_in_cml",
                "trust",
                "feature \"boost\" is not among the CML's feature packs",
            ),
            (
                Error::SignerMismatch {
                    kind: k,
                    expected: "kid-a".into(),
                    found: "kid-b".into(),
                },
                205,
                "signer_mismatch",
                "trust",
                "site: kid \"kid-b\" is not the CML org key \"kid-a\"",
            ),
            (
                Error::NotYetValid {
                    kind: k,
                    issued_at: 2000,
                    now: 1000,
                    skew: 300,
                },
                300,
                "not_yet_valid",
                "time",
                "site: issued at 2000, more than 300 s after now (1000)",
            ),
            (
                Error::Expired {
                    expired_at: 100,
                    grace_end: 200,
                    now: 300,
                },
                301,
                "expired",
                "time",
                "license expired at 100; grace ended at 200 (now 300)",
            ),
            (
                Error::CertificateExpired {
                    kind: DocKind::ReceiptKey,
                    valid_until: 100,
                    now: 300,
                },
                301,
                "expired",
                "time",
                "receipt_key: certificate valid until 100, now 300",
            ),
            (
                Error::ClockRollback {
                    now: 100,
                    floor: 1000,
                    skew: 300,
                },
                302,
                "clock_rollback",
                "time",
                "clock rollback: now (100) is before the trusted time 1000 by more than 300 s",
            ),
            (
                Error::OfflineTooLong {
                    last_contact: 1000,
                    max_days: 30,
                    now: 2_593_001,
                },
                303,
                "offline_too_long",
                "time",
                "no signed time from the Hub since 1000: more than the 30 days offline the CML allows (now 2593001)",
            ),
            (
                Error::AddressMismatch {
                    licensed: "10.0.0.0/8".into(),
                },
                400,
                "address_mismatch",
                "node",
                "no node address is within the licensed address 10.0.0.0/8",
            ),
            (
                Error::DnsMismatch {
                    licensed: "hwf.local".into(),
                    found: None,
                },
                401,
                "dns_mismatch",
                "node",
                "node DNS name (none) is not within the licensed suffix \"hwf.local\"",
            ),
            (
                Error::DeploymentTagMismatch {
                    licensed: "blue".into(),
                    found: Some("green".into()),
                },
                402,
                "deployment_tag_mismatch",
                "node",
                "node deployment tag \"green\" differs from the licensed \"blue\"",
            ),
            (
                Error::Revoked {
                    license_id: "site-lic-1".into(),
                    seq: 3,
                },
                403,
                "revoked",
                "node",
                "site license site-lic-1 is revoked (revocation list #3)",
            ),
            (
                Error::RevocationListStale { seq: 1, current: 2 },
                404,
                "revocation_list_stale",
                "node",
                "revocation list #1 is older than the list #2 already applied",
            ),
            (
                Error::BindingMismatch {
                    kind: DocKind::Heartbeat,
                    what: "site",
                },
                405,
                "binding_mismatch",
                "node",
                "heartbeat: bound to another site",
            ),
            (
                Error::NonceMismatch,
                406,
                "nonce_mismatch",
                "node",
                "heartbeat answer does not carry the nonce that was sent",
            ),
            (
                Error::LedgerBroken {
                    index: 3,
                    reason: "prev is not the id of the previous entry",
                },
                500,
                "ledger_broken",
                "usage",
                "ledger entry 3: prev is not the id of the previous entry",
            ),
            (
                Error::ManifestInvalid("period is not YYYY-MM"),
                501,
                "manifest_invalid",
                "usage",
                "manifest invalid: period is not YYYY-MM",
            ),
        ]
    }

    fn domain(e: &LicenseError) -> &'static str {
        match e {
            LicenseError::Format { .. } => "format",
            LicenseError::Trust { .. } => "trust",
            LicenseError::Time { .. } => "time",
            LicenseError::Node { .. } => "node",
            LicenseError::Usage { .. } => "usage",
            LicenseError::Binding { .. } => "binding",
            LicenseError::Io { .. } => "io",
        }
    }

    #[test]
    fn every_core_error_keeps_code_name_domain_and_pinned_message() {
        for (core, code, name, dom, text) in cases() {
            assert_eq!(core.to_string(), text, "core Display of {name}");
            let e = LicenseError::from(core.clone());
            assert_eq!(e.to_string(), text, "binding Display of {name}");
            assert_eq!(e.code(), Some(code), "{name}");
            assert_eq!(e.name(), name);
            assert_eq!(domain(&e), dom, "{name}");
            assert_eq!(core.code().code(), code);
        }
    }

    #[test]
    fn the_cases_cover_every_core_code_below_900() {
        let covered: Vec<u32> = cases().iter().map(|c| c.1).collect();
        for c in ErrorCode::ALL {
            if c.code() < 900 {
                assert!(
                    covered.contains(&c.code()),
                    "no pinned case for {}",
                    c.name()
                );
            }
        }
    }

    #[test]
    fn every_code_lands_in_its_range_domain() {
        for c in ErrorCode::ALL {
            let e = LicenseError::new(c, "m".into(), None);
            let expected = match c.code() / 100 {
                1 => "format",
                2 => "trust",
                3 => "time",
                4 => "node",
                5 => "usage",
                9 => "binding",
                _ => unreachable!("code {} outside every documented range", c.code()),
            };
            assert_eq!(domain(&e), expected, "{}", c.name());
            assert_eq!((e.code(), e.name()), (Some(c.code()), c.name()));
        }
    }

    #[test]
    fn ledger_broken_carries_the_index_and_nothing_else_does() {
        let e = LicenseError::from(Error::LedgerBroken {
            index: 7,
            reason: "time goes backwards",
        });
        assert!(matches!(e, LicenseError::Usage { index: Some(7), .. }));
        let e = LicenseError::from(Error::ManifestInvalid("x"));
        assert!(matches!(e, LicenseError::Usage { index: None, .. }));
    }

    #[test]
    fn io_errors_keep_errno_and_state_errors_keep_their_code() {
        let e = LicenseError::from(std::io::Error::from_raw_os_error(13));
        assert_eq!((e.code(), e.name(), domain(&e)), (None, "io", "io"));
        assert!(matches!(
            &e,
            LicenseError::Io { kind, errno: Some(13), .. } if kind == "PermissionDenied"
        ));
        assert_eq!(
            e.to_string(),
            std::io::Error::from_raw_os_error(13).to_string()
        );
        let wrapped = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            Error::BadState("truncated".into()),
        );
        let e = LicenseError::from(wrapped);
        assert_eq!((e.code(), e.name()), (Some(111), "bad_state"));
        assert_eq!(e.to_string(), "trust state not imported: truncated");
        let other = std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name");
        let e = LicenseError::from(other);
        assert!(matches!(e, LicenseError::Io { errno: None, .. }));
        assert_eq!(e.to_string(), "no file name");
    }

    #[test]
    fn a_panic_becomes_code_902_with_a_pinned_message() {
        let r: Result<(), _> = guard(|| panic!("boom"));
        let e = r.unwrap_err();
        assert_eq!(
            (e.code(), e.name(), domain(&e)),
            (Some(902), "panic", "binding")
        );
        assert_eq!(
            e.to_string(),
            "panic in hwf-license (a bug; please report): boom"
        );
        let r: Result<(), _> = guard(|| panic!("{}", String::from("formatted")));
        assert!(r.unwrap_err().to_string().ends_with(": formatted"));
        assert_eq!(guard(|| Ok(5)), Ok(5));
    }
}
