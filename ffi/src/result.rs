//! The result codes: `LV_RESULT_OK` plus core's stable error codes, unchanged.
//!
//! cbindgen needs literal discriminants, so the list is copied from `hwf_license::ErrorCode`;
//! the tests fail if a number or a name drifts, or if core gains a code this list lacks. Names
//! at run time come from core itself ([`lv_result_name`]).

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use hwf_license::ErrorCode;

use crate::boundary;

/// The result of a call: `LV_RESULT_OK` (0) or one of core's stable error codes.
///
/// The numbers are a stable contract, grouped in ranges; a retired code is never reused:
/// 100–199 input shape, 200–299 chain of trust, 300–399 time, 400–499 node binding and
/// revocation, 500–599 ledger and manifest, 900–999 this binding. Each code's stable snake_case
/// name is `lv_result_name(code)`. In C the type is `uint32_t`: a newer library may return a code
/// this header does not list; treat any non-zero value as a failure.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum lv_result {
    /// Success.
    Ok = 0,
    /// The input is not a well-formed site.lic file (not JSON, wrong shape, missing member).
    Malformed = 100,
    /// The input exceeds its limit (`LV_MAX_LICENSE_BYTES` for a site.lic).
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
    /// The signed payload's format version is not supported.
    UnsupportedVersion = 108,
    /// A key (JWK or PEM) cannot be parsed or is not a P-256 key.
    BadKey = 109,
    /// An argument is invalid (e.g. a time outside 1970..9999, an unknown environment, a root
    /// kid already trusted).
    InvalidArgument = 110,
    /// Trust state bytes given to import are corrupt, truncated, of an unknown version, or of
    /// another validator (environment, roots); the validator is left as it was.
    BadState = 111,
    /// A signature does not verify.
    BadSignature = 200,
    /// A dev document where prod is expected, or the reverse.
    EnvironmentMismatch = 201,
    /// The site license is bound to another CML (grafted site license).
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
    /// `now` is earlier than a time the validator already trusts (its clock floor: validations
    /// at the clock, signed times, last seen, an imported trust state).
    ClockRollback = 302,
    /// The CML limits how long a node may run without a signed time from its Hub
    /// (`max_offline_days`), and the newest one held is older than that.
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
    /// A required pointer argument was NULL.
    NullParameter = 900,
    /// A text argument was not valid UTF-8.
    InvalidUtf8 = 901,
    /// A panic was caught at the boundary, now or in an earlier call on the same validator (a
    /// bug; please report it).
    Panic = 902,
}

impl lv_result {
    /// Every result, in numeric order.
    pub(crate) const ALL: [lv_result; 35] = [
        Self::Ok,
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

    /// The result with this number, if this build lists it.
    pub(crate) fn from_u32(code: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| *r as u32 == code)
    }

    /// Core's code as a result. Every core code is listed (see the tests); a code this build does
    /// not know could only come from a core newer than this list, and is reported as a bug.
    pub(crate) fn from_core(code: ErrorCode) -> Self {
        Self::from_u32(code.code()).unwrap_or(Self::Panic)
    }
}

/// `(number, NUL-terminated stable name)` of `ok` and of every core code, built from core.
fn names() -> &'static [(u32, CString)] {
    static NAMES: OnceLock<Vec<(u32, CString)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let core = ErrorCode::ALL
            .iter()
            .map(|c| (c.code(), CString::new(c.name()).unwrap_or_default()));
        std::iter::once((0, c"ok".to_owned())).chain(core).collect()
    })
}

/// The stable snake_case name of a result: `"ok"`, or core's name of the code (`"expired"`,
/// `"null_parameter"`, ...); `"unknown"` for a number that is not a code.
///
/// The returned string is static, NUL-terminated, never NULL, and must not be freed.
#[no_mangle]
pub extern "C" fn lv_result_name(result: u32) -> *const c_char {
    const UNKNOWN: &CStr = c"unknown";
    boundary::value(UNKNOWN.as_ptr(), || {
        names()
            .iter()
            .find(|(n, _)| *n == result)
            .map_or(UNKNOWN.as_ptr(), |(_, name)| name.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(code: u32) -> String {
        // SAFETY: lv_result_name returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(lv_result_name(code)) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// `DeploymentTagMismatch` -> `deployment_tag_mismatch`: the header's `LV_RESULT_*` names
    /// are cbindgen's SCREAMING_SNAKE_CASE of the variant names.
    fn snake(variant: &str) -> String {
        let mut out = String::new();
        for (i, ch) in variant.chars().enumerate() {
            if ch.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        }
        out
    }

    #[test]
    fn every_core_code_is_a_result_with_the_same_number_and_name() {
        for code in ErrorCode::ALL {
            let r = lv_result::from_u32(code.code()).unwrap_or_else(|| panic!("{code:?} missing"));
            assert_eq!(r as u32, code.code());
            assert_eq!(snake(&format!("{r:?}")), code.name(), "{r:?}");
            assert_eq!(name_of(code.code()), code.name());
            assert_eq!(lv_result::from_core(code), r);
        }
    }

    #[test]
    fn every_result_but_ok_is_a_core_code() {
        assert_eq!(lv_result::ALL.len(), ErrorCode::ALL.len() + 1);
        for r in lv_result::ALL {
            if r == lv_result::Ok {
                assert_eq!(name_of(0), "ok");
                continue;
            }
            assert!(ErrorCode::from_code(r as u32).is_some(), "{r:?}");
        }
        assert!(lv_result::ALL
            .windows(2)
            .all(|w| (w[0] as u32) < (w[1] as u32)));
    }

    #[test]
    fn the_binding_range_is_core_s_reserved_codes() {
        assert_eq!(lv_result::NullParameter as u32, 900);
        assert_eq!(name_of(900), "null_parameter");
        assert_eq!(name_of(901), "invalid_utf8");
        assert_eq!(name_of(902), "panic");
        assert_eq!(name_of(1), "unknown");
        assert_eq!(name_of(u32::MAX), "unknown");
    }
}
