//! Reading C arguments: buffers (pointer + length), UTF-8 text, the license bytes, trust state
//! bytes.
//!
//! NULL is `LV_RESULT_NULL_PARAMETER`, text that is not UTF-8 is `LV_RESULT_INVALID_UTF8`, and
//! a length no buffer can have (over `isize::MAX`, a license over core's `MAX_LICENSE_BYTES`, a
//! trust state over core's `MAX_STATE_BYTES`) is core's `TooLarge` before any byte is touched.

use std::ffi::c_char;

use hwf_license::{Error, MAX_LICENSE_BYTES, MAX_STATE_BYTES};

use crate::boundary::Failure;

/// A caller's buffer of `len` bytes.
///
/// # Safety
///
/// `ptr` is NULL or valid for reading `len` bytes for the duration of the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::TooLarge {
            size: len,
            limit: isize::MAX as usize,
        }
        .into());
    }
    // SAFETY: non-NULL, length within isize::MAX, readable by the caller's guarantee.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A caller's array of `count` elements; a `count` no array can have is core's `TooLarge`.
///
/// # Safety
///
/// `ptr` is NULL or valid for reading `count` elements for the duration of the call.
pub(crate) unsafe fn array<'a, T>(
    ptr: *const T,
    count: usize,
    what: &str,
) -> Result<&'a [T], Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    let limit = isize::MAX as usize / std::mem::size_of::<T>().max(1);
    if count > limit {
        return Err(Error::TooLarge { size: count, limit }.into());
    }
    // SAFETY: non-NULL, size within isize::MAX, readable by the caller's guarantee.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// A caller's UTF-8 text of `len` bytes.
///
/// # Safety
///
/// As [`bytes`].
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    // SAFETY: forwarded.
    let raw = unsafe { bytes(ptr.cast(), len, what) }?;
    std::str::from_utf8(raw).map_err(|_| Failure::utf8(what))
}

/// The bytes of a site.lic; a length over core's limit is core's `TooLarge` without reading.
///
/// # Safety
///
/// As [`bytes`].
pub(crate) unsafe fn license<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Failure> {
    if !ptr.is_null() && len > MAX_LICENSE_BYTES {
        return Err(Error::TooLarge {
            size: len,
            limit: MAX_LICENSE_BYTES,
        }
        .into());
    }
    // SAFETY: forwarded.
    unsafe { bytes(ptr, len, "license") }
}

/// Trust state bytes; a length over core's limit is core's `TooLarge` without reading.
///
/// # Safety
///
/// As [`bytes`].
pub(crate) unsafe fn state<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Failure> {
    if !ptr.is_null() && len > MAX_STATE_BYTES {
        return Err(Error::TooLarge {
            size: len,
            limit: MAX_STATE_BYTES,
        }
        .into());
    }
    // SAFETY: forwarded.
    unsafe { bytes(ptr, len, "state") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::lv_result;

    #[test]
    fn null_utf8_and_impossible_lengths_are_codes() {
        // SAFETY: every pointer is NULL or valid for the given length, or the length is
        // rejected before the pointer is used.
        unsafe {
            assert_eq!(
                bytes(std::ptr::null(), 0, "x").unwrap_err().code,
                lv_result::NullParameter
            );
            assert_eq!(
                bytes(b"a".as_ptr(), usize::MAX, "x").unwrap_err().code,
                lv_result::TooLarge
            );
            assert_eq!(bytes(b"".as_ptr(), 0, "x").unwrap(), b"");
            let bad = [0xffu8, 0xfe];
            let e = text(bad.as_ptr().cast(), 2, "kid").unwrap_err();
            assert_eq!(
                (e.code, e.message.as_str()),
                (lv_result::InvalidUtf8, "kid is not valid UTF-8")
            );
            assert_eq!(text(b"a\0b".as_ptr().cast(), 3, "x").unwrap(), "a\0b");
            let e = license(b"{}".as_ptr(), MAX_LICENSE_BYTES + 1).unwrap_err();
            assert_eq!(e.code, lv_result::TooLarge);
            assert_eq!(
                e.message,
                "input of 65537 bytes exceeds the limit of 65536 bytes"
            );
            assert_eq!(
                license(std::ptr::null(), 1 << 40).unwrap_err().code,
                lv_result::NullParameter
            );
            let e = state(b"x".as_ptr(), MAX_STATE_BYTES + 1).unwrap_err();
            assert_eq!(e.code, lv_result::TooLarge);
            assert_eq!(
                state(std::ptr::null(), 0).unwrap_err().code,
                lv_result::NullParameter
            );
        }
    }
}
