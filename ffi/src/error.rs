//! [`lv_error`]: a failure's stable code and message, for the calls with an `error_out`
//! parameter.

use crate::boundary::{self, Failure};
use crate::handle::Handle;
use crate::result::lv_result;
use crate::text::{lv_str, Texts};

/// A failure: its stable code ([`lv_error_code`]) and a one-line English message
/// ([`lv_error_message`], core's own wording). Immutable; free it with [`lv_error_free`].
#[derive(Debug)]
pub struct lv_error {
    code: lv_result,
    message: Texts,
    index: Option<usize>,
}

impl Handle for lv_error {}

impl lv_error {
    pub(crate) fn new(failure: Failure) -> Self {
        Self {
            code: failure.code,
            message: Texts::new([failure.message.as_str()]),
            index: failure.index,
        }
    }

    pub(crate) fn code(&self) -> lv_result {
        self.code
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        self.message.str(0)
    }
}

/// The error's stable code (never `LV_RESULT_OK`); `LV_RESULT_NULL_PARAMETER` when `error` is
/// NULL.
///
/// # Safety
///
/// `error` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_error_code(error: *const lv_error) -> lv_result {
    boundary::value(lv_result::Panic, || {
        // SAFETY: guaranteed by the caller.
        unsafe { lv_error::borrow(error, "error") }.map_or(lv_result::NullParameter, lv_error::code)
    })
}

/// The error's message: one line of English for logs and operators (compare codes, never
/// messages). Borrowed from `error`: valid until `lv_error_free(error)`. Empty when `error` is
/// NULL.
///
/// # Safety
///
/// `error` is NULL or a live handle from this library.
#[no_mangle]
pub unsafe extern "C" fn lv_error_message(error: *const lv_error) -> lv_str {
    boundary::value(lv_str::empty(), || {
        // SAFETY: guaranteed by the caller.
        unsafe { lv_error::borrow(error, "error") }.map_or(lv_str::empty(), |e| e.message.get(0))
    })
}

/// For `LV_RESULT_LEDGER_BROKEN`: the zero-based index of the first bad ledger entry, written to
/// `*index_out`. Returns false (and writes nothing) for any other error, or when `error` or
/// `index_out` is NULL.
///
/// # Safety
///
/// `error` is NULL or a live handle from this library; `index_out` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn lv_error_ledger_index(
    error: *const lv_error,
    index_out: *mut usize,
) -> bool {
    boundary::value(false, || {
        // SAFETY: guaranteed by the caller.
        let Ok(e) = (unsafe { lv_error::borrow(error, "error") }) else {
            return false;
        };
        match (e.index, crate::handle::Out::optional(index_out)) {
            (Some(index), Some(out)) => {
                // SAFETY: non-NULL and writable by the caller's guarantee.
                unsafe { out.write(index) };
                true
            }
            _ => false,
        }
    })
}

/// Frees an error. NULL does nothing.
///
/// # Safety
///
/// `error` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_error_free(error: *mut lv_error) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_error::free(error) })
}
