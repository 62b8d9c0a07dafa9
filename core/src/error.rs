//! Errors: one enum, each variant with a stable numeric code and a stable name.
//!
//! Codes are grouped in ranges and never reused; a retired code stays listed here as a comment.
//! Every binding (C, WASM, Python, Go) and the conformance vectors use [`ErrorCode`] numbers and
//! names, never message strings.
//!
//! | range | domain |
//! |-------|--------|
//! | 100–199 | input shape: size, encoding, JWS structure, payload schema, keys |
//! | 200–299 | chain of trust: signatures, environment, bindings, features |
//! | 300–399 | time: not yet valid, expired, clock rollback, offline too long |
//! | 400–499 | node binding and revocation: fingerprint fields, revoked ids, revocation lists, heartbeats |
//! | 500–599 | ledger and manifest |
//! | 900–999 | reserved for the bindings (null pointer, panic, ...) |

use alloc::string::String;
use core::fmt;

/// Stable numeric error codes, shared by every binding.
///
/// The numbers are part of the public contract (see `docs/FORMAT.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The input is not a well-formed site.lic file (not JSON, wrong shape, missing member).
    Malformed = 100,
    /// The input exceeds [`crate::MAX_LICENSE_BYTES`] (or a document exceeds its own limit).
    TooLarge = 101,
    /// A base64url segment is not canonical unpadded base64url.
    BadEncoding = 102,
    /// A JWS is not three segments, or its protected header is not the exact ES256 header.
    BadJws = 103,
    /// The JWS `alg` is anything but `ES256`.
    UnsupportedAlgorithm = 104,
    /// The JWS `typ` (or the payload `type`) is not the document kind expected here.
    WrongDocumentType = 105,
    /// No trusted key has the JWS `kid`.
    UnknownKeyId = 106,
    /// A signed payload breaks the schema: unknown or duplicate member, wrong type, bad value.
    BadPayload = 107,
    /// The signed payload's format version `v` is not supported.
    UnsupportedVersion = 108,
    /// A key (JWK or PEM) cannot be parsed or is not a P-256 key.
    BadKey = 109,
    /// An argument given by the caller is invalid (e.g. `now` outside 0..=year 9999).
    InvalidArgument = 110,
    /// Trust state bytes given to import are corrupt, truncated, of an unknown version, or of
    /// another validator (environment, roots); the validator is left as it was.
    BadState = 111,
    /// A signature does not verify.
    BadSignature = 200,
    /// A dev document where prod is expected, or the reverse.
    EnvironmentMismatch = 201,
    /// The site license's parent binding is not the hash of this CML (grafted site license).
    ParentMismatch = 202,
    /// The org id of the site license (or list, answer, entry) differs from the CML's.
    OrgMismatch = 203,
    /// The site license lists a feature that is not in the CML's feature packs.
    FeatureNotInCml = 204,
    /// The site license's `kid` is not the thumbprint of the CML's org key.
    SignerMismatch = 205,
    /// `issued_at` is more than the allowed skew in the future.
    NotYetValid = 300,
    /// The license is past its effective expiry plus the grace period.
    Expired = 301,
    /// `now` is earlier than a time the validator already trusts (last seen, signed issued_at).
    ClockRollback = 302,
    /// The CML limits how long a node may run without news from its Hub (`max_offline_days`),
    /// and the newest signed time from the Hub is older than that.
    OfflineTooLong = 303,
    /// The node's addresses are outside the licensed address or network.
    AddressMismatch = 400,
    /// The node's DNS name is not within the licensed DNS suffix.
    DnsMismatch = 401,
    /// The node's deployment tag differs from the licensed one.
    DeploymentTagMismatch = 402,
    /// The site license id is on the org's revocation list.
    Revoked = 403,
    /// A revocation list with a lower sequence number than one already applied.
    RevocationListStale = 404,
    /// A revocation list or heartbeat for another CML, org or site.
    BindingMismatch = 405,
    /// A heartbeat answer does not carry the nonce the node sent.
    NonceMismatch = 406,
    /// A ledger entry does not chain to its predecessor (hash or sequence).
    LedgerBroken = 500,
    /// A usage manifest is inconsistent (bad period, totals that do not add up).
    ManifestInvalid = 501,
    /// Reserved for bindings: a required pointer argument was NULL.
    NullParameter = 900,
    /// Reserved for bindings: a string argument was not valid UTF-8.
    InvalidUtf8 = 901,
    /// Reserved for bindings: a panic was caught at the boundary (a bug; please report).
    Panic = 902,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 34] = [
        Self::Malformed,
        Self::TooLarge,
        Self::BadEncoding,
        Self::BadJws,
        Self::UnsupportedAlgorithm,
        Self::WrongDocumentType,
        Self::UnknownKeyId,
        Self::BadPayload,
        Self::UnsupportedVersion,
        Self::BadKey,
        Self::InvalidArgument,
        Self::BadState,
        Self::BadSignature,
        Self::EnvironmentMismatch,
        Self::ParentMismatch,
        Self::OrgMismatch,
        Self::FeatureNotInCml,
        Self::SignerMismatch,
        Self::NotYetValid,
        Self::Expired,
        Self::ClockRollback,
        Self::OfflineTooLong,
        Self::AddressMismatch,
        Self::DnsMismatch,
        Self::DeploymentTagMismatch,
        Self::Revoked,
        Self::RevocationListStale,
        Self::BindingMismatch,
        Self::NonceMismatch,
        Self::LedgerBroken,
        Self::ManifestInvalid,
        Self::NullParameter,
        Self::InvalidUtf8,
        Self::Panic,
    ];

    /// The stable numeric code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The stable snake_case name, e.g. `"expired"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::BadEncoding => "bad_encoding",
            Self::BadJws => "bad_jws",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::WrongDocumentType => "wrong_document_type",
            Self::UnknownKeyId => "unknown_key_id",
            Self::BadPayload => "bad_payload",
            Self::UnsupportedVersion => "unsupported_version",
            Self::BadKey => "bad_key",
            Self::InvalidArgument => "invalid_argument",
            Self::BadState => "bad_state",
            Self::BadSignature => "bad_signature",
            Self::EnvironmentMismatch => "environment_mismatch",
            Self::ParentMismatch => "parent_mismatch",
            Self::OrgMismatch => "org_mismatch",
            Self::FeatureNotInCml => "feature_not_in_cml",
            Self::SignerMismatch => "signer_mismatch",
            Self::NotYetValid => "not_yet_valid",
            Self::Expired => "expired",
            Self::ClockRollback => "clock_rollback",
            Self::OfflineTooLong => "offline_too_long",
            Self::AddressMismatch => "address_mismatch",
            Self::DnsMismatch => "dns_mismatch",
            Self::DeploymentTagMismatch => "deployment_tag_mismatch",
            Self::Revoked => "revoked",
            Self::RevocationListStale => "revocation_list_stale",
            Self::BindingMismatch => "binding_mismatch",
            Self::NonceMismatch => "nonce_mismatch",
            Self::LedgerBroken => "ledger_broken",
            Self::ManifestInvalid => "manifest_invalid",
            Self::NullParameter => "null_parameter",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::Panic => "panic",
        }
    }

    /// The code with this number, if any.
    pub fn from_code(code: u32) -> Option<ErrorCode> {
        Self::ALL.iter().copied().find(|c| c.code() == code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The document kinds, used to say which document an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocKind {
    /// Customer Master License, signed by a root key.
    Cml,
    /// Site license, signed by the org key.
    Site,
    /// Revocation list, signed by the org key.
    RevocationList,
    /// Heartbeat answer, signed by the org key.
    Heartbeat,
    /// Usage ledger entry, signed by the org key.
    LedgerEntry,
    /// Monthly usage manifest, signed by the org key.
    Manifest,
    /// Receipt key certificate: a root key certifies the key a Root signs receipts with.
    ReceiptKey,
    /// Manifest receipt: the Root's signed acknowledgement of a usage manifest, signed by a
    /// certified receipt key.
    Receipt,
}

impl DocKind {
    /// Every kind.
    pub const ALL: [DocKind; 8] = [
        Self::Cml,
        Self::Site,
        Self::RevocationList,
        Self::Heartbeat,
        Self::LedgerEntry,
        Self::Manifest,
        Self::ReceiptKey,
        Self::Receipt,
    ];

    /// The JWS `typ` header value of this kind.
    pub const fn typ(self) -> &'static str {
        match self {
            Self::Cml => "hwf-cml+jws",
            Self::Site => "hwf-site+jws",
            Self::RevocationList => "hwf-revocation+jws",
            Self::Heartbeat => "hwf-heartbeat+jws",
            Self::LedgerEntry => "hwf-ledger+jws",
            Self::Manifest => "hwf-manifest+jws",
            Self::ReceiptKey => "hwf-receipt-key+jws",
            Self::Receipt => "hwf-receipt+jws",
        }
    }

    /// Largest accepted compact JWS of this kind, in bytes (FORMAT.md §1.6): checked before
    /// anything in it is decoded (`too_large`).
    pub const fn max_bytes(self) -> usize {
        match self {
            Self::Cml | Self::Site | Self::LedgerEntry | Self::ReceiptKey | Self::Receipt => {
                64 * 1024
            }
            Self::RevocationList | Self::Heartbeat => 8 * 1024 * 1024,
            Self::Manifest => 32 * 1024 * 1024,
        }
    }

    /// The payload `type` member of this kind.
    pub const fn payload_type(self) -> &'static str {
        match self {
            Self::Cml => "cml",
            Self::Site => "site",
            Self::RevocationList => "revocation_list",
            Self::Heartbeat => "heartbeat",
            Self::LedgerEntry => "ledger_entry",
            Self::Manifest => "manifest",
            Self::ReceiptKey => "receipt_key",
            Self::Receipt => "receipt",
        }
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.payload_type())
    }
}

