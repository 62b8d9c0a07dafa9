//! Standalone documents: a CML on its own ([`lv_cml`]), a usage manifest ([`lv_manifest`]) and a
//! usage ledger ([`lv_ledger`]) verified against it, the CML's standing at a time and the months
//! a manifest may cover. The same surface as the other bindings: every call takes the CML as
//! compact JWS text and verifies it first with the validator (its roots, environment policy and
//! cache: core's `Validator::verify_cml`); the rules are core's (`chain::verify_manifest`,
//! `chain::verify_ledger`, `standing::cml_standing`, `standing::check_manifest_period`).

use std::ffi::c_char;
use std::sync::Arc;

use hwf_license::{
    check_manifest_ledger, check_manifest_period, cml_standing, verify_ledger, verify_manifest,
    CmlStanding, LedgerSummary, ManifestClaims, Verified, VerifiedCml,
};

use crate::boundary::{self, Failure};
use crate::error::lv_error;
use crate::handle::{read, Handle, Out};
use crate::input;
use crate::result::lv_result;
use crate::text::{lv_str, Texts};
use crate::validator::{lv_environment, lv_validator, When};

/// A CML verified on its own: its document id and claims. Immutable; free it with
/// [`lv_cml_free`]. Strings returned by the getters are borrowed from it.
#[derive(Debug)]
pub struct lv_cml {
    cml: Arc<VerifiedCml>,
    /// id, license_id, org_id, issued_by, org key thumbprint, then the feature packs.
    texts: Texts,
}

impl Handle for lv_cml {}

const CML_ID: usize = 0;
const CML_LICENSE_ID: usize = 1;
const CML_ORG_ID: usize = 2;
const CML_ISSUED_BY: usize = 3;
const CML_ORG_KEY_THUMBPRINT: usize = 4;
const CML_FEATURE_PACKS: usize = 5;

impl lv_cml {
    fn new(cml: Arc<VerifiedCml>) -> Self {
        let c = &cml.claims;
        let texts = Texts::new(
            [
                cml.id.as_str(),
                &c.license_id,
                &c.org_id,
                &c.issued_by,
                cml.org_key.thumbprint(),
            ]
            .into_iter()
            .chain(c.feature_packs.iter().map(String::as_str)),
        );
        Self { cml, texts }
    }
}

/// A usage manifest verified against its CML. Immutable; free it with [`lv_manifest_free`].
#[derive(Debug)]
pub struct lv_manifest {
    manifest: Verified<ManifestClaims>,
    /// id, org_id, cml, period, ledger_head, then (site_id, status) per site.
    texts: Texts,
}

impl Handle for lv_manifest {}

const MANIFEST_ID: usize = 0;
const MANIFEST_ORG_ID: usize = 1;
const MANIFEST_CML: usize = 2;
const MANIFEST_PERIOD: usize = 3;
const MANIFEST_LEDGER_HEAD: usize = 4;
const MANIFEST_SITES: usize = 5;

impl lv_manifest {
    fn new(manifest: Verified<ManifestClaims>) -> Self {
        let c = &manifest.claims;
        let texts = Texts::new(
            [
                manifest.id.as_str(),
                &c.org_id,
                &c.cml,
                &c.period,
                &c.ledger_head,
            ]
            .into_iter()
            .chain(
                c.sites
                    .iter()
                    .flat_map(|s| [s.site_id.as_str(), s.status.as_str()]),
            ),
        );
        Self { manifest, texts }
    }
}

/// A usage ledger verified from its first entry: its length and head. Immutable; free it with
/// [`lv_ledger_free`].
#[derive(Debug)]
pub struct lv_ledger {
    summary: LedgerSummary,
    head: Texts,
}

impl Handle for lv_ledger {}

/// Where a CML stands at a time (core's `CmlStanding`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum lv_standing {
    /// Before `valid_until`, more than 30 days left.
    Valid = 1,
    /// Before `valid_until`, 30 days or fewer left.
    Expiring = 2,
    /// Past `valid_until`, within the grace period: its site licenses still work.
    Grace = 3,
    /// Past the end of grace.
    Expired = 4,
}

impl lv_standing {
    fn from_core(s: CmlStanding) -> Self {
        match s {
            CmlStanding::Valid { .. } => Self::Valid,
            CmlStanding::Expiring { .. } => Self::Expiring,
            CmlStanding::Grace { .. } => Self::Grace,
            CmlStanding::Expired { .. } => Self::Expired,
        }
    }
}

