//! The panic boundary, and the failure every fallible call reports.
//!
//! Every exported function runs its whole body through [`value`] or [`status`], so a panic (a
//! bug) never unwinds into C: it becomes `LV_RESULT_PANIC` or the function's documented default.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use hwf_license::Error;

use crate::error::lv_error;
use crate::handle::Handle;
use crate::result::lv_result;

/// Why a call failed: a stable code and a one-line English message (core's `Display` for core's
/// errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: lv_result,
    pub(crate) message: String,
    /// For `ledger_broken`: the zero-based index of the first bad ledger entry.
    pub(crate) index: Option<usize>,
}

impl Failure {
    /// A required pointer argument was NULL.
    pub(crate) fn null(what: &str) -> Self {
        Self {
            code: lv_result::NullParameter,
            message: format!("{what} is NULL"),
            index: None,
        }
    }

    /// A text argument was not UTF-8.
    pub(crate) fn utf8(what: &str) -> Self {
        Self {
            code: lv_result::InvalidUtf8,
            message: format!("{what} is not valid UTF-8"),
            index: None,
        }
    }

    /// A panic payload caught at the boundary.
    pub(crate) fn panic(payload: &(dyn Any + Send)) -> Self {
        let detail = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        Self {
            code: lv_result::Panic,
            message: format!("panic in libvalidate (a bug, please report it): {detail}"),
            index: None,
        }
    }

    /// The validator's lock was poisoned by a panic in an earlier call.
    pub(crate) fn poisoned() -> Self {
        Self {
            code: lv_result::Panic,
            message: "validator unusable after a panic in an earlier call".into(),
            index: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let index = match e {
            Error::LedgerBroken { index, .. } => Some(index),
            _ => None,
        };
        Self {
            code: lv_result::from_core(e.code()),
            message: e.to_string(),
            index,
        }
    }
}

/// Runs `body`; a panic gives `default`. For functions that return a value, not a status.
pub(crate) fn value<R>(default: R, body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(default)
}

/// Runs `body`; a panic becomes an `LV_RESULT_PANIC` failure carrying the panic's message.
pub(crate) fn value_or_panic<T>(body: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|p| Err(Failure::panic(&*p)))
}

/// Runs `body` (a panic becomes an `LV_RESULT_PANIC` failure) and returns its status. On failure
/// a new [`lv_error`] is written to `error_out` when it is not NULL.
///
/// # Safety
///
/// `error_out` is NULL or valid for writing a pointer.
pub(crate) unsafe fn status(
    error_out: *mut *mut lv_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> lv_result {
    value(lv_result::Panic, || {
        match value_or_panic(body) {
            Ok(()) => lv_result::Ok,
            Err(failure) => {
                let code = failure.code;
                if !error_out.is_null() {
                    // SAFETY: the caller guarantees a non-NULL `error_out` is writable.
                    unsafe { error_out.write(lv_error::new(failure).into_raw()) };
                }
                code
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    #[test]
    fn a_panic_becomes_the_panic_code_with_its_message() {
        let mut err: *mut lv_error = ptr::null_mut();
        // SAFETY: `err` is a valid out-pointer.
        let r = unsafe { status(&mut err, || panic!("boom")) };
        assert_eq!(r, lv_result::Panic);
        assert!(!err.is_null());
        // SAFETY: `err` was just written by `status`.
        let e = unsafe { &*err };
        assert_eq!(e.code(), lv_result::Panic);
        assert!(e.message().ends_with(": boom"), "{}", e.message());
        // SAFETY: freed once.
        unsafe { crate::lv_error_free(err) };

        let r = unsafe { status(ptr::null_mut(), || panic!("{}", String::from("formatted"))) };
        assert_eq!(r, lv_result::Panic);
        assert_eq!(value(7, || panic!("x")), 7);
    }

    #[test]
    fn core_errors_keep_their_code_and_message() {
        let f = Failure::from(Error::Malformed("nope"));
        assert_eq!(f.code, lv_result::Malformed);
        assert_eq!(f.message, "malformed license file: nope");
        let mut err: *mut lv_error = ptr::null_mut();
        // SAFETY: `err` is a valid out-pointer.
        let r = unsafe { status(&mut err, || Err(f.clone())) };
        assert_eq!(r, lv_result::Malformed);
        // SAFETY: written by `status`, freed once.
        unsafe {
            assert_eq!((*err).message(), f.message);
            crate::lv_error_free(err);
        }
        // Success writes nothing.
        let mut err: *mut lv_error = ptr::null_mut();
        // SAFETY: `err` is a valid out-pointer.
        assert_eq!(unsafe { status(&mut err, || Ok(())) }, lv_result::Ok);
        assert!(err.is_null());
    }
}
