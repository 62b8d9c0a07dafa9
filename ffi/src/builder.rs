//! [`lv_validator_builder`]: a validator's settings gathered before it is made — environment,
//! trusted roots, environment policy, a clock the host gives (a C callback) and a fixed nonce
//! seed — then [`lv_validator_builder_build`], core's `ValidatorBuilder`.

use std::ffi::{c_char, c_void};

use hwf_license::{Environment, Error, TrustedRoot, Validator};

use crate::boundary::{self, Failure};
use crate::error::lv_error;
use crate::handle::{Handle, Out};
use crate::result::lv_result;
use crate::validator::{lv_validator, root_argument};

/// The C clock callback: unix seconds for `userdata`.
type ClockFn = unsafe extern "C" fn(userdata: *mut c_void) -> i64;

/// A host's clock: its callback and the pointer given back to it.
#[derive(Clone, Copy, Debug)]
struct CClock {
    now: ClockFn,
    userdata: *mut c_void,
}

// SAFETY: `lv_validator_builder_set_clock` documents that the callback must be callable from
// any thread, by several threads at once, with this `userdata`, for as long as a validator
// built with it lives; the library never dereferences `userdata` itself.
unsafe impl Send for CClock {}
// SAFETY: as above.
unsafe impl Sync for CClock {}

impl CClock {
    fn read(&self) -> i64 {
        // SAFETY: the callback and userdata the caller gave, under the documented contract.
        unsafe { (self.now)(self.userdata) }
    }
}

/// A validator being configured: environment, roots, environment policy, clock, nonce seed.
/// Make it with [`lv_validator_builder_new`], configure it, make validators from it with
/// [`lv_validator_builder_build`] (as many as wanted: building does not consume it), and free
/// it with [`lv_validator_builder_free`]. Not for use by two threads at once.
#[derive(Debug)]
pub struct lv_validator_builder {
    environment: Environment,
    roots: Vec<TrustedRoot>,
    accept_other: bool,
    clock: Option<CClock>,
    nonce_seed: Option<[u8; 32]>,
}

impl Handle for lv_validator_builder {}

/// The builder for a call; NULL is `LV_RESULT_NULL_PARAMETER`.
///
/// # Safety
///
/// `ptr` is NULL or a live handle no other thread uses.
unsafe fn builder<'a>(
    ptr: *mut lv_validator_builder,
) -> Result<&'a mut lv_validator_builder, Failure> {
    // SAFETY: forwarded.
    unsafe { lv_validator_builder::borrow_mut(ptr, "builder") }
}

/// Makes a builder in `*builder_out` for a validator of `environment` (`LV_ENVIRONMENT_PROD` or
/// `LV_ENVIRONMENT_DEV`): no root yet, only its own environment accepted, the system clock, a
/// nonce seed drawn from the operating system.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (unknown environment),
/// `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `builder_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_builder_new(
    environment: u32,
    builder_out: *mut *mut lv_validator_builder,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let out = Out::required(builder_out, "builder_out")?;
            let environment = crate::validator::lv_environment::argument(environment)?;
            let builder = lv_validator_builder {
                environment,
                roots: Vec::new(),
                accept_other: false,
                clock: None,
                nonce_seed: None,
            };
            out.write(builder.into_raw());
            Ok(())
        })
    }
}

/// Trusts a root public key (the arguments of `lv_validator_add_root`: kid, the environment it
/// signs for, SPKI PEM or JWK text). Two roots with the same kid make
/// [`lv_validator_builder_build`] fail with `LV_RESULT_INVALID_ARGUMENT`.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_BAD_KEY`,
/// `LV_RESULT_INVALID_ARGUMENT` (unknown environment), `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `builder` is NULL or a live handle no other thread uses; `kid` and `key` are NULL or
/// readable for their lengths; `error_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_builder_add_root(
    builder: *mut lv_validator_builder,
    kid: *const c_char,
    kid_len: usize,
    environment: u32,
    key: *const c_char,
    key_len: usize,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let b = self::builder(builder)?;
            let root = root_argument(kid, kid_len, environment, key, key_len)?;
            b.roots.push(root);
            Ok(())
        })
    }
}

