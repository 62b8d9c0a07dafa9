//! [`lv_verdict`]: one validation's outcome — usable (valid or in grace) with core's verdict
//! fields, or not usable with the error's code and message.

use std::ffi::c_char;

use hwf_license::{Status, Verdict, Warning};

use crate::boundary::{self, Failure};
use crate::handle::{read, Handle};
use crate::result::lv_result;
use crate::text::{lv_str, Texts};
use crate::validator::lv_environment;

/// Whether a license is usable.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum lv_status {
    /// Not usable: see `lv_verdict_error` and `lv_verdict_error_message`.
    Invalid = 0,
    /// Within its validity.
    Valid = 1,
    /// Past its effective expiry but within the grace period: usable, with an `in_grace`
    /// warning.
    Grace = 2,
}

/// The outcome of one `lv_validator_validate`: usable (status `LV_STATUS_VALID` or
/// `LV_STATUS_GRACE`, error `LV_RESULT_OK`) with its fields, or not usable (status
/// `LV_STATUS_INVALID`) with its error code and message. Immutable; free it with
/// [`lv_verdict_free`]. Strings returned by the getters are borrowed from it.
#[derive(Debug)]
pub struct lv_verdict {
    result: lv_result,
    verdict: Option<Verdict>,
    texts: Texts,
}

impl Handle for lv_verdict {}

/// Indices into `lv_verdict::texts`; features, then the CML's feature packs, then (name,
/// message) per warning, follow.
const MESSAGE: usize = 0;
const SITE_ID: usize = 1;
const ORG_ID: usize = 2;
const LICENSE_ID: usize = 3;
const CML_LICENSE_ID: usize = 4;
const CML_ID: usize = 5;
const PRODUCT: usize = 6;
const TIER: usize = 7;
const SITE_DOCUMENT_ID: usize = 8;
const FP_ADDRESS: usize = 9;
const FP_DNS_SUFFIX: usize = 10;
const FP_DEPLOYMENT_TAG: usize = 11;
const FEATURES: usize = 12;

impl lv_verdict {
    /// A usable verdict.
    pub(crate) fn usable(verdict: Verdict) -> Self {
        let messages: Vec<String> = verdict.warnings.iter().map(Warning::to_string).collect();
        let fixed = [
            "",
            &verdict.site_id,
            &verdict.org_id,
            &verdict.license_id,
            &verdict.cml_license_id,
            &verdict.cml_id,
            &verdict.product,
            &verdict.tier,
            &verdict.site_document_id,
            verdict.fingerprint.address.as_deref().unwrap_or(""),
            verdict.fingerprint.dns_suffix.as_deref().unwrap_or(""),
            verdict.fingerprint.deployment_tag.as_deref().unwrap_or(""),
        ];
        let warnings = verdict
            .warnings
            .iter()
            .zip(&messages)
            .flat_map(|(w, m)| [w.name(), m.as_str()]);
        let texts = Texts::new(
            fixed
                .into_iter()
                .chain(verdict.features.iter().map(String::as_str))
                .chain(verdict.feature_packs.iter().map(String::as_str))
                .chain(warnings),
        );
        Self {
            result: lv_result::Ok,
            verdict: Some(verdict),
            texts,
        }
    }

    /// A verdict that is not usable.
    pub(crate) fn failed(failure: Failure) -> Self {
        Self {
            result: failure.code,
            verdict: None,
            texts: Texts::new([failure.message.as_str()]),
        }
    }

    /// The outcome of a validation.
    pub(crate) fn from_outcome(outcome: Result<Verdict, Failure>) -> Self {
        match outcome {
            Ok(v) => Self::usable(v),
            Err(f) => Self::failed(f),
        }
    }

    pub(crate) fn result(&self) -> lv_result {
        self.result
    }

    /// A string field of a usable verdict, else "".
    fn field(&self, index: usize) -> lv_str {
        if self.verdict.is_some() {
            self.texts.get(index)
        } else {
            lv_str::empty()
        }
    }

    fn features_len(&self) -> usize {
        self.verdict.as_ref().map_or(0, |v| v.features.len())
    }

    fn feature_packs_len(&self) -> usize {
        self.verdict.as_ref().map_or(0, |v| v.feature_packs.len())
    }

    fn warning_text(&self, index: usize, which: usize) -> lv_str {
        match &self.verdict {
            Some(v) if index < v.warnings.len() => self
                .texts
                .get(FEATURES + v.features.len() + v.feature_packs.len() + 2 * index + which),
            _ => lv_str::empty(),
        }
    }

