//! The Root's manifest receipts ([`lv_receipt`]): a receipt and its receipt key certificate
//! verified by core's `Validator::verify_receipt` (chain receipt → certificate → a trusted root
//! of an accepted environment, times, org, manifest id; docs/FORMAT.md §2.8, §4). No rule here.

use std::ffi::c_char;

use hwf_license::VerifiedReceipt;

use crate::boundary;
use crate::error::lv_error;
use crate::handle::{read, Handle, Out};
use crate::input;
use crate::result::lv_result;
use crate::text::{lv_str, Texts};
use crate::validator::{lv_validator, When};

/// A manifest receipt verified with its certificate. Immutable; free it with
/// [`lv_receipt_free`]. Strings returned by the getters are borrowed from it.
#[derive(Debug)]
pub struct lv_receipt {
    receipt: VerifiedReceipt,
    /// id, org_id, manifest, period, certificate id, receipt key thumbprint.
    texts: Texts,
}

impl Handle for lv_receipt {}

const RECEIPT_ID: usize = 0;
const RECEIPT_ORG_ID: usize = 1;
const RECEIPT_MANIFEST: usize = 2;
const RECEIPT_PERIOD: usize = 3;
const RECEIPT_CERTIFICATE_ID: usize = 4;
const RECEIPT_KEY_THUMBPRINT: usize = 5;

impl lv_receipt {
    fn new(receipt: VerifiedReceipt) -> Self {
        let c = &receipt.claims;
        let texts = Texts::new([
            receipt.id.as_str(),
            &c.org_id,
            &c.manifest,
            &c.period,
            &receipt.certificate.id,
            receipt.certificate.key.thumbprint(),
        ]);
        Self { receipt, texts }
    }
}

/// Verifies a Root's manifest receipt (`receipt`, compact JWS `hwf-receipt+jws`) and the
/// receipt key certificate that comes with it (`certificate`, `hwf-receipt-key+jws`) at `now`
/// (unix seconds), with the validator's trusted roots and environment policy (core's
/// `Validator::verify_receipt`): the certificate signed by a trusted root and valid at `now`,
/// the receipt signed by the certified key and dated within the certificate, for `org_id` and
/// the manifest whose document id is `manifest_id`. On success `*receipt_out` receives a new
/// receipt (free it with [`lv_receipt_free`]).
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (`now` outside 1970..9999,
/// checked first), `LV_RESULT_INVALID_UTF8`, `LV_RESULT_PANIC`, and core's codes (e.g.
/// `LV_RESULT_SIGNER_MISMATCH`, `LV_RESULT_ORG_MISMATCH`, `LV_RESULT_BINDING_MISMATCH`,
/// `LV_RESULT_EXPIRED`, `LV_RESULT_WRONG_DOCUMENT_TYPE`).
///
/// # Safety
///
/// `validator` is NULL or a live handle; `certificate`, `receipt`, `org_id` and `manifest_id`
/// are NULL or readable for their lengths; `receipt_out` and `error_out` are NULL or valid for
/// writing a pointer.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn lv_validator_verify_receipt(
    validator: *const lv_validator,
    certificate: *const c_char,
    certificate_len: usize,
    receipt: *const c_char,
    receipt_len: usize,
    org_id: *const c_char,
    org_id_len: usize,
    manifest_id: *const c_char,
    manifest_id_len: usize,
    now: i64,
    receipt_out: *mut *mut lv_receipt,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let v = lv_validator::get(validator)?;
            When::At(now).check()?;
            let out = Out::required(receipt_out, "receipt_out")?;
            let certificate = input::text(certificate, certificate_len, "certificate")?;
            let receipt = input::text(receipt, receipt_len, "receipt")?;
            let org_id = input::text(org_id, org_id_len, "org_id")?;
            let manifest_id = input::text(manifest_id, manifest_id_len, "manifest_id")?;
            let core = v.read()?;
            let r = core.verify_receipt(certificate, receipt, org_id, manifest_id, now)?;
            out.write(lv_receipt::new(r).into_raw());
            Ok(())
        })
    }
}

/// The receipt's document id (hex SHA-256 of its signing input).
///
/// Borrowed from the receipt; empty for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_id(receipt: *const lv_receipt) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, lv_str::empty(), |h| h.texts.get(RECEIPT_ID)) }
}

/// The org the receipted manifest is from.
///
/// Borrowed from the receipt; empty for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_org_id(receipt: *const lv_receipt) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, lv_str::empty(), |h| h.texts.get(RECEIPT_ORG_ID)) }
}

/// The receipted manifest's document id.
///
/// Borrowed from the receipt; empty for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_manifest_id(receipt: *const lv_receipt) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, lv_str::empty(), |h| h.texts.get(RECEIPT_MANIFEST)) }
}

/// The manifest's period, `YYYY-MM`.
///
/// Borrowed from the receipt; empty for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_period(receipt: *const lv_receipt) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, lv_str::empty(), |h| h.texts.get(RECEIPT_PERIOD)) }
}

/// The receipt key certificate's document id.
///
/// Borrowed from the receipt; empty for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_certificate_id(receipt: *const lv_receipt) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(receipt, lv_str::empty(), |h| {
            h.texts.get(RECEIPT_CERTIFICATE_ID)
        })
    }
}

/// The RFC 7638 thumbprint of the receipt key (the receipt's `kid`).
///
/// Borrowed from the receipt; empty for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_key_thumbprint(receipt: *const lv_receipt) -> lv_str {
    // SAFETY: guaranteed by the caller.
    unsafe {
        read(receipt, lv_str::empty(), |h| {
            h.texts.get(RECEIPT_KEY_THUMBPRINT)
        })
    }
}

/// When the Root first recorded the manifest (unix seconds). 0 for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_received_at(receipt: *const lv_receipt) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, 0, |r| r.receipt.claims.received_at) }
}

/// When the receipt key certificate ends (unix seconds). 0 for NULL.
///
/// # Safety
///
/// `receipt` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_certificate_valid_until(receipt: *const lv_receipt) -> i64 {
    // SAFETY: guaranteed by the caller.
    unsafe { read(receipt, 0, |r| r.receipt.certificate.claims.valid_until) }
}

/// Frees a receipt. NULL does nothing.
///
/// # Safety
///
/// `receipt` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_receipt_free(receipt: *mut lv_receipt) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_receipt::free(receipt) })
}