/// Also accepts CMLs of the other environment (`accept` true), or not (false, the default).
/// A built validator can change it later with `lv_validator_accept_other_environment`.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `builder` is NULL or a live handle no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_builder_accept_other_environment(
    builder: *mut lv_validator_builder,
    accept: bool,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            self::builder(builder)?.accept_other = accept;
            Ok(())
        })
    }
}

/// Sets the clock the validator reads in `lv_validator_validate_now` and the other calls at the
/// clock: `clock(userdata)` returns the current time in unix seconds (a value outside
/// 1970..9999 makes the call that read it fail with `LV_RESULT_INVALID_ARGUMENT`). Replaces the
/// system clock (or a clock set before).
///
/// The callback **must be callable from any thread, by several threads at once**, with
/// `userdata`, for as long as any validator built with it lives (validations on several threads
/// call it concurrently); it must return (not unwind or longjmp) and must not call back into
/// the same validator. The library never reads `userdata` itself; it may be NULL.
///
/// Errors: `LV_RESULT_NULL_PARAMETER` (`builder` or `clock`), `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `builder` is NULL or a live handle no other thread uses; `clock` is NULL or a function
/// meeting the contract above.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_builder_set_clock(
    builder: *mut lv_validator_builder,
    clock: Option<unsafe extern "C" fn(userdata: *mut c_void) -> i64>,
    userdata: *mut c_void,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let b = self::builder(builder)?;
            let now = clock.ok_or_else(|| Failure::null("clock"))?;
            b.clock = Some(CClock { now, userdata });
            Ok(())
        })
    }
}

/// Sets the secret seed heartbeat nonces are derived from: exactly 32 bytes (`seed_len` must be
/// 32). By default every validator draws a fresh one from the operating system; a fixed seed
/// makes its nonces predictable, so use this only for tests and conformance scenarios.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (`seed_len` is not 32),
/// `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `builder` is NULL or a live handle no other thread uses; `seed` is NULL or readable for
/// `seed_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_builder_set_nonce_seed(
    builder: *mut lv_validator_builder,
    seed: *const u8,
    seed_len: usize,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let b = self::builder(builder)?;
            if seed.is_null() {
                return Err(Failure::null("seed"));
            }
            if seed_len != 32 {
                return Err(Error::InvalidArgument("a nonce seed is 32 bytes").into());
            }
            let mut s = [0u8; 32];
            std::ptr::copy_nonoverlapping(seed, s.as_mut_ptr(), 32);
            b.nonce_seed = Some(s);
            Ok(())
        })
    }
}

/// Makes a validator with the builder's settings in `*validator_out` (free it with
/// `lv_validator_free`). The builder is not consumed: it stays the caller's (free it with
/// [`lv_validator_builder_free`]) and may build more validators (each with its own trust
/// state; they share the clock callback).
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (two roots with the same
/// kid; no nonce seed set and the operating system gave no randomness), `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `builder` is NULL or a live handle no other thread uses; `validator_out` and `error_out` are
/// NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_builder_build(
    builder: *mut lv_validator_builder,
    validator_out: *mut *mut lv_validator,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let b = self::builder(builder)?;
            let out = Out::required(validator_out, "validator_out")?;
            let mut core = Validator::builder(b.environment)
                .roots(b.roots.iter().cloned())
                .accept_other_environment(b.accept_other);
            if let Some(clock) = b.clock {
                core = core.clock(move || clock.read());
            }
            if let Some(seed) = b.nonce_seed {
                core = core.nonce_seed(seed);
            }
            let validator = lv_validator::from_core(core.build()?);
            out.write(validator.into_raw());
            Ok(())
        })
    }
}