    /// A number of a usable verdict, else `default`.
    fn number<T>(&self, default: T, f: impl FnOnce(&Verdict) -> T) -> T {
        self.verdict.as_ref().map_or(default, f)
    }
}

/// Whether the license is usable: `LV_STATUS_VALID`, `LV_STATUS_GRACE`, or `LV_STATUS_INVALID`
/// (also for NULL).
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_status(verdict: *const lv_verdict) -> lv_status {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, lv_status::Invalid, |v| match &v.verdict {
            Some(x) if x.status == Status::Grace => lv_status::Grace,
            Some(_) => lv_status::Valid,
            None => lv_status::Invalid,
        })
    }
}

/// The validation's result: `LV_RESULT_OK` when usable, else the stable error code (the same
/// value `lv_validator_validate` returned). `LV_RESULT_NULL_PARAMETER` for NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_error(verdict: *const lv_verdict) -> lv_result {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_result::NullParameter, |v| v.result) }
}

/// The error's message (one line of English, core's wording) when not usable; empty when usable
/// or NULL. Borrowed from the verdict.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_error_message(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, lv_str::empty(), |v| {
            if v.verdict.is_none() {
                v.texts.get(MESSAGE)
            } else {
                lv_str::empty()
            }
        })
    }
}

/// The site id.
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_site_id(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(SITE_ID)) }
}
/// The organisation id.
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_org_id(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(ORG_ID)) }
}
/// The site license id.
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_license_id(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(LICENSE_ID)) }
}
/// The CML's license id.
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_cml_license_id(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(CML_LICENSE_ID)) }
}
/// The CML's document id (hex SHA-256 of the CML).
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_cml_id(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(CML_ID)) }
}
/// The product (for usage statistics).
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_product(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(PRODUCT)) }
}
/// The tier (for usage statistics).
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_tier(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(TIER)) }
}

/// The site license's document id (hex SHA-256 of its JWS), for logs and support.
///
/// Borrowed from the verdict; empty when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_site_document_id(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(SITE_DOCUMENT_ID)) }
}
/// The IP address or CIDR network the site license binds the node to, as licensed.
///
/// Borrowed from the verdict; empty when the license has none (a license never has an empty
/// one), the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_fingerprint_address(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(FP_ADDRESS)) }
}
/// The DNS suffix the site license binds the node's name to, as licensed.
///
/// Borrowed from the verdict; empty when the license has none (a license never has an empty
/// one), the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_fingerprint_dns_suffix(verdict: *const lv_verdict) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(FP_DNS_SUFFIX)) }
}
/// The deployment tag the site license binds the node to, as licensed.
///
/// Borrowed from the verdict; empty when the license has none (a license never has an empty
/// one), the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_fingerprint_deployment_tag(
    verdict: *const lv_verdict,
) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.field(FP_DEPLOYMENT_TAG)) }
}

/// The environment of the chain: `LV_ENVIRONMENT_PROD` or `LV_ENVIRONMENT_DEV`;
/// `LV_ENVIRONMENT_NONE` when not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_environment(verdict: *const lv_verdict) -> lv_environment {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, lv_environment::None, |v| {
            v.verdict.as_ref().map_or(lv_environment::None, |x| {
                lv_environment::from_core(x.environment)
            })
        })
    }
}

/// How many features are enabled (0 when not usable or NULL).
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_features_len(verdict: *const lv_verdict) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, 0, lv_verdict::features_len) }
}

/// The `index`-th enabled feature, in license order (`index < lv_verdict_features_len`).
/// Borrowed from the verdict; empty when `index` is out of range, the verdict is not usable or
/// NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_feature(verdict: *const lv_verdict, index: usize) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, lv_str::empty(), |v| {
            if index < v.features_len() {
                v.texts.get(FEATURES + index)
            } else {
                lv_str::empty()
            }
        })
    }
}

/// How many feature packs the CML grants (0 when not usable or NULL).
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_feature_packs_len(verdict: *const lv_verdict) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, 0, lv_verdict::feature_packs_len) }
}

/// The `index`-th feature pack of the CML, in CML order (`index <
/// lv_verdict_feature_packs_len`). Borrowed from the verdict; empty when `index` is out of
/// range, the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_feature_pack(
    verdict: *const lv_verdict,
    index: usize,
) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, lv_str::empty(), |v| {
            if index < v.feature_packs_len() {
                v.texts.get(FEATURES + v.features_len() + index)
            } else {
                lv_str::empty()
            }
        })
    }
}

