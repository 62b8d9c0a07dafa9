//! [`lv_validator`]: core's `Validator` behind a read-write lock, and the calls that use it:
//! validate, revocation lists, heartbeats, trusted roots, the environment policy, the clock
//! floor.
//!
//! Core's validator takes `&self` for everything but adding a root and changing the
//! environment policy, and is safe to share between threads: every other call takes the read
//! lock, so validations, revocation lists, heartbeats, exports and nonces run concurrently;
//! [`lv_validator_add_root`] and [`lv_validator_accept_other_environment`] take the write lock
//! (they wait for calls in progress, and keep the cache and the trust state).
//!
//! Time: a call "at the clock" (`lv_validator_validate_now`, ..., or the deprecated `now == 0`)
//! reads the validator's clock and may raise its clock floor; a call with a non-zero `now` is
//! core's explicit-time call (`validate_at`: a what-if that never writes the trust state).

use std::ffi::c_char;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use hwf_license::{
    Environment, Error, HeartbeatInfo, NodeFacts, PublicKey, TrustedRoot, Validator,
};

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
    pub(crate) fn argument(raw: u32) -> Result<Environment, Failure> {
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

/// A validator: trusted root keys (each with its kid and environment), the environment policy,
/// the trust state (clock floor, applied revocation lists, heartbeat answers, outstanding
/// nonces), its clock and the cache of verified chains (a repeated validation skips the
/// signature checks, never the rules). Safe to use from several threads at once: calls run
/// concurrently (only adding a root and changing the environment policy wait for the others).
/// Free it with [`lv_validator_free`].
#[derive(Debug)]
pub struct lv_validator {
    core: RwLock<Validator>,
}

impl Handle for lv_validator {}

impl lv_validator {
    /// Wraps a core validator.
    pub(crate) fn from_core(core: Validator) -> Self {
        Self {
            core: RwLock::new(core),
        }
    }

    /// Core's validator for a `&self` call (the common case: runs beside other such calls).
    pub(crate) fn read(&self) -> Result<RwLockReadGuard<'_, Validator>, Failure> {
        self.core.read().map_err(|_| Failure::poisoned())
    }

    /// Core's validator for a `&mut self` call (adding a root, changing the policy).
    fn write(&self) -> Result<RwLockWriteGuard<'_, Validator>, Failure> {
        self.core.write().map_err(|_| Failure::poisoned())
    }

    /// The validator for a call; NULL is `LV_RESULT_NULL_PARAMETER`.
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a live handle.
    pub(crate) unsafe fn get<'a>(ptr: *const Self) -> Result<&'a Self, Failure> {
        // SAFETY: forwarded.
        unsafe { Self::borrow(ptr, "validator") }
    }
}

/// When a call happens: at the validator's clock (core's clock-reading call, which may raise
/// the clock floor), or at a time the caller gives (core's `_at` call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum When {
    /// The validator's clock.
    Clock,
    /// Unix seconds given by the caller.
    At(i64),
}

impl When {
    /// A `now` argument of the calls that take one: 0 is the validator's clock (deprecated in
    /// favour of the `_now` functions), anything else an explicit time (range checks are core's).
    pub(crate) fn from_now(now: i64) -> Self {
        if now == 0 {
            Self::Clock
        } else {
            Self::At(now)
        }
    }

    /// Core's range check of a caller's time, made before any other argument is read: core
    /// checks `now` first, so a bad time and a bad input give core's error for the time, as in
    /// every other binding.
    pub(crate) fn check(self) -> Result<(), Failure> {
        if let Self::At(now) = self {
            hwf_license::time::check_now(now)?;
        }
        Ok(())
    }
}