/// The stable name of a standing: `"valid"`, `"expiring"`, `"grace"` or `"expired"` (core's
/// names); `"unknown"` for any other number. Static, NUL-terminated, never NULL; never free it.
#[no_mangle]
pub extern "C" fn lv_standing_name(standing: u32) -> *const c_char {
    boundary::value(c"unknown".as_ptr(), || match standing {
        1 => c"valid".as_ptr(),
        2 => c"expiring".as_ptr(),
        3 => c"grace".as_ptr(),
        4 => c"expired".as_ptr(),
        _ => c"unknown".as_ptr(),
    })
}

/// The CML argument of every call here, verified by the validator (roots, policy, cache).
///
/// # Safety
///
/// `validator` is NULL or a live handle; `cml` is NULL or readable for `cml_len` bytes.
unsafe fn verified_cml(
    validator: *const lv_validator,
    cml: *const c_char,
    cml_len: usize,
) -> Result<Arc<VerifiedCml>, Failure> {
    // SAFETY: forwarded.
    let validator = unsafe { lv_validator::get(validator) }?;
    // SAFETY: forwarded.
    let cml = unsafe { input::text(cml, cml_len, "cml") }?;
    let core = validator.read()?;
    Ok(core.verify_cml(cml)?)
}

/// Verifies a CML (compact JWS text, `cml_len` bytes) on its own against the validator's trusted
/// roots and environment policy (core's `Validator::verify_cml`, cached by its exact text). On
/// success `*cml_out` receives a new CML (free it with [`lv_cml_free`]).
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_PANIC`, and core's
/// codes (e.g. `LV_RESULT_BAD_SIGNATURE`, `LV_RESULT_ENVIRONMENT_MISMATCH`,
/// `LV_RESULT_UNKNOWN_KEY_ID`).
///
/// # Safety
///
/// `validator` is NULL or a live handle; `cml` is NULL or readable for `cml_len` bytes;
/// `cml_out` and `error_out` are NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_verify_cml(
    validator: *const lv_validator,
    cml: *const c_char,
    cml_len: usize,
    cml_out: *mut *mut lv_cml,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let out = Out::required(cml_out, "cml_out")?;
            let cml = verified_cml(validator, cml, cml_len)?;
            out.write(lv_cml::new(cml).into_raw());
            Ok(())
        })
    }
}

/// Verifies a usage manifest (compact JWS text) signed by the org key of `cml` (compact JWS,
/// verified first as [`lv_validator_verify_cml`] does): signature, org, CML binding, period
/// format and totals (core's `verify_manifest`). On success `*manifest_out` receives a new
/// manifest (free it with [`lv_manifest_free`]).
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_PANIC`, and core's
/// codes (e.g. `LV_RESULT_SIGNER_MISMATCH`, `LV_RESULT_BINDING_MISMATCH`,
/// `LV_RESULT_MANIFEST_INVALID`).
///
/// # Safety
///
/// `validator` is NULL or a live handle; `cml` and `manifest` are NULL or readable for their
/// lengths; `manifest_out` and `error_out` are NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_verify_manifest(
    validator: *const lv_validator,
    cml: *const c_char,
    cml_len: usize,
    manifest: *const c_char,
    manifest_len: usize,
    manifest_out: *mut *mut lv_manifest,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let out = Out::required(manifest_out, "manifest_out")?;
            let cml = verified_cml(validator, cml, cml_len)?;
            let manifest = input::text(manifest, manifest_len, "manifest")?;
            let m = verify_manifest(&cml, manifest)?;
            out.write(lv_manifest::new(m).into_raw());
            Ok(())
        })
    }
}

/// A caller's array of `count` texts: `entries[i]` readable for `entry_lens[i]` bytes.
///
/// # Safety
///
/// `entries` and `entry_lens` are NULL or readable for `count` elements, each entry NULL or
/// readable for its length.
unsafe fn texts_argument<'a>(
    entries: *const *const c_char,
    entry_lens: *const usize,
    count: usize,
) -> Result<Vec<&'a str>, Failure> {
    if count == 0 {
        // An empty ledger: the arrays are not read (NULL is accepted).
        return Ok(Vec::new());
    }
    // SAFETY: forwarded; `count` pointers.
    let ptrs = unsafe { input::array(entries, count, "entries") }?;
    // SAFETY: forwarded; `count` lengths.
    let lens = unsafe { input::array(entry_lens, count, "entry_lens") }?;
    ptrs.iter()
        .zip(lens)
        // SAFETY: each entry is readable for its length by the caller's guarantee.
        .map(|(&p, &len)| unsafe { input::text(p, len, "ledger entry") })
        .collect()
}

