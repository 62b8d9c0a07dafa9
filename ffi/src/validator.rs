//! [`lv_validator`]: core's `Validator` behind a mutex, and the calls that use it: validate,
//! revocation lists, heartbeats, trusted roots, the clock floor.
//!
//! Core builds a validator from its complete list of roots, so [`lv_validator_add_root`]
//! rebuilds the (still unused) core validator with one more root; once the validator has
//! validated or applied anything, adding a root is refused rather than dropping that state.

use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard};

use hwf_license::{Environment, Error, NodeFacts, PublicKey, TrustedRoot, Validator};

use crate::boundary::{self, Failure};
use crate::error::lv_error;
use crate::facts::lv_node_facts;
use crate::handle::{Handle, Out};
use crate::heartbeat::lv_heartbeat;
use crate::input;
use crate::result::lv_result;
use crate::verdict::lv_verdict;

/// Largest accepted site.lic, in bytes (core's `MAX_LICENSE_BYTES`). A longer `license_len` is
/// `LV_RESULT_TOO_LARGE`, and the library reads none of the bytes.
pub const LV_MAX_LICENSE_BYTES: usize = 65536;

/// Size of the buffer [`lv_key_thumbprint`] needs: 43 base64url characters and a NUL.
pub const LV_THUMBPRINT_SIZE: usize = 44;

/// An environment: the validator's own, a root key's, or a verdict's chain.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum lv_environment {
    /// No environment (a verdict that is not usable). Not accepted as an argument.
    None = 0,
    /// Production.
    Prod = 1,
    /// Development.
    Dev = 2,
}

impl lv_environment {
    pub(crate) fn from_core(e: Environment) -> Self {
        match e {
            Environment::Prod => Self::Prod,
            Environment::Dev => Self::Dev,
        }
    }

    /// A caller's `uint32_t` environment argument.
    fn argument(raw: u32) -> Result<Environment, Failure> {
        match raw {
            1 => Ok(Environment::Prod),
            2 => Ok(Environment::Dev),
            _ => Err(Error::InvalidArgument(
                "environment must be LV_ENVIRONMENT_PROD (1) or LV_ENVIRONMENT_DEV (2)",
            )
            .into()),
        }
    }
}

#[derive(Debug)]
struct Inner {
    core: Validator,
    /// What `set_last_seen` was given (to rebuild with another root).
    last_seen: Option<i64>,
    /// Whether the core validator may hold state beyond its settings (a validation, a list).
    used: bool,
}

/// A validator: trusted root keys (each with its kid and environment), the environment policy,
/// the applied revocation lists, the clock floor (last-seen time and signed times accepted) and
/// the cache of verified chains (a repeated validation skips the signature checks, never the
/// rules). Safe to use from several threads at once: calls are serialised. Free it with
/// [`lv_validator_free`].
#[derive(Debug)]
pub struct lv_validator {
    inner: Mutex<Inner>,
}

impl Handle for lv_validator {}

impl lv_validator {
    fn lock(&self) -> Result<MutexGuard<'_, Inner>, Failure> {
        self.inner.lock().map_err(|_| Failure::poisoned())
    }

    /// The validator for a call; NULL is `LV_RESULT_NULL_PARAMETER`.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a live handle.
    unsafe fn get<'a>(ptr: *const Self) -> Result<&'a Self, Failure> {
        // SAFETY: forwarded.
        unsafe { Self::borrow(ptr, "validator") }
    }
}

/// Makes a validator for `environment` (`LV_ENVIRONMENT_PROD` or `LV_ENVIRONMENT_DEV`) in
/// `*validator_out`, trusting no root yet: add roots with [`lv_validator_add_root`]. It accepts
/// only CMLs of its own environment until [`lv_validator_accept_other_environment`].
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (unknown environment).
///
/// # Safety
///
/// `validator_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_new(
    environment: u32,
    validator_out: *mut *mut lv_validator,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let out = Out::required(validator_out, "validator_out")?;
            let environment = lv_environment::argument(environment)?;
            let inner = Inner {
                core: Validator::new(environment, Vec::new()),
                last_seen: None,
                used: false,
            };
            out.write(
                lv_validator {
                    inner: Mutex::new(inner),
                }
                .into_raw(),
            );
            Ok(())
        })
    }
}