/// A root key from C arguments: kid and key text, environment number.
///
/// # Safety
///
/// `kid` and `key` are NULL or readable for their lengths.
pub(crate) unsafe fn root_argument(
    kid: *const c_char,
    kid_len: usize,
    environment: u32,
    key: *const c_char,
    key_len: usize,
) -> Result<TrustedRoot, Failure> {
    // SAFETY: forwarded.
    let kid = unsafe { input::text(kid, kid_len, "kid") }?;
    // SAFETY: forwarded.
    let key = unsafe { input::text(key, key_len, "key") }?;
    let environment = lv_environment::argument(environment)?;
    let key = PublicKey::from_pem_or_jwk(key)?;
    Ok(TrustedRoot::new(kid, environment, key))
}

/// Makes a validator for `environment` (`LV_ENVIRONMENT_PROD` or `LV_ENVIRONMENT_DEV`) in
/// `*validator_out`, trusting no root yet: add roots with [`lv_validator_add_root`]. It accepts
/// only CMLs of its own environment until [`lv_validator_accept_other_environment`], reads the
/// system clock and draws its nonce seed from the operating system. For another clock or a
/// fixed nonce seed, use `lv_validator_builder_new`.
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
            let core = Validator::new(environment, Vec::new());
            out.write(lv_validator::from_core(core).into_raw());
            Ok(())
        })
    }
}

/// Trusts a root public key: `kid` (the key id CMLs signed by it announce), the environment it
/// signs for, and the key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`) or JWK JSON text (P-256).
///
/// May be called at any time, also after the validator was used: the cache of verified chains
/// and the trust state (clock floor, revocation lists, heartbeat answers) are kept. It waits for
/// calls in progress on other threads. A `kid` already trusted is `LV_RESULT_INVALID_ARGUMENT`
/// (core's rule: kids are unique), and the validator is unchanged.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_BAD_KEY` (not a
/// P-256 public key, including empty text), `LV_RESULT_INVALID_ARGUMENT` (unknown environment,
/// a kid already trusted), `LV_RESULT_PANIC`.
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
            let root = root_argument(kid, kid_len, environment, key, key_len)?;
            validator.write()?.add_root(root)?;
            Ok(())
        })
    }
}

/// Also accepts CMLs of the other environment (`accept` true), or stops accepting them (false):
/// the explicit opt-in core requires for a dev license on a prod node or the reverse. Takes
/// effect on the next call, cached chains included (a chain validated while the other
/// environment was accepted is refused with `LV_RESULT_ENVIRONMENT_MISMATCH` afterwards). It
/// waits for calls in progress on other threads.
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
                .write()?
                .accept_other_environment(accept);
            Ok(())
        })
    }
}

/// Raises the clock floor to a host's persisted last-seen time (unix seconds; never lowers it):
/// a call at a time more than the allowed skew before the floor fails with
/// `LV_RESULT_CLOCK_ROLLBACK`. Prefer persisting the whole trust state
/// (`lv_validator_export_state` / `lv_validator_import_state`), which keeps the revocation
/// lists and heartbeat answers too.
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
            lv_validator::get(validator)?
                .read()?
                .set_last_seen(last_seen)?;
            Ok(())
        })
    }
}

/// Writes to `*floor_out` the time (unix seconds) the clock may not go under (by more than the
/// allowed skew): the highest of every validation time at the clock, every signed time accepted
/// and every last-seen time given, lowered only by a heartbeat answer to a nonce of
/// `lv_validator_new_nonce`.
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
            let floor = validator.read()?.clock_floor();
            out.write(floor);
            Ok(())
        })
    }
}