/// Verifies a whole usage ledger of the org of `cml` (compact JWS, verified first as
/// [`lv_validator_verify_cml`] does): `count` entries (compact JWS text, oldest first), entry
/// `i` at `entries[i]` for `entry_lens[i]` bytes. Each entry must be signed by the org key, its
/// `seq` equal to its position, its `prev` the previous entry's id, its time not before the
/// previous one (core's `verify_ledger`). With `count` 0 the arrays are not read (NULL is
/// allowed): the empty ledger. On success `*ledger_out` receives a new ledger (free it with
/// [`lv_ledger_free`]). On `LV_RESULT_LEDGER_BROKEN`, [`lv_error_ledger_index`] on the error
/// gives the zero-based index of the first bad entry.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_TOO_LARGE` (a
/// `count` no array can have), `LV_RESULT_PANIC`, core's codes for the CML, and
/// `LV_RESULT_LEDGER_BROKEN`.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `cml` is NULL or readable for `cml_len` bytes;
/// `entries` and `entry_lens` are NULL or readable for `count` elements, each entry NULL or
/// readable for its length; `ledger_out` and `error_out` are NULL or valid for writing a
/// pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_verify_ledger(
    validator: *const lv_validator,
    cml: *const c_char,
    cml_len: usize,
    entries: *const *const c_char,
    entry_lens: *const usize,
    count: usize,
    ledger_out: *mut *mut lv_ledger,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let out = Out::required(ledger_out, "ledger_out")?;
            let cml = verified_cml(validator, cml, cml_len)?;
            let entries = texts_argument(entries, entry_lens, count)?;
            let summary = verify_ledger(&cml, entries.iter().copied())?;
            let head = Texts::new([summary.head.as_str()]);
            out.write(lv_ledger { summary, head }.into_raw());
            Ok(())
        })
    }
}

/// Verifies a usage manifest as [`lv_validator_verify_manifest`] does, the whole ledger it
/// reports as [`lv_validator_verify_ledger`] does, and that the manifest's `ledger_head` and
/// `ledger_length` are that ledger's (core's `check_manifest_ledger`;
/// `LV_RESULT_MANIFEST_INVALID` otherwise). On success `*manifest_out` receives a new manifest.
///
/// Errors: as [`lv_validator_verify_manifest`] and [`lv_validator_verify_ledger`].
///
/// # Safety
///
/// As [`lv_validator_verify_manifest`] and [`lv_validator_verify_ledger`].
#[no_mangle]
pub unsafe extern "C" fn lv_validator_verify_manifest_with_ledger(
    validator: *const lv_validator,
    cml: *const c_char,
    cml_len: usize,
    manifest: *const c_char,
    manifest_len: usize,
    entries: *const *const c_char,
    entry_lens: *const usize,
    count: usize,
    manifest_out: *mut *mut lv_manifest,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let out = Out::required(manifest_out, "manifest_out")?;
            let cml = verified_cml(validator, cml, cml_len)?;
            let manifest = input::text(manifest, manifest_len, "manifest")?;
            let entries = texts_argument(entries, entry_lens, count)?;
            let m = verify_manifest(&cml, manifest)?;
            let ledger = verify_ledger(&cml, entries.iter().copied())?;
            check_manifest_ledger(&m.claims, &ledger)?;
            out.write(lv_manifest::new(m).into_raw());
            Ok(())
        })
    }
}

/// The standing of `cml` (compact JWS, verified first as [`lv_validator_verify_cml`] does) at
/// `now` (unix seconds; core's `cml_standing`): written to `*standing_out`; the whole days left
/// (rounded up: until `valid_until` when valid or expiring, until the end of grace in grace; -1
/// when expired) to `*days_left_out` and whether its site licenses are still usable (all but
/// expired) to `*usable_out`, each when not NULL.
///
/// Errors: `LV_RESULT_NULL_PARAMETER` (`validator`, `cml`, `standing_out`),
/// `LV_RESULT_INVALID_ARGUMENT` (`now` outside 1970..9999, checked first),
/// `LV_RESULT_INVALID_UTF8`, `LV_RESULT_PANIC`, and core's codes for the CML.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `cml` is NULL or readable for `cml_len` bytes; the
/// out-parameters and `error_out` are NULL or valid for writing.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn lv_validator_cml_standing(
    validator: *const lv_validator,
    cml: *const c_char,
    cml_len: usize,
    now: i64,
    standing_out: *mut lv_standing,
    days_left_out: *mut i64,
    usable_out: *mut bool,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            lv_validator::get(validator)?;
            When::At(now).check()?;
            let out = Out::required(standing_out, "standing_out")?;
            let cml = verified_cml(validator, cml, cml_len)?;
            let s = cml_standing(&cml.claims, now);
            out.write(lv_standing::from_core(s));
            if let Some(out) = Out::optional(days_left_out) {
                out.write(s.days_left().map_or(-1, i64::from));
            }
            if let Some(out) = Out::optional(usable_out) {
                out.write(s.usable());
            }
            Ok(())
        })
    }
}