/// Trusts a root public key: `kid` (the key id CMLs signed by it announce), the environment it
/// signs for, and the key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or JWK JSON text (P-256).
/// Add every root before the validator's first validation, revocation list or heartbeat.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_BAD_KEY` (not a
/// P-256 public key, including empty text), `LV_RESULT_INVALID_ARGUMENT` (unknown environment,
/// or the validator was already used), `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `kid` and `key` are NULL or readable for their lengths;
/// `error_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_add_root(
    validator: *const lv_validator,
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
            let validator = lv_validator::get(validator)?;
            let kid = input::text(kid, kid_len, "kid")?;
            let key = input::text(key, key_len, "key")?;
            let environment = lv_environment::argument(environment)?;
            let key = PublicKey::from_pem_or_jwk(key)?;
            let mut inner = validator.lock()?;
            if inner.used {
                return Err(Error::InvalidArgument(
                    "roots must be added before the validator's first use",
                )
                .into());
            }
            let policy = inner.core.policy();
            let mut roots = inner.core.roots().to_vec();
            roots.push(TrustedRoot::new(kid, environment, key));
            let mut core = Validator::new(policy.environment, roots);
            core.accept_other_environment(policy.accept_other);
            if let Some(t) = inner.last_seen {
                core.set_last_seen(t)?;
            }
            inner.core = core;
            Ok(())
        })
    }
}

/// Also accepts CMLs of the other environment (`accept` true), or stops accepting them (false):
/// the explicit opt-in core requires for a dev license on a prod node or the reverse.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `validator` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_accept_other_environment(
    validator: *const lv_validator,
    accept: bool,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            lv_validator::get(validator)?
                .lock()?
                .core
                .accept_other_environment(accept);
            Ok(())
        })
    }
}

/// Sets the host's persisted last-seen time (unix seconds): validation at a time more than the
/// allowed skew before it fails with `LV_RESULT_CLOCK_ROLLBACK`. Persist
/// [`lv_validator_clock_floor`] and give it back here at the next start.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_ARGUMENT` (outside 1970..9999),
/// `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `error_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_set_last_seen(
    validator: *const lv_validator,
    last_seen: i64,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let mut inner = lv_validator::get(validator)?.lock()?;
            inner.core.set_last_seen(last_seen)?;
            inner.last_seen = Some(last_seen);
            Ok(())
        })
    }
}

/// Writes to `*floor_out` the time (unix seconds) the clock may not go under: the maximum of
/// the last-seen time and every signed `issued_at` accepted so far. Persist it.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `floor_out` is NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_clock_floor(
    validator: *const lv_validator,
    floor_out: *mut i64,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(std::ptr::null_mut(), || {
            let validator = lv_validator::get(validator)?;
            let out = Out::required(floor_out, "floor_out")?;
            let floor = validator.lock()?.core.clock_floor();
            out.write(floor);
            Ok(())
        })
    }
}