/// The body of both validate calls.
///
/// # Safety
///
/// As [`lv_validator_validate`].
unsafe fn validate_when(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    facts: *const lv_node_facts,
    when: When,
    verdict_out: *mut *mut lv_verdict,
) -> lv_result {
    boundary::value(lv_result::Panic, || {
        let Some(out) = Out::optional(verdict_out) else {
            return lv_result::NullParameter;
        };
        let outcome = boundary::value_or_panic(|| {
            // SAFETY: forwarded from the caller.
            let validator = unsafe { lv_validator::get(validator) }?;
            when.check()?;
            // SAFETY: forwarded from the caller.
            let license = unsafe { input::license(license, license_len) }?;
            // SAFETY: forwarded from the caller.
            let facts = unsafe { facts.as_ref() };
            let none = NodeFacts::default();
            let facts = facts.map_or(&none, lv_node_facts::facts);
            let core = validator.read()?;
            Ok(match when {
                When::Clock => core.validate(license, facts),
                When::At(now) => core.validate_at(license, facts, now),
            }?)
        });
        let verdict = lv_verdict::from_outcome(outcome);
        let result = verdict.result();
        // SAFETY: `verdict_out` is non-NULL and writable by the caller's guarantee.
        unsafe { out.write(verdict.into_raw()) };
        result
    })
}

/// Validates the bytes of a site.lic (`license`, `license_len` bytes) for a node with `facts`
/// (NULL: no facts) at the validator's clock (the system clock, or the builder's
/// `lv_validator_builder_set_clock`). Every rule is core's. On success the clock floor rises to
/// that time (persist it with `lv_validator_export_state` when
/// `lv_validator_state_changed`).
///
/// Returns `LV_RESULT_OK` when the license is usable (valid or in grace), else the error's code.
/// Whenever `verdict_out` is not NULL, `*verdict_out` receives a new verdict — usable or not,
/// carrying the returned code and the error's message — which the caller frees with
/// [`lv_verdict_free`]. With a NULL `verdict_out` the result is `LV_RESULT_NULL_PARAMETER` and
/// nothing is validated.
///
/// Errors: `LV_RESULT_NULL_PARAMETER` (`validator`, `license` or `verdict_out`),
/// `LV_RESULT_TOO_LARGE` (over `LV_MAX_LICENSE_BYTES`, no byte read), `LV_RESULT_PANIC`, and
/// every code of core (100–499; `LV_RESULT_INVALID_ARGUMENT` when the clock reads a time
/// outside 1970..9999).
///
/// # Safety
///
/// As [`lv_validator_validate`].
#[no_mangle]
pub unsafe extern "C" fn lv_validator_validate_now(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    facts: *const lv_node_facts,
    verdict_out: *mut *mut lv_verdict,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        validate_when(
            validator,
            license,
            license_len,
            facts,
            When::Clock,
            verdict_out,
        )
    }
}

/// Validates the bytes of a site.lic (`license`, `license_len` bytes) for a node with `facts`
/// (NULL: no facts) as if the time were `now` (unix seconds): a what-if that checks every rule,
/// the trust state included (floor, revocation lists), but never writes the trust state.
/// `now == 0` is deprecated: it means the validator's clock, as [`lv_validator_validate_now`]
/// (which may raise the floor).
///
/// Returns `LV_RESULT_OK` when the license is usable (valid or in grace), else the error's code.
/// Whenever `verdict_out` is not NULL, `*verdict_out` receives a new verdict — usable or not,
/// carrying the returned code and the error's message — which the caller frees with
/// [`lv_verdict_free`]. With a NULL `verdict_out` the result is `LV_RESULT_NULL_PARAMETER` and
/// nothing is validated.
///
/// Errors: `LV_RESULT_NULL_PARAMETER` (`validator`, `license` or `verdict_out`),
/// `LV_RESULT_TOO_LARGE` (over `LV_MAX_LICENSE_BYTES`, no byte read), `LV_RESULT_PANIC`, and
/// every code of core (100–499; `LV_RESULT_INVALID_ARGUMENT` for a time outside 1970..9999).
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
    let when = When::from_now(now);
    // SAFETY: forwarded from the caller.
    unsafe { validate_when(validator, license, license_len, facts, when, verdict_out) }
}

