//! Typed pointer casts with explicit ownership: every handle is a `Box` given to C by
//! [`Handle::into_raw`], borrowed back by [`Handle::borrow`] and taken back once by
//! [`Handle::free`]. No other cast between handles and pointers exists in the crate.

use crate::boundary::Failure;

/// A type handed to C as an opaque pointer owned by the caller.
pub(crate) trait Handle: Sized {
    /// Moves the value to the heap and gives up ownership to the caller.
    fn into_raw(self) -> *mut Self {
        Box::into_raw(Box::new(self))
    }

    /// Borrows a caller's handle for the duration of a call; NULL is `LV_RESULT_NULL_PARAMETER`
    /// naming `what`.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or came from [`Handle::into_raw`] and was not freed.
    unsafe fn borrow<'a>(ptr: *const Self, what: &str) -> Result<&'a Self, Failure> {
        // SAFETY: guaranteed by the caller.
        unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
    }

    /// Borrows a caller's handle mutably; NULL is `LV_RESULT_NULL_PARAMETER`.
    ///
    /// # Safety
    ///
    /// As [`Handle::borrow`], and no other reference to it is live (the C API documents that
    /// such handles must not be changed from two threads at once).
    unsafe fn borrow_mut<'a>(ptr: *mut Self, what: &str) -> Result<&'a mut Self, Failure> {
        // SAFETY: guaranteed by the caller.
        unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(what))
    }

    /// Takes ownership back and drops the value; NULL does nothing.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or came from [`Handle::into_raw`] and was not freed.
    unsafe fn free(ptr: *mut Self) {
        if !ptr.is_null() {
            // SAFETY: guaranteed by the caller.
            drop(unsafe { Box::from_raw(ptr) });
        }
    }
}

/// A caller's out-parameter: checked for NULL up front, written at most once, at the end.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// A required out-parameter; NULL is `LV_RESULT_NULL_PARAMETER` naming `what`.
    pub(crate) fn required(ptr: *mut T, what: &str) -> Result<Self, Failure> {
        if ptr.is_null() {
            Err(Failure::null(what))
        } else {
            Ok(Self(ptr))
        }
    }

    /// An optional out-parameter (NULL means the caller does not want the value).
    pub(crate) fn optional(ptr: *mut T) -> Option<Self> {
        (!ptr.is_null()).then_some(Self(ptr))
    }

    /// Writes the value (without reading or dropping what was there).
    ///
    /// # Safety
    ///
    /// The pointer given to [`Out::required`] or [`Out::optional`] is valid for writes of `T`.
    pub(crate) unsafe fn write(self, value: T) {
        // SAFETY: non-NULL by construction; valid by the caller's guarantee.
        unsafe { self.0.write(value) }
    }
}

/// For getters: runs `f` on a borrowed handle; NULL (or a panic) gives `default`.
///
/// # Safety
///
/// `ptr` is NULL or a live handle (every getter's documented contract).
pub(crate) unsafe fn read<T: Handle, R: Copy>(
    ptr: *const T,
    default: R,
    f: impl FnOnce(&T) -> R,
) -> R {
    crate::boundary::value(default, || {
        // SAFETY: guaranteed by the caller. (No `Failure` is built for NULL: getters are hot.)
        match unsafe { ptr.as_ref() } {
            Some(handle) => f(handle),
            None => default,
        }
    })
}

/// Gives a byte buffer to C: a pointer and a length, freed once by [`free_bytes`] with that
/// same length.
pub(crate) fn bytes_into_raw(bytes: Vec<u8>) -> (*mut u8, usize) {
    let boxed = bytes.into_boxed_slice();
    let len = boxed.len();
    (Box::into_raw(boxed).cast::<u8>(), len)
}

/// Takes back a buffer from [`bytes_into_raw`]; NULL does nothing.
///
/// # Safety
///
/// `ptr` is NULL or came from [`bytes_into_raw`] with this `len` and was not freed.
pub(crate) unsafe fn free_bytes(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        // SAFETY: guaranteed by the caller: the boxed slice `bytes_into_raw` leaked.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
    }
}

/// Gives a string to C, NUL-terminated; freed once by [`free_string`].
pub(crate) fn string_into_raw(s: String) -> Result<*mut std::ffi::c_char, Failure> {
    std::ffi::CString::new(s)
        .map(std::ffi::CString::into_raw)
        .map_err(|_| Failure::from(hwf_license::Error::InvalidArgument("a NUL in a string")))
}

/// Takes back a string from [`string_into_raw`]; NULL does nothing.
///
/// # Safety
///
/// `ptr` is NULL or came from [`string_into_raw`] and was not freed.
pub(crate) unsafe fn free_string(ptr: *mut std::ffi::c_char) {
    if !ptr.is_null() {
        // SAFETY: guaranteed by the caller.
        drop(unsafe { std::ffi::CString::from_raw(ptr) });
    }
}