/// Frees a builder. NULL does nothing. Validators built from it are not affected.
///
/// # Safety
///
/// `builder` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_builder_free(builder: *mut lv_validator_builder) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_validator_builder::free(builder) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;
    use std::sync::atomic::{AtomicI64, Ordering};

    unsafe extern "C" fn read_atomic(userdata: *mut c_void) -> i64 {
        // SAFETY: the tests pass a live AtomicI64.
        unsafe { &*userdata.cast::<AtomicI64>() }.load(Ordering::SeqCst)
    }

    #[test]
    fn the_builder_sets_clock_and_seed_and_can_build_twice() {
        let clock = AtomicI64::new(1_800_000_000);
        let userdata = ptr::from_ref(&clock).cast_mut().cast::<c_void>();
        let mut b = ptr::null_mut();
        let (mut v, mut w) = (ptr::null_mut(), ptr::null_mut());
        let mut err: *mut lv_error = ptr::null_mut();
        let seed = [7u8; 32];
        // SAFETY: live handles, valid buffers and out-pointers; everything freed once.
        unsafe {
            assert_eq!(
                lv_validator_builder_new(9, &mut b),
                lv_result::InvalidArgument
            );
            assert!(b.is_null());
            assert_eq!(lv_validator_builder_new(1, &mut b), lv_result::Ok);
            assert_eq!(
                lv_validator_builder_set_clock(b, None, ptr::null_mut()),
                lv_result::NullParameter
            );
            assert_eq!(
                lv_validator_builder_set_clock(b, Some(read_atomic), userdata),
                lv_result::Ok
            );
            assert_eq!(
                lv_validator_builder_set_nonce_seed(b, seed.as_ptr(), 31),
                lv_result::InvalidArgument
            );
            assert_eq!(
                lv_validator_builder_set_nonce_seed(b, ptr::null(), 32),
                lv_result::NullParameter
            );
            assert_eq!(
                lv_validator_builder_set_nonce_seed(b, seed.as_ptr(), 32),
                lv_result::Ok
            );
            assert_eq!(
                lv_validator_builder_accept_other_environment(b, true),
                lv_result::Ok
            );
            assert_eq!(
                lv_validator_builder_build(b, &mut v, &mut err),
                lv_result::Ok
            );
            assert_eq!(
                lv_validator_builder_build(b, &mut w, &mut err),
                lv_result::Ok
            );
            assert!(err.is_null());
            assert!((*v).read().unwrap().policy().accept_other);
            let n1 = (*v).read().unwrap().new_nonce().unwrap();
            let n2 = (*w).read().unwrap().new_nonce().unwrap();
            assert_eq!(n1, n2, "the same fixed seed gives the same nonces");

            let key = hwf_license::SigningKey::from_seed(b"root");
            let pem = key.public_key().to_pem();
            for _ in 0..2 {
                let rc = lv_validator_builder_add_root(
                    b,
                    c"k".as_ptr(),
                    1,
                    1,
                    pem.as_ptr().cast(),
                    pem.len(),
                    ptr::null_mut(),
                );
                assert_eq!(rc, lv_result::Ok);
            }
            let mut x = ptr::null_mut();
            assert_eq!(
                lv_validator_builder_build(b, &mut x, &mut err),
                lv_result::InvalidArgument
            );
            assert!(x.is_null());
            crate::lv_error_free(err);
            lv_validator_builder_free(b);
            lv_validator_builder_free(ptr::null_mut());

            // The clock is read at each call at the clock.
            let license = b"{}";
            let mut verdict = ptr::null_mut();
            clock.store(-1, Ordering::SeqCst);
            let rc =
                crate::lv_validator_validate_now(v, license.as_ptr(), 2, ptr::null(), &mut verdict);
            assert_eq!(rc, lv_result::InvalidArgument, "the clock is read first");
            crate::lv_verdict_free(verdict);
            crate::lv_validator_free(v);
            crate::lv_validator_free(w);
        }
    }
}