/// The body of both revocation list calls.
///
/// # Safety
///
/// As [`lv_validator_apply_revocation_list`].
#[allow(clippy::too_many_arguments)]
unsafe fn apply_list_when(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    list: *const c_char,
    list_len: usize,
    when: When,
    seq_out: *mut u64,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let validator = lv_validator::get(validator)?;
            when.check()?;
            let license = input::license(license, license_len)?;
            let list = input::text(list, list_len, "revocation list")?;
            let core = validator.read()?;
            let seq = match when {
                When::Clock => core.apply_revocation_list(license, list),
                When::At(now) => core.apply_revocation_list_at(license, list, now),
            }?;
            if let Some(out) = Out::optional(seq_out) {
                out.write(seq);
            }
            Ok(())
        })
    }
}

/// Verifies a revocation list (compact JWS text) against the CML of `license` (same org key,
/// org and CML binding; not issued after the validator's clock) and applies it to the trust
/// state; the sequence number is written to `*seq_out` when `seq_out` is not NULL. A list older
/// than the one applied, or other content under the same number, is
/// `LV_RESULT_REVOCATION_LIST_STALE`; the same list again is a no-op.
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_TOO_LARGE`,
/// `LV_RESULT_PANIC`, and core's codes.
///
/// # Safety
///
/// As [`lv_validator_apply_revocation_list`].
#[no_mangle]
pub unsafe extern "C" fn lv_validator_apply_revocation_list_now(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    list: *const c_char,
    list_len: usize,
    seq_out: *mut u64,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        apply_list_when(
            validator,
            license,
            license_len,
            list,
            list_len,
            When::Clock,
            seq_out,
            error_out,
        )
    }
}

/// [`lv_validator_apply_revocation_list_now`] with `now` (unix seconds) given for the "not
/// issued in the future" check; the list is applied to the trust state all the same (a list
/// only ever restricts). `now == 0` is deprecated: it means the validator's clock, as
/// [`lv_validator_apply_revocation_list_now`].
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
        apply_list_when(
            validator,
            license,
            license_len,
            list,
            list_len,
            When::from_now(now),
            seq_out,
            error_out,
        )
    }
}

/// A heartbeat call's text arguments.
struct HeartbeatArgs {
    answer: *const c_char,
    answer_len: usize,
    nonce: *const c_char,
    nonce_len: usize,
}

/// The body of both heartbeat calls.
///
/// # Safety
///
/// As [`lv_validator_verify_heartbeat`].
unsafe fn heartbeat_when(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    args: HeartbeatArgs,
    when: When,
    heartbeat_out: *mut *mut lv_heartbeat,
    error_out: *mut *mut lv_error,
) -> lv_result {
    // SAFETY: forwarded from the caller.
    unsafe {
        boundary::status(error_out, || {
            let validator = lv_validator::get(validator)?;
            when.check()?;
            let license = input::license(license, license_len)?;
            let answer = input::text(args.answer, args.answer_len, "answer")?;
            let nonce = input::text(args.nonce, args.nonce_len, "nonce")?;
            let out = Out::required(heartbeat_out, "heartbeat_out")?;
            let core = validator.read()?;
            let info: HeartbeatInfo = match when {
                When::Clock => core.verify_heartbeat(license, answer, nonce),
                When::At(now) => core.verify_heartbeat_at(license, answer, nonce, now),
            }?;
            out.write(lv_heartbeat::new(info).into_raw());
            Ok(())
        })
    }
}

/// Verifies a heartbeat answer (compact JWS text) for `license`, carrying the `nonce` the node
/// sent, at the validator's clock; applies the revocation list it carries and records the Hub's
/// time: the clock floor rises to the answer's `server_time`. For a nonce from
/// `lv_validator_new_nonce` (accepted once; the same answer again is
/// `LV_RESULT_NONCE_MISMATCH`) the floor may also come down to `server_time`, never under the
/// newest signed time held. On success `*heartbeat_out` receives a new heartbeat (free it with
/// [`lv_heartbeat_free`]).
///
/// Errors: `LV_RESULT_NULL_PARAMETER`, `LV_RESULT_INVALID_UTF8`, `LV_RESULT_TOO_LARGE`,
/// `LV_RESULT_PANIC`, and core's codes (e.g. `LV_RESULT_NONCE_MISMATCH`).
///
/// # Safety
///
/// As [`lv_validator_verify_heartbeat`].
#[no_mangle]
pub unsafe extern "C" fn lv_validator_verify_heartbeat_now(
    validator: *const lv_validator,
    license: *const u8,
    license_len: usize,
    answer: *const c_char,
    answer_len: usize,
    nonce: *const c_char,
    nonce_len: usize,
    heartbeat_out: *mut *mut lv_heartbeat,
    error_out: *mut *mut lv_error,
) -> lv_result {
    let args = HeartbeatArgs {
        answer,
        answer_len,
        nonce,
        nonce_len,
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        heartbeat_when(
            validator,
            license,
            license_len,
            args,
            When::Clock,
            heartbeat_out,
            error_out,
        )
    }
}

/// [`lv_validator_verify_heartbeat_now`] with `now` (unix seconds) given for the "not issued in
/// the future" check of the embedded revocation list; the answer is applied to the trust state
/// all the same. `now == 0` is deprecated: it means the validator's clock, as
/// [`lv_validator_verify_heartbeat_now`].
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
    let args = HeartbeatArgs {
        answer,
        answer_len,
        nonce,
        nonce_len,
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        heartbeat_when(
            validator,
            license,
            license_len,
            args,
            When::from_now(now),
            heartbeat_out,
            error_out,
        )
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
    fn zero_means_the_clock_and_anything_else_an_explicit_time() {
        assert_eq!(When::from_now(0), When::Clock);
        assert_eq!(When::from_now(-5), When::At(-5), "range checks are core's");
        assert_eq!(When::from_now(1), When::At(1));
    }

    #[test]
    fn a_root_added_after_use_keeps_the_state_and_a_duplicate_kid_is_refused() {
        let v = new_validator();
        let key = hwf_license::SigningKey::from_seed(b"root");
        let pem = key.public_key().to_pem();
        let mut err: *mut lv_error = ptr::null_mut();
        let mut floor = 0;
        // SAFETY: live handle, valid buffers and out-pointers; everything freed once.
        unsafe {
            assert_eq!(
                lv_validator_set_last_seen(v, 1_000, ptr::null_mut()),
                lv_result::Ok
            );
            let add = |kid: &str, err: *mut *mut lv_error| {
                lv_validator_add_root(
                    v,
                    kid.as_ptr().cast(),
                    kid.len(),
                    1,
                    pem.as_ptr().cast(),
                    pem.len(),
                    err,
                )
            };
            assert_eq!(add("a", ptr::null_mut()), lv_result::Ok);
            assert_eq!(add("b", ptr::null_mut()), lv_result::Ok);
            assert_eq!(add("a", &mut err), lv_result::InvalidArgument);
            assert_eq!(
                (*err).message(),
                "invalid argument: a trusted root has this kid already"
            );
            crate::lv_error_free(err);
            assert_eq!(lv_validator_clock_floor(v, &mut floor), lv_result::Ok);
            assert_eq!(floor, 1_000, "adding a root keeps the trust state");
            assert_eq!((*v).read().unwrap().roots().len(), 2);
            lv_validator_free(v);
        }
    }

    #[test]
    fn a_validator_poisoned_by_a_panic_answers_the_panic_code() {
        let v = new_validator();
        // SAFETY: `v` is live until freed below.
        let validator = unsafe { &*v };
        let poisoned = std::thread::scope(|s| {
            s.spawn(|| {
                let _guard = validator.core.write().unwrap();
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
            assert_eq!(
                lv_validator_accept_other_environment(v, true),
                lv_result::Panic
            );
            lv_validator_free(v);
        }
    }
}