/// How many sites the CML allows (0 when not usable or NULL).
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_max_sites(verdict: *const lv_verdict) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, 0, |v| v.number(0, |x| x.max_sites)) }
}

/// How many days the CML lets a node run without a signed time from its Hub; -1 when the CML
/// sets no limit, the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_max_offline_days(verdict: *const lv_verdict) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, -1, |v| {
            v.number(-1, |x| x.max_offline_days.map_or(-1, i64::from))
        })
    }
}

/// Whether feature `name` (UTF-8, `name_len` bytes) is enabled: core's rule, exact and
/// case-sensitive. false when the verdict is not usable, or for NULL or non-UTF-8 arguments.
/// Call it on every licensed action: it allocates nothing.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library; `name` is NULL or readable for
/// `name_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_has_feature(
    verdict: *const lv_verdict,
    name: *const c_char,
    name_len: usize,
) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, false, |v| {
            let (Some(verdict), Ok(name)) =
                (&v.verdict, crate::input::text(name, name_len, "name"))
            else {
                return false;
            };
            verdict.has_feature(name)
        })
    }
}

/// When the site license was issued.
///
/// Unix seconds; 0 when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_issued_at(verdict: *const lv_verdict) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, 0, |v| {
            v.verdict.as_ref().map_or(0, |x| x.issued_at)
        })
    }
}
/// The effective expiry: the earlier of the site license's and the CML's.
///
/// Unix seconds; 0 when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_expires_at(verdict: *const lv_verdict) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, 0, |v| {
            v.verdict.as_ref().map_or(0, |x| x.expires_at)
        })
    }
}
/// The site license's own expiry (the effective expiry is the earlier of it and the CML's).
///
/// Unix seconds; 0 when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_site_expires_at(verdict: *const lv_verdict) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, 0, |v| v.number(0, |x| x.site_expires_at)) }
}
/// The CML's end of validity.
///
/// Unix seconds; 0 when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_cml_valid_until(verdict: *const lv_verdict) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, 0, |v| v.number(0, |x| x.cml_valid_until)) }
}
/// The end of the grace period (effective expiry plus the CML's grace days).
///
/// Unix seconds; 0 when the verdict is not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_grace_end(verdict: *const lv_verdict) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, 0, |v| {
            v.verdict.as_ref().map_or(0, |x| x.grace_end)
        })
    }
}

/// Whole days of grace left (rounded up) when the status is `LV_STATUS_GRACE`; -1 otherwise
/// (valid, not usable, or NULL).
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_grace_days_left(verdict: *const lv_verdict) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, -1, |v| {
            v.verdict
                .as_ref()
                .and_then(|x| x.grace_days_left)
                .map_or(-1, i64::from)
        })
    }
}

/// How many warnings to show the operator (0 when not usable or NULL).
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_warnings_len(verdict: *const lv_verdict) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, 0, |v| {
            v.verdict.as_ref().map_or(0, |x| x.warnings.len())
        })
    }
}

/// The stable name of the `index`-th warning: `"in_grace"` or `"expires_soon"`. Borrowed from
/// the verdict; empty when out of range, not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_warning_name(
    verdict: *const lv_verdict,
    index: usize,
) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.warning_text(index, 0)) }
}

/// The `index`-th warning as one line of English for the operator (core's wording). Borrowed
/// from the verdict; empty when out of range, not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_warning_message(
    verdict: *const lv_verdict,
    index: usize,
) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(verdict, lv_str::empty(), |v| v.warning_text(index, 1)) }
}

/// Whole days left (rounded up) that the `index`-th warning speaks of: until the end of grace
/// for `in_grace`, until expiry for `expires_soon`; -1 when out of range, not usable or NULL.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_warning_days_left(
    verdict: *const lv_verdict,
    index: usize,
) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(verdict, -1, |v| {
            match v.verdict.as_ref().and_then(|x| x.warnings.get(index)) {
                Some(
                    Warning::InGrace { days_left, .. } | Warning::ExpiresSoon { days_left, .. },
                ) => i64::from(*days_left),
                _ => -1,
            }
        })
    }
}

/// Frees a verdict. NULL does nothing.
///
/// # Safety
///
/// `verdict` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_verdict_free(verdict: *mut lv_verdict) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_verdict::free(verdict) })
}