/// Validates the bytes of a site.lic (`license`, `license_len` bytes) for a node with `facts`
/// (NULL: no facts) at `now` (unix seconds; 0: the system clock). Every rule is core's.
///
/// Returns `LV_RESULT_OK` when the license is usable (valid or in grace), else the error's code.
/// Whenever `verdict_out` is not NULL, `*verdict_out` receives a new verdict — usable or not,
/// carrying the returned code and the error's message — which the caller frees with
/// [`lv_verdict_free`]. With a NULL `verdict_out` the result is `LV_RESULT_NULL_PARAMETER` and
/// nothing is validated.
///
/// Errors: `LV_RESULT_NULL_PARAMETER` (`validator`, `license` or `verdict_out`),
/// `LV_RESULT_TOO_LARGE` (over `LV_MAX_LICENSE_BYTES`, no byte read), `LV_RESULT_PANIC`, and
/// every code of core (100–499).
///
/// # Safety
///
/// `validator` is NULL or a live handle; `license` is NULL or readable for `license_len` bytes
/// (or `license_len` exceeds `LV_MAX_LICENSE_BYTES`); `facts` is NULL or a live handle not being
/// changed; `verdict_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_validate(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    facts: *const lv_node_facts,
    now: i64,
    verdict_out: *mut *mut lv_verdict,
) -> lv_result {
    boundary::value(lv_result::Panic, || {
        let Some(out) = Out::optional(verdict_out) else {
            return lv_result::NullParameter;
        };
        let outcome = boundary::value_or_panic(|| {
            // SAFETY: forwarded from the caller.
            let validator = unsafe { lv_validator::get(validator) }?;
            // SAFETY: forwarded from the caller.
            let license = unsafe { input::license(license, license_len) }?;
            // SAFETY: forwarded from the caller.
            let facts = unsafe { facts.as_ref() };
            let none = NodeFacts::default();
            let facts = facts.map_or(&none, lv_node_facts::facts);
            let now = input::now(now)?;
            let mut inner = validator.lock()?;
            inner.used = true;
            Ok(inner.core.validate(license, facts, now)?)
        });
        let verdict = lv_verdict::from_outcome(outcome);
        let result = verdict.result();
        // SAFETY: `verdict_out` is non-NULL and writable by the caller's guarantee.
        unsafe { out.write(verdict.into_raw()) };
        result
    })
}

/// Verifies a revocation list (compact JWS text) against the CML of `license` (same org key,
/// org and CML binding) and applies it at `now` (0: the system clock); the sequence number is
/// written to `*seq_out` when `seq_out` is not NULL. A list older than the one applied is
/// `LV_RESULT_REVOCATION_LIST_STALE`.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_TOO_LARGE`,
/// `LV_RESULT_PANIC`, and core's codes.
///
/// # Safety
///
/// `validator` is NULL or a live handle; `license` and `list` are NULL or readable for their
/// lengths; `seq_out` and `error_out` are NULL or valid for writing.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_apply_revocation_list(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    list: *const c_char,
    list_len: usize,
    now: i64,
    seq_out: *mut u64,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let validator = lv_validator::get(validator)?;
            let license = input::license(license, license_len)?;
            let list = input::text(list, list_len, "revocation list")?;
            let now = input::now(now)?;
            let mut inner = validator.lock()?;
            inner.used = true;
            let seq = inner.core.apply_revocation_list(license, list, now)?;
            if let Some(out) = Out::optional(seq_out) {
                out.write(seq);
            }
            Ok(())
        })
    }
}

