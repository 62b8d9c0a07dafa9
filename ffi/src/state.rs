//! The trust state across restarts, and heartbeat nonces: [`lv_validator_export_state`],
//! [`lv_validator_import_state`], [`lv_validator_state_changed`], [`lv_validator_new_nonce`],
//! and the frees of the buffers they hand out ([`lv_bytes_free`], [`lv_string_free`]).
//!
//! The bytes are core's trust state file (`docs/FORMAT.md` §7: a version line, a SHA-256 of the
//! body, the body); import merges them in after re-verifying every signed document they hold
//! under the validator's own roots. The library writes no file: the host stores the bytes
//! (atomically: write a temporary file, fsync, rename).

use std::ffi::c_char;

use crate::boundary;
use crate::error::lv_error;
use crate::handle::{self, Out};
use crate::input;
use crate::result::lv_result;
use crate::validator::lv_validator;

/// Exports the validator's trust state (clock floor, newest signed time, per CML the revocation
/// list applied and the newest heartbeat answer, each as the signed document) as bytes: a new
/// buffer in `*state_out` and its length in `*state_len_out`, which the caller frees with
/// [`lv_bytes_free`]`(state, state_len)`. Clears [`lv_validator_state_changed`]. Store the bytes
/// and give them to [`lv_validator_import_state`] at the next start. Nonces are not exported.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `state_out`, `state_len_out` and `error_out` are NULL
/// or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_export_state(
    validator: *const lv_validator,
    state_out: *mut *mut u8,
    state_len_out: *mut usize,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let validator = lv_validator::get(validator)?;
            let out = Out::required(state_out, "state_out")?;
            let len_out = Out::required(state_len_out, "state_len_out")?;
            let bytes = validator.read()?.export_state();
            let (ptr, len) = handle::bytes_into_raw(bytes);
            out.write(ptr);
            len_out.write(len);
            Ok(())
        })
    }
}

/// Imports trust state bytes (from [`lv_validator_export_state`], possibly of an earlier run)
/// and merges them into the validator: the floor only rises, a revocation list only replaces an
/// older one, a heartbeat answer only a less recent one. Every signed document in them is
/// verified under this validator's roots and environment policy. Afterwards
/// [`lv_validator_state_changed`] tells whether the validator knows more than the bytes held.
///
/// Bytes that are truncated, corrupt (checksum), of another version, of a validator of the
/// other environment, or hold a document these roots do not verify are `LV_RESULT_BAD_STATE`;
/// over 4 MiB is `LV_RESULT_TOO_LARGE` (no byte read). On any error the validator is left as it
/// was: a node may start without its state (it then knows only what its files say).
///
/// Errors: `LV_RESULT_NULL_PARAMETER` (also for a NULL `state` with length 0),
/// `LV_RESULT_BAD_STATE`, `LV_RESULT_TOO_LARGE`, `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `state` is NULL or readable for `state_len` bytes (or
/// `state_len` exceeds 4 MiB); `error_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_import_state(
    validator: *mut lv_validator,
    state: *const u8,
    state_len: usize,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let validator = lv_validator::get(validator)?;
            let bytes = input::state(state, state_len)?;
            validator.read()?.import_state(bytes)?;
            Ok(())
        })
    }
}

/// Whether the trust state changed since the last [`lv_validator_export_state`] (or since the
/// validator was made, or since an import of bytes equal to its state): export and store the
/// state when this is true. false for NULL (and for a validator unusable after a panic).
///
/// # Safety
///
/// `validator` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_state_changed(validator: *const lv_validator) -> bool {
    boundary::value(false, || {
        // SAFETY: guaranteed by the caller.
        let Ok(validator) = (unsafe { lv_validator::get(validator) }) else {
            return false;
        };
        validator.read().is_ok_and(|core| core.state_changed())
    })
}

