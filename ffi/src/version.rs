//! The library's version: the header's macros and the run-time string, both the crate version
//! (the tests check all three against each other). The header also defines `LV_VERSION`, the
//! string `"MAJOR.MINOR.PATCH"` built from the three macros (`ffi/cbindgen.toml`); compare it
//! with [`lv_version`] at run time to detect a program built against another header than the
//! library it loads.

use std::ffi::{c_char, CStr};

use crate::boundary;

/// The header's major version (the crate's semver major).
pub const LV_VERSION_MAJOR: u32 = 0;
/// The header's minor version.
pub const LV_VERSION_MINOR: u32 = 1;
/// The header's patch version.
pub const LV_VERSION_PATCH: u32 = 0;
const RUNTIME_VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the crate version contains a NUL byte"),
    };

/// The library's version, `"MAJOR.MINOR.PATCH"` (the crate version it was built from). Static,
/// NUL-terminated, never NULL; do not free it.
#[no_mangle]
pub extern "C" fn lv_version() -> *const c_char {
    boundary::value(RUNTIME_VERSION.as_ptr(), || RUNTIME_VERSION.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_macros_runtime_string_and_crate_version_agree() {
        let crate_version = env!("CARGO_PKG_VERSION");
        let parts = [LV_VERSION_MAJOR, LV_VERSION_MINOR, LV_VERSION_PATCH];
        assert_eq!(
            parts.map(|p| p.to_string()).join("."),
            crate_version,
            "LV_VERSION_MAJOR/MINOR/PATCH"
        );
        assert_eq!(
            env!("CARGO_PKG_VERSION_MAJOR"),
            LV_VERSION_MAJOR.to_string()
        );
        assert_eq!(
            env!("CARGO_PKG_VERSION_MINOR"),
            LV_VERSION_MINOR.to_string()
        );
        assert_eq!(
            env!("CARGO_PKG_VERSION_PATCH"),
            LV_VERSION_PATCH.to_string()
        );
        // SAFETY: static NUL-terminated string.
        let runtime = unsafe { CStr::from_ptr(lv_version()) };
        assert_eq!(runtime.to_str().unwrap(), crate_version);
        assert_eq!(
            hwf_license::VERSION,
            crate_version,
            "core and the binding ship together"
        );
    }
}