/// Verifies a heartbeat answer (compact JWS text) for `license`, carrying the `nonce` the node
/// sent, at `now` (0: the system clock), and applies the revocation list it carries. On success
/// `*heartbeat_out` receives a new heartbeat (free it with [`lv_heartbeat_free`]).
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_TOO_LARGE`,
/// `LV_RESULT_PANIC`, and core's codes (e.g. `LV_RESULT_NONCE_MISMATCH`).
///
/// # Safety
///
/// `validator` is NULL or a live handle; `license`, `answer` and `nonce` are NULL or readable
/// for their lengths; `heartbeat_out` and `error_out` are NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_verify_heartbeat(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    answer: *const c_char,
    answer_len: usize,
    nonce: *const c_char,
    nonce_len: usize,
    now: i64,
    heartbeat_out: *mut *mut lv_heartbeat,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let validator = lv_validator::get(validator)?;
            let license = input::license(license, license_len)?;
            let answer = input::text(answer, answer_len, "answer")?;
            let nonce = input::text(nonce, nonce_len, "nonce")?;
            let out = Out::required(heartbeat_out, "heartbeat_out")?;
            let now = input::now(now)?;
            let mut inner = validator.lock()?;
            inner.used = true;
            let info = inner.core.verify_heartbeat(license, answer, nonce, now)?;
            out.write(lv_heartbeat::new(info).into_raw());
            Ok(())
        })
    }
}

/// Frees a validator. NULL does nothing. No other call may use it at the same time or after.
///
/// # Safety
///
/// `validator` is NULL or a live handle from this library, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lv_validator_free(validator: *mut lv_validator) {
    // SAFETY: guaranteed by the caller.
    boundary::value((), || unsafe { lv_validator::free(validator) })
}

/// Writes the RFC 7638 thumbprint (SHA-256, base64url, 43 characters, NUL-terminated) of a P-256
/// public key given as SPKI PEM or JWK text into `buf` (at least `LV_THUMBPRINT_SIZE` bytes).
/// Log it to show which root a node trusts.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_BAD_KEY`,
/// `LV_RESULT_INVALID_ARGUMENT` (`buf_len` below `LV_THUMBPRINT_SIZE`), `LV_RESULT_PANIC`.
///
/// # Safety
///
/// `key` is NULL or readable for `key_len` bytes; `buf` is NULL or writable for `buf_len` bytes;
/// `error_out` is NULL or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn lv_key_thumbprint(
    key: *const c_char,
    key_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let key = input::text(key, key_len, "key")?;
            if buf.is_null() {
                return Err(Failure::null("buf"));
            }
            let key = PublicKey::from_pem_or_jwk(key)?;
            let thumbprint = key.thumbprint().as_bytes();
            if buf_len < LV_THUMBPRINT_SIZE || thumbprint.len() >= buf_len {
                return Err(
                    Error::InvalidArgument("buffer smaller than LV_THUMBPRINT_SIZE").into(),
                );
            }
            std::ptr::copy_nonoverlapping(thumbprint.as_ptr(), buf.cast::<u8>(), thumbprint.len());
            buf.add(thumbprint.len()).write(0);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    fn new_validator() -> *mut lv_validator {
        let mut v = ptr::null_mut();
        // SAFETY: a valid out-pointer.
        assert_eq!(unsafe { lv_validator_new(1, &mut v) }, lv_result::Ok);
        v
    }

    #[test]
    fn constants_are_core_s() {
        assert_eq!(LV_MAX_LICENSE_BYTES, hwf_license::MAX_LICENSE_BYTES);
        let key = hwf_license::SigningKey::from_seed(b"t");
        assert_eq!(LV_THUMBPRINT_SIZE, key.public_key().thumbprint().len() + 1);
    }

    #[test]
    fn a_validator_poisoned_by_a_panic_answers_the_panic_code() {
        let v = new_validator();
        // SAFETY: `v` is live until freed below.
        let validator = unsafe { &*v };
        let poisoned = std::thread::scope(|s| {
            s.spawn(|| {
                let _guard = validator.inner.lock().unwrap();
                panic!("poison");
            })
            .join()
        });
        assert!(poisoned.is_err());
        let mut err: *mut lv_error = ptr::null_mut();
        let mut floor = -1;
        let license = b"{}";
        let mut verdict = ptr::null_mut();
        // SAFETY: live handles and valid out-pointers; everything freed once.
        unsafe {
            assert_eq!(lv_validator_set_last_seen(v, 5, &mut err), lv_result::Panic);
            assert_eq!(
                (*err).message(),
                "validator unusable after a panic in an earlier call"
            );
            crate::lv_error_free(err);
            assert_eq!(lv_validator_clock_floor(v, &mut floor), lv_result::Panic);
            assert_eq!(floor, -1, "out-parameters are written only on success");
            let rc = lv_validator_validate(v, license.as_ptr(), 2, ptr::null(), 1, &mut verdict);
            assert_eq!(rc, lv_result::Panic);
            assert_eq!(crate::lv_verdict_error(verdict), lv_result::Panic);
            crate::lv_verdict_free(verdict);
            lv_validator_free(v);
        }
    }
}
