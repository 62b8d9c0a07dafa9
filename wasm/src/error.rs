//! Errors: every failure leaves the binding as a JS `LicenseError`, a real `Error` subclass
//! (defined in `js/license-error.js`) carrying core's stable numeric code and snake_case name.
//!
//! Core errors keep core's code and message. The binding itself only raises argument errors:
//! `null_parameter` (900) for a missing required argument and `invalid_argument` (110) for a value
//! of the wrong JavaScript type.

use alloc::format;
use alloc::string::{String, ToString};

use hwf_license::ErrorCode as CoreCode;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/license-error.js")]
extern "C" {
    /// The JS `LicenseError` class.
    type LicenseError;

    #[wasm_bindgen(constructor)]
    fn new(code: u32, code_name: &str, message: &str, index: Option<f64>) -> LicenseError;
}

/// Result of a binding operation: the error is a thrown `LicenseError`.
pub(crate) type JsResult<T> = Result<T, JsValue>;

/// Builds the JS error for a code and message.
pub(crate) fn license_error(code: CoreCode, message: &str) -> JsValue {
    LicenseError::new(code.code(), code.name(), message, None).into()
}

/// Converts a core error (code, name and message kept; for `ledger_broken`, also the index of
/// the first bad entry as `index`).
pub(crate) fn from_core(e: hwf_license::Error) -> JsValue {
    let index = match e {
        hwf_license::Error::LedgerBroken { index, .. } => Some(index as f64),
        _ => None,
    };
    let code = e.code();
    LicenseError::new(code.code(), code.name(), &e.to_string(), index).into()
}

/// An argument of the wrong JavaScript type or shape (`invalid_argument`, 110).
pub(crate) fn invalid(message: &'static str) -> JsValue {
    from_core(hwf_license::Error::InvalidArgument(message))
}

/// A required argument that is `null` or `undefined` (`null_parameter`, 900).
pub(crate) fn null_parameter(what: &str) -> JsValue {
    license_error(
        CoreCode::NullParameter,
        &format!("{what} is null or undefined"),
    )
}

/// The stable snake_case name of a numeric error code (e.g. `301` → `"expired"`), or `undefined`
/// for a number that is not a code.
#[wasm_bindgen(js_name = errorCodeName)]
pub fn error_code_name(code: u32) -> Option<String> {
    CoreCode::from_code(code).map(|c| c.name().into())
}

/// Stable numeric error codes, shared by every hwf-license binding and the conformance vectors.
/// `LicenseError.code` is one of these numbers; `LicenseError.codeName` is its snake_case name.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The input is not a well-formed site.lic file (not JSON, wrong shape, missing member).
    Malformed = 100,
    /// The input is larger than allowed.
    TooLarge = 101,
    /// A base64url segment is not canonical unpadded base64url.
    BadEncoding = 102,
    /// A JWS is not three segments, or its protected header is not the exact ES256 header.
    BadJws = 103,
    /// The JWS `alg` is anything but `ES256`.
    UnsupportedAlgorithm = 104,
    /// The document is not of the kind expected here.
    WrongDocumentType = 105,
    /// No trusted key has the JWS `kid`.
    UnknownKeyId = 106,
    /// A signed payload breaks the schema.
    BadPayload = 107,
    /// The signed payload's format version is not supported.
    UnsupportedVersion = 108,
    /// A key (JWK or PEM) cannot be parsed or is not a P-256 public key.
    BadKey = 109,
    /// An argument is invalid (wrong type, or e.g. `now` outside 1970..=9999).
    InvalidArgument = 110,
    /// Trust state bytes given to `importState` are corrupt, truncated, of an unknown version,
    /// forged or of another validator; the validator is left as it was.
    BadState = 111,
    /// A signature does not verify.
    BadSignature = 200,
    /// A dev document where prod is expected, or the reverse.
    EnvironmentMismatch = 201,
    /// The site license is bound to another CML.
    ParentMismatch = 202,
    /// The org id of a document differs from the CML's.
    OrgMismatch = 203,
    /// The site license lists a feature that is not among the CML's feature packs.
    FeatureNotInCml = 204,
    /// The document was not signed by the CML's org key.
    SignerMismatch = 205,
    /// Issued in the future (beyond the tolerated skew).
    NotYetValid = 300,
    /// Past the effective expiry plus the grace period.
    Expired = 301,
    /// The clock is earlier than a time the validator already trusts.
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
    /// The site license is on the org's revocation list.
    Revoked = 403,
    /// A revocation list older than the one already applied.
    RevocationListStale = 404,
    /// A revocation list or heartbeat for another CML, org or site.
    BindingMismatch = 405,
    /// A heartbeat answer does not carry the nonce that was sent.
    NonceMismatch = 406,
    /// A ledger entry does not chain to its predecessor.
    LedgerBroken = 500,
    /// A usage manifest is inconsistent.
    ManifestInvalid = 501,
    /// A required argument is `null` or `undefined`.
    NullParameter = 900,
    /// A string argument was not valid UTF-8 (not raised by this binding).
    InvalidUtf8 = 901,
    /// A bug was caught at the boundary (not raised by this binding: a panic aborts the module).
    Panic = 902,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binding's enum, in numeric order (test only: the JS enum object is generated).
    const ALL: [ErrorCode; 34] = [
        ErrorCode::Malformed,
        ErrorCode::TooLarge,
        ErrorCode::BadEncoding,
        ErrorCode::BadJws,
        ErrorCode::UnsupportedAlgorithm,
        ErrorCode::WrongDocumentType,
        ErrorCode::UnknownKeyId,
        ErrorCode::BadPayload,
        ErrorCode::UnsupportedVersion,
        ErrorCode::BadKey,
        ErrorCode::InvalidArgument,
        ErrorCode::BadState,
        ErrorCode::BadSignature,
        ErrorCode::EnvironmentMismatch,
        ErrorCode::ParentMismatch,
        ErrorCode::OrgMismatch,
        ErrorCode::FeatureNotInCml,
        ErrorCode::SignerMismatch,
        ErrorCode::NotYetValid,
        ErrorCode::Expired,
        ErrorCode::ClockRollback,
        ErrorCode::OfflineTooLong,
        ErrorCode::AddressMismatch,
        ErrorCode::DnsMismatch,
        ErrorCode::DeploymentTagMismatch,
        ErrorCode::Revoked,
        ErrorCode::RevocationListStale,
        ErrorCode::BindingMismatch,
        ErrorCode::NonceMismatch,
        ErrorCode::LedgerBroken,
        ErrorCode::ManifestInvalid,
        ErrorCode::NullParameter,
        ErrorCode::InvalidUtf8,
        ErrorCode::Panic,
    ];

    #[test]
    fn every_core_code_is_mirrored_with_the_same_number_and_variant_name() {
        assert_eq!(
            CoreCode::ALL.len(),
            ALL.len(),
            "core added or removed a code"
        );
        for (core, ours) in CoreCode::ALL.iter().zip(ALL) {
            assert_eq!(core.code(), ours as u32, "{core:?}");
            assert_eq!(format!("{core:?}"), format!("{ours:?}"));
        }
    }

    #[test]
    fn code_names_come_from_core() {
        assert_eq!(error_code_name(301).as_deref(), Some("expired"));
        assert_eq!(error_code_name(900).as_deref(), Some("null_parameter"));
        assert_eq!(error_code_name(0), None);
        assert_eq!(error_code_name(999), None);
    }
}