/// A validation or format error, with structured context.
///
/// [`Error::code`] gives the stable [`ErrorCode`]; `Display` gives a one-line English message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not a well-formed site.lic file.
    #[error("malformed license file: {0}")]
    Malformed(&'static str),
    /// The input is larger than allowed.
    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// A base64url segment is not canonical.
    #[error("{kind}: segment is not canonical unpadded base64url")]
    BadEncoding {
        /// The document being read.
        kind: DocKind,
    },
    /// The JWS structure or header is wrong.
    #[error("{kind}: {reason}")]
    BadJws {
        /// The document being read.
        kind: DocKind,
        /// What is wrong.
        reason: &'static str,
    },
    /// The algorithm is not ES256.
    #[error("{kind}: algorithm {} is not accepted (only ES256)", Quoted(alg))]
    UnsupportedAlgorithm {
        /// The document being read.
        kind: DocKind,
        /// The `alg` found.
        alg: String,
    },
    /// The document is of another kind than expected.
    #[error("expected a {expected} document, found typ {}", Quoted(found))]
    WrongDocumentType {
        /// The kind expected.
        expected: DocKind,
        /// The `typ` (or payload `type`) found.
        found: String,
    },
    /// No trusted key has this key id.
    #[error("{kind}: no trusted key with kid {}", Quoted(kid))]
    UnknownKeyId {
        /// The document being read.
        kind: DocKind,
        /// The `kid` found.
        kid: String,
    },
    /// The signed payload breaks the schema.
    #[error("{kind}: invalid payload: {reason}")]
    BadPayload {
        /// The document being read.
        kind: DocKind,
        /// What is wrong (from the strict parser or a value check).
        reason: String,
    },
    /// Unsupported format version.
    #[error("{kind}: format version {version} is not supported (expected {supported})")]
    UnsupportedVersion {
        /// The document being read.
        kind: DocKind,
        /// The version found.
        version: u64,
        /// The version this library reads.
        supported: u32,
    },
    /// A key cannot be parsed.
    #[error("bad key: {0}")]
    BadKey(&'static str),
    /// A caller's argument is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// Trust state bytes that cannot be imported.
    #[error("trust state not imported: {0}")]
    BadState(String),
    /// A signature does not verify.
    #[error("{kind}: signature does not verify")]
    BadSignature {
        /// The document whose signature failed.
        kind: DocKind,
    },
    /// Dev/prod mix.
    #[error("{kind}: environment {found} is not accepted by this {expected} validator")]
    EnvironmentMismatch {
        /// The document being read.
        kind: DocKind,
        /// The validator's environment.
        expected: crate::Environment,
        /// The document's (or signing key's) environment.
        found: crate::Environment,
    },
    /// The site license belongs to another CML.
    #[error("site license is bound to CML {found}, not to this CML {expected}")]
    ParentMismatch {
        /// Hash of the CML in the file.
        expected: String,
        /// The binding in the site license.
        found: String,
    },
    /// Org ids differ.
    #[error(
        "{kind}: org id {} differs from the CML's {}",
        Quoted(found),
        Quoted(expected)
    )]
    OrgMismatch {
        /// The document being read.
        kind: DocKind,
        /// The CML's org id.
        expected: String,
        /// The org id found.
        found: String,
    },
    /// A site feature is not in the CML.
    #[error("feature {} is not among the CML's feature packs", Quoted(feature))]
    FeatureNotInCml {
        /// The offending feature.
        feature: String,
    },
    /// The site license was not signed by the CML's org key.
    #[error(
        "{kind}: kid {} is not the CML org key {}",
        Quoted(found),
        Quoted(expected)
    )]
    SignerMismatch {
        /// The document being read.
        kind: DocKind,
        /// The CML's org key thumbprint.
        expected: String,
        /// The `kid` found.
        found: String,
    },
    /// Issued in the future.
    #[error("{kind}: issued at {issued_at}, more than {skew} s after now ({now})")]
    NotYetValid {
        /// The document being read.
        kind: DocKind,
        /// Its signed issued_at.
        issued_at: i64,
        /// The validation time.
        now: i64,
        /// The tolerated skew in seconds.
        skew: i64,
    },
    /// Expired past grace.
    #[error("license expired at {expired_at}; grace ended at {grace_end} (now {now})")]
    Expired {
        /// Effective expiry (min of site and CML expiry).
        expired_at: i64,
        /// End of the grace period.
        grace_end: i64,
        /// The validation time.
        now: i64,
    },
    /// The clock went back.
    #[error(
        "clock rollback: now ({now}) is before the trusted time {floor} by more than {skew} s"
    )]
    ClockRollback {
        /// The validation time.
        now: i64,
        /// The time the clock cannot go under.
        floor: i64,
        /// The tolerated skew in seconds.
        skew: i64,
    },
    /// No news from the Hub for longer than the CML allows.
    #[error(
        "no signed time from the Hub since {last_contact}: more than the {max_days} days offline the CML allows (now {now})"
    )]
    OfflineTooLong {
        /// The newest signed time from the Hub (site license issuance, revocation list or
        /// heartbeat answer).
        last_contact: i64,
        /// The CML's `max_offline_days`.
        max_days: u32,
        /// The validation time.
        now: i64,
    },
    /// A receipt key certificate is past its `valid_until` (code `expired`).
    #[error("{kind}: certificate valid until {valid_until}, now {now}")]
    CertificateExpired {
        /// The document whose certificate expired.
        kind: DocKind,
        /// The certificate's `valid_until`.
        valid_until: i64,
        /// The verification time.
        now: i64,
    },
    /// Address fingerprint mismatch.
    #[error("no node address is within the licensed address {licensed}")]
    AddressMismatch {
        /// The licensed address or network.
        licensed: String,
    },
    /// DNS suffix mismatch.
    #[error(
        "node DNS name {} is not within the licensed suffix {}",
        Shown(found),
        Quoted(licensed)
    )]
    DnsMismatch {
        /// The licensed suffix.
        licensed: String,
        /// The node's DNS name, if any.
        found: Option<String>,
    },
    /// Deployment tag mismatch.
    #[error(
        "node deployment tag {} differs from the licensed {}",
        Shown(found),
        Quoted(licensed)
    )]
    DeploymentTagMismatch {
        /// The licensed tag.
        licensed: String,
        /// The node's tag, if any.
        found: Option<String>,
    },
    /// Revoked.
    #[error("site license {license_id} is revoked (revocation list #{seq})")]
    Revoked {
        /// The revoked site license id.
        license_id: String,
        /// The revocation list's sequence number.
        seq: u64,
    },
    /// Older revocation list.
    #[error("revocation list #{seq} is older than the list #{current} already applied")]
    RevocationListStale {
        /// The sequence offered.
        seq: u64,
        /// The sequence already applied.
        current: u64,
    },
    /// A document bound to another CML, org or site.
    #[error("{kind}: bound to another {what}")]
    BindingMismatch {
        /// The document being read.
        kind: DocKind,
        /// What differs ("CML", "site", "org").
        what: &'static str,
    },
    /// Heartbeat nonce mismatch.
    #[error("heartbeat answer does not carry the nonce that was sent")]
    NonceMismatch,
    /// Ledger chain broken.
    #[error("ledger entry {index}: {reason}")]
    LedgerBroken {
        /// Zero-based index of the first bad entry.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Manifest inconsistent.
    #[error("manifest invalid: {0}")]
    ManifestInvalid(&'static str),
}

impl Error {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed(_) => ErrorCode::Malformed,
            Self::TooLarge { .. } => ErrorCode::TooLarge,
            Self::BadEncoding { .. } => ErrorCode::BadEncoding,
            Self::BadJws { .. } => ErrorCode::BadJws,
            Self::UnsupportedAlgorithm { .. } => ErrorCode::UnsupportedAlgorithm,
            Self::WrongDocumentType { .. } => ErrorCode::WrongDocumentType,
            Self::UnknownKeyId { .. } => ErrorCode::UnknownKeyId,
            Self::BadPayload { .. } => ErrorCode::BadPayload,
            Self::UnsupportedVersion { .. } => ErrorCode::UnsupportedVersion,
            Self::BadKey(_) => ErrorCode::BadKey,
            Self::InvalidArgument(_) => ErrorCode::InvalidArgument,
            Self::BadState(_) => ErrorCode::BadState,
            Self::BadSignature { .. } => ErrorCode::BadSignature,
            Self::EnvironmentMismatch { .. } => ErrorCode::EnvironmentMismatch,
            Self::ParentMismatch { .. } => ErrorCode::ParentMismatch,
            Self::OrgMismatch { .. } => ErrorCode::OrgMismatch,
            Self::FeatureNotInCml { .. } => ErrorCode::FeatureNotInCml,
            Self::SignerMismatch { .. } => ErrorCode::SignerMismatch,
            Self::NotYetValid { .. } => ErrorCode::NotYetValid,
            Self::Expired { .. } | Self::CertificateExpired { .. } => ErrorCode::Expired,
            Self::ClockRollback { .. } => ErrorCode::ClockRollback,
            Self::OfflineTooLong { .. } => ErrorCode::OfflineTooLong,
            Self::AddressMismatch { .. } => ErrorCode::AddressMismatch,
            Self::DnsMismatch { .. } => ErrorCode::DnsMismatch,
            Self::DeploymentTagMismatch { .. } => ErrorCode::DeploymentTagMismatch,
            Self::Revoked { .. } => ErrorCode::Revoked,
            Self::RevocationListStale { .. } => ErrorCode::RevocationListStale,
            Self::BindingMismatch { .. } => ErrorCode::BindingMismatch,
            Self::NonceMismatch => ErrorCode::NonceMismatch,
            Self::LedgerBroken { .. } => ErrorCode::LedgerBroken,
            Self::ManifestInvalid(_) => ErrorCode::ManifestInvalid,
        }
    }

    pub(crate) fn payload(kind: DocKind, reason: impl fmt::Display) -> Self {
        Self::BadPayload {
            kind,
            reason: alloc::format!("{reason}"),
        }
    }
}