/// Whether a usage manifest may cover `period` (`YYYY-MM`) under `cml` (compact JWS, verified
/// first as [`lv_validator_verify_cml`] does) at `now` (core's `check_manifest_period`): the
/// month has started (by `now` plus the clock skew), did not end before the CML was issued and
/// does not start after its grace ended. The month's bounds `[start, end)` (unix seconds) are
/// written to `*start_out` and `*end_out`.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (`now` outside 1970..9999,
/// checked first), `LV_RESULT_INVALID_UTF8`, `LV_RESULT_MANIFEST_INVALID`, `LV_RESULT_PANIC`,
/// and core's codes for the CML.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `cml` and `period` are NULL or readable for their
/// lengths; `start_out`, `end_out` and `error_out` are NULL or valid for writing.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn lv_validator_manifest_period(
    validator: *const lv_validator,
    cml: *const c_char,
    cml_len: usize,
    period: *const c_char,
    period_len: usize,
    now: i64,
    start_out: *mut i64,
    end_out: *mut i64,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            lv_validator::get(validator)?;
            When::At(now).check()?;
            let start_out = Out::required(start_out, "start_out")?;
            let end_out = Out::required(end_out, "end_out")?;
            let cml = verified_cml(validator, cml, cml_len)?;
            let period = input::text(period, period_len, "period")?;
            let (start, end) = check_manifest_period(&cml.claims, period, now)?;
            start_out.write(start);
            end_out.write(end);
            Ok(())
        })
    }
}

/// The CML's document id (hex SHA-256 of its signing input): what site licenses bind to.
///
/// Borrowed from the cml; empty for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_id(cml: *const lv_cml) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, lv_str::empty(), |h| h.texts.get(CML_ID)) }
}
/// The CML's license id.
///
/// Borrowed from the cml; empty for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_license_id(cml: *const lv_cml) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, lv_str::empty(), |h| h.texts.get(CML_LICENSE_ID)) }
}
/// The organisation.
///
/// Borrowed from the cml; empty for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_org_id(cml: *const lv_cml) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, lv_str::empty(), |h| h.texts.get(CML_ORG_ID)) }
}
/// The `kid` of the root key that signed the CML.
///
/// Borrowed from the cml; empty for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_issued_by(cml: *const lv_cml) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, lv_str::empty(), |h| h.texts.get(CML_ISSUED_BY)) }
}
/// The RFC 7638 thumbprint of the org key: the `kid` of every org-signed document.
///
/// Borrowed from the cml; empty for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_org_key_thumbprint(cml: *const lv_cml) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(cml, lv_str::empty(), |h| {
            h.texts.get(CML_ORG_KEY_THUMBPRINT)
        })
    }
}

/// How many site licenses the org may have active at once. 0 for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_max_sites(cml: *const lv_cml) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, 0, |c| c.cml.claims.max_sites) }
}

/// Issuance (unix seconds). 0 for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_issued_at(cml: *const lv_cml) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, 0, |c| c.cml.claims.issued_at) }
}

/// End of validity before grace (unix seconds). 0 for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_valid_until(cml: *const lv_cml) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, 0, |c| c.cml.claims.valid_until) }
}

/// Grace period in days after `valid_until`. 0 for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_grace_days(cml: *const lv_cml) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, 0, |c| c.cml.claims.grace_days) }
}

/// Most days a node may run without a signed time from its Hub (CML v2); -1 when the CML sets
/// no limit, or for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_max_offline_days(cml: *const lv_cml) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(cml, -1, |c| {
            c.cml.claims.max_offline_days.map_or(-1, i64::from)
        })
    }
}

/// The CML's environment (equal to its signing root's): `LV_ENVIRONMENT_PROD` or
/// `LV_ENVIRONMENT_DEV`; `LV_ENVIRONMENT_NONE` for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_environment(cml: *const lv_cml) -> lv_environment {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(cml, lv_environment::None, |c| {
            lv_environment::from_core(c.cml.claims.key_type)
        })
    }
}

/// How many feature packs the CML grants. 0 for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_feature_packs_len(cml: *const lv_cml) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(cml, 0, |c| c.cml.claims.feature_packs.len()) }
}