/// Writes to `*nonce_out` a fresh nonce for a heartbeat request (NUL-terminated ASCII,
/// base64url; free it with [`lv_string_free`]). Send it to the Hub; an answer carrying it,
/// verified with `lv_validator_verify_heartbeat_now`, is accepted once and may also lower the
/// clock floor to the Hub's time (a node whose clock ran ahead recovers). Nonces are derived
/// from the validator's secret nonce seed (random unless the builder fixed one) and kept in
/// memory only: an answer to a nonce of an earlier run counts as the host's own nonce.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (the validator has no nonce
/// seed: the operating system gave no randomness), `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `nonce_out` and `error_out` are NULL or valid for
/// writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_new_nonce(
    validator: *const lv_validator,
    nonce_out: *mut *mut c_char,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let validator = lv_validator::get(validator)?;
            let out = Out::required(nonce_out, "nonce_out")?;
            let nonce = validator.read()?.new_nonce()?;
            out.write(handle::string_into_raw(nonce)?);
            Ok(())
        })
    }
}

/// Frees a buffer of [`lv_validator_export_state`]; `len` is the length it gave. NULL does
/// nothing (whatever `len`).
///
/// # Safety
///
/// `bytes` is NULL or a buffer from this library with exactly this `len`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_bytes_free(bytes: *mut u8, len: usize) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { handle::free_bytes(bytes, len) })
}

/// Frees a string of [`lv_validator_new_nonce`]. NULL does nothing.
///
/// # Safety
///
/// `string` is NULL or a string from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_string_free(string: *mut c_char) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { handle::free_string(string) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    #[test]
    fn export_import_round_trip_and_bad_bytes_change_nothing() {
        let mut v = ptr::null_mut();
        let mut state: *mut u8 = ptr::null_mut();
        let mut len = 0usize;
        let mut err: *mut lv_error = ptr::null_mut();
        // SAFETY: live handles, valid buffers and out-pointers; everything freed once.
        unsafe {
            assert_eq!(crate::lv_validator_new(1, &mut v), lv_result::Ok);
            assert!(!lv_validator_state_changed(v));
            assert_eq!(
                crate::lv_validator_set_last_seen(v, 1_000, ptr::null_mut()),
                lv_result::Ok
            );
            assert!(lv_validator_state_changed(v));
            assert_eq!(
                lv_validator_export_state(v, &mut state, &mut len, ptr::null_mut()),
                lv_result::Ok
            );
            assert!(!lv_validator_state_changed(v));
            let bytes = std::slice::from_raw_parts(state, len).to_vec();
            assert!(bytes.starts_with(b"hwf-trust-state 1\n"));

            let mut w = ptr::null_mut();
            assert_eq!(crate::lv_validator_new(1, &mut w), lv_result::Ok);
            let rc = lv_validator_import_state(w, bytes.as_ptr(), len - 1, &mut err);
            assert_eq!(rc, lv_result::BadState);
            assert_eq!(crate::lv_error_code(err), lv_result::BadState);
            crate::lv_error_free(err);
            let mut floor = -1;
            assert_eq!(
                crate::lv_validator_clock_floor(w, &mut floor),
                lv_result::Ok
            );
            assert_eq!(floor, 0, "a refused import changes nothing");
            assert_eq!(
                lv_validator_import_state(w, bytes.as_ptr(), len, ptr::null_mut()),
                lv_result::Ok
            );
            assert_eq!(
                crate::lv_validator_clock_floor(w, &mut floor),
                lv_result::Ok
            );
            assert_eq!(floor, 1_000);
            assert!(
                !lv_validator_state_changed(w),
                "it knows what the bytes hold"
            );

            let mut nonce: *mut c_char = ptr::null_mut();
            assert_eq!(
                lv_validator_new_nonce(w, &mut nonce, ptr::null_mut()),
                lv_result::Ok
            );
            assert_eq!(std::ffi::CStr::from_ptr(nonce).to_bytes().len(), 22);
            lv_string_free(nonce);
            assert_eq!(
                lv_validator_new_nonce(w, ptr::null_mut(), ptr::null_mut()),
                lv_result::NullParameter
            );

            lv_bytes_free(state, len);
            lv_bytes_free(ptr::null_mut(), 0);
            lv_bytes_free(ptr::null_mut(), 5);
            lv_string_free(ptr::null_mut());
            assert!(!lv_validator_state_changed(ptr::null()));
            crate::lv_validator_free(w);
            crate::lv_validator_free(v);
        }
    }
}