/// Displays a string in double quotes as `{:?}` does for the text these messages quote (`"`,
/// `\\`, `\n`, `\r`, `\t` and `\0` escaped, other control characters as `\u{…}`), without
/// `str`'s `Debug`, whose Unicode tables and escaping cost the WASM module ≈ 2.8 KB. Unlike
/// `Debug`, characters outside ASCII are written as they are.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let mut run = 0;
        for (i, c) in self.0.char_indices() {
            let escaped = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\0' => "\\0",
                c if c.is_control() => "",
                _ => continue,
            };
            f.write_str(self.0.get(run..i).unwrap_or_default())?;
            run = i + c.len_utf8();
            if escaped.is_empty() {
                f.write_str("\\u{")?;
                let n = u32::from(c);
                let digits = (32 - n.leading_zeros()).div_ceil(4).max(1);
                for k in (0..digits).rev() {
                    let d = (n >> (4 * k)) & 0xf;
                    let ch = char::from_digit(d, 16).unwrap_or('0');
                    f.write_str(ch.encode_utf8(&mut [0; 4]))?;
                }
                f.write_str("}")?;
            } else {
                f.write_str(escaped)?;
            }
        }
        f.write_str(self.0.get(run..).unwrap_or_default())?;
        f.write_str("\"")
    }
}

/// Displays an optional node fact as `"value"` or `(none)`.
struct Shown<'a>(&'a Option<String>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => fmt::Display::fmt(&Quoted(v), f),
            None => f.write_str("(none)"),
        }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    /// `Quoted` writes what `{:?}` writes for ASCII text (every byte value) and for text outside
    /// ASCII that `Debug` leaves as it is; the quoted messages are the same as before.
    #[test]
    fn quoted_is_debug_for_ascii_and_printable_text() {
        for b in 0u8..=0x7f {
            let s = format!("a{}b", char::from(b));
            assert_eq!(format!("{}", Quoted(&s)), format!("{s:?}"), "byte {b:#x}");
        }
        for s in ["", "root-prod-1", "é ü 日本", "\"\\", "a\u{85}b", "\u{9f}"] {
            assert_eq!(format!("{}", Quoted(s)), format!("{s:?}"), "{s}");
        }
        let e = Error::UnknownKeyId {
            kind: DocKind::Cml,
            kid: "k\"1".into(),
        };
        assert_eq!(format!("{e}"), r#"cml: no trusted key with kid "k\"1""#);
    }
}