/// The `index`-th feature pack, in CML order. Borrowed from the CML; empty when `index` is out
/// of range or for NULL.
///
/// # Safety
///
/// `cml` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_feature_pack(cml: *const lv_cml, index: usize) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(cml, lv_str::empty(), |c| {
            if index < c.cml.claims.feature_packs.len() {
                c.texts.get(CML_FEATURE_PACKS + index)
            } else {
                lv_str::empty()
            }
        })
    }
}

/// Frees a CML. NULL does nothing.
///
/// # Safety
///
/// `cml` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_cml_free(cml: *mut lv_cml) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_cml::free(cml) })
}

/// The manifest's document id (hex SHA-256 of its signing input).
///
/// Borrowed from the manifest; empty for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_id(manifest: *const lv_manifest) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, lv_str::empty(), |h| h.texts.get(MANIFEST_ID)) }
}
/// The organisation.
///
/// Borrowed from the manifest; empty for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_org_id(manifest: *const lv_manifest) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, lv_str::empty(), |h| h.texts.get(MANIFEST_ORG_ID)) }
}
/// The CML binding (the CML's document id).
///
/// Borrowed from the manifest; empty for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_cml_id(manifest: *const lv_manifest) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, lv_str::empty(), |h| h.texts.get(MANIFEST_CML)) }
}
/// The month reported, `YYYY-MM`.
///
/// Borrowed from the manifest; empty for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_period(manifest: *const lv_manifest) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, lv_str::empty(), |h| h.texts.get(MANIFEST_PERIOD)) }
}
/// Document id of the newest ledger entry the manifest reports (64 zeros for an empty
/// ledger).
///
/// Borrowed from the manifest; empty for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_ledger_head(manifest: *const lv_manifest) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(manifest, lv_str::empty(), |h| {
            h.texts.get(MANIFEST_LEDGER_HEAD)
        })
    }
}

/// Generation time (unix seconds). 0 for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_generated_at(manifest: *const lv_manifest) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, 0, |m| m.manifest.claims.generated_at) }
}

/// Number of ledger entries the manifest reports. 0 for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_ledger_length(manifest: *const lv_manifest) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, 0, |m| m.manifest.claims.ledger_length) }
}

/// Active sites in all (the statistics' `total_active_sites`). 0 for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_total_active_sites(manifest: *const lv_manifest) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, 0, |m| m.manifest.claims.stats.total_active_sites) }
}

/// Hub users with the admin role. 0 for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_admin_users(manifest: *const lv_manifest) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, 0, |m| m.manifest.claims.stats.admin_users) }
}

/// All Hub users. 0 for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_total_users(manifest: *const lv_manifest) -> u32 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, 0, |m| m.manifest.claims.stats.total_users) }
}

/// How many sites the manifest lists (active and revoked). 0 for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_sites_len(manifest: *const lv_manifest) -> usize {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, 0, |m| m.manifest.claims.sites.len()) }
}

/// The site id of the `index`-th site listed. Borrowed from the manifest; empty when `index` is
/// out of range or for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_site_id(manifest: *const lv_manifest, index: usize) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, lv_str::empty(), |m| m.site_text(index, 0)) }
}

/// The status (`"active"` or `"revoked"`) of the `index`-th site listed. Borrowed from the
/// manifest; empty when `index` is out of range or for NULL.
///
/// # Safety
///
/// `manifest` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_site_status(
    manifest: *const lv_manifest,
    index: usize,
) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(manifest, lv_str::empty(), |m| m.site_text(index, 1)) }
}

impl lv_manifest {
    fn site_text(&self, index: usize, which: usize) -> lv_str {
        if index < self.manifest.claims.sites.len() {
            self.texts.get(MANIFEST_SITES + 2 * index + which)
        } else {
            lv_str::empty()
        }
    }
}

/// Frees a manifest. NULL does nothing.
///
/// # Safety
///
/// `manifest` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_manifest_free(manifest: *mut lv_manifest) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_manifest::free(manifest) })
}

/// Number of entries. 0 for NULL.
///
/// # Safety
///
/// `ledger` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_ledger_length(ledger: *const lv_ledger) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(ledger, 0, |l| l.summary.length) }
}

/// Document id of the last entry (64 zeros for an empty ledger). Borrowed from the ledger;
/// empty for NULL.
///
/// # Safety
///
/// `ledger` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_ledger_head(ledger: *const lv_ledger) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(ledger, lv_str::empty(), |l| l.head.get(0)) }
}

/// Frees a ledger. NULL does nothing.
///
/// # Safety
///
/// `ledger` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_ledger_free(ledger: *mut lv_ledger) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_ledger::free(ledger) })
}
